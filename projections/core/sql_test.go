package core

import (
	"testing"

	"github.com/passnumerique/passledger/domain"
)

func TestCentsOf(t *testing.T) {
	for _, s := range []string{"0", "0.00", "-0", "10", "10.5", "10.00", "-3.07", "0.01", "-0.01", "12345678901234.56", "-99999999999999.99", "7"} {
		m := domain.MustMoney(s)
		if got, want := CentsOf(m), m.Cents(); got != want {
			t.Errorf("CentsOf(%s) = %d, want %d", s, got, want)
		}
	}
	big := domain.MustMoney("99999999999999.99").Add(domain.MustMoney("99999999999999.99"))
	if got, want := CentsOf(big), big.Cents(); got != want {
		t.Errorf("CentsOf(%s) = %d, want %d", big, got, want)
	}
}
