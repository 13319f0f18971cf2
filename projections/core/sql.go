package core

import (
	"context"
	"errors"
	"fmt"
	"math/big"
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

// Unique returns ids without repeats, keeping the first occurrence of each, in
// order: the rows a page touched, each written once.
func Unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
