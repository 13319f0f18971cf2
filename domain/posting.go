package domain

// Posting is one leg of a double-entry movement: Amount > 0 is a debit, < 0 a credit.
//
// The postings of one movement sum to zero (see PostingsBalance); Account is a
// name from the chart of accounts (accounts.go).
type Posting struct {
	Account string `json:"account"`
	Amount  Money  `json:"amount"`
}

// PostingsBalance returns the sum of the postings' amounts: 0.00 when they
// balance (total debits equal total credits), otherwise the net debit (> 0)
// or net credit (< 0).
func PostingsBalance(ps []Posting) Money {
	var s Money
	for _, p := range ps {
		s = s.Add(p.Amount)
	}
	return s
}

// Transfer returns the two legs moving amount from credit to debit: debit
// account +amount, credit account -amount, in that order. The legs always
// balance. amount is meant to be positive; a zero amount yields two zero legs
// and a negative one swaps the economic direction (callers that must refuse
// those check before calling).
func Transfer(debit, credit string, amount Money) []Posting {
	return []Posting{
		{Account: debit, Amount: amount},
		{Account: credit, Amount: amount.Neg()},
	}
}
