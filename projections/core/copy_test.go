package core

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/internal/pgtest"
)

var db *pgtest.DB

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &db)) }

// TestCopyWriter writes every kind of value through the hand-made binary COPY and
// reads it back as PostgreSQL prints it.
func TestCopyWriter(t *testing.T) {
	ctx := context.Background()
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE copy_probe (i int8, j int4, x xid8, b bool, s text, m numeric(18,2), t timestamptz, d date)`); err != nil {
		t.Fatal(err)
	}
	cents := []int64{0, 1, -1, 10, 99, 100, 1234, -1234, 100000050, 1000000, 100000000, 1000100, 9999999999999999, -12345678905, 50}
	at := time.Date(2026, 3, 9, 10, 11, 12, 123456000, time.UTC)
	w := NewCopyWriter(8)
	for i, c := range cents {
		w.Row()
		w.Int8(int64(i) - 3)
		w.Int4(int32(-i))
		w.XID8(uint64(1<<40 + i))
		w.Bool(i%2 == 0)
		w.Text("é-" + domain.SerialFor("K0000001", i%20+1))
		w.Cents(c)
		if i == 3 {
			w.Time(time.Time{})
			w.Date(domain.Date{})
		} else {
			w.Time(at.Add(time.Duration(i) * time.Hour))
			w.Date(domain.MustDate("1999-12-30").AddDays(i * 400))
		}
	}
	if err := w.Send(ctx, tx, "copy_probe", []string{"i", "j", "x", "b", "s", "m", "t", "d"}); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, `SELECT i, j, x::text, b, s, m::text, coalesce(to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), ''), coalesce(d::text, '') FROM copy_probe ORDER BY i`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		i        int64
		j        int32
		x        string
		b        bool
		s, m, ts string
		d        string
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var v row
		err := r.Scan(&v.i, &v.j, &v.x, &v.b, &v.s, &v.m, &v.ts, &v.d)
		return v, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cents) {
		t.Fatalf("%d rows", len(got))
	}
	for i, c := range cents {
		g := got[i]
		wantTS, wantD := at.Add(time.Duration(i)*time.Hour).Format("2006-01-02T15:04:05.000000"), domain.MustDate("1999-12-30").AddDays(i*400).String()
		if i == 3 {
			wantTS, wantD = "", ""
		}
		if g.i != int64(i)-3 || g.j != int32(-i) || g.x != (pgxUint(1<<40+i)) || g.b != (i%2 == 0) ||
			g.s != "é-"+domain.SerialFor("K0000001", i%20+1) || g.m != domain.Cents(c).String() || g.ts != wantTS || g.d != wantD {
			t.Errorf("row %d = %+v, want cents %s, time %s, date %s", i, g, domain.Cents(c), wantTS, wantD)
		}
	}
}

func pgxUint(v int) string { return itoa(uint64(v)) }

func itoa(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}
