package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"sort"
	"time"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/ledgerdb"
)

// ReportAttributionCmd measures the attribution of cheque outcomes to funders
// over the whole log: after every event of a programme, each funder's part of
// each category (domain.AttributeProgramme of the programme's running totals) is
// compared with its exact pro-rata share, and the largest deviation is printed;
// so is what a funder has left "in programmes" once its programmes are closed
// (zero expected), and, for information, the largest deviation of a funder's
// total over all its programmes from the sum of its exact shares.
type ReportAttributionCmd struct{}

// attributionCategories names the categories in the order of attributionRows.
var attributionCategories = []string{"redeemed", "reversed", "expired", "blocked", "unminted", "fees", "consumed"}

func attributionRows(t domain.AttributionTotals, a domain.ProgrammeAttribution, j int) (totals, parts []domain.Money) {
	return []domain.Money{t.Redeemed, t.Reversed, t.Expired, t.Blocked, t.Unminted, t.Fees, t.Consumed()},
		[]domain.Money{a.Redeemed[j], a.Reversed[j], a.Expired[j], a.Blocked[j], a.Unminted[j], a.Fees[j], a.Consumed(j)}
}

// Run reads the log and prints the figures.
func (c *ReportAttributionCmd) Run(cli *CLI, logger *slog.Logger) error {
	ctx := context.Background()
	db, err := ledgerdb.Open(ctx, ledgerdb.Config{DatabaseURL: cli.DB.DatabaseURL, Role: cli.DB.DBRole, Migrate: true}, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	store := eventstore.New(db.Pool)
	type programme struct {
		shares []domain.FunderShare
		sum    int64
		totals domain.AttributionTotals
		closed bool
	}
	progs := map[string]*programme{}
	worst := make([]*big.Rat, len(attributionCategories))
	where := make([]string, len(attributionCategories))
	for i := range worst {
		worst[i] = new(big.Rat)
	}
	exact := func(total domain.Money, w, sum int64) *big.Rat {
		return new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(total.Cents()), big.NewInt(w)), big.NewInt(sum))
	}
	var events, steps int
	start := time.Now()
	var cur eventstore.Cursor
	for {
		page, err := store.ReadFrom(ctx, cur, 10000)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			cur = r.Cursor()
			events++
			ev, err := domain.DecodeEvent(r.Type, r.Payload)
			if err != nil {
				return fmt.Errorf("position %d: %w", r.Position, err)
			}
			var id string
			switch e := ev.(type) {
			case domain.ProgrammeCreated:
				p := &programme{shares: e.Funders}
				for _, s := range e.Funders {
					p.sum += s.Amount.Cents()
				}
				progs[e.ProgrammeID] = p
				continue
			case domain.ChequeRedeemed:
				id = e.ProgrammeID
			case domain.RedemptionReversed:
				id = e.ProgrammeID
			case domain.ChequeExpired:
				id = e.ProgrammeID
			case domain.ChequeBlocked:
				id = e.ProgrammeID
			case domain.ProgrammeClosed:
				id = e.ProgrammeID
				progs[id].closed = true
			default:
				continue
			}
			p := progs[id]
			p.totals.Apply(ev)
			a, err := domain.AttributeProgramme(p.shares, p.totals)
			if err != nil {
				return fmt.Errorf("position %d: %w", r.Position, err)
			}
			steps++
			for j, s := range p.shares {
				totals, parts := attributionRows(p.totals, a, j)
				for c := range totals {
					d := new(big.Rat).Sub(new(big.Rat).SetInt64(parts[c].Cents()), exact(totals[c], s.Amount.Cents(), p.sum))
					if d.Abs(d).Cmp(worst[c]) > 0 {
						worst[c] = d
						where[c] = fmt.Sprintf("programme %s, funder %s (line %s of %s), position %d", id, s.FunderID, s.Amount, domain.Cents(p.sum), r.Position)
					}
				}
			}
		}
	}
	// Per funder, over all its programmes (informative), and what is left in
	// closed programmes (must be zero).
	type funderSum struct {
		parts []int64
		exact []*big.Rat
	}
	funders := map[string]*funderSum{}
	leftInClosed := map[string]int64{}
	for _, p := range progs {
		a, err := domain.AttributeProgramme(p.shares, p.totals)
		if err != nil {
			return err
		}
		for j, s := range p.shares {
			f := funders[s.FunderID]
			if f == nil {
				f = &funderSum{parts: make([]int64, len(attributionCategories)), exact: make([]*big.Rat, len(attributionCategories))}
				for c := range f.exact {
					f.exact[c] = new(big.Rat)
				}
				funders[s.FunderID] = f
			}
			totals, parts := attributionRows(p.totals, a, j)
			for c := range totals {
				f.parts[c] += parts[c].Cents()
				f.exact[c].Add(f.exact[c], exact(totals[c], s.Amount.Cents(), p.sum))
			}
			if p.closed {
				leftInClosed[s.FunderID] += s.Amount.Cents() - a.Consumed(j).Cents()
			}
		}
	}
	closed := 0
	for _, p := range progs {
		if p.closed {
			closed++
		}
	}
	fmt.Printf("%d events read, %d programmes (%d closed), %d cheque outcomes attributed, in %s\n",
		events, len(progs), closed, steps, time.Since(start).Round(time.Millisecond))
	fmt.Println("largest deviation of a funder's part from its exact share, per programme, at any position:")
	for c, name := range attributionCategories {
		fmt.Printf("  %-9s %s €  (%s)\n", name, centsRat(worst[c]), where[c])
	}
	fmt.Println("largest deviation of a funder's total over all its programmes from the sum of its exact shares (informative):")
	ids := make([]string, 0, len(funders))
	for id := range funders {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for c, name := range attributionCategories {
		w, who := new(big.Rat), ""
		for _, id := range ids {
			f := funders[id]
			d := new(big.Rat).Sub(new(big.Rat).SetInt64(f.parts[c]), f.exact[c])
			if d.Abs(d).Cmp(w) > 0 {
				w, who = d, id
			}
		}
		fmt.Printf("  %-9s %s €  (funder %s)\n", name, centsRat(w), who)
	}
	var left, nonZero int64
	for _, v := range leftInClosed {
		if v != 0 {
			nonZero++
			if v < 0 {
				v = -v
			}
			left += v
		}
	}
	fmt.Printf("left \"in programmes\" in closed programmes: %s € in total, %d funders not at 0.00\n", domain.Cents(left), nonZero)
	if nonZero != 0 {
		os.Exit(1)
	}
	return nil
}

// centsRat formats a number of cents as euros with 6 decimals.
func centsRat(r *big.Rat) string {
	return new(big.Rat).Quo(r, big.NewRat(100, 1)).FloatString(6)
}
