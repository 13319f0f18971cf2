package domain

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		want string
	}{
		{"2026-03-10", true, "2026-03-10"},
		{"2024-02-29", true, "2024-02-29"},
		{"0001-01-01", true, "0001-01-01"},
		{"9999-12-31", true, "9999-12-31"},
		{"2026-02-29", false, ""},
		{"2026-13-01", false, ""},
		{"2026-00-10", false, ""},
		{"2026-3-10", false, ""},
		{"26-03-10", false, ""},
		{"2026/03/10", false, ""},
		{"2026-03-10T00:00:00Z", false, ""},
		{" 2026-03-10", false, ""},
		{"0000-01-01", false, ""},
		{"", false, ""},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if !tt.ok {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("ParseDate(%q) error = %v, want ErrInvalidArgument", tt.in, err)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestDateArithmeticAndOrder(t *testing.T) {
	d := day("2026-12-31")
	if got := d.AddDays(31).String(); got != "2027-01-31" {
		t.Errorf("AddDays(31) = %s", got)
	}
	if got := day("2024-03-01").AddDays(-1).String(); got != "2024-02-29" {
		t.Errorf("AddDays(-1) = %s", got)
	}
	if !day("2026-01-01").Before(d) || d.Before(d) || !d.After(day("2026-12-30")) || d.Compare(d) != 0 {
		t.Error("order broken")
	}
	if DaysBetween(day("2026-01-01"), day("2026-12-31")) != 364 || DaysBetween(d, d) != 0 || DaysBetween(d, day("2026-12-30")) != -1 {
		t.Error("DaysBetween broken")
	}
	paris := time.FixedZone("CET", 3600)
	inst := time.Date(2026, 3, 9, 23, 30, 0, 0, time.UTC)
	if DateOf(inst).String() != "2026-03-09" || DateOf(inst.In(paris)).String() != "2026-03-10" {
		t.Error("DateOf must use the instant's location")
	}
	if !(Date{}).IsZero() || d.IsZero() || (Date{}).String() != "" {
		t.Error("zero date")
	}
	if NewDate(2026, 2, 29) != day("2026-03-01") {
		t.Error("NewDate normalisation")
	}
	if d.Time() != time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC) || d.Year() != 2026 || d.Month() != 12 || d.Day() != 31 {
		t.Error("accessors")
	}
}

func TestDateJSON(t *testing.T) {
	type wrap struct {
		D Date `json:"d"`
	}
	b, err := json.Marshal(wrap{D: day("2026-03-10")})
	if err != nil || string(b) != `{"d":"2026-03-10"}` {
		t.Fatalf("marshal = %s, %v", b, err)
	}
	var w wrap
	if err := json.Unmarshal(b, &w); err != nil || w.D != day("2026-03-10") {
		t.Fatalf("unmarshal = %v, %v", w, err)
	}
	if b, _ := json.Marshal(wrap{}); string(b) != `{"d":null}` {
		t.Fatalf("zero date marshals as %s", b)
	}
	w = wrap{D: day("2026-03-10")}
	if err := json.Unmarshal([]byte(`{"d":null}`), &w); err != nil || !w.D.IsZero() {
		t.Fatalf("null → %v, %v", w, err)
	}
	for _, bad := range []string{`{"d":20260310}`, `{"d":"2026-02-30"}`, `{"d":"10/03/2026"}`, `{"d":true}`} {
		if err := json.Unmarshal([]byte(bad), &w); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
