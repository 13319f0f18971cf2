// Package history generates a valid history of the ledger — a year of a national
// Pass numérique scheme, scaled to a number of events — by driving the domain's
// commands (pure functions) and appending their events to the event store with
// expected versions, as the application would. The projections' tests and
// benchmarks use it; it is not a product feature (the `simulate` command is).
//
// The world: 12 territories with need data; a national support fund (State and a
// private sponsor) and a regional one (a region) shared by péréquation with a
// floor; one programme per territory, funded by its département, the national
// fund (and the regional one in four territories), and either an EU fund (whose
// money comes late, so finance grants a treasury advance, repaid when the money
// arrives) or the CAF; prescribers and labelled places in every territory (one
// place suspended for the summer, one withdrawn in November); carnets minted every
// month and issued day by day; about half of the cheques redeemed within three
// months of issue, 1 % of redemptions reversed the next day; 0.5 % of carnets
// cancelled; monthly reimbursement batches paid ten days later; bank lines for
// every receipt, advance, repayment and payment, almost all matched; programmes
// closed after the grace period, expiring what was not redeemed.
//
// Commands of one simulated day never depend on each other across streams (a
// cheque is redeemed at least a day after its carnet is issued, …), so a day's
// events are appended together in appends of at most MaxStreamsPerAppend streams
// (AppendMulti cannot name a stream twice, so events of one stream are merged).
package history

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
)

// Keys of the generated world (test values).
var (
	CheckKey       = []byte("history-check-key-0123456789abcdef")
	BeneficiaryKey = []byte("history-beneficiary-key-0123456789")
)

// Options size and shape a generated history.
type Options struct {
	// Events is the number of events to generate, approximately (the history
	// has at least about this many; Appended says how many exactly).
	Events int
	// Seed makes the history reproducible (same seed, same commands).
	Seed uint64
	// MaxStreamsPerAppend bounds one AppendMulti (default 400).
	MaxStreamsPerAppend int
	// EventsPerSecond, if positive, throttles appending to about that rate.
	EventsPerSecond int
	// OnAppend, if set, is called after every append.
	OnAppend func(res eventstore.AppendResult, events int)
	// KeepRecords keeps every event generated in History.Records (tests).
	KeepRecords bool
}

// Record is one event generated, with its stream.
type Record struct {
	Stream string
	Event  domain.Event
}

// History describes what was generated.
type History struct {
	// Appended is the number of events appended; Appends the number of appends.
	Appended, Appends int
	// LastPosition is the largest position written.
	LastPosition int64
	// Records are the events in the order they were generated (KeepRecords).
	Records []Record
	// Ids of the world.
	Funders, Funds, Programmes, Places, Prescribers, Territories []string
}

type territory struct {
	code       string
	population int64
	rate       string
}

// The territories: real département codes, plausible figures.
var territories = []territory{
	{"01", 660000, "0.140"}, {"03", 335000, "0.210"}, {"15", 144000, "0.240"}, {"2A", 160000, "0.180"},
	{"43", 228000, "0.200"}, {"59", 2610000, "0.170"}, {"63", 665000, "0.160"}, {"69", 1890000, "0.120"},
	{"75", 2130000, "0.110"}, {"93", 1660000, "0.230"}, {"971", 380000, "0.260"}, {"974", 870000, "0.250"},
}

// regional lists the territories of the regional fund.
var regional = []string{"01", "03", "15", "43", "63", "69"}

type world struct {
	ctx   context.Context
	store *eventstore.Store
	opts  Options
	rng   *rand.Rand
	hist  *History

	now      time.Time
	versions map[string]int64
	bal      map[string]domain.Money

	funders       map[string]domain.FunderState
	funds         map[string]*domain.FundState
	contributions map[string]*domain.ContributionState
	terrs         map[string]*domain.TerritoryState
	prescribers   map[string]domain.PrescriberState
	places        map[string]*domain.PlaceState
	programmes    map[string]*domain.ProgrammeState
	carnets       map[string]*domain.CarnetState
	cheques       map[string]*domain.ChequeState
	batches       map[string]*domain.BatchState
	lines         map[string]*domain.BankLineState

	// plans and queues
	planned    map[string]int // programme → carnets to mint over the year
	stock      map[string][]string
	redeemOn   map[domain.Date][]string
	reverseOn  map[domain.Date][]string
	cancelOn   map[domain.Date][]string
	finance    map[domain.Date][]func() error
	unclaimed  map[string]bool
	unpaid     []string
	placesIn   map[string][]string
	prescIn    map[string][]string
	progIn     map[string]string // territory → programme
	counter    map[string]int
	pending    *chunk
	rate       time.Time
	rateEvents int
}

type chunk struct {
	appends []eventstore.StreamAppend
	index   map[string]int
	events  int
}

// Generate builds the world and appends its history to store.
func Generate(ctx context.Context, store *eventstore.Store, opts Options) (*History, error) {
	if opts.Events <= 0 {
		opts.Events = 50000
	}
	if opts.MaxStreamsPerAppend <= 0 {
		opts.MaxStreamsPerAppend = 400
	}
	w := &world{
		ctx: ctx, store: store, opts: opts, rng: rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15)),
		hist: &History{}, versions: map[string]int64{}, bal: map[string]domain.Money{},
		funders: map[string]domain.FunderState{}, funds: map[string]*domain.FundState{},
		contributions: map[string]*domain.ContributionState{}, terrs: map[string]*domain.TerritoryState{},
		prescribers: map[string]domain.PrescriberState{}, places: map[string]*domain.PlaceState{},
		programmes: map[string]*domain.ProgrammeState{}, carnets: map[string]*domain.CarnetState{},
		cheques: map[string]*domain.ChequeState{}, batches: map[string]*domain.BatchState{},
		lines: map[string]*domain.BankLineState{}, planned: map[string]int{}, stock: map[string][]string{},
		redeemOn: map[domain.Date][]string{}, reverseOn: map[domain.Date][]string{}, cancelOn: map[domain.Date][]string{},
		finance: map[domain.Date][]func() error{}, unclaimed: map[string]bool{},
		placesIn: map[string][]string{}, prescIn: map[string][]string{}, progIn: map[string]string{},
		counter: map[string]int{}, pending: newChunk(), rate: time.Now(),
	}
	if err := w.run(); err != nil {
		return w.hist, err
	}
	return w.hist, nil
}

func newChunk() *chunk { return &chunk{index: map[string]int{}} }

func (w *world) next(kind string) int { w.counter[kind]++; return w.counter[kind] }

// tick advances the clock of the day by a few seconds per command.
func (w *world) tick() time.Time {
	w.now = w.now.Add(time.Duration(1+w.rng.IntN(5)) * time.Second)
	return w.now
}

func (w *world) startDay(d domain.Date) {
	w.now = d.Time().Add(8 * time.Hour)
}

// emit folds and queues the events of one stream.
func (w *world) emit(stream string, evs []domain.Event, err error) error {
	if err != nil {
		return fmt.Errorf("history: %s: %w", stream, err)
	}
	for _, ev := range evs {
		if err := w.add(stream, ev); err != nil {
			return err
		}
	}
	return nil
}

// emitChanges folds and queues a multi-stream command's changes.
func (w *world) emitChanges(changes []domain.Change, err error) error {
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	for _, c := range changes {
		if err := w.emit(c.Stream, c.Events, nil); err != nil {
			return err
		}
	}
	return nil
}

func (w *world) add(stream string, ev domain.Event) error {
	payload, err := domain.EncodeEvent(ev)
	if err != nil {
		return err
	}
	w.fold(ev)
	if w.opts.KeepRecords {
		w.hist.Records = append(w.hist.Records, Record{Stream: stream, Event: ev})
	}
	c := w.pending
	i, ok := c.index[stream]
	if !ok {
		if len(c.appends) >= w.opts.MaxStreamsPerAppend {
			if err := w.flush(); err != nil {
				return err
			}
			c = w.pending
		}
		i = len(c.appends)
		c.index[stream] = i
		exp := eventstore.NoStream
		if v := w.versions[stream]; v > 0 {
			exp = eventstore.Exactly(v)
		}
		c.appends = append(c.appends, eventstore.StreamAppend{Stream: stream, Expected: exp})
	}
	c.appends[i].Events = append(c.appends[i].Events, eventstore.EventData{Type: ev.EventType(), Payload: payload})
	c.events++
	w.versions[stream]++
	return nil
}

// flush appends the pending chunk.
func (w *world) flush() error {
	c := w.pending
	if len(c.appends) == 0 {
		return nil
	}
	w.pending = newChunk()
	res, err := w.store.AppendMulti(w.ctx, eventstore.Metadata{Actor: "history-generator"}, c.appends...)
	if err != nil {
		return fmt.Errorf("history: append %d events: %w", c.events, err)
	}
	w.hist.Appended += c.events
	w.hist.Appends++
	w.hist.LastPosition = max(w.hist.LastPosition, res.LastPosition)
	if w.opts.OnAppend != nil {
		w.opts.OnAppend(res, c.events)
	}
	if r := w.opts.EventsPerSecond; r > 0 {
		w.rateEvents += c.events
		due := w.rate.Add(time.Duration(float64(w.rateEvents) / float64(r) * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-w.ctx.Done():
				return w.ctx.Err()
			}
		}
	}
	return nil
}

// fold applies an event to the world's states and balances.
func (w *world) fold(ev domain.Event) {
	for _, p := range domain.Postings(ev) {
		w.bal[p.Account] = w.bal[p.Account].Add(p.Amount)
	}
	switch e := ev.(type) {
	case domain.FunderRegistered:
		s := w.funders[e.FunderID]
		s.Apply(e)
		w.funders[e.FunderID] = s
	case domain.FundCreated:
		w.fund(e.FundID).Apply(e)
	case domain.PerequationRun:
		w.fund(e.FundID).Apply(e)
	case domain.FundDrawn:
		w.fund(e.FundID).Apply(e)
	case domain.ContributionPledged:
		w.contribution(e.ContributionID).Apply(e)
	case domain.ContributionReceived:
		w.contribution(e.ContributionID).Apply(e)
	case domain.AdvanceGranted:
		w.contribution(e.ContributionID).Apply(e)
	case domain.AdvanceRepaid:
		w.contribution(e.ContributionID).Apply(e)
	case domain.TerritoryNeedRecorded:
		s := w.terrs[e.Code]
		if s == nil {
			s = &domain.TerritoryState{}
			w.terrs[e.Code] = s
		}
		s.Apply(e)
	case domain.PrescriberRegistered:
		s := w.prescribers[e.PrescriberID]
		s.Apply(e)
		w.prescribers[e.PrescriberID] = s
	case domain.PlaceRegistered:
		w.place(e.PlaceID).Apply(e)
	case domain.PlaceLabelChanged:
		w.place(e.PlaceID).Apply(e)
	case domain.ProgrammeCreated:
		w.programme(e.ProgrammeID).Apply(e)
	case domain.CarnetsMinted:
		w.programme(e.ProgrammeID).Apply(e)
	case domain.ProgrammeClosed:
		w.programme(e.ProgrammeID).Apply(e)
	case domain.CarnetMinted:
		w.carnet(e.CarnetID).Apply(e)
	case domain.CarnetIssued:
		w.carnet(e.CarnetID).Apply(e)
	case domain.CarnetCancelled:
		w.carnet(e.CarnetID).Apply(e)
	case domain.ChequeRedeemed:
		w.cheque(e.Serial).Apply(e)
		w.unclaimed[e.Serial] = true
	case domain.RedemptionReversed:
		w.cheque(e.Serial).Apply(e)
		delete(w.unclaimed, e.Serial)
	case domain.ChequeExpired:
		w.cheque(e.Serial).Apply(e)
	case domain.ChequeBlocked:
		w.cheque(e.Serial).Apply(e)
	case domain.ChequeReimbursementClaimed:
		w.cheque(e.Serial).Apply(e)
		delete(w.unclaimed, e.Serial)
	case domain.ReimbursementBatchCreated:
		w.batch(e.BatchID).Apply(e)
	case domain.ReimbursementBatchPaid:
		w.batch(e.BatchID).Apply(e)
	case domain.BankLineImported:
		w.line(e.BankLineID).Apply(e)
	case domain.BankLineMatched:
		w.line(e.BankLineID).Apply(e)
	}
}

func (w *world) fund(id string) *domain.FundState {
	s := w.funds[id]
	if s == nil {
		s = &domain.FundState{}
		w.funds[id] = s
	}
	return s
}

func (w *world) contribution(id string) *domain.ContributionState {
	s := w.contributions[id]
	if s == nil {
		s = &domain.ContributionState{}
		w.contributions[id] = s
	}
	return s
}

func (w *world) place(id string) *domain.PlaceState {
	s := w.places[id]
	if s == nil {
		s = &domain.PlaceState{}
		w.places[id] = s
	}
	return s
}

func (w *world) programme(id string) *domain.ProgrammeState {
	s := w.programmes[id]
	if s == nil {
		s = &domain.ProgrammeState{}
		w.programmes[id] = s
	}
	return s
}

func (w *world) carnet(id string) *domain.CarnetState {
	s := w.carnets[id]
	if s == nil {
		s = &domain.CarnetState{}
		w.carnets[id] = s
	}
	return s
}

func (w *world) cheque(serial string) *domain.ChequeState {
	s := w.cheques[serial]
	if s == nil {
		s = &domain.ChequeState{}
		w.cheques[serial] = s
	}
	return s
}

func (w *world) batch(id string) *domain.BatchState {
	s := w.batches[id]
	if s == nil {
		s = &domain.BatchState{}
		w.batches[id] = s
	}
	return s
}

func (w *world) line(id string) *domain.BankLineState {
	s := w.lines[id]
	if s == nil {
		s = &domain.BankLineState{}
		w.lines[id] = s
	}
	return s
}

func (w *world) chance(p float64) bool { return w.rng.Float64() < p }

func euros(e int64) domain.Money { return domain.Cents(e * 100) }

// eventsPerCarnet calibrates the number of carnets from the target event count
// (measured on generated histories: mint, issue, assignment, redemptions, claims,
// expiries and the rest).
const eventsPerCarnet = 18.3

var (
	yearStart  = domain.MustDate("2026-01-01")
	yearEnd    = domain.MustDate("2026-12-31")
	setupDay   = domain.MustDate("2025-12-01")
	closeDay   = domain.MustDate("2027-02-01")
	lastDay    = domain.MustDate("2027-02-20")
	programmeF = "P-%s-2026"
)

func (w *world) run() error {
	if err := w.setup(); err != nil {
		return err
	}
	for d := yearStart.AddDays(1); !d.After(lastDay); d = d.AddDays(1) {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		if err := w.day(d); err != nil {
			return fmt.Errorf("history: %s: %w", d, err)
		}
		if err := w.flush(); err != nil {
			return err
		}
	}
	return w.flush()
}

// setup registers the world and funds it, over December 2025.
func (w *world) setup() error {
	d := setupDay
	w.startDay(d)
	for _, t := range territories {
		w.hist.Territories = append(w.hist.Territories, t.code)
		if err := w.on(domain.TerritoryStream(t.code))(domain.RecordTerritoryNeed(domain.RecordTerritoryNeedCommand{
			Code: t.code, Population: t.population, FragilityRate: decimal.RequireFromString(t.rate),
			Source: "INSEE RP 2022 / indice de fragilité numérique", AsOf: domain.MustDate("2025-01-01"), Now: w.tick(),
		}, domain.TerritoryState{})); err != nil {
			return err
		}
	}
	funders := []struct {
		id   string
		kind domain.FunderKind
	}{{"STATE", domain.FunderKindState}, {"ORANGE", domain.FunderKindPrivate}, {"EU-FSE", domain.FunderKindEUFSE}, {"REG-ARA", domain.FunderKindOther}}
	for _, t := range territories {
		funders = append(funders, struct {
			id   string
			kind domain.FunderKind
		}{"DEP-" + t.code, domain.FunderKindDepartement}, struct {
			id   string
			kind domain.FunderKind
		}{"CAF-" + t.code, domain.FunderKindCAF})
	}
	for _, f := range funders {
		w.hist.Funders = append(w.hist.Funders, f.id)
		if err := w.on(domain.FunderStream(f.id))(domain.RegisterFunder(domain.RegisterFunderCommand{
			FunderID: f.id, Name: "Financeur " + f.id, Kind: f.kind, Now: w.tick()}, domain.FunderState{})); err != nil {
			return err
		}
	}
	codes := make([]string, len(territories))
	for i, t := range territories {
		codes[i] = t.code
	}
	for _, f := range []struct {
		id    string
		terrs []string
	}{{"FNSN", codes}, {"FRARA", regional}} {
		w.hist.Funds = append(w.hist.Funds, f.id)
		if err := w.on(domain.FundStream(f.id))(domain.CreateFund(domain.CreateFundCommand{
			FundID: f.id, Name: "Fonds " + f.id, Territories: f.terrs, Now: w.tick()}, domain.FundState{})); err != nil {
			return err
		}
	}
	// Prescribers and places.
	for _, t := range territories {
		for i := 1; i <= 3; i++ {
			id := fmt.Sprintf("PR-%s-%d", t.code, i)
			w.hist.Prescribers = append(w.hist.Prescribers, id)
			w.prescIn[t.code] = append(w.prescIn[t.code], id)
			kind := domain.PrescriberKinds[(i+len(t.code))%len(domain.PrescriberKinds)]
			if err := w.on(domain.PrescriberStream(id))(domain.RegisterPrescriber(domain.RegisterPrescriberCommand{
				PrescriberID: id, Name: "Prescripteur " + id, Kind: kind, Territory: t.code, Now: w.tick()}, domain.PrescriberState{})); err != nil {
				return err
			}
		}
		for i := 1; i <= 6; i++ {
			id := fmt.Sprintf("L-%s-%d", t.code, i)
			w.hist.Places = append(w.hist.Places, id)
			w.placesIn[t.code] = append(w.placesIn[t.code], id)
			if err := w.on(domain.PlaceStream(id))(domain.RegisterPlace(domain.RegisterPlaceCommand{
				PlaceID: id, Name: "Lieu " + id, SIRET: siret(w.next("siret")), Territory: t.code, Now: w.tick()}, domain.PlaceState{})); err != nil {
				return err
			}
			if err := w.on(domain.PlaceStream(id))(domain.ChangePlaceLabel(domain.ChangePlaceLabelCommand{
				PlaceID: id, Action: domain.LabelGrant, EffectiveOn: yearStart, Now: w.tick()}, *w.places[id])); err != nil {
				return err
			}
		}
	}
	// Fund contributions, received at once (the State's only in part).
	carnets := int(float64(w.opts.Events) / eventsPerCarnet)
	budget := int64(carnets) * 50 // the national fund pays about half of the cheques
	type pledge struct {
		funder, fund    string
		amount, receive int64
	}
	for _, p := range []pledge{
		{"STATE", "FNSN", budget * 75 / 100, budget * 70 / 100},
		{"ORANGE", "FNSN", budget * 32 / 100, budget * 32 / 100},
		{"REG-ARA", "FRARA", budget / 10, budget / 10},
	} {
		cid := "C-" + p.funder + "-" + p.fund
		if err := w.pledge(cid, p.funder, p.fund, "", euros(p.amount), d); err != nil {
			return err
		}
		if err := w.receive(cid, euros(p.receive), d); err != nil {
			return err
		}
	}
	// Péréquation, two weeks later.
	d = d.AddDays(14)
	w.startDay(d)
	floor := euros(budget / 100)
	for _, f := range []struct {
		id     string
		budget int64
		floor  *domain.Money
	}{{"FNSN", budget, &floor}, {"FRARA", budget / 10, nil}} {
		fs := w.funds[f.id]
		var ins []domain.PerequationTerritory
		for _, code := range fs.Territories {
			ts := w.terrs[code]
			ins = append(ins, domain.PerequationTerritory{Code: code, Population: ts.Population, FragilityRate: ts.FragilityRate})
		}
		if err := w.on(domain.FundStream(f.id))(domain.RunPerequation(domain.RunPerequationCommand{
			FundID: f.id, RunID: "RUN-2026-1", Budget: euros(f.budget), Floor: f.floor, Territories: ins,
			Available: w.bal[domain.AccountFundCash(f.id)], Now: w.tick()}, *fs)); err != nil {
			return err
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	// Programmes, the week after.
	d = d.AddDays(7)
	w.startDay(d)
	for i, t := range territories {
		if err := w.createProgramme(i, t.code, d); err != nil {
			return err
		}
	}
	return w.flush()
}

// on returns a function that folds and queues a single-stream command's result:
// w.on(stream)(domain.Command(...)).
func (w *world) on(stream string) func([]domain.Event, error) error {
	return func(evs []domain.Event, err error) error { return w.emit(stream, evs, err) }
}

func (w *world) pledge(cid, funder, fund, programme string, amount domain.Money, on domain.Date) error {
	return w.on(domain.ContributionStream(cid))(domain.PledgeContribution(domain.PledgeContributionCommand{
		ContributionID: cid, FunderID: funder, FundID: fund, ProgrammeID: programme, Amount: amount, PledgedOn: on, Now: w.tick(),
	}, domain.ContributionState{}, w.funders[funder]))
}

// receive records a receipt and its bank line (matched, except about 3 %).
func (w *world) receive(cid string, amount domain.Money, on domain.Date) error {
	rid := fmt.Sprintf("R-%d", w.next("receipt"))
	if err := w.on(domain.ContributionStream(cid))(domain.RecordReceipt(domain.RecordReceiptCommand{
		ContributionID: cid, ReceiptID: rid, Amount: amount, ReceivedOn: on, Now: w.tick()}, *w.contributions[cid])); err != nil {
		return err
	}
	return w.bankLine(domain.Movement{Kind: domain.MovementReceipt, ID: rid, Amount: amount, Date: on}, 0.97, "VIR "+cid)
}

// bankLine imports the bank line of a movement and matches it with probability p.
func (w *world) bankLine(m domain.Movement, p float64, ref string) error {
	id := fmt.Sprintf("BL-%d", w.next("bankline"))
	if err := w.on(domain.BankLineStream(id))(domain.ImportBankLine(domain.ImportBankLineCommand{
		BankLineID: id, Date: m.Date.AddDays(1), Amount: m.SignedAmount(), Reference: ref, Label: string(m.Kind), Now: w.tick(),
	}, domain.BankLineState{})); err != nil {
		return err
	}
	if !w.chance(p) {
		return nil
	}
	return w.emitChanges(domain.MatchBankLine(domain.MatchBankLineCommand{BankLineID: id, Movement: m, Now: w.tick()},
		*w.lines[id], domain.MovementMatchState{}))
}

func (w *world) createProgramme(i int, code string, d domain.Date) error {
	pid := fmt.Sprintf(programmeF, code)
	w.hist.Programmes = append(w.hist.Programmes, pid)
	w.progIn[code] = pid
	fnsn := w.funds["FNSN"]
	fundLine := fnsn.Undrawn(code)
	lines := []domain.FundingLine{{FundID: "FNSN", Amount: fundLine}}
	funds := map[string]domain.FundLineSource{"FNSN": {Fund: *fnsn, Contributors: w.contributors("FNSN")}}
	total := fundLine
	if fr := w.funds["FRARA"]; fr.HasTerritory(code) {
		l := fr.Undrawn(code)
		lines = append(lines, domain.FundingLine{FundID: "FRARA", Amount: l})
		funds["FRARA"] = domain.FundLineSource{Fund: *fr, Contributors: w.contributors("FRARA")}
		total = total.Add(l)
	}
	dep := domain.Cents(fundLine.Cents() * 8 / 10 / 100 * 100)
	third := domain.Cents(fundLine.Cents() * 3 / 10 / 100 * 100)
	thirdFunder := "CAF-" + code
	if i%2 == 0 {
		thirdFunder = "EU-FSE"
	}
	lines = append(lines, domain.FundingLine{FunderID: "DEP-" + code, Amount: dep}, domain.FundingLine{FunderID: thirdFunder, Amount: third})
	total = total.Add(dep).Add(third)
	var fee *decimal.Decimal
	if i%3 == 0 {
		r := decimal.RequireFromString("0.04")
		fee = &r
	}
	if err := w.emitChanges(domain.CreateProgramme(domain.CreateProgrammeCommand{
		ProgrammeID: pid, Name: "Pass numérique " + code + " 2026", Territory: code,
		ValidFrom: yearStart, ValidUntil: yearEnd, OperatorFeeRate: fee, AllowOutsideTerritory: i%4 == 1,
		FundingLines: lines, Now: w.tick(),
	}, domain.ProgrammeState{}, funds)); err != nil {
		return err
	}
	w.planned[pid] = int(total.Cents() * 92 / 100 / 10000)
	// Direct funders pledge their lines; money comes as planned below.
	depC, thirdC := "C-DEP-"+code, "C-"+thirdFunder+"-"+pid
	if err := w.pledge(depC, "DEP-"+code, "", pid, dep, d); err != nil {
		return err
	}
	if err := w.pledge(thirdC, thirdFunder, "", pid, third, d); err != nil {
		return err
	}
	first := domain.Cents(dep.Cents() * 6 / 10)
	w.at(domain.MustDate("2026-01-05"), func() error { return w.receive(depC, first, w.today()) })
	w.at(domain.MustDate("2026-07-01"), func() error { return w.receive(depC, dep.Sub(first), w.today()) })
	if thirdFunder == "EU-FSE" {
		adv := domain.Cents(third.Cents() * 7 / 10)
		aid := fmt.Sprintf("A-%d", w.next("advance"))
		w.at(domain.MustDate("2026-01-05"), func() error {
			if err := w.on(domain.ContributionStream(thirdC))(domain.GrantAdvance(domain.GrantAdvanceCommand{
				ContributionID: thirdC, AdvanceID: aid, Amount: adv, GrantedOn: w.today(), Now: w.tick()}, *w.contributions[thirdC])); err != nil {
				return err
			}
			return w.bankLine(domain.Movement{Kind: domain.MovementAdvance, ID: aid, Amount: adv, Date: w.today()}, 1, "AVANCE "+aid)
		})
		// The EU pays in the autumn for half of the programmes, the rest stays
		// outstanding past the year (ageing).
		if i%4 == 0 {
			w.at(domain.MustDate("2026-10-15"), func() error { return w.receive(thirdC, third, w.today()) })
			w.at(domain.MustDate("2026-10-20"), func() error {
				rp := fmt.Sprintf("RP-%d", w.next("repayment"))
				if err := w.on(domain.ContributionStream(thirdC))(domain.RepayAdvance(domain.RepayAdvanceCommand{
					ContributionID: thirdC, AdvanceID: aid, RepaymentID: rp, Amount: adv, RepaidOn: w.today(), Now: w.tick()},
					*w.contributions[thirdC])); err != nil {
					return err
				}
				return w.bankLine(domain.Movement{Kind: domain.MovementRepayment, ID: rp, Amount: adv, Date: w.today()}, 1, "REMB "+rp)
			})
		}
	} else {
		half := domain.Cents(third.Cents() / 2)
		w.at(domain.MustDate("2026-01-05"), func() error { return w.receive(thirdC, half, w.today()) })
		w.at(domain.MustDate("2026-06-30"), func() error { return w.receive(thirdC, third.Sub(half), w.today()) })
	}
	return nil
}

// contributors sums each funder's receipts into a fund.
func (w *world) contributors(fund string) []domain.ContributorReceipt {
	var out []domain.ContributorReceipt
	ids := make([]string, 0, len(w.contributions))
	for id := range w.contributions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		c := w.contributions[id]
		if c.FundID == fund && c.Received.IsPositive() {
			out = append(out, domain.ContributorReceipt{FunderID: c.FunderID, Received: c.Received})
		}
	}
	return out
}

func (w *world) at(d domain.Date, f func() error) { w.finance[d] = append(w.finance[d], f) }

func (w *world) today() domain.Date { return domain.DateOf(w.now) }

// day runs one simulated day.
func (w *world) day(d domain.Date) error {
	w.startDay(d)
	for _, f := range w.finance[d] {
		if err := f(); err != nil {
			return err
		}
	}
	delete(w.finance, d)
	if err := w.labels(d); err != nil {
		return err
	}
	if d.Day() == 2 && !d.After(yearEnd.AddDays(-31)) {
		if err := w.mint(d); err != nil {
			return err
		}
	}
	if !d.After(yearEnd) {
		if err := w.issue(d); err != nil {
			return err
		}
	}
	for _, id := range w.cancelOn[d] {
		if err := w.cancel(id); err != nil {
			return err
		}
	}
	delete(w.cancelOn, d)
	for _, s := range w.reverseOn[d] {
		if err := w.reverse(s); err != nil {
			return err
		}
	}
	delete(w.reverseOn, d)
	if d == closeDay {
		if err := w.closeAll(); err != nil {
			return err
		}
	}
	for _, s := range w.redeemOn[d] {
		if err := w.redeem(s, d); err != nil {
			return err
		}
	}
	delete(w.redeemOn, d)
	if d.Day() == 5 && d.After(domain.MustDate("2026-01-31")) {
		if err := w.createBatch(d); err != nil {
			return err
		}
	}
	if d.Day() >= 15 && len(w.unpaid) > 0 {
		if err := w.payBatches(d); err != nil {
			return err
		}
	}
	if d.Day() == 28 && !d.After(yearEnd) {
		// Bank fees: a line no expected movement explains.
		id := fmt.Sprintf("BL-%d", w.next("bankline"))
		return w.on(domain.BankLineStream(id))(domain.ImportBankLine(domain.ImportBankLineCommand{
			BankLineID: id, Date: d, Amount: domain.MustMoney("-12.50"), Reference: "FRAIS", Label: "frais de tenue de compte", Now: w.tick(),
		}, domain.BankLineState{}))
	}
	return nil
}

// labels suspends one place per territory for the summer and withdraws another in
// November.
func (w *world) labels(d domain.Date) error {
	type change struct {
		index  int
		action domain.LabelAction
		on     string
	}
	var cs []change
	switch d {
	case domain.MustDate("2026-05-20"):
		cs = []change{{2, domain.LabelSuspend, "2026-06-01"}}
	case domain.MustDate("2026-08-25"):
		cs = []change{{2, domain.LabelGrant, "2026-09-01"}}
	case domain.MustDate("2026-10-20"):
		cs = []change{{6, domain.LabelWithdraw, "2026-11-01"}}
	}
	for _, c := range cs {
		for _, t := range territories {
			id := w.placesIn[t.code][c.index-1]
			if err := w.on(domain.PlaceStream(id))(domain.ChangePlaceLabel(domain.ChangePlaceLabelCommand{
				PlaceID: id, Action: c.action, EffectiveOn: domain.MustDate(c.on), Reason: "contrôle du label", Now: w.tick(),
			}, *w.places[id])); err != nil {
				return err
			}
		}
	}
	return nil
}

// mint mints the month's tranche of every programme into its prescribers' stock.
func (w *world) mint(d domain.Date) error {
	for _, t := range territories {
		pid := w.progIn[t.code]
		p := w.programmes[pid]
		tranche := (w.planned[pid] + 10) / 11
		per := (tranche + len(w.prescIn[t.code]) - 1) / len(w.prescIn[t.code])
		for _, pr := range w.prescIn[t.code] {
			n := min(per, int(p.Unminted().Cents()/p.CarnetValue().Cents()))
			if n <= 0 {
				continue
			}
			ids := make([]string, n)
			for i := range ids {
				ids[i] = fmt.Sprintf("K%07d", w.next("carnet"))
			}
			if err := w.emitChanges(domain.MintCarnets(domain.MintCarnetsCommand{
				ProgrammeID: pid, PrescriberID: pr, CarnetIDs: ids, Now: w.tick()}, *p, w.prescribers[pr])); err != nil {
				return err
			}
			w.stock[pr] = append(w.stock[pr], ids...)
		}
	}
	return nil
}

var needLevels = []domain.NeedLevel{domain.NeedUrgence, domain.NeedInclusion, domain.NeedInclusion, domain.NeedAutonomie, domain.NeedInclusion}

// issue issues part of every prescriber's stock and schedules what happens to the
// carnets' cheques.
func (w *world) issue(d domain.Date) error {
	last := yearEnd.AddDays(domain.DefaultGraceDays)
	for _, t := range territories {
		for _, pr := range w.prescIn[t.code] {
			st := w.stock[pr]
			n := (len(st)*7 + 99) / 100
			if d.After(domain.MustDate("2026-12-20")) {
				n = len(st) * 9 / 10 // the year ends: most of the rest goes
			}
			for _, id := range st[:n] {
				c := w.carnets[id]
				ref := fmt.Sprintf("BEN-%d", w.next("beneficiary"))
				if err := w.emitChanges(domain.IssueCarnet(domain.IssueCarnetCommand{
					CarnetID: id, PrescriberID: pr, BeneficiaryRef: ref, NeedLevel: needLevels[w.rng.IntN(len(needLevels))],
					JobSeeker: w.chance(0.25), Now: w.tick()}, *c, *w.programmes[c.ProgrammeID], domain.BeneficiaryClaimState{}, BeneficiaryKey)); err != nil {
					return err
				}
				for _, s := range c.Serials {
					if w.chance(0.5) {
						on := d.AddDays(1 + w.rng.IntN(100))
						if !on.After(last) {
							w.redeemOn[on] = append(w.redeemOn[on], s)
						}
					}
				}
				if w.chance(0.005) {
					on := d.AddDays(1 + w.rng.IntN(60))
					if !on.After(yearEnd) {
						w.cancelOn[on] = append(w.cancelOn[on], id)
					}
				}
			}
			w.stock[pr] = st[n:]
		}
	}
	return nil
}

func (w *world) cancel(id string) error {
	c := w.carnets[id]
	p := w.programmes[c.ProgrammeID]
	if c.Cancelled || p.Closed {
		return nil
	}
	var states []domain.ChequeState
	for _, s := range c.Serials {
		if st := w.cheques[s]; st != nil {
			states = append(states, *st)
		}
	}
	reasons := []domain.CancelReason{domain.CancelLost, domain.CancelStolen, domain.CancelOther}
	return w.emitChanges(domain.CancelCarnet(domain.CancelCarnetCommand{
		CarnetID: id, PrescriberID: c.PrescriberID, Reason: reasons[w.rng.IntN(3)], Now: w.tick()}, *c, *p, states))
}

func (w *world) redeem(serial string, d domain.Date) error {
	st := w.cheques[serial]
	if st != nil && !st.Unredeemed() {
		return nil
	}
	carnetID, _, err := domain.ParseSerial(serial)
	if err != nil {
		return err
	}
	c := w.carnets[carnetID]
	p := w.programmes[c.ProgrammeID]
	if c.Cancelled || p.Closed {
		return nil
	}
	session := d.AddDays(-w.rng.IntN(3))
	if session.Before(p.ValidFrom) {
		session = p.ValidFrom
	}
	if session.After(p.LastRedeemableDay()) {
		return nil
	}
	territory := p.Territory
	if p.AllowOutsideTerritory && w.chance(0.1) {
		territory = territories[w.rng.IntN(len(territories))].code
	}
	candidates := w.placesIn[territory]
	var place string
	for range 8 {
		id := candidates[w.rng.IntN(len(candidates))]
		if w.places[id].LabelActiveOn(session) {
			place = id
			break
		}
	}
	if place == "" {
		return nil
	}
	var cs domain.ChequeState
	if st != nil {
		cs = *st
	}
	rid := fmt.Sprintf("RD-%d", w.next("redemption"))
	if err := w.on(domain.ChequeStream(serial))(domain.RedeemCheque(domain.RedeemChequeCommand{
		Serial: serial, CheckCode: domain.CheckCode(CheckKey, serial), PlaceID: place, SessionDate: session,
		Service: "atelier numérique", RedemptionID: rid, Now: w.tick()}, cs, *c, *p, *w.places[place], CheckKey)); err != nil {
		return err
	}
	if w.chance(0.01) {
		w.reverseOn[d.AddDays(1)] = append(w.reverseOn[d.AddDays(1)], serial)
	}
	return nil
}

func (w *world) reverse(serial string) error {
	st := w.cheques[serial]
	if st == nil || !st.Redeemed || st.Claimed {
		return nil
	}
	p := w.programmes[st.Redemption.ProgrammeID]
	if err := w.on(domain.ChequeStream(serial))(domain.ReverseRedemption(domain.ReverseRedemptionCommand{
		Serial: serial, PlaceID: st.Redemption.PlaceID, Reason: "erreur de saisie", Now: w.tick()}, *st, *p)); err != nil {
		return err
	}
	if w.chance(0.3) {
		on := w.today().AddDays(1 + w.rng.IntN(20))
		w.redeemOn[on] = append(w.redeemOn[on], serial)
	}
	return nil
}

func (w *world) createBatch(d domain.Date) error {
	id := fmt.Sprintf("B-%04d-%02d", d.Year(), int(d.Month()))
	serials := make([]string, 0, len(w.unclaimed))
	for s := range w.unclaimed {
		serials = append(serials, s)
	}
	sort.Strings(serials)
	states := make([]domain.ChequeState, len(serials))
	for i, s := range serials {
		states[i] = *w.cheques[s]
	}
	cutOff := domain.NewDate(d.Year(), d.Month(), 0)
	changes, err := domain.CreateReimbursementBatch(domain.CreateReimbursementBatchCommand{BatchID: id, CutOff: cutOff, Now: w.tick()},
		domain.BatchState{}, states)
	if errors.Is(err, domain.ErrEmptyBatch) {
		return nil
	}
	if err := w.emitChanges(changes, err); err != nil {
		return err
	}
	w.unpaid = append(w.unpaid, id)
	return nil
}

func (w *world) payBatches(d domain.Date) error {
	var still []string
	for _, id := range w.unpaid {
		b := w.batches[id]
		cash := map[string]domain.Money{}
		for p := range b.ByProgramme() {
			cash[p] = w.bal[domain.AccountProgrammeCash(p)]
		}
		ref := "PAY-" + id
		evs, err := domain.PayReimbursementBatch(domain.PayReimbursementBatchCommand{BatchID: id, PaidOn: d, BankReference: ref, Now: w.tick()}, *b, cash)
		if errors.Is(err, domain.ErrInsufficientProgrammeCash) {
			still = append(still, id)
			continue
		}
		if err := w.emit(domain.BatchStream(id), evs, err); err != nil {
			return err
		}
		if err := w.bankLine(domain.Movement{Kind: domain.MovementReimbursementPayment, ID: id, Amount: b.Total, Date: d}, 1, ref); err != nil {
			return err
		}
	}
	w.unpaid = still
	return nil
}

// closeAll closes every programme after the grace period. A close expires every
// unredeemed cheque of the programme in one command; the generator appends it in
// several appends (it is the only writer).
func (w *world) closeAll() error {
	byProgramme := map[string][]domain.ChequeState{}
	for _, st := range w.cheques {
		if st.Serial == "" {
			continue
		}
		carnetID, _, _ := domain.ParseSerial(st.Serial)
		p := w.carnets[carnetID].ProgrammeID
		byProgramme[p] = append(byProgramme[p], *st)
	}
	for _, pid := range w.hist.Programmes {
		if err := w.emitChanges(domain.CloseProgramme(domain.CloseProgrammeCommand{ProgrammeID: pid, AsOf: closeDay, Now: w.tick()},
			*w.programmes[pid], byProgramme[pid])); err != nil {
			return err
		}
	}
	return nil
}

// siret returns a valid (Luhn) SIRET numbered n.
func siret(n int) string {
	base := fmt.Sprintf("4%012d", n)
	for c := 0; c < 10; c++ {
		s := base + string(rune('0'+c))
		if domain.ValidSIRET(s) {
			return s
		}
	}
	panic("unreachable")
}
