package domain

import (
	"regexp"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// Each published pattern accepts exactly what its Valid* function accepts.
func TestPatternsAgreeWithValidation(t *testing.T) {
	cases := []struct {
		name    string
		pattern string
		valid   func(string) bool
		chars   string
		maxLen  int
	}{
		{"id", IDPattern, ValidID, "aZ09_.-/: é", MaxIDLength + 2},
		{"carnet id", CarnetIDPattern, ValidCarnetID, "AZ09az-", MaxCarnetIDLength + 2},
		{"département", DepartementCodePattern, ValidDepartementCode, "0123456789ABab", 4},
		{"serial shape", SerialPattern, func(s string) bool {
			id, rest, ok := strings.Cut(s, "-")
			return ok && ValidCarnetID(id) && len(rest) == 4 && allDigits(rest)
		}, "AZ09-a", 12},
		{"SIRET shape", SIRETPattern, func(s string) bool { return len(s) == 14 && allDigits(s) }, "0123456789a", 16},
	}
	for _, c := range cases {
		re := regexp.MustCompile(c.pattern)
		t.Run(c.name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				runes := []rune(c.chars)
				n := rapid.IntRange(0, c.maxLen).Draw(t, "len")
				var b strings.Builder
				for i := 0; i < n; i++ {
					b.WriteRune(runes[rapid.IntRange(0, len(runes)-1).Draw(t, "c")])
				}
				s := b.String()
				if re.MatchString(s) != c.valid(s) {
					t.Fatalf("%q: pattern %v, validation %v", s, re.MatchString(s), c.valid(s))
				}
			})
		})
	}
	// Every département code, and nothing else of two or three characters.
	re := regexp.MustCompile(DepartementCodePattern)
	const alphabet = "0123456789AB"
	for _, a := range alphabet {
		for _, b := range alphabet {
			for _, s := range []string{string(a) + string(b), "9" + string(a) + string(b), string(a) + string(b) + "1"} {
				if re.MatchString(s) != ValidDepartementCode(s) {
					t.Errorf("%q: pattern %v, validation %v", s, re.MatchString(s), ValidDepartementCode(s))
				}
			}
		}
	}
	for i := 1; i <= MaxChequesPerCarnet; i++ {
		if s := SerialFor("K7Q2M9XA", i); !regexp.MustCompile(SerialPattern).MatchString(s) {
			t.Errorf("serial %q does not match %s", s, SerialPattern)
		}
	}
	if !regexp.MustCompile(SIRETPattern).MatchString("73282932000074") {
		t.Error("a valid SIRET does not match")
	}
}

// Each closed set's Valid method accepts exactly its list.
func TestClosedSetsAreTheirLists(t *testing.T) {
	check := func(name string, n int, valid func(string) bool, values []string) {
		t.Helper()
		if len(values) != n {
			t.Errorf("%s: %d values listed, %d distinct", name, n, len(values))
		}
		for _, v := range values {
			if !valid(v) {
				t.Errorf("%s: %q listed but not valid", name, v)
			}
		}
		for _, v := range []string{"", "x", "STATE", "other "} {
			if valid(v) && !contains(values, v) {
				t.Errorf("%s: %q valid but not listed", name, v)
			}
		}
	}
	check("funder kinds", len(FunderKinds), func(s string) bool { return FunderKind(s).Valid() }, strs(FunderKinds))
	check("prescriber kinds", len(PrescriberKinds), func(s string) bool { return PrescriberKind(s).Valid() }, strs(PrescriberKinds))
	check("need levels", 3, func(s string) bool { return NeedLevel(s).Valid() }, strs(NeedLevels))
	check("label actions", 3, func(s string) bool { return LabelAction(s).Valid() }, strs(LabelActions))
	check("cancel reasons", 3, func(s string) bool { return CancelReason(s).Valid() }, strs(CancelReasons))
	check("movement kinds", 4, func(s string) bool { return MovementKind(s).Valid() }, strs(MovementKinds))
	for _, a := range LabelActions {
		if !contains(strs(LabelStatuses), string(a.status())) {
			t.Errorf("label action %s leads to an unlisted status %s", a, a.status())
		}
	}
}

func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func contains(xs []string, v string) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}

// Postings are the legs of Entries, in order.
func TestPostingsAreTheLegsOfEntries(t *testing.T) {
	for _, e := range []Event{
		ChequeRedeemed{ProgrammeID: "p", PlaceID: "l", Amount: MustMoney("10.00"), Fee: MustMoney("0.50")},
		FunderRegistered{FunderID: "f"},
	} {
		var legs []Posting
		for _, x := range Entries(e) {
			legs = append(legs, Transfer(x.Debit, x.Credit, x.Amount)...)
		}
		got := Postings(e)
		if len(got) != len(legs) {
			t.Fatalf("%T: %d postings, %d legs", e, len(got), len(legs))
		}
		for i := range got {
			if got[i].Account != legs[i].Account || !got[i].Amount.Equal(legs[i].Amount) {
				t.Fatalf("%T: posting %d %+v, leg %+v", e, i, got[i], legs[i])
			}
		}
	}
}
