package domain

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func carnetIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%05d", prefix, i)
	}
	return ids
}

func TestMintCarnets(t *testing.T) {
	small := func(c *CreateProgrammeCommand) {
		c.FundingLines = []FundingLine{{FunderID: "STATE", Amount: eur("300.00")}, {FunderID: "CAF63", Amount: eur("105.00")}}
	}
	exact := func(c *CreateProgrammeCommand) {
		c.FundingLines = []FundingLine{{FunderID: "STATE", Amount: eur("300.00")}, {FunderID: "CAF63", Amount: eur("100.00")}}
	}
	tests := []struct {
		name       string
		opts       []func(*CreateProgrammeCommand)
		setup      func(w *fxWorld)
		prescriber string
		ids        []string
		now        time.Time
		want       error
	}{
		// the world already minted 2 carnets (200.00) of a 405.00 programme.
		{name: "accepted", opts: []func(*CreateProgrammeCommand){small}, prescriber: "PR2", ids: []string{"CARNETC3", "CARNETD4"}},
		{name: "exactly the funding", opts: []func(*CreateProgrammeCommand){exact}, prescriber: "PR2", ids: []string{"CARNETC3", "CARNETD4"}},
		{name: "beyond the funding", opts: []func(*CreateProgrammeCommand){small}, prescriber: "PR2", ids: []string{"CARNETC3", "CARNETD4", "CARNETE5"}, want: ErrMintExceedsFunding},
		{name: "a carnet beyond the funding", opts: []func(*CreateProgrammeCommand){exact}, prescriber: "PR2", ids: carnetIDs("Z", 3), want: ErrMintExceedsFunding},
		{name: "unknown prescriber", prescriber: "PR9", ids: []string{"CARNETC3"}, want: ErrNotFound},
		{name: "carnet id reused", prescriber: "PR2", ids: []string{"CARNETA1"}, want: ErrAlreadyExists},
		{name: "carnet id twice", prescriber: "PR2", ids: []string{"CARNETC3", "CARNETC3"}, want: ErrInvalidArgument},
		{name: "lower-case carnet id", prescriber: "PR2", ids: []string{"carnetc3"}, want: ErrInvalidArgument},
		{name: "no carnet", prescriber: "PR2", ids: nil, want: ErrInvalidArgument},
		{name: "after validity", prescriber: "PR2", ids: []string{"CARNETC3"}, now: day("2027-01-01").Time(), want: ErrOutsideValidity},
		{name: "closed programme", prescriber: "PR2", ids: []string{"CARNETC3"},
			setup: func(w *fxWorld) { w.store.add(ProgrammeStream("P63"), ProgrammeClosed{ProgrammeID: "P63"}) }, want: ErrProgrammeClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.opts...)
			if tt.setup != nil {
				tt.setup(w)
			}
			now := fxNow
			if !tt.now.IsZero() {
				now = tt.now
			}
			before := w.programme("P63")
			changes, err := MintCarnets(MintCarnetsCommand{ProgrammeID: "P63", PrescriberID: tt.prescriber, CarnetIDs: tt.ids, Now: now}, before, w.prescriber(tt.prescriber))
			checkErr(t, err, tt.want)
			if err != nil {
				return
			}
			if len(changes) != len(tt.ids)+1 || changes[0].Stream != "programme-P63" {
				t.Fatalf("changes %d", len(changes))
			}
			for i, id := range tt.ids {
				c := changes[i+1]
				cm := c.Events[0].(CarnetMinted)
				if c.Stream != CarnetStream(id) || cm.Ordinal != len(before.CarnetIDs)+i || len(cm.Serials) != 10 || cm.Serials[9] != SerialFor(id, 10) || cm.PrescriberID != tt.prescriber {
					t.Fatalf("carnet change %+v", c)
				}
			}
			w.apply(changes, nil)
			after := w.programme("P63")
			if !after.Minted.Equal(before.Minted.Add(eur("10.00").MulInt(int64(10*len(tt.ids))))) || after.CarnetOrdinals[tt.ids[0]] != len(before.CarnetIDs) {
				t.Fatalf("programme after mint %+v", after)
			}
		})
	}
	w := newWorld(t, small)
	_, err := MintCarnets(MintCarnetsCommand{ProgrammeID: "P63", PrescriberID: "PR1", CarnetIDs: carnetIDs("X", 3), Now: fxNow}, w.programme("P63"), w.prescriber("PR1"))
	var le *LimitError
	if !errors.As(err, &le) || !le.Limit.Equal(eur("205.00")) || !le.Requested.Equal(eur("300.00")) {
		t.Fatalf("limit error %v", err)
	}
}
