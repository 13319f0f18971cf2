package projections_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
	"github.com/passnumerique/passledger/internal/simulate"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/audit"
	"github.com/passnumerique/passledger/projections/balances"
	"github.com/passnumerique/passledger/projections/cheques"
	"github.com/passnumerique/passledger/projections/equity"
	"github.com/passnumerique/passledger/projections/places"
	"github.com/passnumerique/passledger/projections/prescribers"
	"github.com/passnumerique/passledger/projections/projectiontest"
	"github.com/passnumerique/passledger/projections/treasury"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var loud = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// liveWorld is the simulated year of TestLiveAndRebuildAgree: more than 50,000
// events over twelve départements (need data, a fund shared by péréquation,
// programmes funded by several funders, treasury advances, reversals, cancelled
// carnets, monthly batches, bank statements, every programme closed).
var liveWorld = simulate.Config{Seed: 7, Scale: 0.22, Departements: 12, Concurrency: 8, Year: 2026}

// TestLiveAndRebuildAgree drives a simulated year of more than 50,000 events
// through the live path (relay → GoChannel → router → handlers) while it is being
// appended (by the store's Loader, in transactions of up to 4,096 events: the
// live path with concurrent writers' interleaved transactions is what
// cmd/passledger's TestResilienceKillDuringRedemptions checks against a rebuild), waits until every projection reached the head, dumps every table,
// rebuilds everything from position zero and dumps again: the two must be equal
// row for row. Then it checks the projections' figures against figures computed
// straight from the events read back from the store (model_test.go) and their
// invariants.
func TestLiveAndRebuildAgree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.Fresh(t)
	store := eventstore.New(d.Pool)
	reg := prometheus.NewRegistry()
	ps := projections.All()
	svc := startService(t, ctx, projections.Config{Pool: d.Pool, Store: store, Projections: ps, PageSize: 700,
		Registerer: reg, Logger: loud, LagInterval: 100 * time.Millisecond})

	start := time.Now()
	sum := loadWorld(t, ctx, store, liveWorld)
	waitHead(t, ctx, d.Pool, store, ps, 3*time.Minute)
	t.Logf("live projections at head %s after the simulation", time.Since(start).Round(time.Millisecond))
	log := readLog(t, ctx, store)
	if len(log) < 50000 {
		t.Fatalf("the store holds %d events, want at least 50,000", len(log))
	}
	if len(log) != sum.Events {
		t.Fatalf("the store holds %d events, the simulation says it wrote %d", len(log), sum.Events)
	}
	head := storetest.WaitVisible(t, ctx, store)
	appended := len(log)

	// The lag gauge reads 0 for every projection once they are at the head.
	if err := svc.WaitForAll(ctx, head.Position); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		lags := gauge(t, reg, "passledger_projection_lag_events")
		done := len(lags) == len(ps)
		for _, v := range lags {
			done = done && v == 0
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("lag gauges not at 0: %v", lags)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := counterSum(t, reg, "passledger_projection_events_applied_total"); n < float64(appended) {
		t.Errorf("events applied counter %v, want at least %d", n, appended)
	}
	live := state(t, ctx, d.Pool, ps)
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	storetest.WaitVisible(t, ctx, store)

	start = time.Now()
	var calls int
	var last int64
	if err := projections.Rebuild(ctx, d.Pool, store, projections.All(), func(done, total int64) {
		calls++
		if done < last || total < int64(appended) {
			t.Errorf("progress went from %d to %d (total %d)", last, done, total)
		}
		last = done
	}); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	t.Logf("rebuilt %d events in %s (%.0f events/s), %d progress calls", appended, el.Round(time.Millisecond), float64(appended)/el.Seconds(), calls)
	if last != int64(appended) {
		t.Errorf("progress ended at %d, want %d", last, appended)
	}
	rebuilt := state(t, ctx, d.Pool, ps)
	projectiontest.Same(t, "live vs rebuilt", live, rebuilt)
	t.Logf("%d rows compared in %d tables", rebuilt.Rows(), len(rebuilt))

	m := newModel(log)
	t.Run("balances", func(t *testing.T) { checkBalances(t, ctx, d, store, m, head) })
	t.Run("cheques", func(t *testing.T) { checkCheques(t, ctx, d, store, m) })
	t.Run("equity", func(t *testing.T) { checkEquity(t, ctx, d, m) })
	t.Run("audit", func(t *testing.T) { checkAudit(t, ctx, d, m) })
	t.Run("places", func(t *testing.T) { checkPlaces(t, ctx, d, m) })
	t.Run("prescribers", func(t *testing.T) { checkPrescribers(t, ctx, d, m) })
	t.Run("treasury", func(t *testing.T) { checkTreasury(t, ctx, d, m) })
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, mf := range gather(t, reg, name) {
		out[label(mf, "projection")] = mf.GetGauge().GetValue()
	}
	return out
}

func counterSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	var s float64
	for _, mf := range gather(t, reg, name) {
		s += mf.GetCounter().GetValue()
	}
	return s
}

func gather(t *testing.T, reg *prometheus.Registry, name string) []*dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()
		}
	}
	return nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func eq(t *testing.T, what string, got, want domain.Money) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func checkBalances(t *testing.T, ctx context.Context, d dbT, store *eventstore.Store, m *model, head eventstore.Cursor) {
	total, n, err := balances.TrialBalance(ctx, d.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if !total.IsZero() {
		t.Errorf("trial balance = %s, want 0.00", total)
	}
	if n != len(m.balances) {
		t.Errorf("%d accounts, want %d", n, len(m.balances))
	}
	all, err := balances.Balances(ctx, d.Pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range all {
		eq(t, b.Account, b.Balance, m.balances[b.Account])
	}
	// As of dates: every as-of trial balance is zero, and a date after the last
	// event gives the balances at the checkpoint.
	for _, s := range []string{"2025-12-31", "2026-03-31", "2026-09-30", "2030-01-01"} {
		day := domain.MustDate(s)
		bs, err := balances.Balances(ctx, d.Pool, &day)
		if err != nil {
			t.Fatal(err)
		}
		var sum domain.Money
		for _, b := range bs {
			sum = sum.Add(b.Balance)
		}
		eq(t, "trial balance as of "+s, sum, domain.Money{})
		if s == "2030-01-01" && fmt.Sprint(bs) != fmt.Sprint(all) {
			t.Errorf("balances as of 2030 differ from the balances at the checkpoint")
		}
	}
	// Every place's payable as of a date, computed from the events with the
	// documented dates: redemption on its session date, reversal and batch on
	// their day.
	day := domain.MustDate("2026-06-30")
	want := map[string]domain.Money{}
	for _, r := range m.log {
		switch e := r.Event.(type) {
		case domain.ChequeRedeemed:
			if !e.SessionDate.After(day) {
				want[e.PlaceID] = want[e.PlaceID].Sub(e.Amount)
			}
		case domain.RedemptionReversed:
			if !domain.DateOf(e.ReversedAt).After(day) {
				want[e.PlaceID] = want[e.PlaceID].Add(e.Amount)
			}
		case domain.ReimbursementBatchCreated:
			for _, l := range e.Lines {
				if !domain.DateOf(e.CreatedAt).After(day) {
					want[l.PlaceID] = want[l.PlaceID].Add(l.Amount)
				}
			}
		}
	}
	owing := 0
	for _, place := range m.placeIDs {
		got, err := balances.Balance(ctx, d.Pool, domain.AccountPlacePayable(place), &day)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "payable of "+place+" on "+day.String(), got, want[place])
		if !want[place].IsZero() {
			owing++
		}
	}
	if owing == 0 {
		t.Errorf("test data: no place owed anything on %s", day)
	}

	// At a position: the postings of the events read from the store up to it.
	var after eventstore.Cursor
	sums := map[string]domain.Money{}
	var cut eventstore.RecordedEvent
	for read := 0; read < len(m.log)/2; {
		recs, err := store.ReadFrom(ctx, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			ev, err := domain.DecodeEvent(r.Type, r.Payload)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range domain.Postings(ev) {
				sums[p.Account] = sums[p.Account].Add(p.Amount)
			}
		}
		read += len(recs)
		after, cut = recs[len(recs)-1].Cursor(), recs[len(recs)-1]
	}
	at, err := balances.BalancesAtPosition(ctx, d.Pool, store, cut.Position)
	if err != nil {
		t.Fatal(err)
	}
	if len(at) != len(sums) {
		t.Errorf("%d accounts at position %d, want %d", len(at), cut.Position, len(sums))
	}
	for _, b := range at {
		eq(t, fmt.Sprintf("%s at position %d", b.Account, cut.Position), b.Balance, sums[b.Account])
	}
	if _, err := balances.BalancesAtPosition(ctx, d.Pool, store, head.Position+1000); err == nil {
		t.Error("a position beyond the log gave no error")
	}
	cash, err := balances.ProgrammesCash(ctx, d.Pool, m.programmeIDs)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m.programmeIDs {
		eq(t, "cash of "+p, cash[p], m.balances[domain.AccountProgrammeCash(p)])
	}
}

// chequeStatus is what the model says of a serial.
func (m *model) chequeStatus(serial string) string {
	if c := m.cheques[serial]; c != nil && c.Serial != "" {
		switch {
		case c.Redeemed:
			return cheques.StatusRedeemed
		case c.Expired:
			return cheques.StatusExpired
		case c.Blocked:
			return cheques.StatusBlocked
		case len(c.ReversedRedemptionIDs) > 0:
			return cheques.StatusReversed
		}
	}
	carnetID, _, _ := domain.ParseSerial(serial)
	k := m.carnets[carnetID]
	switch {
	case k.Cancelled:
		return cheques.StatusBlocked
	case k.Issued:
		return cheques.StatusIssued
	}
	return cheques.StatusInStock
}

func checkCheques(t *testing.T, ctx context.Context, d dbT, store *eventstore.Store, m *model) {
	want := map[string]int64{}
	var serials []string
	for _, k := range m.carnets {
		for _, s := range k.Serials {
			want[m.chequeStatus(s)]++
			serials = append(serials, s)
		}
	}
	got, err := cheques.CountByStatus(ctx, d.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts by status = %v, want %v", got, want)
	}
	sort.Strings(serials)
	streamEvents := map[string]int{}
	for _, r := range m.log {
		streamEvents[r.Stream]++
	}
	sample := 0
	for i := 0; i < len(serials); i += len(serials)/300 + 1 {
		s := serials[i]
		c, err := cheques.Cheque(ctx, d.Pool, store, s)
		if err != nil {
			t.Fatal(err)
		}
		sample++
		if c.Status != m.chequeStatus(s) {
			t.Errorf("%s status %s, want %s", s, c.Status, m.chequeStatus(s))
		}
		carnetID, _, _ := domain.ParseSerial(s)
		if n := streamEvents[domain.ChequeStream(s)] + streamEvents[domain.CarnetStream(carnetID)]; len(c.History) != n {
			t.Errorf("%s history has %d entries, want %d", s, len(c.History), n)
		}
		if st := m.cheques[s]; st != nil && st.Redeemed {
			wantR := ""
			if b, ok := m.batchOf[st.Redemption.RedemptionID]; ok {
				wantR = cheques.ReimbursementClaimed
				if _, paid := m.batchPaid[b]; paid {
					wantR = cheques.ReimbursementPaid
				}
			}
			if c.Reimbursement != wantR || c.Redemption == nil || c.Redemption.RedemptionID != st.Redemption.RedemptionID {
				t.Errorf("%s reimbursement %q redemption %+v, want %q %s", s, c.Reimbursement, c.Redemption, wantR, st.Redemption.RedemptionID)
			}
		}
	}
	// Every reversed or blocked cheque, and every cheque of a cancelled carnet.
	special := 0
	for _, s := range serials {
		st := m.cheques[s]
		carnetID, _, _ := domain.ParseSerial(s)
		if (st == nil || (len(st.ReversedRedemptionIDs) == 0 && !st.Blocked)) && !m.carnets[carnetID].Cancelled {
			continue
		}
		special++
		c, err := cheques.Cheque(ctx, d.Pool, store, s)
		if err != nil {
			t.Fatal(err)
		}
		reversals := 0
		if st != nil {
			reversals = len(st.ReversedRedemptionIDs)
		}
		if c.Status != m.chequeStatus(s) || c.Reversals != reversals || c.Redeemable {
			t.Errorf("%s: status %s, %d reversals, redeemable %v; want %s, %d, not redeemable (programmes are closed)",
				s, c.Status, c.Reversals, c.Redeemable, m.chequeStatus(s), reversals)
		}
		if c.Status == cheques.StatusExpired || c.Status == cheques.StatusBlocked {
			if c.ClosedOn == nil {
				t.Errorf("%s: %s without a date", s, c.Status)
			}
		}
	}
	if special == 0 {
		t.Error("test data: no reversed or blocked cheque")
	}
	t.Logf("%d serials sampled and %d reversed or blocked ones checked one by one", sample, special)
	if _, err := cheques.Cheque(ctx, d.Pool, store, "ZZZZ-0101"); err == nil {
		t.Error("an unknown serial was found")
	}
	var unclaimed []string
	for s, c := range m.cheques {
		if c.Redeemed && !c.Claimed {
			unclaimed = append(unclaimed, s)
		}
	}
	sort.Strings(unclaimed)
	gotU, err := cheques.UnclaimedRedemptions(ctx, d.Pool, domain.MustDate("2030-01-01"))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gotU) != fmt.Sprint(unclaimed) {
		t.Errorf("unclaimed = %d serials, want %d", len(gotU), len(unclaimed))
	}
}

func checkEquity(t *testing.T, ctx context.Context, d dbT, m *model) {
	rep, err := equity.Report(ctx, d.Pool, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Territories) != len(m.needs) {
		t.Fatalf("%d territories, want %d", len(rep.Territories), len(m.needs))
	}
	// Exact need-weighted Gini and median, computed here with rationals.
	var num, sumA, sumN big.Rat
	var covs []*big.Rat
	for _, r := range rep.Territories {
		nd := m.needs[r.Code]
		if r.Population != nd.Population || !r.Need.Equal(nd.Need) || !r.FragilityRate.Equal(nd.FragilityRate) {
			t.Errorf("%s need data %d %s %s, want %d %s %s", r.Code, r.Population, r.FragilityRate, r.Need, nd.Population, nd.FragilityRate, nd.Need)
		}
		eq(t, r.Code+" allocated", r.Allocated, m.allocated[r.Code])
		eq(t, r.Code+" minted", r.Minted, m.minted[r.Code])
		eq(t, r.Code+" issued", r.Issued, m.issued[r.Code])
		eq(t, r.Code+" redeemed", r.Redeemed, m.redeemed[r.Code])
		eq(t, r.Code+" expired", r.Expired, m.expired[r.Code])
		eq(t, r.Code+" blocked", r.Blocked, m.blocked[r.Code])
		a, n := m.allocated[r.Code].Decimal().Rat(), nd.Need.Rat()
		covs = append(covs, new(big.Rat).Quo(a, n))
		sumA.Add(&sumA, a)
		sumN.Add(&sumN, n)
		for _, o := range rep.Territories {
			oa, on := m.allocated[o.Code].Decimal().Rat(), m.needs[o.Code].Need.Rat()
			x := new(big.Rat).Sub(new(big.Rat).Mul(a, on), new(big.Rat).Mul(oa, n))
			num.Add(&num, x.Abs(x))
		}
	}
	g := new(big.Rat).Quo(&num, new(big.Rat).Mul(big.NewRat(2, 1), new(big.Rat).Mul(&sumA, &sumN)))
	if rep.Gini == nil || rep.Gini.String() != roundRat(g) {
		t.Errorf("Gini = %v, want %s", rep.Gini, roundRat(g))
	}
	sort.Slice(covs, func(i, j int) bool { return covs[i].Cmp(covs[j]) < 0 })
	median := new(big.Rat).Add(covs[len(covs)/2-1], covs[len(covs)/2])
	median.Quo(median, big.NewRat(2, 1))
	threshold := new(big.Rat).Mul(median, big.NewRat(4, 5))
	flagged := 0
	for i, r := range rep.Territories {
		_ = i
		c := new(big.Rat).Quo(m.allocated[r.Code].Decimal().Rat(), m.needs[r.Code].Need.Rat())
		if want := c.Cmp(threshold) < 0; r.BelowThreshold != want {
			t.Errorf("%s flagged %v, want %v", r.Code, r.BelowThreshold, want)
		}
		if c.Cmp(threshold) < 0 {
			flagged++
		}
	}
	if rep.MedianAllocatedPerNeed == nil || rep.MedianAllocatedPerNeed.String() != roundRat(median) {
		t.Errorf("median = %v, want %s", rep.MedianAllocatedPerNeed, roundRat(median))
	}
	t.Logf("Gini %s, median coverage %s, %d flagged", rep.Gini, rep.MedianAllocatedPerNeed, flagged)
	// Equity totals equal the sum of the programme figures (every programme's
	// minted, issued, redeemed, expired and blocked value, summed over programmes).
	var minted, issued, redeemed, expired, blocked domain.Money
	for _, r := range m.log {
		switch e := r.Event.(type) {
		case domain.CarnetsMinted:
			minted = minted.Add(e.Value)
		case domain.CarnetIssued:
			issued = issued.Add(e.Value)
		case domain.ChequeRedeemed:
			redeemed = redeemed.Add(e.Amount)
		case domain.RedemptionReversed:
			redeemed = redeemed.Sub(e.Amount)
		case domain.ChequeExpired:
			expired = expired.Add(e.Amount)
		case domain.ChequeBlocked:
			blocked = blocked.Add(e.Amount)
		}
	}
	eq(t, "total minted", rep.Total.Minted, minted)
	eq(t, "total issued", rep.Total.Issued, issued)
	eq(t, "total redeemed", rep.Total.Redeemed, redeemed)
	eq(t, "total expired", rep.Total.Expired, expired)
	eq(t, "total blocked", rep.Total.Blocked, blocked)
	eq(t, "total allocated", rep.Total.Allocated, sumMap(m.allocated))
	// Every programme is closed: minted value is entirely redeemed, expired or blocked.
	eq(t, "minted = redeemed + expired + blocked", rep.Total.Minted, rep.Total.Redeemed.Add(rep.Total.Expired).Add(rep.Total.Blocked))

	// One fund only: its territories, what its péréquation runs allocated.
	if len(m.funds) == 0 {
		t.Error("test data: no fund")
	}
	for id, f := range m.funds {
		fr, err := equity.Report(ctx, d.Pool, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(fr.Territories) != len(f.Territories) {
			t.Errorf("%s report has %d territories, want %d", id, len(fr.Territories), len(f.Territories))
		}
		var alloc domain.Money
		for _, r := range m.log {
			if e, ok := r.Event.(domain.PerequationRun); ok && e.FundID == id {
				for _, a := range e.Allocations {
					alloc = alloc.Add(a.Amount)
				}
			}
		}
		eq(t, id+" allocated", fr.Total.Allocated, alloc)
	}
	if _, err := equity.Report(ctx, d.Pool, "NOFUND", nil); err == nil {
		t.Error("an unknown fund gave a report")
	}
	// As of a date: minted counts the mintings up to it.
	day := domain.MustDate("2026-06-30")
	asOf, err := equity.Report(ctx, d.Pool, "", &day)
	if err != nil {
		t.Fatal(err)
	}
	var mintedJune domain.Money
	for _, r := range m.log {
		if e, ok := r.Event.(domain.CarnetsMinted); ok && !domain.DateOf(e.MintedAt).After(day) {
			mintedJune = mintedJune.Add(e.Value)
		}
	}
	eq(t, "minted as of June", asOf.Total.Minted, mintedJune)

	var csv strings.Builder
	if err := equity.WriteCSV(&csv, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(csv.String(), "\ufeffTerritoire;") || strings.Count(csv.String(), "\r\n") < len(rep.Territories)+2 {
		t.Errorf("CSV does not look right:\n%s", csv.String())
	}
}

func roundRat(r *big.Rat) string {
	d := decimal.NewFromBigInt(r.Num(), 0).DivRound(decimal.NewFromBigInt(r.Denom(), 0), 4)
	return d.String()
}

func checkAudit(t *testing.T, ctx context.Context, d dbT, m *model) {
	// Own and total funding of each programme, for the leverage.
	funders := map[string][]domain.FunderShare{}
	for _, r := range m.log {
		if e, ok := r.Event.(domain.ProgrammeCreated); ok {
			funders[e.ProgrammeID] = e.Funders
		}
	}
	for _, id := range m.funderIDs {
		fm := m.funders[id]
		tr, err := audit.Audit(ctx, d.Pool, id, domain.Date{})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, id+" pledged", tr.Pledged, fm.pledged)
		eq(t, id+" received", tr.Received, fm.received)
		eq(t, id+" advanced", tr.Advanced, fm.advanced)
		eq(t, id+" advance repaid", tr.AdvanceRepaid, fm.advanceRepaid)
		eq(t, id+" expired", tr.Expired, fm.expired)
		eq(t, id+" blocked", tr.Blocked, fm.blocked)
		eq(t, id+" unminted returned", tr.UnmintedReturned, fm.unminted)
		eq(t, id+" reimbursed", tr.Reimbursed, fm.reimbursed)
		eq(t, id+" fees", tr.Fees, fm.fees)
		byT := map[string]domain.Money{}
		for _, a := range tr.AllocatedByTerritory {
			byT[a.Territory] = a.Amount
		}
		if fmt.Sprint(nonZero(byT)) != fmt.Sprint(nonZero(fm.allocatedBy)) {
			t.Errorf("%s allocated by territory %v, want %v", id, byT, fm.allocatedBy)
		}
		byP := map[string]domain.Money{}
		for _, a := range tr.RedeemedByPlace {
			byP[a.PlaceID] = a.Amount
		}
		if fmt.Sprint(nonZero(byP)) != fmt.Sprint(nonZero(fm.redeemedByPlace)) {
			t.Errorf("%s redeemed by place differs", id)
		}
		byRT := map[string]domain.Money{}
		for _, a := range tr.RedeemedByTerritory {
			byRT[a.Territory] = a.Amount
		}
		if fmt.Sprint(nonZero(byRT)) != fmt.Sprint(nonZero(fm.redeemedByTerritory)) {
			t.Errorf("%s redeemed by territory differs", id)
		}
		checkTrailIdentities(t, id, tr)
		// Every programme is closed: nothing is left "in programmes", to the cent.
		if !tr.InProgrammes.IsZero() {
			t.Errorf("%s in programmes = %s after all programmes closed", id, tr.InProgrammes)
		}
		// Leverage: others' euros per own euro in its programmes.
		var own, total domain.Money
		for p, fs := range funders {
			mine := false
			for _, s := range fs {
				if s.FunderID == id {
					mine = true
				}
			}
			if !mine {
				continue
			}
			_ = p
			for _, s := range fs {
				total = total.Add(s.Amount)
				if s.FunderID == id {
					own = own.Add(s.Amount)
				}
			}
		}
		eq(t, id+" own funding", tr.OwnFunding, own)
		eq(t, id+" others' funding", tr.OthersFunding, total.Sub(own))
		if own.IsPositive() {
			want := total.Sub(own).Decimal().DivRound(own.Decimal(), 4)
			if tr.Leverage == nil || !tr.Leverage.Equal(want) {
				t.Errorf("%s leverage %v, want %s", id, tr.Leverage, want)
			}
		}
		// The identities hold on any date.
		mid, err := audit.Audit(ctx, d.Pool, id, domain.MustDate("2026-06-30"))
		if err != nil {
			t.Fatal(err)
		}
		checkTrailIdentities(t, id+" on 2026-06-30", mid)
	}
	// The funder audit and the balances agree: the funders' returned value and
	// fees add up to the programmes' returned and fees accounts.
	var returned, fees, wantReturned, wantFees domain.Money
	for _, id := range m.funderIDs {
		tr, err := audit.Audit(ctx, d.Pool, id, domain.Date{})
		if err != nil {
			t.Fatal(err)
		}
		returned, fees = returned.Add(tr.Returned), fees.Add(tr.Fees)
	}
	for acc, v := range m.balances {
		switch {
		case strings.HasPrefix(acc, "programme:") && strings.HasSuffix(acc, ":returned"):
			wantReturned = wantReturned.Sub(v)
		case strings.HasPrefix(acc, "programme:") && strings.HasSuffix(acc, ":fees"):
			wantFees = wantFees.Add(v)
		}
	}
	eq(t, "Σ funders' returned = Σ programme:P:returned", returned, wantReturned)
	eq(t, "Σ funders' fees = Σ programme:P:fees", fees, wantFees)
	if _, err := audit.Audit(ctx, d.Pool, "NOBODY", domain.Date{}); err == nil {
		t.Error("an unknown funder has a trail")
	}
}

// checkTrailIdentities checks the identities documented on audit.Trail.
func checkTrailIdentities(t *testing.T, who string, tr audit.Trail) {
	t.Helper()
	var alloc, redT, redP domain.Money
	for _, a := range tr.AllocatedByTerritory {
		alloc = alloc.Add(a.Amount)
	}
	for _, a := range tr.RedeemedByTerritory {
		redT = redT.Add(a.Amount)
	}
	for _, a := range tr.RedeemedByPlace {
		redP = redP.Add(a.Amount)
	}
	eq(t, who+": allocated = Σ by territory", tr.Allocated, alloc)
	eq(t, who+": pledged = unallocated + allocated", tr.Pledged, tr.Unallocated.Add(alloc))
	eq(t, who+": allocated = in programmes + returned + redeemed", tr.Allocated, tr.InProgrammes.Add(tr.Returned).Add(tr.Redeemed))
	eq(t, who+": returned = expired + blocked + unminted", tr.Returned, tr.Expired.Add(tr.Blocked).Add(tr.UnmintedReturned))
	eq(t, who+": redeemed = reimbursed + owed", tr.Redeemed, tr.Reimbursed.Add(tr.OwedToPlaces))
	eq(t, who+": redeemed = Σ by territory", tr.Redeemed, redT)
	eq(t, who+": redeemed = Σ by place", tr.Redeemed, redP)
	eq(t, who+": pledged = unallocated + in programmes + returned + owed + reimbursed", tr.Pledged,
		domain.SumMoney(tr.Unallocated, tr.InProgrammes, tr.Returned, tr.OwedToPlaces, tr.Reimbursed))
}

func nonZero(mm map[string]domain.Money) map[string]string {
	out := map[string]string{}
	for k, v := range mm {
		if !v.IsZero() {
			out[k] = v.String()
		}
	}
	return out
}

func checkPlaces(t *testing.T, ctx context.Context, d dbT, m *model) {
	type fig struct {
		owed, batched, paid, reversed domain.Money
		n                             int
	}
	want := map[string]*fig{}
	for _, p := range m.placeIDs {
		want[p] = &fig{}
	}
	for id, r := range m.redemptions {
		f := want[r.ev.PlaceID]
		f.n++
		b, claimed := m.batchOf[id]
		_, paid := m.batchPaid[b]
		switch {
		case r.reversed:
			f.reversed = f.reversed.Add(r.ev.Amount)
		case !claimed:
			f.owed = f.owed.Add(r.ev.Amount)
		case !paid:
			f.batched = f.batched.Add(r.ev.Amount)
		default:
			f.paid = f.paid.Add(r.ev.Amount)
		}
	}
	for _, p := range m.placeIDs {
		s, err := places.Statement(ctx, d.Pool, p)
		if err != nil {
			t.Fatal(err)
		}
		f := want[p]
		eq(t, p+" owed", s.Owed, f.owed)
		eq(t, p+" batched", s.Batched, f.batched)
		eq(t, p+" paid", s.Paid, f.paid)
		eq(t, p+" reversed", s.Reversed, f.reversed)
		if len(s.Redemptions) != f.n {
			t.Errorf("%s has %d redemptions, want %d", p, len(s.Redemptions), f.n)
		}
		// The statement agrees with the ledger.
		eq(t, p+" owed = −payable", s.Owed, m.balances[domain.AccountPlacePayable(p)].Neg())
		eq(t, p+" batched = −batched account", s.Batched, m.balances[domain.AccountPlaceBatched(p)].Neg())
		var lines domain.Money
		for _, b := range s.Batches {
			lines = lines.Add(b.Amount)
		}
		eq(t, p+" batch lines = batched + paid", lines, s.Batched.Add(s.Paid))
	}
	if _, err := places.Statement(ctx, d.Pool, "NOWHERE"); err == nil {
		t.Error("an unknown place has a statement")
	}
}

func checkPrescribers(t *testing.T, ctx context.Context, d dbT, m *model) {
	type fig struct{ inStock, issued, cancelled, ever, jobSeekers int }
	want := map[string]*fig{}
	byNeed := map[string]map[string]int{}
	for _, p := range m.prescriberIDs {
		want[p] = &fig{}
		byNeed[p] = map[string]int{"urgence": 0, "inclusion": 0, "autonomie": 0}
	}
	for _, k := range m.carnets {
		f := want[k.PrescriberID]
		switch {
		case k.Cancelled:
			f.cancelled++
		case k.Issued:
			f.issued++
		default:
			f.inStock++
		}
		if k.Issued {
			f.ever++
			byNeed[k.PrescriberID][string(k.NeedLevel)]++
			if k.JobSeeker {
				f.jobSeekers++
			}
		}
	}
	for _, p := range m.prescriberIDs {
		s, err := prescribers.Stock(ctx, d.Pool, p)
		if err != nil {
			t.Fatal(err)
		}
		f := want[p]
		got := fig{s.InStock, s.Issued, s.Cancelled, s.EverIssued, s.JobSeekers}
		if got != *f {
			t.Errorf("%s stock %+v, want %+v", p, got, *f)
		}
		if fmt.Sprint(s.ByNeedLevel) != fmt.Sprint(byNeed[p]) {
			t.Errorf("%s by need level %v, want %v", p, s.ByNeedLevel, byNeed[p])
		}
	}
}

func checkTreasury(t *testing.T, ctx context.Context, d dbT, m *model) {
	// At the end of the year and after the last event: every advance granted by
	// then, its repayments up to then, its age and bucket.
	var sawOutstanding, sawRepaid bool
	for _, s := range []string{"2026-12-31", "2030-01-01"} {
		day := domain.MustDate(s)
		advs, err := treasury.Advances(ctx, d.Pool, day, false)
		if err != nil {
			t.Fatal(err)
		}
		granted := 0
		for _, am := range m.advances {
			if !am.granted.After(day) {
				granted++
			}
		}
		if len(advs) != granted {
			t.Fatalf("%d advances on %s, want %d", len(advs), day, granted)
		}
		outstanding := 0
		for _, a := range advs {
			am := m.advances[a.AdvanceID]
			var repaid domain.Money
			for _, r := range am.repaid {
				if !r.RepaidOn.After(day) {
					repaid = repaid.Add(r.Amount)
				}
			}
			eq(t, a.AdvanceID+" amount", a.Amount, am.ev.Amount)
			eq(t, a.AdvanceID+" repaid on "+s, a.Repaid, repaid)
			eq(t, a.AdvanceID+" outstanding on "+s, a.Outstanding, am.ev.Amount.Sub(repaid))
			days := domain.DaysBetween(am.granted, day)
			if a.AgeDays != days || a.Bucket != domain.AgeingBucket(am.granted, day) {
				t.Errorf("%s age %d %s on %s, want %d %s", a.AdvanceID, a.AgeDays, a.Bucket, s, days, domain.AgeingBucket(am.granted, day))
			}
			if a.Outstanding.IsPositive() {
				outstanding++
			}
			sawRepaid = sawRepaid || repaid.IsPositive()
		}
		sawOutstanding = sawOutstanding || outstanding > 0
		only, err := treasury.Advances(ctx, d.Pool, day, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(only) != outstanding {
			t.Errorf("%d outstanding advances on %s, want %d (of %d)", len(only), s, outstanding, len(advs))
		}
		var sum domain.Money
		for _, b := range treasury.Ageing(only) {
			sum = sum.Add(b.Outstanding)
		}
		var wantSum domain.Money
		for _, a := range only {
			wantSum = wantSum.Add(a.Outstanding)
		}
		eq(t, "ageing total on "+s, sum, wantSum)
	}
	if !sawOutstanding || !sawRepaid {
		t.Errorf("test data: advances outstanding %v, repaid %v; want both", sawOutstanding, sawRepaid)
	}
	// Before the grants, nothing.
	if early, _ := treasury.Advances(ctx, d.Pool, domain.MustDate("2025-12-31"), false); len(early) != 0 {
		t.Errorf("%d advances before any grant", len(early))
	}

	rec, err := treasury.Reconciliation(ctx, d.Pool)
	if err != nil {
		t.Fatal(err)
	}
	matched := 0
	var unmatchedAmount domain.Money
	for _, l := range m.lines {
		if l.Matched {
			matched++
		} else {
			unmatchedAmount = unmatchedAmount.Add(l.Amount)
		}
	}
	if len(rec.Lines) != len(m.lines) || rec.MatchedLines != matched || rec.UnmatchedLines != len(m.lines)-matched {
		t.Errorf("lines %d matched %d unmatched %d, want %d %d %d", len(rec.Lines), rec.MatchedLines, rec.UnmatchedLines, len(m.lines), matched, len(m.lines)-matched)
	}
	eq(t, "unmatched lines amount", rec.UnmatchedLinesAmount, unmatchedAmount)
	var wantUnmatched []string
	for k := range m.movements {
		if !m.matchedMov[k] {
			wantUnmatched = append(wantUnmatched, k)
		}
	}
	sort.Strings(wantUnmatched)
	var gotUnmatched []string
	for _, mv := range rec.UnmatchedMovements {
		gotUnmatched = append(gotUnmatched, mv.Kind+"/"+mv.ID)
	}
	sort.Strings(gotUnmatched)
	if fmt.Sprint(gotUnmatched) != fmt.Sprint(wantUnmatched) {
		t.Errorf("unmatched movements %v, want %v", gotUnmatched, wantUnmatched)
	}
	// The simulated bank matches every expected movement; the bank's own lines
	// (fees, an unknown transfer, a line sent twice) stay unmatched.
	if len(m.movements) == 0 || matched == 0 || matched == len(m.lines) {
		t.Errorf("test data: %d movements, %d of %d lines matched", len(m.movements), matched, len(m.lines))
	}
}
