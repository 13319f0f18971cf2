package eventstore_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/passnumerique/passledger/eventstore"
)

// streamIDOracle is the rule ValidStreamID implements, as a regular expression.
var streamIDOracle = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,254}$`)

func TestValidStreamID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"cheque-K7Q2M9XA-0347", true},
		{"programme:2026.75_a", true},
		{"a", true},
		{"9", true},
		{strings.Repeat("a", 255), true},
		{strings.Repeat("a", 256), false},
		{"", false},
		{"-cheque", false},
		{"_x", false},
		{".x", false},
		{"cheque 1", false},
		{"chèque-1", false},
		{"cheque\x00", false},
		{"cheque\n", false},
		{"cheque/1", false},
		{"\xff", false},
	} {
		if got := eventstore.ValidStreamID(tc.id); got != tc.want {
			t.Errorf("ValidStreamID(%q) = %v, want %v", tc.id, got, tc.want)
		}
		if oracle := streamIDOracle.MatchString(tc.id); oracle != tc.want {
			t.Errorf("the oracle says %v for %q, the table %v", oracle, tc.id, tc.want)
		}
	}
}

// FuzzValidStreamID: ValidStreamID agrees with the regular expression on any
// input. Seeds in testdata/fuzz/FuzzValidStreamID.
func FuzzValidStreamID(f *testing.F) {
	f.Add("cheque-K7Q2M9XA-0347")
	f.Add("-x")
	f.Add(strings.Repeat("z", 255))
	f.Fuzz(func(t *testing.T, id string) {
		if got, want := eventstore.ValidStreamID(id), streamIDOracle.MatchString(id); got != want {
			t.Fatalf("ValidStreamID(%q) = %v, the expression says %v", id, got, want)
		}
	})
}
