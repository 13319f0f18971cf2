package domain

import (
	"encoding/json"
	"testing"
)

func TestTransferBalances(t *testing.T) {
	ps := Transfer("cash:programme:P1", "funder:F1:receivable:C1", MustMoney("1500.00"))
	if len(ps) != 2 {
		t.Fatalf("%d legs", len(ps))
	}
	if ps[0].Account != "cash:programme:P1" || ps[0].Amount.String() != "1500.00" {
		t.Errorf("debit leg = %+v", ps[0])
	}
	if ps[1].Account != "funder:F1:receivable:C1" || ps[1].Amount.String() != "-1500.00" {
		t.Errorf("credit leg = %+v", ps[1])
	}
	if b := PostingsBalance(ps); !b.IsZero() {
		t.Errorf("balance = %s", b)
	}
	j, err := json.Marshal(ps[1])
	if err != nil || string(j) != `{"account":"funder:F1:receivable:C1","amount":"-1500.00"}` {
		t.Errorf("JSON = %s, %v", j, err)
	}
}

func TestPostingsBalance(t *testing.T) {
	if b := PostingsBalance(nil); !b.IsZero() {
		t.Errorf("empty balance = %s", b)
	}
	ps := append(Transfer("a", "b", MustMoney("10")), Transfer("b", "c", MustMoney("3.33"))...)
	if b := PostingsBalance(ps); !b.IsZero() {
		t.Errorf("balance = %s", b)
	}
	ps = append(ps, Posting{Account: "a", Amount: MustMoney("0.01")})
	if b := PostingsBalance(ps); b.String() != "0.01" {
		t.Errorf("unbalanced = %s, want net debit 0.01", b)
	}
}
