package domain

import (
	"encoding/json"
	"fmt"
	"time"
)

// Date is a civil date (year, month, day) with no time of day and no time
// zone: a session date, a validity bound, an effective date, a value date.
// It is written "YYYY-MM-DD" in JSON and by String.
//
// The zero Date is "no date": IsZero reports it, it encodes as JSON null, and
// every command that needs a date refuses it. Dates are comparable with ==
// and ordered by Before, After and Compare.
type Date struct {
	year  int
	month time.Month
	day   int
}

// dateLayout is the only accepted text form of a Date.
const dateLayout = "2006-01-02"

// ParseDate parses exactly "YYYY-MM-DD" (four-digit year 0001–9999, two-digit
// month and day, a day that exists in that month: "2026-02-29" is refused).
// Errors wrap ErrInvalidArgument.
func ParseDate(s string) (Date, error) {
	if len(s) != len(dateLayout) {
		return Date{}, invalid("date %q is not YYYY-MM-DD", s)
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil || t.Year() < 1 {
		return Date{}, invalid("date %q is not a valid YYYY-MM-DD date", s)
	}
	return DateOf(t), nil
}

// MustDate is ParseDate that panics on error; for tests and constants.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(fmt.Sprintf("domain.MustDate(%q): %v", s, err))
	}
	return d
}

// NewDate returns the date y-m-d, normalising out-of-range values the way
// time.Date does (month 13 is January of the next year, day 0 the last day of
// the previous month).
func NewDate(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// DateOf returns the civil date of the instant t in t's own location. The
// domain's instants are in UTC, so DateOf(now) is today's date in UTC; a
// caller that wants the date in Paris passes now.In(paris) instead.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{year: y, month: m, day: d}
}

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d == Date{} }

// Year returns the date's year.
func (d Date) Year() int { return d.year }

// Month returns the date's month.
func (d Date) Month() time.Month { return d.month }

// Day returns the date's day of the month.
func (d Date) Day() int { return d.day }

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time {
	return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, time.UTC)
}

// String returns "YYYY-MM-DD", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.year, int(d.month), d.day)
}

// AddDays returns d plus n days (n may be negative).
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int { return d.Time().Compare(o.Time()) }

// Before reports whether d is strictly before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is strictly after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// DaysBetween returns the number of days from from to to: 0 for the same day,
// 1 for the next day, negative when to is before from.
func DaysBetween(from, to Date) int {
	return int(to.Time().Sub(from.Time()).Hours() / 24)
}

// MarshalJSON encodes d as "YYYY-MM-DD", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON accepts a JSON string in ParseDate form, or null (the zero
// Date). Anything else is an error wrapping ErrInvalidArgument.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	if len(b) == 0 || b[0] != '"' {
		return invalid("JSON date must be a string")
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return invalid("JSON date: %v", err)
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
