package simulate

import (
	"fmt"
	"github.com/passnumerique/passledger/internal/reference"
	"math"
	"math/rand/v2"
	"time"

	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/domain"
)

// The plan: the world and its year of activity, drawn from the seed before any
// command is written. Money amounts that depend on earlier commands (the
// péréquation's allocations, hence the programmes' direct lines) are computed
// when their command runs, from that command's result.

// Behaviour parameters (fractions are probabilities unless said otherwise).
const (
	fundShare        = 0.18  // the national fund covers this share of the minted value
	fiveChequeShare  = 0.15  // programmes with carnets of 5 cheques instead of 10
	euShareMetro     = 0.45  // metropolitan programmes with an FSE+ line (overseas: all)
	cafShare         = 0.75  // programmes with a CAF line
	franceTravail    = 0.30  // programmes with a France Travail line
	issuedShare      = 0.93  // minted carnets that prescribers hand out
	cancelShare      = 0.008 // issued carnets reported lost or stolen
	reversalShare    = 0.012 // redemptions reversed the next morning (scanned by mistake)
	reRedeemShare    = 0.70  // reversed cheques redeemed again later
	twoChequeSession = 0.20  // sessions paid with two cheques
	newPlaceShare    = 0.10  // places labelled during the year
	suspendShare     = 0.07  // labelled places suspended for a while
	withdrawShare    = 0.02  // labelled places whose label is withdrawn
)

// usage is how beneficiaries of one need level use their carnet: a share never
// use it at all, the others use each cheque with probability perCheque (in
// order, one session after the other, until the validity ends).
var usage = map[domain.NeedLevel]struct{ unused, perCheque float64 }{
	domain.NeedUrgence:   {0.22, 0.63},
	domain.NeedInclusion: {0.26, 0.575},
	domain.NeedAutonomie: {0.36, 0.50},
}

var services = []string{
	"Atelier smartphone", "Accompagnement aux démarches en ligne", "Initiation à l'ordinateur",
	"Atelier messagerie et sécurité", "Créer son identité numérique", "Recherche d'emploi en ligne",
	"Atelier santé en ligne (Ameli, Doctolib)", "Gérer ses comptes et paiements en ligne",
}

type funderSpec struct {
	id, name string
	kind     domain.FunderKind
}

type territory struct {
	idx                  int
	code, name, region   string
	population           int64
	rate                 decimal.Decimal
	engagement           float64
	perCarnet            int
	hasEU, hasCAF, hasFT bool
	programmeID          string
	depFunder, cafFunder string
	prescribers          []*prescriber
	prescriberWeights    []float64
	places               []*place
	placeWeights         []float64
	carnets              []*carnet
	beneficiaries        int
	plannedValue         domain.Money
	allocation           domain.Money    // from the péréquation run
	contributions        []*contribution // direct lines, in advance priority order
	rng                  *rand.Rand
}

type prescriber struct {
	id, name string
	kind     domain.PrescriberKind
	t        *territory
}

type labelStep struct {
	on     domain.Date
	action domain.LabelAction
	reason string
}

type place struct {
	id, name, siret string
	t               *territory
	register        domain.Date
	labels          []labelStep
}

// activeOn reports whether the place's planned label is granted on d.
func (p *place) activeOn(d domain.Date) bool {
	st := domain.LabelAction("")
	for _, l := range p.labels {
		if l.on.After(d) {
			break
		}
		st = l.action
	}
	return st == domain.LabelGrant
}

type carnet struct {
	t         *territory
	p         *prescriber
	seq       int
	tranche   int
	id        string // set when minted
	issue     time.Time
	ref       string
	need      domain.NeedLevel
	jobSeeker bool
	cancel    time.Time
	reason    domain.CancelReason
}

type redemption struct {
	c       *carnet
	index   int
	place   *place
	session domain.Date
	at      time.Time
	id      string
	service string
	reverse time.Time // zero: not reversed
}

type instalment struct {
	on     domain.Date
	weight int64
}

type contribution struct {
	id, funderID, funderName string
	fundID, programmeID      string
	t                        *territory
	eu                       bool
	pledge                   domain.Money
	instalments              []instalment
	received, repaid         domain.Money
	advances                 []*advance
	dueOn                    domain.Date
}

func (c *contribution) outstanding() domain.Money {
	var m domain.Money
	for _, a := range c.advances {
		m = m.Add(a.amount.Sub(a.repaid))
	}
	return m
}

type advance struct {
	id             string
	amount, repaid domain.Money
}

// calendar holds the year's fixed dates.
type calendar struct {
	year                                    int
	start, end                              domain.Date
	setup, pledges, perequation, programmes domain.Date
	validFrom, validUntil, lastDay, close   domain.Date
	mints                                   [3]domain.Date
	euReceipt                               domain.Date
}

func newCalendar(y int) calendar {
	d := func(yy int, m time.Month, day int) domain.Date { return domain.NewDate(yy, m, day) }
	c := calendar{
		year: y, start: d(y, 1, 1), end: d(y+1, 2, 28),
		setup: workday(d(y, 1, 5)), pledges: workday(d(y, 1, 12)), perequation: workday(d(y, 2, 16)),
		programmes: workday(d(y, 2, 20)), validFrom: d(y, 3, 1), validUntil: d(y, 12, 31),
		mints:     [3]domain.Date{workday(d(y, 3, 2)), workday(d(y, 5, 4)), workday(d(y, 9, 1))},
		euReceipt: workday(d(y+1, 2, 15)),
	}
	c.lastDay = c.validUntil.AddDays(domain.DefaultGraceDays)
	c.close = c.lastDay.AddDays(1)
	return c
}

// workday moves a Saturday or a Sunday to the next Monday.
func workday(d domain.Date) domain.Date {
	switch d.Time().Weekday() {
	case time.Saturday:
		return d.AddDays(2)
	case time.Sunday:
		return d.AddDays(1)
	}
	return d
}

// openDay moves a Sunday (places are closed) to the Monday.
func openDay(d domain.Date) domain.Date {
	if d.Time().Weekday() == time.Sunday {
		return d.AddDays(1)
	}
	return d
}

func at(d domain.Date, hour, minute int) time.Time {
	return d.Time().Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
}

func between(r *rand.Rand, from, to domain.Date) domain.Date {
	n := domain.DaysBetween(from, to)
	if n <= 0 {
		return from
	}
	return from.AddDays(r.IntN(n + 1))
}

func pick(r *rand.Rand, weights []float64) int {
	var total float64
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// randFor returns the random stream number stream of the seed.
func randFor(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

func money(cents int64) domain.Money { return domain.Cents(cents) }

// plan is the drawn world.
type plan struct {
	cal          calendar
	territories  []*territory
	funders      []funderSpec
	regions      []string
	regionFunder map[string]string
	fundID       string
	fundPledges  []*contribution
	redemptions  []*redemption
	cancelled    int
}

var prescriberKinds = []struct {
	kind   domain.PrescriberKind
	label  string
	weight float64 // share of the prescribers
	volume float64 // carnets handed out, relative
}{
	{domain.PrescriberKindCCAS, "CCAS", 0.30, 1.5},
	{domain.PrescriberKindCentreSocial, "Centre social", 0.20, 1.0},
	{domain.PrescriberKindFranceTravail, "Agence France Travail", 0.15, 1.3},
	{domain.PrescriberKindMissionLocale, "Mission locale", 0.10, 0.8},
	{domain.PrescriberKindDepartement, "Maison départementale des solidarités", 0.10, 1.2},
	{domain.PrescriberKindFranceServices, "France Services", 0.08, 1.0},
	{domain.PrescriberKindMDPH, "MDPH", 0.04, 0.5},
	{domain.PrescriberKindAssociation, "Association d'aide numérique", 0.03, 0.7},
}

var placeKinds = []string{"Espace public numérique", "Médiathèque", "France Services", "Tiers-lieu numérique", "Centre social, espace numérique"}

// newPlan draws the world and its activity.
func newPlan(cfg Config) (*plan, error) {
	deps := reference.Departements()
	if len(deps) != MaxDepartements {
		return nil, fmt.Errorf("simulate: %d départements in the reference table", len(deps))
	}
	p := &plan{cal: newCalendar(cfg.Year), regionFunder: map[string]string{}, fundID: fmt.Sprintf("fnd-national-%d", cfg.Year)}
	// National draws, for all 101 départements in code order whatever the
	// selection, so a département's figures do not depend on the others taking part.
	nat := randFor(cfg.Seed, 1)
	all := make([]*territory, len(deps))
	var totalWeight float64
	var nationalPop int64
	for i, d := range deps {
		t := &territory{idx: i, code: d.Code, name: d.Name, region: d.Region, population: d.Population}
		lo, hi := 0.13, 0.25
		if len(d.Code) == 3 { // overseas: more exclusion
			lo, hi = 0.22, 0.30
		}
		t.rate = decimal.NewFromFloat(lo + (hi-lo)*nat.Float64()).Round(4)
		t.engagement = 0.6 + 0.8*nat.Float64()
		t.perCarnet = domain.DefaultChequesPerCarnet
		if nat.Float64() < fiveChequeShare {
			t.perCarnet = 5
		}
		t.hasEU = len(d.Code) == 3 || nat.Float64() < euShareMetro
		t.hasCAF = nat.Float64() < cafShare
		t.hasFT = nat.Float64() < franceTravail
		all[i] = t
		need, _ := t.rate.Float64()
		totalWeight += float64(t.population) * need * t.engagement
		nationalPop += t.population
	}
	p.territories = all[:cfg.Departements]

	// Funders: national ones, régions, départements and CAFs.
	p.funders = []funderSpec{
		{"fdr-etat", "État — Agence nationale de la cohésion des territoires", domain.FunderKindState},
		{"fdr-ue-fse", "Union européenne — FSE+", domain.FunderKindEUFSE},
		{"fdr-cnaf", "Caisse nationale des allocations familiales", domain.FunderKindCAF},
		{"fdr-france-travail", "France Travail (direction générale)", domain.FunderKindFranceTravail},
		{"fdr-mecene-1", "Fondation pour l'inclusion numérique (mécénat)", domain.FunderKindPrivate},
		{"fdr-mecene-2", "Mécénat des opérateurs de télécommunications", domain.FunderKindPrivate},
		{"fdr-mecene-3", "Fonds de dotation Solidarité numérique", domain.FunderKindPrivate},
	}
	for _, t := range p.territories {
		if _, ok := p.regionFunder[t.region]; !ok {
			id := fmt.Sprintf("fdr-region-%02d", len(p.regions)+1)
			p.regions = append(p.regions, t.region)
			p.regionFunder[t.region] = id
			p.funders = append(p.funders, funderSpec{id, "Région " + t.region, domain.FunderKindOther})
		}
	}
	for _, t := range p.territories {
		t.depFunder = "fdr-dep-" + t.code
		p.funders = append(p.funders, funderSpec{t.depFunder, fmt.Sprintf("Conseil départemental — %s (%s)", t.name, t.code), domain.FunderKindDepartement})
		if t.hasCAF {
			t.cafFunder = "fdr-caf-" + t.code
			p.funders = append(p.funders, funderSpec{t.cafFunder, fmt.Sprintf("CAF — %s (%s)", t.name, t.code), domain.FunderKindCAF})
		}
	}

	// Each territory draws its organisations and activity from its own stream.
	for _, t := range p.territories {
		t.rng = randFor(cfg.Seed, 1000+uint64(t.idx))
		t.programmeID = fmt.Sprintf("pgm-%s-%d", t.code, cfg.Year)
		need, _ := t.rate.Float64()
		cheques := float64(NationalCheques) * cfg.Scale * float64(t.population) * need * t.engagement / totalWeight
		carnets := max(1, int(math.Round(cheques/float64(t.perCarnet))))
		popShare := float64(t.population) / float64(nationalPop)
		nPrescribers := max(1, int(math.Round(NationalPrescribers*cfg.Scale*popShare)))
		nPlaces := max(2, int(math.Round(NationalPlaces*cfg.Scale*popShare)))
		p.drawPrescribers(t, nPrescribers)
		p.drawPlaces(t, nPlaces)
		p.drawCarnets(t, carnets)
		t.plannedValue = domain.DefaultChequeValue.MulInt(int64(carnets * t.perCarnet))
	}
	// A few lost or stolen carnets even in a small run.
	if p.cancelled == 0 {
		for _, t := range p.territories {
			if c := p.firstIssued(t); c != nil {
				p.cancelCarnet(c)
				break
			}
		}
	}
	for _, t := range p.territories {
		for _, c := range t.carnets {
			p.drawRedemptions(c)
		}
	}
	return p, nil
}

func (p *plan) drawPrescribers(t *territory, n int) {
	kw := make([]float64, len(prescriberKinds))
	for i, k := range prescriberKinds {
		kw[i] = k.weight
	}
	count := map[domain.PrescriberKind]int{}
	for i := 0; i < n; i++ {
		k := 0 // the first is always the CCAS of the chef-lieu
		if i > 0 {
			k = pick(t.rng, kw)
		}
		kind := prescriberKinds[k]
		count[kind.kind]++
		pr := &prescriber{
			id:   fmt.Sprintf("prs-%s-%04d", t.code, i+1),
			name: fmt.Sprintf("%s n° %d — %s", kind.label, count[kind.kind], t.name),
			kind: kind.kind, t: t,
		}
		t.prescribers = append(t.prescribers, pr)
		t.prescriberWeights = append(t.prescriberWeights, kind.volume*(0.5+t.rng.Float64()))
	}
}

func (p *plan) drawPlaces(t *territory, n int) {
	cal := p.cal
	for i := 0; i < n; i++ {
		kind := placeKinds[t.rng.IntN(len(placeKinds))]
		pl := &place{
			id:    fmt.Sprintf("plc-%s-%04d", t.code, i+1),
			name:  fmt.Sprintf("%s n° %d — %s", kind, i+1, t.name),
			siret: siret(t.rng), t: t, register: cal.setup,
		}
		r := t.rng.Float64()
		switch {
		case i == 0: // one place per territory keeps its label all year
			pl.labels = []labelStep{{cal.start, domain.LabelGrant, "Labellisation initiale"}}
		case r < newPlaceShare:
			on := workday(between(t.rng, domain.NewDate(cal.year, 3, 1), domain.NewDate(cal.year, 9, 30)))
			pl.register = on
			pl.labels = []labelStep{{on, domain.LabelGrant, "Nouveau lieu labellisé"}}
		default:
			pl.labels = []labelStep{{cal.start, domain.LabelGrant, "Labellisation initiale"}}
			r2 := t.rng.Float64()
			switch {
			case r2 < suspendShare:
				from := workday(between(t.rng, domain.NewDate(cal.year, 4, 1), domain.NewDate(cal.year, 10, 31)))
				pl.labels = append(pl.labels, labelStep{from, domain.LabelSuspend, "Contrôle : conditions du label non remplies"})
				back := workday(from.AddDays(20 + t.rng.IntN(71)))
				if t.rng.Float64() < 0.7 {
					pl.labels = append(pl.labels, labelStep{back, domain.LabelGrant, "Mise en conformité constatée"})
				} else {
					pl.labels = append(pl.labels, labelStep{back, domain.LabelWithdraw, "Retrait du label après contrôle"})
				}
			case r2 < suspendShare+withdrawShare:
				on := workday(between(t.rng, domain.NewDate(cal.year, 5, 1), domain.NewDate(cal.year, 11, 30)))
				pl.labels = append(pl.labels, labelStep{on, domain.LabelWithdraw, "Cessation d'activité du lieu"})
			}
		}
		t.places = append(t.places, pl)
		t.placeWeights = append(t.placeWeights, 0.5+t.rng.Float64())
	}
}

// siret draws a 14-digit SIRET that passes the Luhn check.
func siret(r *rand.Rand) string {
	var b [14]byte
	sum := 0
	for i := 0; i < 13; i++ {
		d := r.IntN(10)
		if i == 0 && d == 0 {
			d = 1
		}
		b[i] = byte('0' + d)
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	b[13] = byte('0' + (10-sum%10)%10)
	return string(b[:])
}

func (p *plan) drawCarnets(t *territory, n int) {
	cal := p.cal
	lastIssue := domain.NewDate(cal.year, 12, 15)
	for i := 0; i < n; i++ {
		c := &carnet{t: t, seq: i + 1}
		c.p = t.prescribers[pick(t.rng, t.prescriberWeights)]
		switch r := t.rng.Float64(); {
		case r < 0.5:
			c.tranche = 0
		case r < 0.8:
			c.tranche = 1
		default:
			c.tranche = 2
		}
		if t.rng.Float64() < issuedShare {
			d := workday(cal.mints[c.tranche].AddDays(1 + int(t.rng.ExpFloat64()*18)))
			if !d.After(lastIssue) {
				c.issue = at(d, 9, t.rng.IntN(480))
				t.beneficiaries++
				c.ref = fmt.Sprintf("PN%d-%s-%06d", cal.year, t.code, t.beneficiaries)
				switch r := t.rng.Float64(); {
				case r < 0.25:
					c.need = domain.NeedUrgence
				case r < 0.75:
					c.need = domain.NeedInclusion
				default:
					c.need = domain.NeedAutonomie
				}
				js := 0.12
				switch c.p.kind {
				case domain.PrescriberKindFranceTravail:
					js = 0.85
				case domain.PrescriberKindMissionLocale:
					js = 0.40
				}
				c.jobSeeker = t.rng.Float64() < js
				if t.rng.Float64() < cancelShare {
					p.cancelCarnet(c)
				}
			}
		}
		t.carnets = append(t.carnets, c)
	}
}

func (p *plan) firstIssued(t *territory) *carnet {
	for _, c := range t.carnets {
		if !c.issue.IsZero() && c.cancel.IsZero() {
			return c
		}
	}
	return nil
}

func (p *plan) cancelCarnet(c *carnet) {
	r := c.t.rng
	d := domain.DateOf(c.issue).AddDays(1 + r.IntN(120))
	if last := p.cal.validUntil; d.After(last) {
		d = last
	}
	c.cancel = at(workday(d), 12, r.IntN(180))
	if !c.cancel.After(c.issue) {
		c.cancel = c.issue.Add(time.Hour)
	}
	c.reason = domain.CancelLost
	if r.Float64() < 0.3 {
		c.reason = domain.CancelStolen
	}
	p.cancelled++
}

// drawRedemptions plans the sessions a beneficiary pays with the carnet's
// cheques, each at a place labelled on the session date.
func (p *plan) drawRedemptions(c *carnet) {
	if c.issue.IsZero() {
		return
	}
	t, r := c.t, c.t.rng
	u := usage[c.need]
	if r.Float64() < u.unused {
		return
	}
	use := 0
	for i := 0; i < t.perCarnet; i++ {
		if r.Float64() < u.perCheque {
			use++
		}
	}
	home := t.places[pick(r, t.placeWeights)]
	session := domain.DateOf(c.issue).AddDays(1 + int(r.ExpFloat64()*12))
	index := 1
	for index <= use {
		session = openDay(session)
		if session.After(p.cal.lastDay) {
			return
		}
		pl := home
		if !pl.activeOn(session) {
			pl = p.otherPlace(t, session)
		}
		if pl != nil {
			home = pl
			n := 1
			if r.Float64() < twoChequeSession && index < use {
				n = 2
			}
			start := at(session, 9+r.IntN(9), r.IntN(60))
			scan := p.scanTime(r, session, start)
			service := services[r.IntN(len(services))]
			for k := 0; k < n; k++ {
				red := &redemption{
					c: c, index: index, place: pl, session: session, at: scan.Add(time.Duration(k) * time.Minute),
					id: fmt.Sprintf("rdm-%s-%d-%06d-%02d-1", t.code, p.cal.year, c.seq, index), service: service,
				}
				index++
				if !c.cancel.IsZero() && !domain.DateOf(red.at).Before(domain.DateOf(c.cancel)) {
					return // lost before the scan: the rest is blocked
				}
				p.redemptions = append(p.redemptions, red)
				if r.Float64() < reversalShare {
					p.reverse(red)
				}
			}
		}
		session = session.AddDays(2 + int(r.ExpFloat64()*9))
	}
}

// scanTime is when the place records the session's cheque: mostly the same
// day, sometimes a few days later, never after the last redeemable day.
func (p *plan) scanTime(r *rand.Rand, session domain.Date, start time.Time) time.Time {
	var t time.Time
	switch x := r.Float64(); {
	case x < 0.70:
		t = start.Add(time.Duration(5+r.IntN(115)) * time.Minute)
	case x < 0.92:
		t = at(session.AddDays(1+r.IntN(3)), 9, r.IntN(600))
	default:
		t = at(session.AddDays(4+r.IntN(9)), 9, r.IntN(600))
	}
	if domain.DateOf(t).After(p.cal.lastDay) {
		t = at(p.cal.lastDay, 18, 30)
	}
	return t
}

func (p *plan) otherPlace(t *territory, d domain.Date) *place {
	var open []int
	var weights []float64
	for i, pl := range t.places {
		if pl.activeOn(d) {
			open = append(open, i)
			weights = append(weights, t.placeWeights[i])
		}
	}
	if len(open) == 0 {
		return nil
	}
	return t.places[open[pick(t.rng, weights)]]
}

// reverse plans the reversal of red the next morning (within 48 hours) and,
// often, a new redemption of the same cheque a few days later.
func (p *plan) reverse(red *redemption) {
	c, r := red.c, red.c.t.rng
	red.reverse = at(domain.DateOf(red.at).AddDays(1), 9, r.IntN(60))
	if r.Float64() >= reRedeemShare {
		return
	}
	session := openDay(domain.DateOf(red.reverse).AddDays(1 + r.IntN(10)))
	if session.After(p.cal.lastDay) || !red.place.activeOn(session) {
		return
	}
	again := &redemption{
		c: c, index: red.index, place: red.place, session: session,
		at: at(session, 10+r.IntN(7), r.IntN(60)), service: red.service,
		id: red.id[:len(red.id)-1] + "2",
	}
	if !c.cancel.IsZero() && !domain.DateOf(again.at).Before(domain.DateOf(c.cancel)) {
		return
	}
	p.redemptions = append(p.redemptions, again)
}
