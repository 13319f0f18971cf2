package simulate_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/pgtest"
	"github.com/passnumerique/passledger/internal/simulate"
)

var db *pgtest.DB

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &db)) }

var keys = app.Keys{CheckCode: []byte("check-code-key-for-tests-0123456"), Beneficiary: []byte("beneficiary-key-for-tests-012345")}

// tiny is three départements at a hundredth of the national figures: a few
// hundred cheques, about a thousand events. (Seed 20 draws, among others, a
// label suspended during the year and a few reversals.)
var tiny = simulate.Config{Seed: 20, Scale: 0.01, Departements: 3, Concurrency: 4, Year: 2026}

func simulateInto(t *testing.T, d *pgtest.DB, cfg simulate.Config) simulate.Summary {
	t.Helper()
	a, err := app.New(eventstore.New(d.Pool), keys)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	sum, err := simulate.Run(context.Background(), a, cfg, logger)
	if err != nil {
		t.Fatalf("simulate: %v", err)
	}
	return sum
}

func sumSQL(t *testing.T, d *pgtest.DB, sql string) domain.Money {
	t.Helper()
	var s string
	if err := d.Pool.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	m, err := domain.ParseMoney(s)
	if err != nil {
		t.Fatalf("%s: %q: %v", sql, s, err)
	}
	return m
}

func amountOf(eventType, field string) string {
	return `SELECT coalesce(sum((payload->>'` + field + `')::numeric), 0)::numeric(20,2)::text FROM events WHERE event_type = '` + eventType + `'`
}

// stats are, per event type, the count and the sums of the money fields, from
// the events table alone.
func stats(t *testing.T, d *pgtest.DB) string {
	t.Helper()
	rows, err := d.Pool.Query(context.Background(), `SELECT event_type, count(*),
    coalesce(sum((payload->>'amount')::numeric), 0)::numeric(20,2)::text,
    coalesce(sum((payload->>'total')::numeric), 0)::numeric(20,2)::text,
    coalesce(sum((payload->>'value')::numeric), 0)::numeric(20,2)::text,
    coalesce(sum((payload->>'budget')::numeric), 0)::numeric(20,2)::text
FROM events GROUP BY event_type ORDER BY event_type`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, amount, total, value, budget string
		var n int
		if err := rows.Scan(&typ, &n, &amount, &total, &value, &budget); err != nil {
			t.Fatal(err)
		}
		b.WriteString(typ + " " + strings.Join([]string{strconv.Itoa(n), amount, total, value, budget}, " ") + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSimulatedYear(t *testing.T) {
	ctx := context.Background()
	first := db.Fresh(t)
	sum := simulateInto(t, first, tiny)
	var out bytes.Buffer
	sum.WriteText(&out)
	t.Logf("\n%s", out.String())

	// The year happened: every kind of activity is there.
	if sum.Programmes != 3 || sum.ProgrammesClosed != 3 || sum.PerequationRuns != 1 {
		t.Errorf("programmes %d, closed %d, péréquation runs %d", sum.Programmes, sum.ProgrammesClosed, sum.PerequationRuns)
	}
	if sum.Redemptions == 0 || sum.CarnetsIssued == 0 || sum.Batches == 0 || sum.BatchesPaid != sum.Batches ||
		sum.Receipts == 0 || sum.Advances == 0 || sum.Repayments == 0 || sum.BankLinesMatched == 0 ||
		sum.CarnetsCancelled == 0 || sum.ChequesBlocked == 0 || sum.Reversals == 0 || sum.LabelChanges <= sum.Places {
		t.Errorf("missing activity: %+v", sum)
	}
	// About 38 % nationally (measured 38.0 % at scale 0.1); a sample of forty
	// carnets strays further.
	if r := sum.RedemptionRate(); r < 0.20 || r > 0.60 {
		t.Errorf("redemption rate %.3f, want about 0.38", r)
	}

	// Events counted by the summary are the events stored.
	var stored int
	if err := first.Pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != sum.Events {
		t.Errorf("%d events stored, summary says %d", stored, sum.Events)
	}

	// Every ChequeRedeemed amount sums to the summary's redeemed euros.
	redeemed := sumSQL(t, first, amountOf("ChequeRedeemed", "amount"))
	if !redeemed.Equal(sum.Redeemed) {
		t.Errorf("ChequeRedeemed sum %s, summary %s", redeemed, sum.Redeemed)
	}
	reversed := sumSQL(t, first, amountOf("RedemptionReversed", "amount"))
	if !reversed.Equal(sum.Reversed) {
		t.Errorf("RedemptionReversed sum %s, summary %s", reversed, sum.Reversed)
	}

	// Net redeemed + expired + blocked never exceeds what was minted; once every
	// programme is closed, every minted cheque is in exactly one of them.
	minted := sumSQL(t, first, amountOf("CarnetsMinted", "value"))
	expired := sumSQL(t, first, amountOf("ChequeExpired", "amount"))
	blocked := sumSQL(t, first, amountOf("ChequeBlocked", "amount"))
	accounted := redeemed.Sub(reversed).Add(expired).Add(blocked)
	if accounted.GreaterThan(minted) {
		t.Errorf("redeemed %s − reversed %s + expired %s + blocked %s = %s > minted %s", redeemed, reversed, expired, blocked, accounted, minted)
	}
	if !accounted.Equal(minted) {
		t.Errorf("after closing, net redeemed + expired + blocked = %s, minted %s", accounted, minted)
	}

	// No cheque has two unreversed redemptions (nor a reversal without one).
	var bad int
	if err := first.Pool.QueryRow(ctx, `SELECT count(*) FROM (
    SELECT stream_id,
           count(*) FILTER (WHERE event_type = 'ChequeRedeemed')
         - count(*) FILTER (WHERE event_type = 'RedemptionReversed') AS open
      FROM events WHERE event_type IN ('ChequeRedeemed', 'RedemptionReversed')
     GROUP BY stream_id) c
WHERE open > 1 OR open < 0`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d cheques with two unreversed redemptions", bad)
	}

	// Postings of every event balance, and so does the whole ledger.
	rows, err := first.Pool.Query(ctx, `SELECT position, event_type, payload::text FROM events ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	var total domain.Money
	var postings int
	for rows.Next() {
		var pos int64
		var typ, payload string
		if err := rows.Scan(&pos, &typ, &payload); err != nil {
			t.Fatal(err)
		}
		e, err := domain.DecodeEvent(typ, []byte(payload))
		if err != nil {
			t.Fatalf("position %d: %v", pos, err)
		}
		ps := domain.Postings(e)
		postings += len(ps)
		if b := domain.PostingsBalance(ps); !b.IsZero() {
			t.Errorf("position %d %s: postings sum to %s", pos, typ, b)
		}
		total = total.Add(domain.PostingsBalance(ps))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if total.String() != "0.00" || postings == 0 {
		t.Errorf("trial balance %s over %d postings", total, postings)
	}

	// The database now holds events: a second run there is refused.
	a, err := app.New(eventstore.New(first.Pool), keys)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := simulate.Run(ctx, a, tiny, nil); err == nil || !strings.Contains(err.Error(), "empty database") {
		t.Errorf("second run into a used database: %v", err)
	}

	// Deterministic: the same seed into another empty database writes the same
	// events per type with the same sums, whatever the number of workers.
	second := db.Fresh(t)
	sequential := tiny
	sequential.Concurrency = 1
	again := simulateInto(t, second, sequential)
	if a, b := stats(t, first), stats(t, second); a != b {
		t.Errorf("two runs differ:\n%s\nvs\n%s", a, b)
	}
	if a, b := withoutTiming(sum), withoutTiming(again); a != b {
		t.Errorf("two summaries differ:\n%s\nvs\n%s", a, b)
	}
}

func withoutTiming(s simulate.Summary) string {
	var b bytes.Buffer
	s.WriteText(&b)
	var keep []string
	for _, l := range strings.Split(b.String(), "\n") {
		if !strings.Contains(l, "events written") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func TestConfigValidate(t *testing.T) {
	if err := simulate.DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []simulate.Config{
		{Seed: 1, Scale: 0, Departements: 101, Concurrency: 1, Year: 2026},
		{Seed: 1, Scale: 1.5, Departements: 101, Concurrency: 1, Year: 2026},
		{Seed: 1, Scale: 0.1, Departements: 0, Concurrency: 1, Year: 2026},
		{Seed: 1, Scale: 0.1, Departements: 102, Concurrency: 1, Year: 2026},
		{Seed: 1, Scale: 0.1, Departements: 3, Concurrency: 0, Year: 2026},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
