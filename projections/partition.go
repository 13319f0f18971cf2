package projections

import (
	"context"
	"fmt"
	"hash/fnv"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections/cheques"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/equity"
	"github.com/passnumerique/passledger/projections/places"
	"github.com/passnumerique/passledger/projections/prescribers"
)

// Part names one partition of a projection: partition Index of Count (written
// "i/n", as `passledger project --partition` takes it). Whole, 0/1, is a
// projection that is not split.
type Part struct {
	Index, Count int
}

// Whole is the partition of a projection that is not split: 0/1.
var Whole = Part{Index: 0, Count: 1}

// MaxPartitions bounds n in a partition spec i/n (there are 101 départements).
const MaxPartitions = 101

// ParsePart reads a partition spec "i/n" (0 ≤ i < n ≤ MaxPartitions).
func ParsePart(s string) (Part, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || n > MaxPartitions || i < 0 || i >= n {
		return Part{}, fmt.Errorf("projections: partition %q is not i/n with 0 ≤ i < n ≤ %d (e.g. 0/3, 1/3, 2/3)", s, MaxPartitions)
	}
	return Part{Index: i, Count: n}, nil
}

// String writes the part as "i/n".
func (p Part) String() string { return strconv.Itoa(p.Index) + "/" + strconv.Itoa(p.Count) }

// Owns reports whether the rows of the département code belong to this partition:
// FNV-1a (32 bits) of the code, modulo Count. The code "" (rows of no département:
// reimbursement batches, funds, péréquation runs) belongs to partition 0.
func (p Part) Owns(code string) bool { return partitionOf(code, p.Count) == p.Index }

func partitionOf(code string, n int) int {
	if code == "" || n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(code))
	return int(h.Sum32() % uint32(n))
}

// refKind says where the département of an event's rows comes from.
type refKind uint8

const (
	// refCode: the event carries the code (ref.id).
	refCode refKind = iota
	// refProgramme, refPlace, refPrescriber: the territory of the programme,
	// place or prescriber ref.id (recorded when it was created or registered).
	refProgramme
	refPlace
	refPrescriber
	// refCarnet: the territory of the programme of carnet ref.id.
	refCarnet
	// refNational: rows of no département (partition 0).
	refNational
	// refSerial (rules only): the field is a cheque serial, routed as its carnet
	// (refCarnet).
	refSerial
)

// ref is where an event's routing département comes from.
type ref struct {
	kind refKind
	id   string
}

// rule says where the département of the rows an event of one type writes comes
// from: kind, and the payload's field (its JSON name) holding the code, or the
// programme, place, prescriber or serial whose département it is (none for
// refNational).
type rule struct {
	kind  refKind
	field string
}

// routing gives, for each event type a projection handles, its rule; the types it
// does not list are those the projection ignores (they reach no partition).
type routing map[string]rule

// routings lists the projections that can be split, with their routing. Every
// event that touches a row is routed by the département that row belongs to, so
// the events that read and write one row always meet in one partition, in log
// order; rows of no département (national rows: reimbursement batches and their
// lines, fund territories, péréquation allocations) all belong to partition 0.
//
// A rule names a payload field, so a partition routes an event from its payload
// without decoding it (domain.StringFields), and decodes only the events it applies;
// an event whose payload that reader does not take is decoded and the field read
// from the domain event (fieldOf).
var routings = map[string]routing{
	// cheques: carnets, cheques, claims and programmes live in their programme's
	// département; reimbursement batches are national.
	cheques.Name: {
		"ProgrammeCreated":           {refCode, "territory"},
		"ProgrammeClosed":            {refProgramme, "programme_id"},
		"CarnetMinted":               {refProgramme, "programme_id"},
		"CarnetIssued":               {refProgramme, "programme_id"},
		"CarnetCancelled":            {refProgramme, "programme_id"},
		"ChequeRedeemed":             {refCode, "programme_territory"},
		"RedemptionReversed":         {refCode, "programme_territory"},
		"ChequeExpired":              {refProgramme, "programme_id"},
		"ChequeBlocked":              {refProgramme, "programme_id"},
		"ChequeReimbursementClaimed": {refSerial, "serial"},
		"ReimbursementBatchCreated":  {kind: refNational},
		"ReimbursementBatchPaid":     {kind: refNational},
	},
	// places: a place's registration, label, bank account, redemptions and claims
	// live in the place's département; batches and their lines are national.
	places.Name: {
		"PlaceRegistered":            {refCode, "territory"},
		"PlaceLabelChanged":          {refPlace, "place_id"},
		"PlaceBankAccountSet":        {refPlace, "place_id"},
		"ChequeRedeemed":             {refCode, "place_territory"},
		"RedemptionReversed":         {refCode, "place_territory"},
		"ChequeReimbursementClaimed": {refPlace, "place_id"},
		"ReimbursementBatchCreated":  {kind: refNational},
		"ReimbursementBatchPaid":     {kind: refNational},
	},
	// prescribers: a prescriber and the carnets of its stock live in the
	// prescriber's département.
	prescribers.Name: {
		"PrescriberRegistered": {refCode, "territory"},
		"CarnetMinted":         {refPrescriber, "prescriber_id"},
		"CarnetIssued":         {refPrescriber, "prescriber_id"},
		"CarnetCancelled":      {refPrescriber, "prescriber_id"},
	},
	// equity: need records per territory, programme flows in the programme's
	// département; fund territories and péréquation allocations (one event,
	// many territories) are national.
	equity.Name: {
		"TerritoryNeedRecorded": {refCode, "code"},
		"FundCreated":           {kind: refNational},
		"PerequationRun":        {kind: refNational},
		"ProgrammeCreated":      {refCode, "territory"},
		"CarnetsMinted":         {refProgramme, "programme_id"},
		"CarnetIssued":          {refProgramme, "programme_id"},
		"ChequeRedeemed":        {refCode, "programme_territory"},
		"RedemptionReversed":    {refCode, "programme_territory"},
		"ChequeExpired":         {refProgramme, "programme_id"},
		"ChequeBlocked":         {refProgramme, "programme_id"},
	},
}

// fact is what an event of one type states for good: the département (or, for a
// carnet, the programme) in field value of the kind's id in field key.
type fact struct {
	kind       refKind
	key, value string
}

// facts lists the events the Resolver learns from, by type.
var facts = map[string]fact{
	"ProgrammeCreated":     {refProgramme, "programme_id", "territory"},
	"PlaceRegistered":      {refPlace, "place_id", "territory"},
	"PrescriberRegistered": {refPrescriber, "prescriber_id", "territory"},
	"CarnetMinted":         {refCarnet, "carnet_id", "programme_id"},
}

// fieldIndex gives, by event type and JSON field name, the index of the string
// field of the domain event the rules and facts name (checked when the package
// loads: a rule naming no such field is a programming error).
var fieldIndex = func() map[string]map[string]int {
	out := map[string]map[string]int{}
	add := func(typ, field string) {
		if field == "" {
			return
		}
		ev, err := domain.DecodeEvent(typ, []byte("{}"))
		if err != nil {
			panic(fmt.Sprintf("projections: routing names event type %s: %v", typ, err))
		}
		t := reflect.TypeOf(ev)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == field && f.Type.Kind() == reflect.String {
				if out[typ] == nil {
					out[typ] = map[string]int{}
				}
				out[typ][field] = i
				return
			}
		}
		panic(fmt.Sprintf("projections: routing names %s.%s, which is not a string field", typ, field))
	}
	for _, rs := range routings {
		for typ, r := range rs {
			add(typ, r.field)
		}
	}
	for typ, f := range facts {
		add(typ, f.key)
		add(typ, f.value)
	}
	return out
}()

// fieldOf returns the string field of decoded event ev whose JSON name is field.
func fieldOf(ev domain.Event, field string) string {
	return reflect.ValueOf(ev).Field(fieldIndex[ev.EventType()][field]).String()
}

// stringFields reads the fields keys of event i of evs into vals: from the payload
// when domain.StringFields takes it, else from the decoded event (data(i)).
func stringFields(evs []core.Event, i int, data func(int) (domain.Event, error), keys, vals []string) error {
	if domain.StringFields(evs[i].Payload, keys, vals) {
		return nil
	}
	ev, err := data(i)
	if err != nil {
		return err
	}
	if ev.EventType() != evs[i].Type {
		return fmt.Errorf("projections: event at position %d is a %s, decoded as a %s", evs[i].Position, evs[i].Type, ev.EventType())
	}
	for j, k := range keys {
		vals[j] = fieldOf(ev, k)
	}
	return nil
}

// refOf returns where the rule r routes an event whose field r.field is v.
func (r rule) refOf(v string) ref {
	switch r.kind {
	case refNational:
		return ref{kind: refNational}
	case refSerial:
		carnet, _, err := domain.ParseSerial(v)
		if err != nil {
			carnet = v // unroutable: resolve fails and names it
		}
		return ref{refCarnet, carnet}
	}
	return ref{r.kind, v}
}

// Splittable reports whether projection name can run as several partitions
// (cheques, equity, places, prescribers); the others (balances: the trial balance;
// audit: a funder's trail across territories; treasury: national cash) run whole.
func Splittable(name string) bool { _, ok := routings[name]; return ok }

// SplittableNames lists the projections that can be split, sorted.
func SplittableNames() []string {
	var out []string
	for n := range routings {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Partition returns partition part of projection p: a projection with p's name and
// tables whose Apply hands p only the events whose rows belong to part (routed by
// département, see routings), and whose checkpoint is its own (the Runner keys it
// by name and partition). Every event still moves the partition's checkpoint, so a
// partition follows the whole log's gap-free order and its gap detection is the
// whole projection's. The union of the rows of partitions 0/n … n-1/n is the rows
// of the whole projection, row for row (TestPartitionsEqualWhole and TestNATSWorkers
// check it).
//
// A projection that cannot be split is refused, except as Whole (p itself is then
// returned); r resolves the départements the events do not carry.
func Partition(p core.Projection, part Part, r *Resolver) (core.Projection, error) {
	if part.Count < 1 || part.Index < 0 || part.Index >= part.Count {
		return nil, fmt.Errorf("projections: invalid partition %s", part)
	}
	if part == Whole {
		return p, nil
	}
	route, ok := routings[p.Name()]
	if !ok {
		return nil, fmt.Errorf("projections: %s cannot be partitioned (it keeps national figures; run it whole); partitioned projections: %s",
			p.Name(), strings.Join(SplittableNames(), ", "))
	}
	if r == nil {
		return nil, fmt.Errorf("projections: partition %s of %s needs a Resolver", part, p.Name())
	}
	return &partitioned{inner: p, part: part, route: route, res: r}, nil
}

// PartOf returns the partition a projection is (Whole unless Partition made it).
func PartOf(p core.Projection) Part {
	if q, ok := p.(*partitioned); ok {
		return q.part
	}
	return Whole
}

// unitKey names one projection partition in a process: the projection's name when
// whole, "name-iofn" otherwise (the durable consumer and the handler's name).
func unitKey(p core.Projection) string {
	part := PartOf(p)
	if part == Whole {
		return p.Name()
	}
	return fmt.Sprintf("%s-%dof%d", p.Name(), part.Index, part.Count)
}

type partitioned struct {
	inner core.Projection
	part  Part
	route routing
	res   *Resolver
}

func (p *partitioned) Name() string     { return p.inner.Name() }
func (p *partitioned) Tables() []string { return p.inner.Tables() }

// Apply applies to the inner projection the events routed to this partition.
func (p *partitioned) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	_, err := p.apply(ctx, tx, events, nil)
	return err
}

// apply applies to the inner projection the events of events routed to this
// partition and returns them. When decode is set, events are not decoded (Data
// nil) and decode(i) gives events[i] decoded: it is called for the events routed
// here, and for the others only when their payload does not give the routing's
// fields (domain.StringFields).
func (p *partitioned) apply(ctx context.Context, tx pgx.Tx, events []core.Event, decode func(i int) (core.Event, error)) ([]core.Event, error) {
	if decode == nil {
		decode = func(i int) (core.Event, error) {
			if events[i].Data != nil {
				return events[i], nil
			}
			return core.DecodeRecord(events[i].RecordedEvent)
		}
	}
	idx, err := p.res.route(ctx, p.route, p.part, events, func(i int) (domain.Event, error) {
		ev, err := decode(i)
		return ev.Data, err
	})
	if err != nil {
		return nil, fmt.Errorf("%s partition %s: %w", p.inner.Name(), p.part, err)
	}
	if len(idx) == 0 {
		return nil, nil
	}
	mine := make([]core.Event, len(idx))
	for j, i := range idx {
		if mine[j], err = decode(i); err != nil {
			return nil, err
		}
	}
	return mine, p.inner.Apply(ctx, tx, mine)
}

// Resolver knows the département of programmes, places and prescribers and the
// programme of carnets, the facts the routing needs when an event does not carry
// its département. They are immutable facts of the log (ProgrammeCreated,
// PlaceRegistered, PrescriberRegistered, CarnetMinted: nothing ever moves a
// programme, place, prescriber or carnet), so the routing is a pure function of
// the log: the Resolver learns them from the events it routes, and reads the
// first event of the stream (eventstore.Store.FirstEvents: that event only, not
// the stream) for the ones it has not seen (a worker that starts in the middle
// of the log), in one query per page. An
// event always comes after the facts it refers to (the command that wrote it read
// them), so the lookup always finds them. Safe for concurrent use.
type Resolver struct {
	store *eventstore.Store

	mu    sync.RWMutex
	facts map[refKind]map[string]string
}

// NewResolver returns a Resolver reading what it has not seen from store.
func NewResolver(store *eventstore.Store) *Resolver {
	return &Resolver{store: store, facts: map[refKind]map[string]string{
		refProgramme: {}, refPlace: {}, refPrescriber: {}, refCarnet: {},
	}}
}

// learn records the facts the events state; data(i) decodes event i (called only
// for a fact whose payload domain.StringFields does not take).
func (r *Resolver) learn(events []core.Event, data func(int) (domain.Event, error)) error {
	var vals [2]string
	for i := range events {
		f, ok := facts[events[i].Type]
		if !ok {
			continue
		}
		if err := stringFields(events, i, data, []string{f.key, f.value}, vals[:]); err != nil {
			return err
		}
		r.mu.Lock()
		r.facts[f.kind][vals[0]] = vals[1]
		r.mu.Unlock()
	}
	return nil
}

// streamOf is the stream whose first event states the fact ref asks for.
func streamOf(kind refKind, id string) string {
	switch kind {
	case refProgramme:
		return domain.ProgrammeStream(id)
	case refPlace:
		return domain.PlaceStream(id)
	case refPrescriber:
		return domain.PrescriberStream(id)
	case refCarnet:
		return domain.CarnetStream(id)
	}
	return ""
}

// lookup reads from the store the streams stating the facts missing, and learns
// them.
func (r *Resolver) lookup(ctx context.Context, missing map[string]bool) error {
	if len(missing) == 0 {
		return nil
	}
	streams := make([]string, 0, len(missing))
	for s := range missing {
		streams = append(streams, s)
	}
	got, err := r.store.FirstEvents(ctx, streams)
	if err != nil {
		return fmt.Errorf("resolve territories: %w", err)
	}
	first := make([]core.Event, 0, len(got))
	for _, rec := range got {
		first = append(first, core.Event{RecordedEvent: rec})
	}
	return r.learn(first, func(i int) (domain.Event, error) { return domain.DecodeEvent(first[i].Type, first[i].Payload) })
}

// code returns the département ref names, if known (the carnet's programme's for
// refCarnet; the programme may itself be missing).
func (r *Resolver) code(x ref) (code string, missing string, ok bool) {
	switch x.kind {
	case refCode:
		return x.id, "", true
	case refNational:
		return "", "", true
	case refCarnet:
		pg, ok := r.facts[refCarnet][x.id]
		if !ok {
			return "", streamOf(refCarnet, x.id), false
		}
		return r.code(ref{refProgramme, pg})
	}
	c, ok := r.facts[x.kind][x.id]
	if !ok {
		return "", streamOf(x.kind, x.id), false
	}
	return c, "", true
}

// route returns the indexes of the events of events that rules route to part,
// reading the fields it needs from their payloads; data(i) decodes event i (called
// only for an event whose payload domain.StringFields does not take).
func (r *Resolver) route(ctx context.Context, rules routing, part Part, events []core.Event, data func(int) (domain.Event, error)) ([]int, error) {
	if err := r.learn(events, data); err != nil {
		return nil, err
	}
	refs := make([]ref, len(events))
	handled := make([]bool, len(events))
	var val [1]string
	for i := range events {
		ru, ok := rules[events[i].Type]
		if !ok {
			continue
		}
		handled[i] = true
		if ru.kind != refNational {
			if err := stringFields(events, i, data, []string{ru.field}, val[:]); err != nil {
				return nil, err
			}
		}
		refs[i] = ru.refOf(val[0])
	}
	// Up to two rounds of lookups: a carnet's programme may need a second.
	for round := 0; ; round++ {
		missing := map[string]bool{}
		r.mu.RLock()
		for i := range events {
			if handled[i] {
				if _, m, ok := r.code(refs[i]); !ok {
					missing[m] = true
				}
			}
		}
		r.mu.RUnlock()
		if len(missing) == 0 {
			break
		}
		if round == 2 {
			var names []string
			for m := range missing {
				names = append(names, m)
			}
			slices.Sort(names)
			return nil, fmt.Errorf("no département found for %s (their creation is not in the event store)", strings.Join(names, ", "))
		}
		if err := r.lookup(ctx, missing); err != nil {
			return nil, err
		}
	}
	out := make([]int, 0, len(events)/part.Count+1)
	r.mu.RLock()
	defer r.mu.RUnlock()
	for i := range events {
		if !handled[i] {
			continue
		}
		c, _, _ := r.code(refs[i])
		if part.Owns(c) {
			out = append(out, i)
		}
	}
	return out, nil
}
