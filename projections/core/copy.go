package core

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/domain"
)

// CopyWriter builds a PostgreSQL binary COPY stream by hand, for the tables a
// rebuild fills with millions of rows. pgx's CopyFrom encodes each value through
// an interface, a plan lookup and, for numeric, big-integer arithmetic; writing the
// few types the projections use directly costs a fraction of that (see
// docs/benchmarks.md). The caller writes, for every row, Row then exactly one value
// per column, in the column order given to Send. Every encoder follows the binary
// formats of PostgreSQL's send functions (int8send, xid8send, textsend,
// numeric_send, timestamptz_send, date_send, boolsend); TestCopyWriter checks them
// against the server.
type CopyWriter struct {
	buf  []byte
	cols int
	rows int
}

var copySignature = []byte("PGCOPY\n\xff\r\n\x00")

// NewCopyWriter starts a stream of rows of cols columns.
func NewCopyWriter(cols int) *CopyWriter {
	w := &CopyWriter{cols: cols, buf: make([]byte, 0, 64*1024)}
	w.buf = append(w.buf, copySignature...)
	w.buf = binary.BigEndian.AppendUint32(w.buf, 0) // flags
	w.buf = binary.BigEndian.AppendUint32(w.buf, 0) // header extension length
	return w
}

// Grow makes room for n more bytes (a hint: the stream grows as needed anyway).
func (w *CopyWriter) Grow(n int) {
	if cap(w.buf)-len(w.buf) < n {
		b := make([]byte, len(w.buf), len(w.buf)+n)
		copy(b, w.buf)
		w.buf = b
	}
}

// Rows returns the number of rows written.
func (w *CopyWriter) Rows() int { return w.rows }

// Row starts a row.
func (w *CopyWriter) Row() {
	w.rows++
	w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(w.cols))
}

func (w *CopyWriter) field(n int) { w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(n)) }

// Null writes SQL NULL.
func (w *CopyWriter) Null() { w.buf = binary.BigEndian.AppendUint32(w.buf, 0xffffffff) }

// Int8 writes a bigint.
func (w *CopyWriter) Int8(v int64) {
	w.field(8)
	w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(v))
}

// Int4 writes an integer.
func (w *CopyWriter) Int4(v int32) {
	w.field(4)
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(v))
}

// XID8 writes an xid8 (a transaction id).
func (w *CopyWriter) XID8(v uint64) {
	w.field(8)
	w.buf = binary.BigEndian.AppendUint64(w.buf, v)
}

// Bool writes a boolean.
func (w *CopyWriter) Bool(v bool) {
	w.field(1)
	if v {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
}

// Text writes a text value (UTF-8, as every Go string the projections write is).
func (w *CopyWriter) Text(s string) {
	w.field(len(s))
	w.buf = append(w.buf, s...)
}

// Cents writes an exact numeric with two decimals: c cents.
func (w *CopyWriter) Cents(c int64) {
	// numeric_send: ndigits, weight, sign, dscale, then base-10000 digits, most
	// significant first, without leading or trailing zero digits.
	sign := uint16(0x0000)
	u := uint64(c)
	if c < 0 {
		sign, u = 0x4000, uint64(-c)
	}
	intPart, frac := u/100, u%100
	var groups [6]uint16 // up to 20 integer digits
	n := 0
	for v := intPart; v > 0; v /= 10000 {
		groups[n] = uint16(v % 10000)
		n++
	}
	// groups holds the integer part least significant first.
	weight := int16(n - 1)
	digits := make([]uint16, 0, n+1)
	for i := n - 1; i >= 0; i-- {
		digits = append(digits, groups[i])
	}
	if frac != 0 {
		digits = append(digits, uint16(frac*100))
	}
	// Strip leading zero digits (none: the top group is non-zero) and trailing ones.
	for len(digits) > 0 && digits[len(digits)-1] == 0 {
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		weight, sign = 0, 0
	} else if n == 0 {
		weight = -1 // only a fraction: its first group is 10^-4
	}
	w.field(8 + 2*len(digits))
	w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(len(digits)))
	w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(weight))
	w.buf = binary.BigEndian.AppendUint16(w.buf, sign)
	w.buf = binary.BigEndian.AppendUint16(w.buf, 2)
	for _, d := range digits {
		w.buf = binary.BigEndian.AppendUint16(w.buf, d)
	}
}

// pgEpoch is the origin of PostgreSQL's binary timestamps and dates.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Time writes a timestamptz (microseconds; NULL for the zero time).
func (w *CopyWriter) Time(t time.Time) {
	if t.IsZero() {
		w.Null()
		return
	}
	w.field(8)
	w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(t.Sub(pgEpoch).Microseconds()))
}

// Date writes a date (NULL for the zero Date).
func (w *CopyWriter) Date(d domain.Date) {
	if d.IsZero() {
		w.Null()
		return
	}
	w.field(4)
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(int32(domain.DaysBetween(domain.DateOf(pgEpoch), d))))
}

// Send writes the rows into table's columns (nothing when there is none).
func (w *CopyWriter) Send(ctx context.Context, tx pgx.Tx, table string, cols []string) error {
	if w.rows == 0 {
		return nil
	}
	if len(cols) != w.cols {
		return fmt.Errorf("copy into %s: %d columns named, %d written", table, len(cols), w.cols)
	}
	w.buf = binary.BigEndian.AppendUint16(w.buf, 0xffff) // trailer
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	sql := "COPY " + pgx.Identifier{table}.Sanitize() + " (" + strings.Join(quoted, ", ") + ") FROM STDIN BINARY"
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(w.buf), sql); err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}
