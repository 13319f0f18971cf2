package equity_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
	"github.com/passnumerique/passledger/internal/pgtest"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/equity"
)

var db *pgtest.DB

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &db)) }

// The hand-worked example: four territories.
//
//	territory  population  rate  need = pop × rate  allocated  coverage = allocated / need
//	01              1 000  0.10                100      1 000                          10
//	02              2 000  0.10                200      1 000                           5
//	03              1 000  0.30                300      3 000                          10
//	04              4 000  0.10                400      6 000                          15
//	total                                    1 000     11 000                          11
//
// Median coverage: the mean of the two middle values of (5, 10, 10, 15) = 10;
// threshold = 80 % × 10 = 8; only 02 (5 < 8) is flagged; 01 and 03 (10) are not.
//
// Need-weighted Gini: G = Σ_i Σ_j |a_i·n_j − a_j·n_i| / (2·N·A), N = 1 000,
// A = 11 000. Over unordered pairs, |a_i·n_j − a_j·n_i| = n_i·n_j·|x_i − x_j|:
//
//	01-02  100·200·|10−5|  = 100 000
//	01-03  100·300·|10−10| =       0
//	01-04  100·400·|10−15| = 200 000
//	02-03  200·300·|5−10|  = 300 000
//	02-04  200·400·|5−15|  = 800 000
//	03-04  300·400·|10−15| = 600 000
//	                  sum = 2 000 000, over ordered pairs 4 000 000
//
// G = 4 000 000 / (2 × 1 000 × 11 000) = 4/22 = 0.181818… → 0.1818.
// Redemption rate of 01: redeemed 40.00 ÷ issued 100.00 = 0.4000.

func handWorked() equity.Figures {
	row := func(code string, pop int64, rate string, alloc string) equity.Territory {
		r := decimal.RequireFromString(rate)
		return equity.Territory{Code: code, HasNeedData: true, Population: pop, FragilityRate: r,
			Need: decimal.NewFromInt(pop).Mul(r), Allocated: domain.MustMoney(alloc)}
	}
	f := equity.Figures{Territories: []equity.Territory{
		row("01", 1000, "0.10", "1000.00"), row("02", 2000, "0.10", "1000.00"),
		row("03", 1000, "0.30", "3000.00"), row("04", 4000, "0.10", "6000.00"),
	}}
	f.Territories[0].Issued, f.Territories[0].Redeemed = domain.MustMoney("100.00"), domain.MustMoney("40.00")
	return f
}

func checkHandWorked(t *testing.T, f equity.Figures) {
	t.Helper()
	want := map[string]struct {
		cov  string
		flag bool
	}{"01": {"10", false}, "02": {"5", true}, "03": {"10", false}, "04": {"15", false}}
	for _, r := range f.Territories {
		w := want[r.Code]
		if r.AllocatedPerNeed == nil || !r.AllocatedPerNeed.Equal(decimal.RequireFromString(w.cov)) || r.BelowThreshold != w.flag {
			t.Errorf("%s: coverage %v flagged %v, want %s %v", r.Code, r.AllocatedPerNeed, r.BelowThreshold, w.cov, w.flag)
		}
	}
	if f.Gini == nil || f.Gini.String() != "0.1818" {
		t.Errorf("Gini = %v, want 0.1818", f.Gini)
	}
	if f.MedianAllocatedPerNeed == nil || !f.MedianAllocatedPerNeed.Equal(decimal.NewFromInt(10)) {
		t.Errorf("median = %v, want 10", f.MedianAllocatedPerNeed)
	}
	if f.FlagThreshold == nil || !f.FlagThreshold.Equal(decimal.NewFromInt(8)) {
		t.Errorf("threshold = %v, want 8", f.FlagThreshold)
	}
	if f.Total.Flagged != 1 || !f.Total.Need.Equal(decimal.NewFromInt(1000)) || !f.Total.Allocated.Equal(domain.MustMoney("11000.00")) {
		t.Errorf("totals %+v", f.Total)
	}
	if f.Total.AllocatedPerNeed == nil || !f.Total.AllocatedPerNeed.Equal(decimal.NewFromInt(11)) {
		t.Errorf("national coverage = %v, want 11", f.Total.AllocatedPerNeed)
	}
}

func TestComputeHandWorkedExample(t *testing.T) {
	f := handWorked()
	equity.Compute(&f)
	checkHandWorked(t, f)
	if r := f.Territories[0].RedemptionRate; r == nil || r.String() != "0.4" {
		t.Errorf("redemption rate of 01 = %v, want 0.4000", r)
	}
	if f.Territories[1].RedemptionRate != nil {
		t.Errorf("redemption rate without issued cheques = %v, want none", f.Territories[1].RedemptionRate)
	}
	// Equal coverage everywhere: Gini 0, nobody flagged.
	eq := handWorked()
	for i := range eq.Territories {
		eq.Territories[i].Allocated = domain.Cents(eq.Territories[i].Need.IntPart() * 700)
	}
	equity.Compute(&eq)
	if eq.Gini == nil || !eq.Gini.IsZero() || eq.Total.Flagged != 0 {
		t.Errorf("equal coverage: Gini %v, %d flagged", eq.Gini, eq.Total.Flagged)
	}
	// All euros in one territory of four equal ones: G = (n−1)/n = 0.75.
	one := equity.Figures{}
	for i, c := range []string{"01", "02", "03", "04"} {
		a := "0.00"
		if i == 3 {
			a = "400.00"
		}
		one.Territories = append(one.Territories, equity.Territory{Code: c, HasNeedData: true, Population: 100,
			FragilityRate: decimal.NewFromInt(1), Need: decimal.NewFromInt(100), Allocated: domain.MustMoney(a)})
	}
	equity.Compute(&one)
	if one.Gini == nil || one.Gini.String() != "0.75" {
		t.Errorf("all in one of four: Gini %v, want 0.75", one.Gini)
	}
}

// TestReportFromEvents builds the same example from events and reads it back
// through the projection, also as of a date and for one fund.
func TestReportFromEvents(t *testing.T) {
	ctx := context.Background()
	d := db.Fresh(t)
	store := eventstore.New(d.Pool)
	at := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	appendEv := func(stream string, evs ...domain.Event) {
		t.Helper()
		var data []eventstore.EventData
		for _, e := range evs {
			p, err := domain.EncodeEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			data = append(data, eventstore.EventData{Type: e.EventType(), Payload: p})
		}
		if _, err := store.Append(ctx, stream, eventstore.Any, eventstore.Metadata{}, data...); err != nil {
			t.Fatal(err)
		}
	}
	for _, tr := range []struct {
		code string
		pop  int64
		rate string
	}{{"01", 1000, "0.10"}, {"02", 2000, "0.10"}, {"03", 1000, "0.30"}, {"04", 4000, "0.10"}} {
		r := decimal.RequireFromString(tr.rate)
		// An older record, superseded by the one as of 2025.
		appendEv(domain.TerritoryStream(tr.code),
			domain.TerritoryNeedRecorded{Code: tr.code, Population: tr.pop * 2, FragilityRate: r, Need: decimal.NewFromInt(tr.pop * 2).Mul(r), Source: "old", AsOf: domain.MustDate("2020-01-01"), RecordedAt: at},
			domain.TerritoryNeedRecorded{Code: tr.code, Population: tr.pop, FragilityRate: r, Need: decimal.NewFromInt(tr.pop).Mul(r), Source: "INSEE", AsOf: domain.MustDate("2025-01-01"), RecordedAt: at})
	}
	codes := []string{"01", "02", "03", "04"}
	appendEv(domain.FundStream("F1"), domain.FundCreated{FundID: "F1", Name: "F1", Territories: codes, CreatedAt: at})
	alloc := func(run string, day time.Time, amounts ...string) domain.PerequationRun {
		e := domain.PerequationRun{FundID: "F1", RunID: run, RanAt: day}
		for i, a := range amounts {
			e.Allocations = append(e.Allocations, domain.PerequationAllocation{Code: codes[i], Amount: domain.MustMoney(a)})
			e.Budget = e.Budget.Add(domain.MustMoney(a))
		}
		return e
	}
	// Two tranches: the second, in June, completes the hand-worked figures.
	appendEv(domain.FundStream("F1"),
		alloc("R1", at, "500.00", "1000.00", "1500.00", "3000.00"),
		alloc("R2", at.AddDate(0, 5, 0), "500.00", "0.00", "1500.00", "3000.00"))
	appendEv(domain.FundStream("F2"), domain.FundCreated{FundID: "F2", Name: "F2", Territories: []string{"01"}, CreatedAt: at})
	storetest.WaitVisible(t, ctx, store) // the rebuild reads what readers can see
	p, _ := projections.ByName(equity.Name)
	if err := projections.Rebuild(ctx, d.Pool, store, []core.Projection{p}, nil); err != nil {
		t.Fatal(err)
	}
	f, err := equity.Report(ctx, d.Pool, "F1", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkHandWorked(t, f)
	all, err := equity.Report(ctx, d.Pool, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkHandWorked(t, all)
	// As of March: only the first tranche (coverage 5, 5, 5, 7.5: median 5, nobody
	// below 4) and the need records as of then.
	march := domain.MustDate("2026-03-31")
	early, err := equity.Report(ctx, d.Pool, "", &march)
	if err != nil {
		t.Fatal(err)
	}
	if early.Total.Allocated.String() != "6000.00" || early.Total.Flagged != 0 || early.MedianAllocatedPerNeed.String() != "5" {
		t.Errorf("as of March: allocated %s, %d flagged, median %v", early.Total.Allocated, early.Total.Flagged, early.MedianAllocatedPerNeed)
	}
	// Before 2025 the older need records apply.
	old := domain.MustDate("2024-12-31")
	before, err := equity.Report(ctx, d.Pool, "", &old)
	if err != nil {
		t.Fatal(err)
	}
	if before.Territories[0].Population != 2000 || !before.Total.Allocated.IsZero() || before.Gini != nil {
		t.Errorf("as of 2024: population %d, allocated %s, Gini %v", before.Territories[0].Population, before.Total.Allocated, before.Gini)
	}
	// F2 allocated nothing: its one territory, with the territory-wide figures.
	f2, err := equity.Report(ctx, d.Pool, "F2", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f2.Territories) != 1 || !f2.Total.Allocated.IsZero() {
		t.Errorf("F2: %d territories, allocated %s", len(f2.Territories), f2.Total.Allocated)
	}

	var csv strings.Builder
	if err := equity.WriteCSV(&csv, f); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(csv.String(), "\r\n")
	if !strings.HasPrefix(lines[0], "\ufeffTerritoire;Population;") {
		t.Errorf("CSV header %q", lines[0])
	}
	if lines[2] != "02;2000;0,1;200;1000,00;0,00;0,00;0,00;0,00;0,00;5,0000;;oui" {
		t.Errorf("CSV line of 02: %q", lines[2])
	}
	if !strings.Contains(csv.String(), "Coefficient de Gini (pondéré par le besoin);0,1818") {
		t.Errorf("CSV has no Gini line:\n%s", csv.String())
	}
	js, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"gini":"0.1818"`) || !strings.Contains(string(js), `"allocated":"1000.00"`) {
		t.Errorf("JSON: %s", js)
	}
}
