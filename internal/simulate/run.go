package simulate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/domain"
)

// actor is one writer with its own simulated clock: a view of the run's one App
// (app.App.WithOwnClock: same store, keys and stream cache) whose clock reads
// the actor's now. Each redemption worker has its own, so that parallel commands
// carry their own instants.
type actor struct {
	now time.Time
	app *app.App
}

// newActor returns a writer over base (its store, keys and stream cache) that
// reads its own clock.
func newActor(base *app.App) *actor {
	ac := &actor{}
	ac.app = base.WithOwnClock(func() time.Time { return ac.now })
	return ac
}

type action struct {
	at   time.Time
	seq  int
	name string
	run  func(ctx context.Context, ac *actor) error
}

// day holds what happens on one simulated day, in this order: sequential
// actions (setup, labels, finance, mints, reversals, cancellations), carnets
// issued (in parallel), redemptions (in parallel), programmes closed (in
// parallel), and the last sequential actions. The parallel phases hold commands
// that touch disjoint streams, so their order does not change what is written.
type day struct {
	before, issue, closing, after []action
	redeem                        []*redemption
}

type batch struct {
	id          string
	month       string
	byProgramme map[string]domain.Money
	total       domain.Money
	paid        bool
}

type movement struct {
	date      domain.Date
	amount    domain.Money
	reference string
	label     string
}

type sim struct {
	cfg     Config
	logger  *slog.Logger
	keys    app.Keys
	plan    *plan
	cal     calendar
	days    []*day
	seq     int
	tally   *tally
	main    *actor
	workers []*actor
	started time.Time

	fundReceived domain.Money
	cash         map[string]domain.Money // programme id → ring-fenced cash
	batches      []*batch
	movements    []movement
	stated       int // movements already on a statement
	statements   int
	receiptSeq   int
	repaySeq     int
}

// Store is what the simulation needs of the event store: what the commands need
// (app.Store), and Count, to refuse a store that already holds events.
// *eventstore.Store and eventstore.Memory implement it.
type Store interface {
	app.Store
	Count(ctx context.Context) (readable, stored int64, err error)
}

// Run plays a simulated year of activity into store, which must hold no event yet,
// through Apps with the given keys, each on the simulated clock, and returns what
// was written.
func Run(ctx context.Context, store Store, keys app.Keys, cfg Config, logger *slog.Logger) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	_, stored, err := store.Count(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("simulate: %w", err)
	}
	if stored != 0 {
		return Summary{}, errors.New("simulate: the database already holds events; the simulation writes a world of its own, with fixed ids: run it on an empty database")
	}
	p, err := newPlan(cfg)
	if err != nil {
		return Summary{}, err
	}
	s := &sim{
		cfg: cfg, logger: logger, keys: keys, plan: p, cal: p.cal,
		tally: &tally{s: Summary{Seed: cfg.Seed, Scale: cfg.Scale, Departements: cfg.Departements, EventsByType: map[string]int{}}},
		cash:  map[string]domain.Money{},
	}
	s.tally.s.From, s.tally.s.To = s.cal.start, s.cal.end
	s.days = make([]*day, domain.DaysBetween(s.cal.start, s.cal.end)+1)
	for i := range s.days {
		s.days[i] = &day{}
	}
	// One App for every writer: they share its stream cache (programmes,
	// carnets, places are read once, not once per writer), each on its own clock.
	base, err := app.New(store, keys)
	if err != nil {
		return Summary{}, err
	}
	s.main = newActor(base)
	for i := 0; i < cfg.Concurrency; i++ {
		s.workers = append(s.workers, newActor(base))
	}
	s.schedule()
	var carnets, redemptions int
	for _, t := range p.territories {
		carnets += len(t.carnets)
	}
	for _, d := range s.days {
		redemptions += len(d.redeem)
	}
	logger.Info("simulation planned", "seed", cfg.Seed, "scale", cfg.Scale, "departements", len(p.territories),
		"funders", len(p.funders), "carnets", carnets, "redemptions_planned", redemptions,
		"from", s.cal.start.String(), "to", s.cal.end.String(), "concurrency", cfg.Concurrency)
	s.started = time.Now()
	err = s.play(ctx)
	sum := s.tally.snapshot()
	sum.Elapsed = time.Since(s.started)
	if err != nil {
		return sum, err
	}
	logger.Info("simulation done", "events", sum.Events, "elapsed", sum.Elapsed.Round(time.Millisecond),
		"events_per_s", int(sum.EventsPerSecond()), "redemption_rate", fmt.Sprintf("%.1f%%", 100*sum.RedemptionRate()))
	return sum, nil
}

func (s *sim) dayOf(d domain.Date) *day {
	i := domain.DaysBetween(s.cal.start, d)
	if i < 0 || i >= len(s.days) {
		panic(fmt.Sprintf("simulate: %s is outside the simulated period", d))
	}
	return s.days[i]
}

func (s *sim) before(t time.Time, name string, run func(ctx context.Context, ac *actor) error) {
	s.seq++
	d := s.dayOf(domain.DateOf(t))
	d.before = append(d.before, action{at: t, seq: s.seq, name: name, run: run})
}

func (s *sim) after(t time.Time, name string, run func(ctx context.Context, ac *actor) error) {
	s.seq++
	d := s.dayOf(domain.DateOf(t))
	d.after = append(d.after, action{at: t, seq: s.seq, name: name, run: run})
}

func (s *sim) issue(t time.Time, name string, run func(ctx context.Context, ac *actor) error) {
	s.seq++
	d := s.dayOf(domain.DateOf(t))
	d.issue = append(d.issue, action{at: t, seq: s.seq, name: name, run: run})
}

func (s *sim) closing(t time.Time, name string, run func(ctx context.Context, ac *actor) error) {
	s.seq++
	d := s.dayOf(domain.DateOf(t))
	d.closing = append(d.closing, action{at: t, seq: s.seq, name: name, run: run})
}

func (s *sim) meta(org string) app.Meta {
	return app.Meta{Actor: "simulate", Organisation: org, CorrelationID: fmt.Sprintf("simulate-%d", s.cfg.Seed)}
}

// do tallies a command's result.
func (s *sim) do(res app.Result, err error) (app.Result, error) {
	if err == nil {
		s.tally.add(res)
	}
	return res, err
}

// play runs the days in order.
func (s *sim) play(ctx context.Context) error {
	for i, d := range s.days {
		date := s.cal.start.AddDays(i)
		if date.Day() == 1 {
			sum := s.tally.snapshot()
			elapsed := time.Since(s.started)
			s.logger.Info("simulating", "month", fmt.Sprintf("%04d-%02d", date.Year(), date.Month()),
				"events", sum.Events, "events_per_s", int(float64(sum.Events)/max(elapsed.Seconds(), 1e-3)),
				"redemptions", sum.Redemptions, "batches_paid", sum.BatchesPaid, "advances", sum.Advances)
		}
		if err := s.runActions(ctx, date, d.before); err != nil {
			return err
		}
		if err := s.runParallel(ctx, date, d.issue); err != nil {
			return err
		}
		if err := s.redeemAll(ctx, date, d.redeem); err != nil {
			return err
		}
		if err := s.runParallel(ctx, date, d.closing); err != nil {
			return err
		}
		if err := s.runActions(ctx, date, d.after); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func sortActions(actions []action) {
	sort.SliceStable(actions, func(i, j int) bool {
		if !actions[i].at.Equal(actions[j].at) {
			return actions[i].at.Before(actions[j].at)
		}
		return actions[i].seq < actions[j].seq
	})
}

// runParallel runs independent actions on the workers, each on its own clock.
func (s *sim) runParallel(ctx context.Context, date domain.Date, actions []action) error {
	sortActions(actions)
	return s.parallel(ctx, len(actions), func(ctx context.Context, w *actor, i int) error {
		w.now = actions[i].at
		if err := actions[i].run(ctx, w); err != nil {
			return fmt.Errorf("simulate: %s: %s: %w", date, actions[i].name, err)
		}
		return nil
	})
}

func (s *sim) runActions(ctx context.Context, date domain.Date, actions []action) error {
	sortActions(actions)
	for _, a := range actions {
		s.main.now = a.at
		if err := a.run(ctx, s.main); err != nil {
			return fmt.Errorf("simulate: %s: %s: %w", date, a.name, err)
		}
	}
	return nil
}

// redeemAll writes one day's redemptions with the workers. Redemptions of
// different cheques never touch the same stream, and nothing else runs
// meanwhile, so the order does not change what is written.
func (s *sim) redeemAll(ctx context.Context, date domain.Date, list []*redemption) error {
	return s.parallel(ctx, len(list), func(ctx context.Context, w *actor, i int) error {
		if err := s.redeem(ctx, w, list[i]); err != nil {
			return fmt.Errorf("simulate: %s: redemption %s: %w", date, list[i].id, err)
		}
		return nil
	})
}

// parallel runs job(0..n-1) on the workers and returns the first error.
func (s *sim) parallel(ctx context.Context, n int, job func(ctx context.Context, w *actor, i int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan int)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for _, w := range s.workers[:min(len(s.workers), n)] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := job(ctx, w, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
				}
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func (s *sim) redeem(ctx context.Context, w *actor, r *redemption) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	serial := domain.SerialFor(r.c.id, r.index)
	w.now = r.at
	_, err := s.do(w.app.RedeemCheque(ctx, s.meta(r.place.id), domain.RedeemChequeCommand{
		Serial: serial, CheckCode: domain.CheckCode(s.keys.CheckCode, serial), PlaceID: r.place.id,
		SessionDate: r.session, Service: r.service, RedemptionID: r.id,
	}))
	return err
}

// schedule turns the plan into the days' actions.
func (s *sim) schedule() {
	p, cal := s.plan, s.cal
	setup := at(cal.setup, 8, 0)
	tick := func() time.Time { setup = setup.Add(time.Second); return setup }

	for _, f := range p.funders {
		s.before(tick(), "register funder "+f.id, func(ctx context.Context, ac *actor) error {
			_, err := s.do(ac.app.RegisterFunder(ctx, s.meta(""), domain.RegisterFunderCommand{FunderID: f.id, Name: f.name, Kind: f.kind}))
			return err
		})
	}
	codes := make([]string, len(p.territories))
	for i, t := range p.territories {
		codes[i] = t.code
		s.before(tick(), "territory need "+t.code, func(ctx context.Context, ac *actor) error {
			_, err := s.do(ac.app.RecordTerritoryNeed(ctx, s.meta(""), domain.RecordTerritoryNeedCommand{
				Code: t.code, Population: t.population, FragilityRate: t.rate,
				Source: fmt.Sprintf("INSEE populations légales 2021; taux de fragilité numérique simulé (seed %d)", s.cfg.Seed),
				AsOf:   domain.NewDate(cal.year-1, 12, 31),
			}))
			return err
		})
	}
	s.before(tick(), "create fund", func(ctx context.Context, ac *actor) error {
		_, err := s.do(ac.app.CreateFund(ctx, s.meta(""), domain.CreateFundCommand{
			FundID: p.fundID, Name: fmt.Sprintf("Fonds national de soutien au Pass numérique %d", cal.year), Territories: codes,
		}))
		return err
	})
	for _, t := range p.territories {
		for _, pr := range t.prescribers {
			s.before(tick(), "register prescriber "+pr.id, func(ctx context.Context, ac *actor) error {
				_, err := s.do(ac.app.RegisterPrescriber(ctx, s.meta(""), domain.RegisterPrescriberCommand{
					PrescriberID: pr.id, Name: pr.name, Kind: pr.kind, Territory: t.code,
				}))
				return err
			})
		}
		for _, pl := range t.places {
			s.schedulePlace(pl, tick)
		}
	}
	s.scheduleFund()
	for i, t := range p.territories {
		s.scheduleProgramme(t, at(cal.programmes, 10, 0).Add(time.Duration(i)*time.Second))
	}
	for _, r := range p.redemptions {
		d := s.dayOf(domain.DateOf(r.at))
		d.redeem = append(d.redeem, r)
		if !r.reverse.IsZero() {
			s.before(r.reverse, "reverse "+r.id, func(ctx context.Context, ac *actor) error {
				_, err := s.do(ac.app.ReverseRedemption(ctx, s.meta(r.place.id), domain.ReverseRedemptionCommand{
					Serial: domain.SerialFor(r.c.id, r.index), RedemptionID: r.id, PlaceID: r.place.id,
					Reason: "Chèque scanné par erreur",
				}))
				return err
			})
		}
	}
	for _, d := range s.days {
		sort.SliceStable(d.redeem, func(i, j int) bool { return d.redeem[i].at.Before(d.redeem[j].at) })
	}
	s.scheduleFinance()
	for i, t := range p.territories {
		s.closing(at(cal.close, 20, 0).Add(time.Duration(i)*time.Second), "close "+t.programmeID, func(ctx context.Context, ac *actor) error {
			_, err := s.do(ac.app.CloseProgramme(ctx, s.meta(""), domain.CloseProgrammeCommand{ProgrammeID: t.programmeID, AsOf: cal.close}))
			return err
		})
	}
}

func (s *sim) schedulePlace(pl *place, tick func() time.Time) {
	register := func(ctx context.Context, ac *actor) error {
		_, err := s.do(ac.app.RegisterPlace(ctx, s.meta(""), domain.RegisterPlaceCommand{
			PlaceID: pl.id, Name: pl.name, SIRET: pl.siret, Territory: pl.t.code,
		}))
		return err
	}
	when := func(d domain.Date) time.Time {
		if d.Before(s.cal.setup) || d == s.cal.setup {
			return tick()
		}
		return at(d, 7, 0)
	}
	s.before(when(pl.register), "register place "+pl.id, register)
	for _, l := range pl.labels {
		s.before(when(l.on), fmt.Sprintf("label %s %s", l.action, pl.id), func(ctx context.Context, ac *actor) error {
			_, err := s.do(ac.app.ChangePlaceLabel(ctx, s.meta(""), domain.ChangePlaceLabelCommand{
				PlaceID: pl.id, Action: l.action, EffectiveOn: l.on, Reason: l.reason,
			}))
			return err
		})
	}
}

// scheduleFund pledges the national fund's contributions, receives them and
// shares the fund by péréquation.
func (s *sim) scheduleFund() {
	p, cal := s.plan, s.cal
	r := randFor(s.cfg.Seed, 2)
	var popSel int64
	popRegion := map[string]int64{}
	var minted int64
	for _, t := range p.territories {
		popSel += t.population
		popRegion[t.region] += t.population
		minted += t.plannedValue.Cents()
	}
	budget := money(int64(float64(minted)*fundShare/100) * 100) // whole euros
	if !budget.IsPositive() {
		budget = money(100)
	}
	type part struct {
		funder, name string
		weight       int64
		on           domain.Date
	}
	parts := []part{{"fdr-etat", "État", 80 * popSel, workday(domain.NewDate(cal.year, 1, 26))}}
	for _, region := range p.regions {
		parts = append(parts, part{p.regionFunder[region], "Région " + region, 60 * popRegion[region],
			workday(between(r, domain.NewDate(cal.year, 1, 19), domain.NewDate(cal.year, 2, 11)))})
	}
	parts = append(parts,
		part{"fdr-cnaf", "CNAF", 30 * popSel, workday(domain.NewDate(cal.year, 2, 2))},
		part{"fdr-mecene-1", "Fondation pour l'inclusion numérique", 15 * popSel, workday(between(r, domain.NewDate(cal.year, 1, 20), domain.NewDate(cal.year, 2, 10)))},
		part{"fdr-mecene-2", "Mécénat des opérateurs", 9 * popSel, workday(between(r, domain.NewDate(cal.year, 1, 20), domain.NewDate(cal.year, 2, 10)))},
		part{"fdr-mecene-3", "Solidarité numérique", 6 * popSel, workday(between(r, domain.NewDate(cal.year, 1, 20), domain.NewDate(cal.year, 2, 10)))},
	)
	weights := make([]decimal.Decimal, len(parts))
	for i, pt := range parts {
		weights[i] = decimal.NewFromInt(pt.weight)
	}
	amounts, err := domain.Split(budget, weights, 0)
	if err != nil {
		panic(err) // positive weights and total: cannot fail
	}
	pledgeAt := at(cal.pledges, 9, 0)
	for i, pt := range parts {
		if !amounts[i].IsPositive() {
			continue
		}
		c := &contribution{
			id: fmt.Sprintf("ctb-%d-fund-%02d", cal.year, i+1), funderID: pt.funder, funderName: pt.name,
			fundID: p.fundID, pledge: amounts[i], instalments: []instalment{{pt.on, 1}},
		}
		p.fundPledges = append(p.fundPledges, c)
		s.before(pledgeAt.Add(time.Duration(i)*time.Second), "pledge "+c.id, func(ctx context.Context, ac *actor) error {
			return s.pledge(ctx, ac, c)
		})
		s.scheduleReceipts(c)
	}
	s.before(at(cal.perequation, 9, 0), "péréquation", func(ctx context.Context, ac *actor) error {
		floor := money(s.fundReceived.Cents() / int64(len(p.territories)) / 4)
		res, err := s.do(ac.app.RunPerequation(ctx, s.meta(""), domain.RunPerequationCommand{
			FundID: p.fundID, RunID: fmt.Sprintf("run-%d-1", cal.year), Budget: s.fundReceived, Floor: &floor,
		}, nil))
		if err != nil {
			return err
		}
		run := res.Events()[0].(domain.PerequationRun)
		alloc := map[string]domain.Money{}
		for _, a := range run.Allocations {
			alloc[a.Code] = a.Amount
		}
		for _, t := range p.territories {
			t.allocation = alloc[t.code]
		}
		s.logger.Info("péréquation run", "budget", run.Budget.String(), "territories", len(run.Allocations), "floor", floor.String())
		return nil
	})
}

func (s *sim) pledge(ctx context.Context, ac *actor, c *contribution) error {
	_, err := s.do(ac.app.PledgeContribution(ctx, s.meta(c.funderID), domain.PledgeContributionCommand{
		ContributionID: c.id, FunderID: c.funderID, FundID: c.fundID, ProgrammeID: c.programmeID,
		Amount: c.pledge, PledgedOn: domain.DateOf(ac.now),
	}))
	return err
}

// scheduleReceipts plans the receipts of a contribution's instalments; each
// amount is the instalment's share of the pledge, known when it runs.
func (s *sim) scheduleReceipts(c *contribution) {
	for j, in := range c.instalments {
		if in.on.After(s.cal.end) {
			continue // arrives after the simulated period
		}
		s.before(at(in.on, 8, 30), fmt.Sprintf("receipt %s/%d", c.id, j+1), func(ctx context.Context, ac *actor) error {
			return s.receive(ctx, ac, c, j)
		})
	}
}

func (s *sim) receive(ctx context.Context, ac *actor, c *contribution, j int) error {
	weights := make([]decimal.Decimal, len(c.instalments))
	for i, in := range c.instalments {
		weights[i] = decimal.NewFromInt(in.weight)
	}
	parts, err := domain.Split(c.pledge, weights, 0)
	if err != nil {
		return err
	}
	amount := parts[j]
	if !amount.IsPositive() {
		return nil
	}
	s.receiptSeq++
	ref := fmt.Sprintf("VIR-%d-%06d", s.cal.year, s.receiptSeq)
	today := domain.DateOf(ac.now)
	if _, err := s.do(ac.app.RecordReceipt(ctx, s.meta(c.funderID), domain.RecordReceiptCommand{
		ContributionID: c.id, ReceiptID: fmt.Sprintf("rcp-%s-%d", c.id, j+1), Amount: amount,
		ReceivedOn: today, BankReference: ref,
	})); err != nil {
		return err
	}
	c.received = c.received.Add(amount)
	if c.fundID != "" {
		s.fundReceived = s.fundReceived.Add(amount)
	} else {
		s.cash[c.programmeID] = s.cash[c.programmeID].Add(amount)
	}
	s.movements = append(s.movements, movement{today, amount, ref, "Virement reçu — " + c.funderName})
	// The receipt repays the treasury advances granted against the pledge.
	for _, a := range c.advances {
		room := c.received.Sub(c.repaid)
		out := a.amount.Sub(a.repaid)
		if !room.IsPositive() {
			break
		}
		if !out.IsPositive() {
			continue
		}
		pay := out.Min(room)
		s.repaySeq++
		id := fmt.Sprintf("rpy-%d-%05d", s.cal.year, s.repaySeq)
		if _, err := s.do(ac.app.RepayAdvance(ctx, s.meta(""), domain.RepayAdvanceCommand{
			ContributionID: c.id, AdvanceID: a.id, RepaymentID: id, Amount: pay, RepaidOn: today,
		})); err != nil {
			return err
		}
		a.repaid = a.repaid.Add(pay)
		c.repaid = c.repaid.Add(pay)
		s.cash[c.programmeID] = s.cash[c.programmeID].Sub(pay)
		s.movements = append(s.movements, movement{today, pay, id, "Remboursement d'avance — " + c.funderName})
	}
	return nil
}

// scheduleProgramme creates a département's programme (its fund line is the
// territory's whole allocation, its direct lines cover the rest), pledges the
// direct lines, mints the carnets in three tranches, issues and cancels them.
func (s *sim) scheduleProgramme(t *territory, when time.Time) {
	cal := s.cal
	r := randFor(s.cfg.Seed, 5000+uint64(t.idx))
	// Direct funders, in the order advances are drawn against them (latest payer first).
	type line struct {
		funder, name string
		weight       int64
		eu           bool
		instalments  []instalment
		due          domain.Date
	}
	y := cal.year
	d := func(yy int, m time.Month, day int) domain.Date { return domain.NewDate(yy, m, day) }
	shares := []int64{45, 35, 0, 0} // État, département, CAF, France Travail
	if t.hasCAF {
		shares[2] = 20
	}
	if t.hasFT {
		shares[3] = 10
	}
	var sum int64
	for _, x := range shares {
		sum += x
	}
	// An FSE+ line takes 55 % of the direct lines (70 % overseas, a less developed region).
	eu := int64(0)
	if t.hasEU {
		eu = 550
		if len(t.code) == 3 {
			eu = 700
		}
	}
	rest := 1000 - eu
	var lines []line
	if t.hasEU {
		lines = append(lines, line{"fdr-ue-fse", "FSE+", eu * sum, true,
			[]instalment{{cal.euReceipt, 40}, {d(y+2, 6, 30), 60}}, d(y+1, 6, 30)})
	}
	lines = append(lines, line{"fdr-etat", "État", rest * shares[0], false,
		[]instalment{{workday(d(y, 6, 15)), 20}, {workday(d(y, 10, 15)), 30}, {workday(d(y+1, 1, 20)), 50}}, workday(d(y+1, 1, 20))})
	dep1 := workday(between(r, d(y, 6, 1), d(y, 7, 31)))
	dep2 := workday(between(r, d(y, 11, 2), d(y, 12, 18)))
	lines = append(lines, line{t.depFunder, "Département " + t.name, rest * shares[1], false, []instalment{{dep1, 50}, {dep2, 50}}, dep2})
	if t.hasCAF {
		on := workday(between(r, d(y, 9, 1), d(y, 10, 30)))
		lines = append(lines, line{t.cafFunder, "CAF " + t.name, rest * shares[2], false, []instalment{{on, 1}}, on})
	}
	if t.hasFT {
		on := workday(between(r, d(y, 7, 1), d(y, 7, 31)))
		lines = append(lines, line{"fdr-france-travail", "France Travail", rest * shares[3], false, []instalment{{on, 1}}, on})
	}
	weights := make([]decimal.Decimal, len(lines))
	for i, l := range lines {
		weights[i] = decimal.NewFromInt(l.weight)
		t.contributions = append(t.contributions, &contribution{
			id: fmt.Sprintf("ctb-%d-%s-%02d", y, t.code, i+1), funderID: l.funder, funderName: l.name,
			programmeID: t.programmeID, t: t, eu: l.eu, instalments: l.instalments, dueOn: l.due,
		})
	}

	s.before(when, "create "+t.programmeID, func(ctx context.Context, ac *actor) error {
		// Direct lines: what the fund line leaves, at least 30 % of the minted
		// value, plus 2 % headroom, rounded up to ten euros.
		v := t.plannedValue.Cents()
		base := max(v-t.allocation.Cents(), v*3/10)
		direct := money((base*102/100 + 999) / 1000 * 1000)
		amounts, err := domain.Split(direct, weights, 0)
		if err != nil {
			return err
		}
		var fl []domain.FundingLine
		if t.allocation.IsPositive() {
			fl = append(fl, domain.FundingLine{FundID: s.plan.fundID, Amount: t.allocation})
		}
		for i, c := range t.contributions {
			c.pledge = amounts[i]
			fl = append(fl, domain.FundingLine{FunderID: c.funderID, Amount: c.pledge})
		}
		if _, err := s.do(ac.app.CreateProgramme(ctx, s.meta(""), domain.CreateProgrammeCommand{
			ProgrammeID: t.programmeID, Name: fmt.Sprintf("Pass numérique %s %d", t.name, y), Territory: t.code,
			ValidFrom: cal.validFrom, ValidUntil: cal.validUntil, ChequeValue: domain.DefaultChequeValue,
			ChequesPerCarnet: t.perCarnet, FundingLines: fl,
		})); err != nil {
			return err
		}
		s.cash[t.programmeID] = s.cash[t.programmeID].Add(t.allocation)
		for _, c := range t.contributions {
			if err := s.pledge(ctx, ac, c); err != nil {
				return err
			}
		}
		return nil
	})
	for _, c := range t.contributions {
		s.scheduleReceipts(c)
	}

	// Minting: per tranche, one command per prescriber (in prescriber order).
	for k := 0; k < 3; k++ {
		mintAt := at(cal.mints[k], 10, 0).Add(time.Duration(t.idx) * time.Minute)
		for pi, pr := range t.prescribers {
			var batch []*carnet
			for _, c := range t.carnets {
				if c.tranche == k && c.p == pr {
					batch = append(batch, c)
				}
			}
			for len(batch) > 0 {
				chunk := batch[:min(len(batch), domain.MaxCarnetsPerMint)]
				batch = batch[len(chunk):]
				s.before(mintAt.Add(time.Duration(pi)*time.Millisecond), fmt.Sprintf("mint %d carnets for %s", len(chunk), pr.id), func(ctx context.Context, ac *actor) error {
					res, err := s.do(ac.app.MintCarnets(ctx, s.meta(""), t.programmeID, pr.id, len(chunk)))
					if err != nil {
						return err
					}
					minted := res.Changes[0].Events[0].(domain.CarnetsMinted)
					for i, c := range chunk {
						c.id = minted.CarnetIDs[i]
					}
					return nil
				})
			}
		}
	}
	for _, c := range t.carnets {
		if c.issue.IsZero() {
			continue
		}
		s.issue(c.issue, fmt.Sprintf("issue carnet %s/%d", t.code, c.seq), func(ctx context.Context, ac *actor) error {
			_, err := s.do(ac.app.IssueCarnet(ctx, s.meta(c.p.id), domain.IssueCarnetCommand{
				CarnetID: c.id, PrescriberID: c.p.id, BeneficiaryRef: c.ref, NeedLevel: c.need, JobSeeker: c.jobSeeker,
			}))
			return err
		})
		if !c.cancel.IsZero() {
			s.before(c.cancel, fmt.Sprintf("cancel carnet %s/%d", t.code, c.seq), func(ctx context.Context, ac *actor) error {
				_, err := s.do(ac.app.CancelCarnet(ctx, s.meta(c.p.id), domain.CancelCarnetCommand{
					CarnetID: c.id, PrescriberID: c.p.id, Reason: c.reason,
				}))
				return err
			})
		}
	}
}

// scheduleFinance plans the monthly batches, their payments and the bank
// statements.
func (s *sim) scheduleFinance() {
	cal := s.cal
	for m := 0; m < 14; m++ {
		first := domain.NewDate(cal.year, time.Month(1+m), 1)
		if first.After(cal.end) {
			break
		}
		cutOff := first.AddDays(-1)
		month := fmt.Sprintf("%04d-%02d", cutOff.Year(), cutOff.Month())
		if m >= 1 { // statement of the previous month's movements
			s.before(at(workday(first.AddDays(1)), 8, 0), "bank statement "+month, func(ctx context.Context, ac *actor) error {
				return s.statement(ctx, ac, cutOff, month)
			})
		}
		if m >= 3 { // batches from April, for the redemptions of the month before
			s.before(at(workday(first.AddDays(4)), 8, 10), "batch "+month, func(ctx context.Context, ac *actor) error {
				return s.createBatch(ctx, ac, cutOff, month)
			})
			s.before(at(workday(first.AddDays(9)), 8, 20), "pay batches", func(ctx context.Context, ac *actor) error {
				return s.payBatches(ctx, ac)
			})
		}
	}
	// Last day: a final attempt to pay and the statement of the last weeks.
	s.after(at(cal.end, 21, 0), "pay batches", func(ctx context.Context, ac *actor) error { return s.payBatches(ctx, ac) })
	s.after(at(cal.end, 21, 30), "bank statement", func(ctx context.Context, ac *actor) error {
		return s.statement(ctx, ac, cal.end, fmt.Sprintf("%04d-%02d", cal.end.Year(), cal.end.Month()))
	})
}

func (s *sim) createBatch(ctx context.Context, ac *actor, cutOff domain.Date, month string) error {
	res, err := s.do(ac.app.CreateReimbursementBatch(ctx, s.meta(""), domain.CreateReimbursementBatchCommand{
		BatchID: "bat-" + month, CutOff: cutOff,
	}))
	if errors.Is(err, domain.ErrEmptyBatch) {
		return nil // nothing redeemed that month
	}
	if err != nil {
		return err
	}
	created := res.Changes[0].Events[0].(domain.ReimbursementBatchCreated)
	b := &batch{id: created.BatchID, month: month, byProgramme: map[string]domain.Money{}, total: created.Total}
	for _, l := range created.Lines {
		for _, pa := range l.ByProgramme {
			b.byProgramme[pa.ProgrammeID] = b.byProgramme[pa.ProgrammeID].Add(pa.Amount)
		}
	}
	s.batches = append(s.batches, b)
	return nil
}

// payBatches pays the unpaid batches, oldest first. A programme whose cash
// does not cover its share gets treasury advances against its pledges not yet
// received (the EU's first); a batch that still cannot be paid waits.
func (s *sim) payBatches(ctx context.Context, ac *actor) error {
	today := domain.DateOf(ac.now)
	for _, b := range s.batches {
		if b.paid {
			continue
		}
		ids := make([]string, 0, len(b.byProgramme))
		for id := range b.byProgramme {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		covered := true
		for _, id := range ids {
			ok, err := s.cover(ctx, ac, id, b.byProgramme[id])
			if err != nil {
				return err
			}
			covered = covered && ok
		}
		if !covered {
			s.logger.Warn("batch waits for cash", "batch", b.id, "date", today.String())
			continue
		}
		ref := "RMB-" + b.month
		if _, err := s.do(ac.app.PayReimbursementBatch(ctx, s.meta(""), domain.PayReimbursementBatchCommand{
			BatchID: b.id, PaidOn: today, BankReference: ref,
		})); err != nil {
			return err
		}
		b.paid = true
		for _, id := range ids {
			s.cash[id] = s.cash[id].Sub(b.byProgramme[id])
		}
		s.movements = append(s.movements, movement{today, b.total.Neg(), ref, "Remboursement des lieux — lot " + b.month})
	}
	return nil
}

// cover grants advances so that the programme's cash reaches need.
func (s *sim) cover(ctx context.Context, ac *actor, programmeID string, need domain.Money) (bool, error) {
	short := need.Sub(s.cash[programmeID])
	if !short.IsPositive() {
		return true, nil
	}
	var t *territory
	for _, x := range s.plan.territories {
		if x.programmeID == programmeID {
			t = x
		}
	}
	if t == nil {
		return false, fmt.Errorf("unknown programme %s", programmeID)
	}
	today := domain.DateOf(ac.now)
	for _, c := range t.contributions {
		if !short.IsPositive() {
			break
		}
		room := c.pledge.Sub(c.received).Sub(c.outstanding())
		if !room.IsPositive() {
			continue
		}
		// Finance draws a lump sum for the coming months rather than the month's
		// gap: half of what the funder still owes, at least the gap (in tens of euros).
		cents := (max(short.Cents(), room.Cents()/2) + 999) / 1000 * 1000
		amount := money(cents).Min(room)
		due := c.dueOn
		if due.Before(today) {
			due = today.AddDays(180)
		}
		res, err := s.do(ac.app.GrantAdvance(ctx, s.meta(""), domain.GrantAdvanceCommand{
			ContributionID: c.id, Amount: amount, GrantedOn: today, DueOn: &due,
		}))
		if err != nil {
			return false, err
		}
		g := res.Events()[0].(domain.AdvanceGranted)
		c.advances = append(c.advances, &advance{id: g.AdvanceID, amount: amount})
		s.cash[programmeID] = s.cash[programmeID].Add(amount)
		short = short.Sub(amount)
		s.movements = append(s.movements, movement{today, amount.Neg(), g.AdvanceID, "Avance de trésorerie — " + t.programmeID})
		s.logger.Debug("treasury advance", "programme", programmeID, "contribution", c.id, "amount", amount.String())
	}
	return !short.IsPositive(), nil
}

// statement imports the bank lines of the movements up to `to` not yet on a
// statement, with the bank's own lines (fees, an unidentified transfer, a line
// sent twice), and matches each automatically.
func (s *sim) statement(ctx context.Context, ac *actor, to domain.Date, month string) error {
	var lines []app.BankLineInput
	from := s.stated
	for s.stated < len(s.movements) && !s.movements[s.stated].date.After(to) {
		m := s.movements[s.stated]
		lines = append(lines, app.BankLineInput{Date: m.date, Amount: m.amount, Reference: m.reference, Label: m.label})
		s.stated++
	}
	s.statements++
	switch s.statements % 6 {
	case 0:
		lines = append(lines, app.BankLineInput{Date: to, Amount: money(12000), Reference: "VIR-INCONNU-" + month, Label: "Virement non identifié"})
	case 3:
		if s.stated > from && s.movements[from].amount.IsPositive() { // the bank sent a receipt line twice
			m := s.movements[from]
			lines = append(lines, app.BankLineInput{Date: m.date, Amount: m.amount, Reference: m.reference, Label: m.label + " (doublon)"})
		}
	}
	lines = append(lines, app.BankLineInput{Date: to, Amount: money(-1500), Reference: "FRAIS-" + month, Label: "Frais de tenue de compte"})
	// One command imports the statement and matches every line it can (of two
	// lines for one movement, the first wins; the other stays unmatched).
	res, _, err := ac.app.ImportBankStatement(ctx, s.meta(""), lines)
	_, err = s.do(res, err)
	return err
}
