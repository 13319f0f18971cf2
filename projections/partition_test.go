package projections_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
	"github.com/passnumerique/passledger/internal/simulate"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/projectiontest"
)

// A partition spec is i/n with 0 ≤ i < n ≤ 101; anything else is refused, and
// only the projections that can be split accept one.
func TestParsePart(t *testing.T) {
	for _, s := range []string{"0/1", "0/3", "2/3", "100/101"} {
		p, err := projections.ParsePart(s)
		if err != nil || p.String() != s {
			t.Errorf("ParsePart(%q) = %v, %v", s, p, err)
		}
	}
	for _, s := range []string{"", "3", "3/3", "-1/3", "1/0", "0/0", "a/b", "1/3/5", "1/ 3", "0/102", "1of3"} {
		if p, err := projections.ParsePart(s); err == nil {
			t.Errorf("ParsePart(%q) = %v, want an error", s, p)
		}
	}
	r := projections.NewResolver(nil)
	for _, name := range []string{"balances", "audit", "treasury"} {
		p, _ := projections.ByName(name)
		if _, err := projections.Partition(p, projections.Part{Index: 1, Count: 3}, r); err == nil ||
			!strings.Contains(err.Error(), "cannot be partitioned") {
			t.Errorf("Partition(%s, 1/3) = %v, want a refusal", name, err)
		}
		if q, err := projections.Partition(p, projections.Whole, r); err != nil || q != p {
			t.Errorf("Partition(%s, 0/1) = %v, %v: want the projection itself", name, q, err)
		}
	}
	if got := projections.SplittableNames(); strings.Join(got, ",") != "cheques,equity,places,prescribers" {
		t.Errorf("splittable projections: %v", got)
	}
	// Every partition of n owns a share of the départements, and each exactly one.
	for n := 1; n <= 5; n++ {
		for _, code := range []string{"", "01", "2A", "63", "974"} {
			owners := 0
			for i := 0; i < n; i++ {
				if (projections.Part{Index: i, Count: n}).Owns(code) {
					owners++
				}
			}
			if owners != 1 {
				t.Errorf("département %q is owned by %d partitions of %d", code, owners, n)
			}
		}
	}
}

// Every event type a split projection handles has a route: an event type that is
// not routed reaches no partition, so the projection must ignore it. This is
// checked against the projections' own Apply, whatever its form: for every event
// type of the domain that a split projection does not route, applying it (zero
// valued) returns no error and writes nothing (the transaction is given no
// transaction id). The routed types are checked by TestPartitionsEqualWhole.
func TestRoutesCoverHandledEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.Fresh(t)
	for _, name := range projections.SplittableNames() {
		p, err := projections.ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		unrouted := projections.UnroutedTypes(name)
		if len(unrouted) == 0 || len(unrouted) == len(domain.EventTypes()) {
			t.Fatalf("%s: %d unrouted event types", name, len(unrouted))
		}
		for _, typ := range unrouted {
			ev, err := domain.DecodeEvent(typ, []byte("{}"))
			if err != nil {
				t.Fatal(err)
			}
			err = pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
				if err := p.Apply(ctx, tx, []core.Event{{RecordedEvent: eventstore.RecordedEvent{Position: 1, Type: typ}, Data: ev}}); err != nil {
					return err
				}
				var xid *string
				if err := tx.QueryRow(ctx, `SELECT pg_current_xact_id_if_assigned()::text`).Scan(&xid); err != nil {
					return err
				}
				if xid != nil {
					t.Errorf("%s writes rows for %s, which its partitions' routing does not route", name, typ)
				}
				return errRollback
			})
			if err != errRollback {
				t.Errorf("%s handles %s (Apply: %v), which its partitions' routing does not route", name, typ, err)
			}
		}
	}
}

type rollback struct{}

func (rollback) Error() string { return "rollback" }

var errRollback error = rollback{}

// The n partitions of every split projection, applied page by page through the
// Runner as n workers would, write exactly the rows of the whole projection: each
// event that a split projection handles reaches one partition and one only, and
// the routing never separates the events that read and write the same row (a
// CarnetIssued whose carnet another partition minted would fail). Each partition's
// checkpoint reaches the head, and a projection's checkpoint (the least advanced
// partition's) too.
func TestPartitionsEqualWhole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.Fresh(t)
	store := eventstore.New(d.Pool)
	loadWorld(t, ctx, store, simulate.Config{Seed: 11, Scale: simulate.ScaleFor(15000), Departements: 12, Concurrency: 8, Year: 2026})
	head := storetest.WaitVisible(t, ctx, store)
	ps := projections.All()
	if err := projections.Rebuild(ctx, d.Pool, store, ps, nil); err != nil {
		t.Fatal(err)
	}
	whole := state(t, ctx, d.Pool, ps)

	if err := projections.Reset(ctx, d.Pool, ps); err != nil {
		t.Fatal(err)
	}
	const n = 3
	r := projections.NewResolver(store)
	var units []core.Projection
	for _, p := range projections.All() {
		if !projections.Splittable(p.Name()) {
			units = append(units, p)
			continue
		}
		for i := 0; i < n; i++ {
			q, err := projections.Partition(p, projections.Part{Index: i, Count: n}, r)
			if err != nil {
				t.Fatal(err)
			}
			units = append(units, q)
		}
	}
	runner := projections.NewRunner(d.Pool, store)
	applied := map[string]int{}
	var after eventstore.Cursor
	for page := 0; ; page++ {
		recs, err := store.ReadFrom(ctx, after, 700+page%5*300)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		evs, err := core.Decode(recs)
		if err != nil {
			t.Fatal(err)
		}
		b := projections.Batch{After: after, Events: evs}
		for _, u := range units {
			if _, err := runner.ApplyBatch(ctx, u, b); err != nil {
				t.Fatal(err)
			}
			part := projections.PartOf(u)
			got, err := projections.RoutedForTest(ctx, u, evs)
			if err != nil {
				t.Fatal(err)
			}
			applied[u.Name()+" "+part.String()] += len(got)
		}
		after = b.Last()
	}
	cps, err := projections.PartitionCheckpoints(ctx, d.Pool)
	if err != nil {
		t.Fatal(err)
	}
	rowsOf := map[string]int{}
	for _, pc := range cps {
		rowsOf[pc.Name]++
		if pc.Cursor != head {
			t.Errorf("%s partition %s at %s, head %s", pc.Name, pc.Part, pc.Cursor, head)
		}
		if want := map[bool]int{true: n, false: 1}[projections.Splittable(pc.Name)]; pc.Part.Count != want {
			t.Errorf("%s partition %s: want %d partitions", pc.Name, pc.Part, want)
		}
	}
	for _, name := range projections.SplittableNames() {
		if rowsOf[name] != n {
			t.Errorf("%s has %d checkpoint rows, want %d", name, rowsOf[name], n)
		}
		total := 0
		for i := 0; i < n; i++ {
			k := projections.Part{Index: i, Count: n}.String()
			if applied[name+" "+k] == 0 {
				t.Errorf("%s partition %s applied nothing", name, k)
			}
			total += applied[name+" "+k]
		}
		t.Logf("%s: %d events routed: %d / %d / %d", name, total, applied[name+" 0/3"], applied[name+" 1/3"], applied[name+" 2/3"])
	}
	split := state(t, ctx, d.Pool, ps)
	// The checkpoint rows differ by construction (n rows for a split projection);
	// the tables must not.
	delete(whole, projectiontest.Checkpoints)
	delete(split, projectiontest.Checkpoints)
	projectiontest.Same(t, "3 partitions vs whole rebuild", split, whole)
	t.Logf("%d rows compared", split.Rows())

	// Readers see a split projection at its least advanced partition.
	for name, cp := range mustCheckpoints(t, ctx, d) {
		if cp != head {
			t.Errorf("%s checkpoint %s, head %s", name, cp, head)
		}
	}

	// Another split is refused while the partitions are not at one position;
	// at the head they are, so it may be split again (here: back to whole).
	cheques, _ := projections.ByName("cheques")
	if _, err := runner.ApplyBatch(ctx, cheques, projections.Batch{After: head}); err != nil {
		t.Fatalf("re-split at one position: %v", err)
	}
	if _, err := d.Pool.Exec(ctx, `UPDATE projection_checkpoints SET position = position - 1 WHERE name = 'places' AND partition = 1`); err != nil {
		t.Fatal(err)
	}
	placesWhole, _ := projections.ByName("places")
	if _, err := runner.ApplyBatch(ctx, placesWhole, projections.Batch{After: head}); err == nil ||
		!strings.Contains(err.Error(), "not at the same position") {
		t.Fatalf("whole places over partitions at different positions: %v, want a refusal", err)
	}

	// A reader of a split projection (the API's min_position) waits for every
	// partition: one partition one event behind holds it back.
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = projections.WaitFor(wctx, d.Pool, store, "places", head.Position)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor(places, head) with partition 1/3 behind: %v, want the deadline", err)
	}
	if err := projections.WaitFor(ctx, d.Pool, store, "places", head.Position-1); err != nil {
		t.Fatalf("WaitFor(places, head-1): %v", err)
	}
	if _, err := d.Pool.Exec(ctx, `UPDATE projection_checkpoints SET position = position + 1 WHERE name = 'places' AND partition = 1`); err != nil {
		t.Fatal(err)
	}
	wctx, cancel = context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := projections.WaitFor(wctx, d.Pool, store, "places", head.Position); err != nil {
		t.Fatalf("WaitFor(places, head) with every partition there: %v", err)
	}
}

func mustCheckpoints(t *testing.T, ctx context.Context, d dbT) map[string]eventstore.Cursor {
	t.Helper()
	cps, err := projections.Checkpoints(ctx, d.Pool)
	if err != nil {
		t.Fatal(err)
	}
	return cps
}
