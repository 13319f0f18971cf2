package simulate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
	"github.com/passnumerique/passledger/internal/pgtest"
	"github.com/passnumerique/passledger/internal/simulate"
)

var db *pgtest.DB

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &db)) }

var keys = app.Keys{CheckCode: []byte("check-code-key-for-tests-0123456"), Beneficiary: []byte("beneficiary-key-for-tests-012345")}

// tiny is three départements at a hundredth of the national figures: a few
// hundred cheques, about a thousand events. (Seed 20 draws, among others, a
// label suspended during the year and a few reversals.)
var tiny = simulate.Config{Seed: 20, Scale: 0.01, Departements: 3, Concurrency: 4, Year: 2026}

func simulateInto(t *testing.T, store simulate.Store, cfg simulate.Config) simulate.Summary {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	sum, err := simulate.Run(context.Background(), store, keys, cfg, logger)
	if err != nil {
		t.Fatalf("simulate: %v", err)
	}
	return sum
}

// allEvents returns every event of store, of every type the domain knows, in
// position order (an event of an unknown type would make the count checks fail).
func allEvents(t *testing.T, store simulate.Store) []eventstore.RecordedEvent {
	t.Helper()
	evs, err := store.EventsOfTypes(context.Background(), domain.EventTypes()...)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// sumOf sums the money field of the events of one type (0 when none has it).
func sumOf(t *testing.T, evs []eventstore.RecordedEvent, eventType, field string) domain.Money {
	t.Helper()
	var total domain.Money
	for _, e := range evs {
		if e.Type == eventType {
			total = total.Add(moneyField(t, e, field))
		}
	}
	return total
}

// moneyField is the payload's money field, zero when the payload has no such field.
func moneyField(t *testing.T, e eventstore.RecordedEvent, field string) domain.Money {
	t.Helper()
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(e.Payload, &obj); err != nil {
		t.Fatalf("position %d: %v", e.Position, err)
	}
	var m domain.Money
	if raw, ok := obj[field]; ok {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("position %d: %s: %v", e.Position, field, err)
		}
	}
	return m
}

// stats are, per event type, the count and the sums of the money fields, from
// the events alone.
func stats(t *testing.T, evs []eventstore.RecordedEvent) string {
	t.Helper()
	byType := map[string][]eventstore.RecordedEvent{}
	for _, e := range evs {
		byType[e.Type] = append(byType[e.Type], e)
	}
	var b strings.Builder
	for _, typ := range slices.Sorted(maps.Keys(byType)) {
		line := []string{typ, strconv.Itoa(len(byType[typ]))}
		for _, field := range []string{"amount", "total", "value", "budget"} {
			line = append(line, sumOf(t, byType[typ], typ, field).String())
		}
		b.WriteString(strings.Join(line, " ") + "\n")
	}
	return b.String()
}

func TestSimulatedYear(t *testing.T) {
	ctx := context.Background()
	first := eventstore.New(db.Fresh(t).Pool)
	sum := simulateInto(t, first, tiny)
	var out bytes.Buffer
	sum.WriteText(&out)
	t.Logf("\n%s", out.String())

	// The year happened: every kind of activity is there.
	if sum.Programmes != 3 || sum.ProgrammesClosed != 3 || sum.PerequationRuns != 1 {
		t.Errorf("programmes %d, closed %d, péréquation runs %d", sum.Programmes, sum.ProgrammesClosed, sum.PerequationRuns)
	}
	if sum.Redemptions == 0 || sum.CarnetsIssued == 0 || sum.Batches == 0 || sum.BatchesPaid != sum.Batches ||
		sum.Receipts == 0 || sum.Advances == 0 || sum.Repayments == 0 || sum.BankLinesMatched == 0 ||
		sum.CarnetsCancelled == 0 || sum.ChequesBlocked == 0 || sum.Reversals == 0 || sum.LabelChanges <= sum.Places {
		t.Errorf("missing activity: %+v", sum)
	}
	// About 38 % nationally (measured 38.0 % at scale 0.1); a sample of forty
	// carnets strays further.
	if r := sum.RedemptionRate(); r < 0.20 || r > 0.60 {
		t.Errorf("redemption rate %.3f, want about 0.38", r)
	}

	// Events counted by the summary are the events stored.
	_, stored, err := first.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs := allEvents(t, first)
	if stored != int64(sum.Events) || len(evs) != sum.Events {
		t.Errorf("%d events stored (%d of known types), summary says %d", stored, len(evs), sum.Events)
	}

	// Every ChequeRedeemed amount sums to the summary's redeemed euros.
	redeemed := sumOf(t, evs, "ChequeRedeemed", "amount")
	if !redeemed.Equal(sum.Redeemed) {
		t.Errorf("ChequeRedeemed sum %s, summary %s", redeemed, sum.Redeemed)
	}
	reversed := sumOf(t, evs, "RedemptionReversed", "amount")
	if !reversed.Equal(sum.Reversed) {
		t.Errorf("RedemptionReversed sum %s, summary %s", reversed, sum.Reversed)
	}

	// Net redeemed + expired + blocked never exceeds what was minted; once every
	// programme is closed, every minted cheque is in exactly one of them.
	minted := sumOf(t, evs, "CarnetsMinted", "value")
	expired := sumOf(t, evs, "ChequeExpired", "amount")
	blocked := sumOf(t, evs, "ChequeBlocked", "amount")
	accounted := redeemed.Sub(reversed).Add(expired).Add(blocked)
	if accounted.GreaterThan(minted) {
		t.Errorf("redeemed %s − reversed %s + expired %s + blocked %s = %s > minted %s", redeemed, reversed, expired, blocked, accounted, minted)
	}
	if !accounted.Equal(minted) {
		t.Errorf("after closing, net redeemed + expired + blocked = %s, minted %s", accounted, minted)
	}

	// No cheque has two unreversed redemptions (nor a reversal without one).
	open := map[string]int{}
	for _, e := range evs {
		switch e.Type {
		case "ChequeRedeemed":
			open[e.StreamID]++
		case "RedemptionReversed":
			open[e.StreamID]--
		}
	}
	bad := 0
	for _, n := range open {
		if n > 1 || n < 0 {
			bad++
		}
	}
	if bad != 0 {
		t.Errorf("%d cheques with two unreversed redemptions", bad)
	}

	// Postings of every event balance, and so does the whole ledger.
	var total domain.Money
	var postings int
	for _, r := range evs {
		e, err := domain.DecodeEvent(r.Type, r.Payload)
		if err != nil {
			t.Fatalf("position %d: %v", r.Position, err)
		}
		ps := domain.Postings(e)
		postings += len(ps)
		if b := domain.PostingsBalance(ps); !b.IsZero() {
			t.Errorf("position %d %s: postings sum to %s", r.Position, r.Type, b)
		}
		total = total.Add(domain.PostingsBalance(ps))
	}
	if total.String() != "0.00" || postings == 0 {
		t.Errorf("trial balance %s over %d postings", total, postings)
	}

	// The database now holds events: a second run there is refused.
	if _, err := simulate.Run(ctx, first, keys, tiny, nil); err == nil || !strings.Contains(err.Error(), "empty database") {
		t.Errorf("second run into a used database: %v", err)
	}

	// Deterministic: the same seed into another empty database writes the same
	// events per type with the same sums, whatever the number of workers.
	second := eventstore.New(db.Fresh(t).Pool)
	sequential := tiny
	sequential.Concurrency = 1
	again := simulateInto(t, second, sequential)
	if a, b := stats(t, evs), stats(t, allEvents(t, second)); a != b {
		t.Errorf("two runs differ:\n%s\nvs\n%s", a, b)
	}
	if a, b := withoutTiming(sum), withoutTiming(again); a != b {
		t.Errorf("two summaries differ:\n%s\nvs\n%s", a, b)
	}

	// The same year on the in-memory store writes the same events.
	mem := eventstore.NewMemory()
	onMemory := simulateInto(t, mem, tiny)
	if a, b := stats(t, evs), stats(t, allEvents(t, mem)); a != b {
		t.Errorf("PostgreSQL and memory runs differ:\n%s\nvs\n%s", a, b)
	}
	if a, b := withoutTiming(sum), withoutTiming(onMemory); a != b {
		t.Errorf("PostgreSQL and memory summaries differ:\n%s\nvs\n%s", a, b)
	}

	// Loaded through the store's Loader, the same year writes the same events,
	// and every chain verifies.
	third := eventstore.New(db.Fresh(t).Pool)
	loaded, err := simulate.Load(ctx, third, keys, tiny, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := stats(t, evs), stats(t, allEvents(t, third)); a != b {
		t.Errorf("run and load differ:\n%s\nvs\n%s", a, b)
	}
	if a, b := withoutTiming(sum), withoutTiming(loaded); a != b {
		t.Errorf("run and load summaries differ:\n%s\nvs\n%s", a, b)
	}
	storetest.WaitVisible(t, ctx, third) // Verify checks what readers can see
	if rep, err := third.Verify(ctx, nil); err != nil || !rep.OK || rep.Events != int64(len(evs)) {
		t.Errorf("verify after load: %+v %v, want OK over %d events", rep, err, len(evs))
	}
	if _, err := simulate.Load(ctx, third, keys, tiny, nil); err == nil || !strings.Contains(err.Error(), "empty store") {
		t.Errorf("second load into a used database: %v", err)
	}
}

func withoutTiming(s simulate.Summary) string {
	var b bytes.Buffer
	s.WriteText(&b)
	var keep []string
	for _, l := range strings.Split(b.String(), "\n") {
		if !strings.Contains(l, "events written") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func TestConfigValidate(t *testing.T) {
	if err := simulate.DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []simulate.Config{
		{Seed: 1, Scale: 0, Departements: 101, Concurrency: 1, Year: 2026},
		{Seed: 1, Scale: 1.5, Departements: 101, Concurrency: 1, Year: 2026},
		{Seed: 1, Scale: 0.1, Departements: 0, Concurrency: 1, Year: 2026},
		{Seed: 1, Scale: 0.1, Departements: 102, Concurrency: 1, Year: 2026},
		{Seed: 1, Scale: 0.1, Departements: 3, Concurrency: 0, Year: 2026},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
