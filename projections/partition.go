package projections

import (
	"context"
	"fmt"
	"hash/fnv"
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
)

// ref is where an event's routing département comes from.
type ref struct {
	kind refKind
	id   string
}

// router gives, for each event type a projection handles, where the département of
// the rows the event writes comes from; ok is false for the event types the
// projection ignores (they reach no partition).
type router func(e domain.Event) (r ref, ok bool)

// routers lists the projections that can be split, with their routing. Every event
// that touches a row is routed by the département that row belongs to, so the
// events that read and write one row always meet in one partition, in log order;
// rows of no département (national rows: reimbursement batches and their lines,
// fund territories, péréquation allocations) all belong to partition 0.
var routers = map[string]router{
	// cheques: carnets, cheques, claims and programmes live in their programme's
	// département; reimbursement batches are national.
	cheques.Name: func(e domain.Event) (ref, bool) {
		switch e := e.(type) {
		case domain.ProgrammeCreated:
			return ref{refCode, e.Territory}, true
		case domain.ProgrammeClosed:
			return ref{refProgramme, e.ProgrammeID}, true
		case domain.CarnetMinted:
			return ref{refProgramme, e.ProgrammeID}, true
		case domain.CarnetIssued:
			return ref{refProgramme, e.ProgrammeID}, true
		case domain.CarnetCancelled:
			return ref{refProgramme, e.ProgrammeID}, true
		case domain.ChequeRedeemed:
			return ref{refCode, e.ProgrammeTerritory}, true
		case domain.RedemptionReversed:
			return ref{refCode, e.ProgrammeTerritory}, true
		case domain.ChequeExpired:
			return ref{refProgramme, e.ProgrammeID}, true
		case domain.ChequeBlocked:
			return ref{refProgramme, e.ProgrammeID}, true
		case domain.ChequeReimbursementClaimed:
			carnet, _, err := domain.ParseSerial(e.Serial)
			if err != nil {
				carnet = e.Serial // unroutable: resolve fails and names it
			}
			return ref{refCarnet, carnet}, true
		case domain.ReimbursementBatchCreated, domain.ReimbursementBatchPaid:
			return ref{kind: refNational}, true
		}
		return ref{}, false
	},
	// places: a place's registration, label, bank account, redemptions and claims
	// live in the place's département; batches and their lines are national.
	places.Name: func(e domain.Event) (ref, bool) {
		switch e := e.(type) {
		case domain.PlaceRegistered:
			return ref{refCode, e.Territory}, true
		case domain.PlaceLabelChanged:
			return ref{refPlace, e.PlaceID}, true
		case domain.PlaceBankAccountSet:
			return ref{refPlace, e.PlaceID}, true
		case domain.ChequeRedeemed:
			return ref{refCode, e.PlaceTerritory}, true
		case domain.RedemptionReversed:
			return ref{refCode, e.PlaceTerritory}, true
		case domain.ChequeReimbursementClaimed:
			return ref{refPlace, e.PlaceID}, true
		case domain.ReimbursementBatchCreated, domain.ReimbursementBatchPaid:
			return ref{kind: refNational}, true
		}
		return ref{}, false
	},
	// prescribers: a prescriber and the carnets of its stock live in the
	// prescriber's département.
	prescribers.Name: func(e domain.Event) (ref, bool) {
		switch e := e.(type) {
		case domain.PrescriberRegistered:
			return ref{refCode, e.Territory}, true
		case domain.CarnetMinted:
			return ref{refPrescriber, e.PrescriberID}, true
		case domain.CarnetIssued:
			return ref{refPrescriber, e.PrescriberID}, true
		case domain.CarnetCancelled:
			return ref{refPrescriber, e.PrescriberID}, true
		}
		return ref{}, false
	},
	// equity: need records per territory, programme flows in the programme's
	// département; fund territories and péréquation allocations (one event,
	// many territories) are national.
	equity.Name: func(e domain.Event) (ref, bool) {
		switch e := e.(type) {
		case domain.TerritoryNeedRecorded:
			return ref{refCode, e.Code}, true
		case domain.FundCreated, domain.PerequationRun:
			return ref{kind: refNational}, true
		case domain.ProgrammeCreated:
			return ref{refCode, e.Territory}, true
		case domain.CarnetsMinted:
			return ref{refProgramme, e.ProgrammeID}, true
		case domain.CarnetIssued:
			return ref{refProgramme, e.ProgrammeID}, true
		case domain.ChequeRedeemed:
			return ref{refCode, e.ProgrammeTerritory}, true
		case domain.RedemptionReversed:
			return ref{refCode, e.ProgrammeTerritory}, true
		case domain.ChequeExpired:
			return ref{refProgramme, e.ProgrammeID}, true
		case domain.ChequeBlocked:
			return ref{refProgramme, e.ProgrammeID}, true
		}
		return ref{}, false
	},
}

// Splittable reports whether projection name can run as several partitions
// (cheques, equity, places, prescribers); the others (balances: the trial balance;
// audit: a funder's trail across territories; treasury: national cash) run whole.
func Splittable(name string) bool { _, ok := routers[name]; return ok }

// SplittableNames lists the projections that can be split, sorted.
func SplittableNames() []string {
	var out []string
	for n := range routers {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Partition returns partition part of projection p: a projection with p's name and
// tables whose Apply hands p only the events whose rows belong to part (routed by
// département, see routers), and whose checkpoint is its own (the Runner keys it
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
	route, ok := routers[p.Name()]
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
	route router
	res   *Resolver
}

func (p *partitioned) Name() string     { return p.inner.Name() }
func (p *partitioned) Tables() []string { return p.inner.Tables() }

// Apply applies to the inner projection the events routed to this partition.
func (p *partitioned) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	mine, err := p.res.filter(ctx, p.route, p.part, events)
	if err != nil {
		return fmt.Errorf("%s partition %s: %w", p.inner.Name(), p.part, err)
	}
	if len(mine) == 0 {
		return nil
	}
	return p.inner.Apply(ctx, tx, mine)
}

// Resolver knows the département of programmes, places and prescribers and the
// programme of carnets, the facts the routing needs when an event does not carry
// its département. They are immutable facts of the log (ProgrammeCreated,
// PlaceRegistered, PrescriberRegistered, CarnetMinted: nothing ever moves a
// programme, place, prescriber or carnet), so the routing is a pure function of
// the log: the Resolver learns them from the events it routes, and reads the
// first event of the stream from the event store for the ones it has not seen
// (a worker that starts in the middle of the log), in one query per page. An
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

// learn records the facts the events state.
func (r *Resolver) learn(events []core.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range events {
		r.learnOne(ev.Data)
	}
}

func (r *Resolver) learnOne(e domain.Event) {
	switch e := e.(type) {
	case domain.ProgrammeCreated:
		r.facts[refProgramme][e.ProgrammeID] = e.Territory
	case domain.PlaceRegistered:
		r.facts[refPlace][e.PlaceID] = e.Territory
	case domain.PrescriberRegistered:
		r.facts[refPrescriber][e.PrescriberID] = e.Territory
	case domain.CarnetMinted:
		r.facts[refCarnet][e.CarnetID] = e.ProgrammeID
	}
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
	got, err := r.store.ReadStreams(ctx, streams)
	if err != nil {
		return fmt.Errorf("resolve territories: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, recs := range got {
		if len(recs) == 0 {
			continue
		}
		evs, err := core.Decode(recs[:1])
		if err != nil {
			return err
		}
		r.learnOne(evs[0].Data)
	}
	return nil
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

// filter returns the events of events that route routes to part.
func (r *Resolver) filter(ctx context.Context, route router, part Part, events []core.Event) ([]core.Event, error) {
	r.learn(events)
	refs := make([]ref, len(events))
	handled := make([]bool, len(events))
	for i, ev := range events {
		refs[i], handled[i] = route(ev.Data)
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
	out := make([]core.Event, 0, len(events)/part.Count+1)
	r.mu.RLock()
	defer r.mu.RUnlock()
	for i, ev := range events {
		if !handled[i] {
			continue
		}
		c, _, _ := r.code(refs[i])
		if part.Owns(c) {
			out = append(out, ev)
		}
	}
	return out, nil
}
