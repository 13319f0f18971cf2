package domain

import (
	"encoding/json"
	"math/big"
	"testing"

	"pgregory.net/rapid"
)

// withinOneCent reports whether part (cents) is strictly within one cent of
// total × w / sum, exactly: |part × sum − total × w| < sum.
func withinOneCent(part, total, w, sum int64) bool {
	d := new(big.Int).Sub(new(big.Int).Mul(big.NewInt(part), big.NewInt(sum)), new(big.Int).Mul(big.NewInt(total), big.NewInt(w)))
	return d.CmpAbs(big.NewInt(sum)) < 0
}

// checkAttribution checks every guarantee of AttributeProgramme on one set
// of totals: each category's parts sum to its total and are each within a
// cent of the exact share, and so is each share's consumed part.
func checkAttribution(t *rapid.T, shares []FunderShare, totals AttributionTotals, closed bool) {
	a, err := AttributeProgramme(shares, totals)
	if err != nil {
		t.Fatalf("AttributeProgramme: %v", err)
	}
	var sum int64
	for _, s := range shares {
		sum += s.Amount.Cents()
	}
	cats := []struct {
		name  string
		total Money
		parts []Money
	}{
		{"redeemed", totals.Redeemed, a.Redeemed}, {"reversed", totals.Reversed, a.Reversed},
		{"expired", totals.Expired, a.Expired}, {"blocked", totals.Blocked, a.Blocked},
		{"unminted", totals.Unminted, a.Unminted}, {"fees", totals.Fees, a.Fees},
		{"consumed", totals.Consumed(), nil},
	}
	for _, c := range cats {
		var got int64
		for j, s := range shares {
			p := Money{}
			if c.parts != nil {
				p = c.parts[j]
			} else {
				p = a.Consumed(j)
			}
			if p.IsNegative() {
				t.Fatalf("%s: share %d has %s", c.name, j, p)
			}
			if !withinOneCent(p.Cents(), c.total.Cents(), s.Amount.Cents(), sum) {
				t.Fatalf("%s: share %d (%s of %s) has %s of %s: more than a cent from its exact share", c.name, j, s.Amount, Cents(sum), p, c.total)
			}
			got += p.Cents()
		}
		if got != c.total.Cents() {
			t.Fatalf("%s: parts sum to %s, total %s", c.name, Cents(got), c.total)
		}
	}
	if closed {
		for j, s := range shares {
			if in := s.Amount.Sub(a.Consumed(j)); !in.IsZero() {
				t.Fatalf("closed: share %d still has %s in the programme (line %s, consumed %s)", j, in, s.Amount, a.Consumed(j))
			}
		}
	}
}

// A programme's life at random: funding lines of random sizes (tiny lines
// among large ones), cheques minted, then redemptions, reversals,
// cancellations (blocks), a close that expires the rest and returns the
// unminted funding, and reversals after the close (the cheque expires at
// once). After every event, every funder is within a cent of its exact
// share in every category, and after the close nothing is left in the
// programme for any funder.
func TestAttributeProgrammeProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 25).Draw(t, "funders")
		shares := make([]FunderShare, n)
		var total int64
		for i := range shares {
			var c int64
			switch rapid.IntRange(0, 2).Draw(t, "size") {
			case 0:
				c = rapid.Int64Range(1, 500).Draw(t, "tiny") // 0.01 to 5.00
			case 1:
				c = rapid.Int64Range(1, 10_000_00).Draw(t, "mid")
			default:
				c = rapid.Int64Range(1, 5_000_000_00).Draw(t, "large")
			}
			shares[i] = FunderShare{FunderID: "F" + string(rune('A'+i)), Amount: Cents(c)}
			total += c
		}
		value := rapid.SampledFrom([]int64{1000, 500, 1, 333, 2000}).Draw(t, "cheque value")
		fee := rapid.Int64Range(0, value/2).Draw(t, "fee")
		maxCheques := total / value
		if maxCheques > 300 {
			maxCheques = 300
		}
		minted := rapid.Int64Range(0, maxCheques).Draw(t, "minted")
		const (
			unused = iota
			redeemed
			blocked
			expired
		)
		state := make([]int, minted)
		var totals AttributionTotals
		closed := false
		steps := rapid.IntRange(0, 400).Draw(t, "steps")
		pick := func(want int, label string) int {
			var idx []int
			for i, s := range state {
				if s == want {
					idx = append(idx, i)
				}
			}
			if len(idx) == 0 {
				return -1
			}
			return idx[rapid.IntRange(0, len(idx)-1).Draw(t, label)]
		}
		for step := 0; step < steps; step++ {
			switch rapid.IntRange(0, 9).Draw(t, "op") {
			case 0, 1, 2, 3, 4: // redeem
				if closed {
					continue
				}
				if i := pick(unused, "redeem"); i >= 0 {
					state[i] = redeemed
					totals.Apply(ChequeRedeemed{Amount: Cents(value), Fee: Cents(fee)})
				}
			case 5, 6: // reverse (after the close the cheque expires)
				if i := pick(redeemed, "reverse"); i >= 0 {
					state[i] = unused
					totals.Apply(RedemptionReversed{Amount: Cents(value), Fee: Cents(fee)})
					if closed {
						state[i] = expired
						totals.Apply(ChequeExpired{Amount: Cents(value)})
					}
				}
			case 7: // cancel a carnet: block a few cheques
				if closed {
					continue
				}
				for k := rapid.IntRange(1, 10).Draw(t, "block"); k > 0; k-- {
					if i := pick(unused, "blocked"); i >= 0 {
						state[i] = blocked
						totals.Apply(ChequeBlocked{Amount: Cents(value)})
					}
				}
			case 8: // close
				if closed || rapid.IntRange(0, 3).Draw(t, "close now") != 0 {
					continue
				}
				closed = true
				for i, s := range state {
					if s == unused {
						state[i] = expired
						totals.Apply(ChequeExpired{Amount: Cents(value)})
					}
				}
				totals.Apply(ProgrammeClosed{Unminted: Cents(total - minted*value)})
			case 9:
				continue
			}
			checkAttribution(t, shares, totals, closed)
		}
		if !closed {
			for i, s := range state {
				if s == unused {
					state[i] = expired
					totals.Apply(ChequeExpired{Amount: Cents(value)})
				}
			}
			totals.Apply(ProgrammeClosed{Unminted: Cents(total - minted*value)})
		}
		checkAttribution(t, shares, totals, true)
	})
}

// The attribution depends on the totals alone, so it does not depend on the
// order of the events that built them; and it is deterministic.
func TestAttributeProgrammeDeterministic(t *testing.T) {
	shares := []FunderShare{{FunderID: "STATE", Amount: MustMoney("500000.00")}, {FunderID: "REG", Amount: MustMoney("1.71")},
		{FunderID: "DEP", ViaFundID: "X1", Amount: MustMoney("333333.33")}, {FunderID: "CAF", Amount: MustMoney("166665.00")}}
	totals := AttributionTotals{Redeemed: MustMoney("123450.00"), Reversed: MustMoney("40.00"), Expired: MustMoney("700000.00"),
		Blocked: MustMoney("1230.00"), Fees: MustMoney("4938.00")}
	totals.Unminted = SumShares(shares).Sub(totals.Redeemed).Sub(totals.Expired).Sub(totals.Blocked)
	a, err := AttributeProgramme(shares, totals)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		b, _ := AttributeProgramme(shares, totals)
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		if string(x) != string(y) {
			t.Fatalf("not deterministic: %s / %s", x, y)
		}
	}
	for j, s := range shares {
		if !a.Consumed(j).Equal(s.Amount) {
			t.Fatalf("%s consumed %s of %s", s.FunderID, a.Consumed(j), s.Amount)
		}
	}
	// The 1.71 line of a 1 000 000 programme is attributed its share of
	// each category, not nothing.
	if a.Expired[1].IsZero() {
		t.Fatalf("tiny line got no expired part: %v", a.Expired)
	}
}
