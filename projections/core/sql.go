package core

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/domain"
)

// Numeric returns m as an exact PostgreSQL numeric (its cents, exponent −2).
func Numeric(m domain.Money) pgtype.Numeric { return CentsNumeric(CentsOf(m)) }

// CentsNumeric returns c cents as an exact PostgreSQL numeric.
func CentsNumeric(c int64) pgtype.Numeric {
	return pgtype.Numeric{Int: big.NewInt(c), Exp: -2, Valid: true}
}

// DecimalNumeric returns d as an exact PostgreSQL numeric.
func DecimalNumeric(d decimal.Decimal) pgtype.Numeric {
	return pgtype.Numeric{Int: d.Coefficient(), Exp: d.Exponent(), Valid: true}
}

// NullNumeric is the SQL NULL numeric.
var NullNumeric = pgtype.Numeric{}

// PgDate returns d as a PostgreSQL date; the zero Date is NULL.
func PgDate(d domain.Date) pgtype.Date {
	if d.IsZero() {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: d.Time(), Valid: true}
}

// PgTime returns t as a timestamptz; the zero time is NULL.
func PgTime(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t.UTC(), Valid: true}
}

// DateOf returns the civil date held by a scanned date (zero Date for NULL).
func DateOf(d pgtype.Date) domain.Date {
	if !d.Valid {
		return domain.Date{}
	}
	return domain.DateOf(d.Time.UTC())
}

// TimeOf returns the instant held by a scanned timestamptz in UTC (zero for NULL).
func TimeOf(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// MoneyOf converts a scanned numeric to Money. NULL is 0.00; a value that is not a
// whole number of cents is an error (never rounded).
func MoneyOf(n pgtype.Numeric) (domain.Money, error) {
	if !n.Valid {
		return domain.Money{}, nil
	}
	if n.NaN || n.InfinityModifier != pgtype.Finite {
		return domain.Money{}, errors.New("projections: numeric is not a finite amount")
	}
	return domain.NewMoneyFromDecimal(decimal.NewFromBigInt(n.Int, n.Exp))
}

// DecimalOf converts a scanned numeric to an exact decimal (NULL is 0).
func DecimalOf(n pgtype.Numeric) (decimal.Decimal, error) {
	if !n.Valid {
		return decimal.Zero, nil
	}
	if n.NaN || n.InfinityModifier != pgtype.Finite {
		return decimal.Zero, errors.New("projections: numeric is not finite")
	}
	return decimal.NewFromBigInt(n.Int, n.Exp), nil
}

// MoneyScanner scans a numeric column straight into a Money: pass ScanMoney(&m) to
// Scan. NULL scans as 0.00.
type MoneyScanner struct{ M *domain.Money }

// ScanNumeric implements pgtype.NumericScanner.
func (s MoneyScanner) ScanNumeric(n pgtype.Numeric) error {
	m, err := MoneyOf(n)
	if err != nil {
		return err
	}
	*s.M = m
	return nil
}

// ScanMoney returns a Scan destination that fills m from a numeric column.
func ScanMoney(m *domain.Money) MoneyScanner { return MoneyScanner{M: m} }

// DateScanner scans a date column into a domain.Date (NULL: the zero Date).
type DateScanner struct{ D *domain.Date }

// ScanDate implements pgtype.DateScanner.
func (s DateScanner) ScanDate(d pgtype.Date) error {
	*s.D = DateOf(d)
	return nil
}

// ScanDate returns a Scan destination that fills d from a date column.
func ScanDate(d *domain.Date) DateScanner { return DateScanner{D: d} }

// Upsert writes many rows in one statement: INSERT … SELECT FROM unnest(arrays) ON
// CONFLICT (key) DO UPDATE. Each column is given as a Go slice (all of the same
// length) and its SQL array type. Keys must be unique within one Upsert (aggregate
// first): PostgreSQL refuses to update one row twice in a statement.
type Upsert struct {
	table    string
	conflict []string
	cols     []string
	types    []string
	vals     []any
	set      string
	nothing  bool
	rows     int
}

// NewUpsert starts an upsert into table whose conflict target is the given key
// columns.
func NewUpsert(table string, key ...string) *Upsert {
	return &Upsert{table: table, conflict: key, rows: -1}
}

// Col adds a column: its name, the SQL type of one element ("text", "numeric",
// "date", …) and its values, a slice with one element per row.
func (u *Upsert) Col(name, sqlType string, values any, n int) *Upsert {
	if u.rows >= 0 && u.rows != n {
		panic(fmt.Sprintf("projections: upsert %s: column %s has %d rows, want %d", u.table, name, n, u.rows))
	}
	u.rows = n
	u.cols = append(u.cols, name)
	u.types = append(u.types, sqlType)
	u.vals = append(u.vals, values)
	return u
}

// Set replaces the default update (every non-key column takes the new value) with
// a custom SET clause, e.g. "balance = account_balances.balance + EXCLUDED.balance".
func (u *Upsert) Set(clause string) *Upsert { u.set = clause; return u }

// DoNothing keeps existing rows unchanged on conflict.
func (u *Upsert) DoNothing() *Upsert { u.nothing = true; return u }

// Len returns the number of rows.
func (u *Upsert) Len() int { return max(u.rows, 0) }

// SQL returns the statement and its arguments.
func (u *Upsert) SQL() (string, []any) {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(u.table)
	b.WriteString(" (")
	b.WriteString(strings.Join(u.cols, ", "))
	b.WriteString(") SELECT * FROM unnest(")
	for i, t := range u.types {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d::%s[]", i+1, t)
	}
	b.WriteString(")")
	if len(u.conflict) > 0 {
		b.WriteString(" ON CONFLICT (")
		b.WriteString(strings.Join(u.conflict, ", "))
		b.WriteString(") DO ")
		switch {
		case u.nothing:
			b.WriteString("NOTHING")
		case u.set != "":
			b.WriteString("UPDATE SET ")
			b.WriteString(u.set)
		default:
			isKey := map[string]bool{}
			for _, k := range u.conflict {
				isKey[k] = true
			}
			var sets []string
			for _, c := range u.cols {
				if !isKey[c] {
					sets = append(sets, c+" = EXCLUDED."+c)
				}
			}
			if len(sets) == 0 {
				b.WriteString("NOTHING")
			} else {
				b.WriteString("UPDATE SET ")
				b.WriteString(strings.Join(sets, ", "))
			}
		}
	}
	return b.String(), u.vals
}

// Queue adds the statement to a pipelined batch (nothing when there is no row).
func (u *Upsert) Queue(b *pgx.Batch) {
	if u.Len() == 0 {
		return
	}
	sql, args := u.SQL()
	b.Queue(sql, args...)
}

// Exec runs the statement (nothing when there is no row).
func (u *Upsert) Exec(ctx context.Context, tx pgx.Tx) error {
	if u.Len() == 0 {
		return nil
	}
	sql, args := u.SQL()
	if _, err := tx.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("upsert %s: %w", u.table, err)
	}
	return nil
}

// SendBatch runs a pipelined batch and reports the first error.
func SendBatch(ctx context.Context, tx pgx.Tx, b *pgx.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// Copy appends rows to table with COPY (the fastest way to insert many rows).
func Copy(ctx context.Context, tx pgx.Tx, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

// CentsOf returns m in cents, like m.Cents() but without big-integer arithmetic
// for the amounts money actually takes (a few allocations less per amount, which
// a rebuild does millions of times).
func CentsOf(m domain.Money) int64 {
	d := m.Decimal()
	if e := d.Exponent(); e >= -2 && e <= 0 && d.NumDigits() <= 15 {
		c := d.CoefficientInt64()
		for ; e > -2; e-- {
			c *= 10
		}
		return c
	}
	return m.Cents()
}
