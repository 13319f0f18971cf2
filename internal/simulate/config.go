package simulate

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/domain"
)

// National figures at scale 1 (one year, all 101 départements). They follow
// SPEC §1: about 2 million passes bought, about 38 % of them used.
const (
	// NationalCheques is the number of cheques minted in a national year.
	NationalCheques = 2_000_000
	// NationalPrescribers is the number of prescribing structures (CCAS,
	// centres sociaux, France Travail agencies...).
	NationalPrescribers = 4_000
	// NationalPlaces is the number of labelled places of digital mediation.
	NationalPlaces = 6_000
	// MaxDepartements is the number of départements (reference.Departements).
	MaxDepartements = 101
)

// Config is what to simulate.
type Config struct {
	// Seed makes the run deterministic.
	Seed uint64
	// Scale is the fraction of the national figures (0 < Scale <= 1): 1 is
	// NationalCheques cheques, NationalPrescribers prescribers and
	// NationalPlaces places over the 101 départements. A run over the 101
	// départements writes about 5,000 + 3.5 million × Scale events (measured:
	// 8,969 at 0.001, 39,939 at 0.01, 353,026 at 0.1).
	Scale float64
	// Departements is how many départements take part (1..101), the first
	// ones in INSEE code order; the figures are those départements' share of
	// the national ones.
	Departements int
	// Concurrency is the number of parallel workers that write redemptions.
	Concurrency int
	// Year is the programmes' year: the simulated clock runs from 1 January
	// of Year to 28 February of Year+1.
	Year int
}

// ScaleFor returns the scale at which a run over the 101 départements writes
// about events events, from the line measured in Config.Scale (5,000 + 3.5
// million × Scale), kept within [0.001, 1]: benchmarks and tests size their
// histories with it and count what was written from the Summary or the store.
func ScaleFor(events int) float64 {
	return min(max(float64(events-5000)/3_500_000, 0.001), 1)
}

// DefaultConfig is a small run: about 9,000 events, some ten seconds.
func DefaultConfig() Config {
	return Config{Seed: 1, Scale: 0.001, Departements: MaxDepartements, Concurrency: 8, Year: 2026}
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case !(c.Scale > 0 && c.Scale <= 1):
		return fmt.Errorf("simulate: scale %g not in (0, 1]", c.Scale)
	case c.Departements < 1 || c.Departements > MaxDepartements:
		return fmt.Errorf("simulate: départements %d not in [1, %d]", c.Departements, MaxDepartements)
	case c.Concurrency < 1 || c.Concurrency > 256:
		return fmt.Errorf("simulate: concurrency %d not in [1, 256]", c.Concurrency)
	case c.Year < 2000 || c.Year > 9000:
		return fmt.Errorf("simulate: year %d not in [2000, 9000]", c.Year)
	}
	return nil
}

// Summary is what a run wrote, counted from the events the application layer
// decided and appended (not from the plan).
type Summary struct {
	Seed         uint64
	Scale        float64
	Departements int
	From, To     domain.Date
	Elapsed      time.Duration

	// Events is the number of events written; EventsByType splits it.
	Events       int
	EventsByType map[string]int
	// Commands is the number of commands that wrote something.
	Commands int

	Funders, Prescribers, Places, Programmes int
	LabelChanges                             int

	CarnetsMinted, ChequesMinted    int
	CarnetsIssued, CarnetsCancelled int
	Minted                          domain.Money
	Redemptions, Reversals          int
	Redeemed, Reversed              domain.Money // Redeemed: every ChequeRedeemed, reversed or not
	ChequesExpired, ChequesBlocked  int
	Expired, Blocked                domain.Money
	ProgrammesClosed                int
	Unminted                        domain.Money // funding never minted, returned at closing
	Pledged, Received               domain.Money
	Receipts                        int
	Batches, BatchesPaid            int
	Reimbursed                      domain.Money
	Advances, Repayments            int
	Advanced, Repaid                domain.Money
	BankLines, BankLinesMatched     int
	PerequationRuns                 int
	Allocated                       domain.Money
}

// NetRedeemed is what places are owed for: redeemed minus reversed.
func (s Summary) NetRedeemed() domain.Money { return s.Redeemed.Sub(s.Reversed) }

// RedemptionRate is the net redeemed value over the minted value.
func (s Summary) RedemptionRate() float64 {
	if !s.Minted.IsPositive() {
		return 0
	}
	return float64(s.NetRedeemed().Cents()) / float64(s.Minted.Cents())
}

// AdvancesOutstanding is what treasury advances still wait to be repaid.
func (s Summary) AdvancesOutstanding() domain.Money { return s.Advanced.Sub(s.Repaid) }

// EventsPerSecond is the write rate of the run.
func (s Summary) EventsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Events) / s.Elapsed.Seconds()
}

// WriteText prints the summary for a terminal.
func (s Summary) WriteText(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("Simulated %s → %s: seed %d, scale %g, %d départements", s.From, s.To, s.Seed, s.Scale, s.Departements)
	p("  events written      %d in %s (%.0f events/s, %d commands)", s.Events, s.Elapsed.Round(time.Millisecond), s.EventsPerSecond(), s.Commands)
	p("  organisations       %d funders, %d programmes, %d prescribers, %d places (%d label changes)", s.Funders, s.Programmes, s.Prescribers, s.Places, s.LabelChanges)
	p("  funding             %s € pledged, %s € received in %d receipts; fund shared by %d péréquation run(s): %s €", s.Pledged, s.Received, s.Receipts, s.PerequationRuns, s.Allocated)
	p("  carnets             %d minted (%d cheques, %s €), %d issued, %d cancelled", s.CarnetsMinted, s.ChequesMinted, s.Minted, s.CarnetsIssued, s.CarnetsCancelled)
	p("  redemptions         %d (%s €), %d reversed (%s €): net %s € = %.1f %% of the minted value", s.Redemptions, s.Redeemed, s.Reversals, s.Reversed, s.NetRedeemed(), 100*s.RedemptionRate())
	p("  expired / blocked   %d cheques (%s €) expired at %d closings, %d blocked (%s €); %s € of funding never minted", s.ChequesExpired, s.Expired, s.ProgrammesClosed, s.ChequesBlocked, s.Blocked, s.Unminted)
	p("  reimbursements      %d batches, %d paid (%s €)", s.Batches, s.BatchesPaid, s.Reimbursed)
	p("  treasury advances   %d granted (%s €), %d repayments (%s €), outstanding %s €", s.Advances, s.Advanced, s.Repayments, s.Repaid, s.AdvancesOutstanding())
	p("  bank statements     %d lines imported, %d matched automatically, %d left unmatched", s.BankLines, s.BankLinesMatched, s.BankLines-s.BankLinesMatched)
	types := make([]string, 0, len(s.EventsByType))
	for t := range s.EventsByType {
		types = append(types, t)
	}
	sort.Strings(types)
	var b strings.Builder
	for i, t := range types {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", t, s.EventsByType[t])
	}
	p("  by type             %s", b.String())
}

// tally folds the events of every command's result into the summary; it is
// safe for concurrent use (redemption workers).
type tally struct {
	mu sync.Mutex
	s  Summary
}

func (t *tally) add(res app.Result) {
	if res.Duplicate {
		return
	}
	evs := res.Events()
	if len(evs) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &t.s
	s.Commands++
	for _, e := range evs {
		s.Events++
		s.EventsByType[e.EventType()]++
		switch ev := e.(type) {
		case domain.FunderRegistered:
			s.Funders++
		case domain.PrescriberRegistered:
			s.Prescribers++
		case domain.PlaceRegistered:
			s.Places++
		case domain.PlaceLabelChanged:
			s.LabelChanges++
		case domain.ProgrammeCreated:
			s.Programmes++
		case domain.PerequationRun:
			s.PerequationRuns++
			for _, a := range ev.Allocations {
				s.Allocated = s.Allocated.Add(a.Amount)
			}
		case domain.ContributionPledged:
			s.Pledged = s.Pledged.Add(ev.Amount)
		case domain.ContributionReceived:
			s.Receipts++
			s.Received = s.Received.Add(ev.Amount)
		case domain.AdvanceGranted:
			s.Advances++
			s.Advanced = s.Advanced.Add(ev.Amount)
		case domain.AdvanceRepaid:
			s.Repayments++
			s.Repaid = s.Repaid.Add(ev.Amount)
		case domain.CarnetsMinted:
			s.CarnetsMinted += len(ev.CarnetIDs)
			s.ChequesMinted += ev.ChequeCount
			s.Minted = s.Minted.Add(ev.Value)
		case domain.CarnetIssued:
			s.CarnetsIssued++
		case domain.CarnetCancelled:
			s.CarnetsCancelled++
		case domain.ChequeRedeemed:
			s.Redemptions++
			s.Redeemed = s.Redeemed.Add(ev.Amount)
		case domain.RedemptionReversed:
			s.Reversals++
			s.Reversed = s.Reversed.Add(ev.Amount)
		case domain.ChequeExpired:
			s.ChequesExpired++
			s.Expired = s.Expired.Add(ev.Amount)
		case domain.ChequeBlocked:
			s.ChequesBlocked++
			s.Blocked = s.Blocked.Add(ev.Amount)
		case domain.ProgrammeClosed:
			s.ProgrammesClosed++
			s.Unminted = s.Unminted.Add(ev.Unminted)
		case domain.ReimbursementBatchCreated:
			s.Batches++
		case domain.ReimbursementBatchPaid:
			s.BatchesPaid++
			s.Reimbursed = s.Reimbursed.Add(ev.Total)
		case domain.BankLineImported:
			s.BankLines++
		case domain.BankLineMatched:
			s.BankLinesMatched++
		}
	}
}

func (t *tally) snapshot() Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.s
	s.EventsByType = make(map[string]int, len(t.s.EventsByType))
	for k, v := range t.s.EventsByType {
		s.EventsByType[k] = v
	}
	return s
}
