package domain

import (
	"errors"
	"testing"
	"time"
)

func TestCreateReimbursementBatch(t *testing.T) {
	w := newWorld(t, func(c *CreateProgrammeCommand) { c.AllowOutsideTerritory = true })
	w.issue("CARNETB2", "BEN-2")
	redeemAt := func(serial, id, place string, at time.Time) {
		c := redeemCmd(serial, id)
		c.PlaceID, c.Now, c.SessionDate = place, at, DateOf(at)
		w.mustRedeem(c)
	}
	feb := day("2026-02-20").Time().Add(10 * time.Hour)
	redeemAt(SerialFor("CARNETA1", 1), "R1", "L1", feb)
	redeemAt(SerialFor("CARNETA1", 2), "R2", "L2", feb)
	redeemAt(SerialFor("CARNETB2", 1), "R3", "L1", feb)
	redeemAt(SerialFor("CARNETB2", 2), "R4", "L1", day("2026-03-02").Time()) // after the cut-off
	redeemAt(SerialFor("CARNETB2", 3), "R5", "L1", feb)
	w.on(ChequeStream(SerialFor("CARNETB2", 3)))(ReverseRedemption(ReverseRedemptionCommand{Serial: SerialFor("CARNETB2", 3), PlaceID: "L1", Now: feb}, w.cheque(SerialFor("CARNETB2", 3)), w.programme("P63")))
	var candidates []ChequeState
	for _, s := range w.programme("P63").Serials() {
		candidates = append(candidates, w.cheque(s))
	}
	candidates = append(candidates, w.cheque(SerialFor("CARNETA1", 1))) // listed twice

	cutOff := day("2026-02-28")
	tests := []struct {
		name       string
		existing   BatchState
		cutOff     Date
		candidates []ChequeState
		want       error
	}{
		{"nothing eligible", BatchState{}, day("2026-02-19"), candidates, ErrEmptyBatch},
		{"no candidates", BatchState{}, cutOff, nil, ErrEmptyBatch},
		{"already created", BatchState{Created: true}, cutOff, candidates, ErrAlreadyExists},
		{"cut-off in the future", BatchState{}, DateOf(fxNow).AddDays(1), candidates, ErrDateInFuture},
	}
	for _, tt := range tests {
		_, err := CreateReimbursementBatch(CreateReimbursementBatchCommand{BatchID: "B1", CutOff: tt.cutOff, Now: fxNow}, tt.existing, tt.candidates)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}

	changes := w.apply(CreateReimbursementBatch(CreateReimbursementBatchCommand{BatchID: "B1", CutOff: cutOff, Now: fxNow}, BatchState{}, candidates))
	created := changes[0].Events[0].(ReimbursementBatchCreated)
	if changes[0].Stream != "batch-B1" || created.Count != 3 || !created.Total.Equal(eur("30.00")) || len(created.Lines) != 2 {
		t.Fatalf("batch %+v", created)
	}
	l1, l2 := created.Lines[0], created.Lines[1]
	if l1.PlaceID != "L1" || l1.Count != 2 || !l1.Amount.Equal(eur("20.00")) || len(l1.ByProgramme) != 1 || !l1.ByProgramme[0].Amount.Equal(eur("20.00")) ||
		l2.PlaceID != "L2" || l2.Count != 1 || !l2.Amount.Equal(eur("10.00")) {
		t.Fatalf("lines %+v", created.Lines)
	}
	if len(changes) != 4 {
		t.Fatalf("%d changes", len(changes))
	}
	for _, c := range changes[1:] {
		cl := c.Events[0].(ChequeReimbursementClaimed)
		if c.Stream != ChequeStream(cl.Serial) || cl.BatchID != "B1" {
			t.Fatalf("claim %+v", cl)
		}
		if s := w.cheque(cl.Serial); !s.Claimed || s.BatchID != "B1" {
			t.Fatalf("cheque %+v", s)
		}
	}
	// A second batch finds nothing more up to the same cut-off.
	var again []ChequeState
	for _, s := range w.programme("P63").Serials() {
		again = append(again, w.cheque(s))
	}
	_, err := CreateReimbursementBatch(CreateReimbursementBatchCommand{BatchID: "B2", CutOff: cutOff, Now: fxNow}, BatchState{}, again)
	checkErr(t, err, ErrEmptyBatch)

	// Paying.
	batch := Fold[BatchState](w.store[BatchStream("B1")])
	payTests := []struct {
		name  string
		batch BatchState
		cash  map[string]Money
		ref   string
		want  error
	}{
		{"insufficient cash", batch, map[string]Money{"P63": eur("29.99")}, "VIR-1", ErrInsufficientProgrammeCash},
		{"no cash at all", batch, nil, "VIR-1", ErrInsufficientProgrammeCash},
		{"no reference", batch, map[string]Money{"P63": eur("30.00")}, "", ErrInvalidArgument},
		{"unknown batch", BatchState{}, map[string]Money{"P63": eur("30.00")}, "VIR-1", ErrNotFound},
		{"already paid", Fold[BatchState](append(append([]Event(nil), w.store[BatchStream("B1")]...), ReimbursementBatchPaid{BatchID: "B1"})), map[string]Money{"P63": eur("30.00")}, "VIR-1", ErrBatchAlreadyPaid},
		{"accepted", batch, map[string]Money{"P63": eur("30.00")}, "VIR-1", nil},
	}
	for _, tt := range payTests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := PayReimbursementBatch(PayReimbursementBatchCommand{BatchID: "B1", PaidOn: DateOf(fxNow), BankReference: tt.ref, Now: fxNow}, tt.batch, tt.cash)
			checkErr(t, err, tt.want)
			if err != nil {
				return
			}
			paid := evs[0].(ReimbursementBatchPaid)
			if !paid.Total.Equal(eur("30.00")) || len(paid.Payments) != 2 || paid.Payments[0].PlaceID != "L1" || !paid.Payments[0].Amount.Equal(eur("20.00")) {
				t.Fatalf("paid %+v", paid)
			}
		})
	}
	_, err = PayReimbursementBatch(PayReimbursementBatchCommand{BatchID: "B1", PaidOn: DateOf(fxNow), BankReference: "V", Now: fxNow}, batch, map[string]Money{"P63": eur("12.00")})
	var le *LimitError
	if !errors.As(err, &le) || !le.Limit.Equal(eur("12.00")) || !le.Requested.Equal(eur("30.00")) {
		t.Fatalf("limit error %v", err)
	}
}

// Ring-fencing: each programme's share is checked against its own cash.
func TestPayReimbursementBatchRingFencing(t *testing.T) {
	batch := BatchState{Created: true, BatchID: "B1", Total: eur("30.00"), Lines: []BatchLine{
		{PlaceID: "L1", Amount: eur("30.00"), Count: 3, ByProgramme: []ProgrammeAmount{{ProgrammeID: "PA", Amount: eur("10.00")}, {ProgrammeID: "PB", Amount: eur("20.00")}}},
	}}
	cmd := PayReimbursementBatchCommand{BatchID: "B1", PaidOn: DateOf(fxNow), BankReference: "VIR", Now: fxNow}
	if _, err := PayReimbursementBatch(cmd, batch, map[string]Money{"PA": eur("100.00"), "PB": eur("19.99")}); !errors.Is(err, ErrInsufficientProgrammeCash) {
		t.Fatalf("PA's surplus paid PB's cheques: %v", err)
	}
	evs, err := PayReimbursementBatch(cmd, batch, map[string]Money{"PA": eur("10.00"), "PB": eur("20.00")})
	if err != nil {
		t.Fatal(err)
	}
	if p := Postings(evs[0]); len(p) != 4 || !PostingsBalance(p).IsZero() {
		t.Fatalf("postings %v", p)
	}
}
