package app_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/pgtest"
)

var db *pgtest.DB

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &db)) }

var (
	today = time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	keys  = app.Keys{CheckCode: []byte("check-code-key-for-tests-0123456"), Beneficiary: []byte("beneficiary-key-for-tests-012345")}
	md    = app.Meta{Actor: "test"}
)

// onPostgres is an event store over d, the package's database or a fresh one.
func onPostgres(d *pgtest.DB) app.Store { return eventstore.New(d.Pool) }

func newApp(t testing.TB, store app.Store) *app.App {
	t.Helper()
	a, err := app.New(store, keys, app.WithClock(func() time.Time { return today }))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func must(t testing.TB) func(app.Result, error) app.Result {
	return func(res app.Result, err error) app.Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
}

func m(s string) domain.Money { return domain.MustMoney(s) }

// world is a programme in Puy-de-Dôme with a labelled place and an issued carnet.
type world struct {
	a                                   *app.App
	state, dep, caf                     string
	programme, prescriber, place, other string
	carnet                              domain.CarnetState
}

func newWorld(t *testing.T, store app.Store, chequesPerCarnet int) world {
	t.Helper()
	ctx := context.Background()
	w := world{a: newApp(t, store)}
	reg := func(name string, kind domain.FunderKind) string {
		res := must(t)(w.a.RegisterFunder(ctx, md, domain.RegisterFunderCommand{Name: name, Kind: kind}))
		return res.Events()[0].(domain.FunderRegistered).FunderID
	}
	w.state, w.dep, w.caf = reg("État", "state"), reg("Département du Puy-de-Dôme", "departement"), reg("CAF 63", "caf")
	res := must(t)(w.a.RegisterPrescriber(ctx, md, domain.RegisterPrescriberCommand{Name: "CCAS Clermont", Kind: "ccas", Territory: "63"}))
	w.prescriber = res.Events()[0].(domain.PrescriberRegistered).PrescriberID
	for i, p := range []*string{&w.place, &w.other} {
		territory := []string{"63", "03"}[i]
		res = must(t)(w.a.RegisterPlace(ctx, md, domain.RegisterPlaceCommand{Name: "EPN", SIRET: "73282932000074", Territory: territory}))
		*p = res.Events()[0].(domain.PlaceRegistered).PlaceID
		must(t)(w.a.ChangePlaceLabel(ctx, md, domain.ChangePlaceLabelCommand{PlaceID: *p, Action: "grant", EffectiveOn: domain.MustDate("2026-01-01")}))
	}
	res = must(t)(w.a.CreateProgramme(ctx, md, domain.CreateProgrammeCommand{
		Name: "Pass numérique Puy-de-Dôme 2026", Territory: "63",
		ValidFrom: domain.MustDate("2026-01-01"), ValidUntil: domain.MustDate("2026-12-31"),
		ChequeValue: m("10.00"), ChequesPerCarnet: chequesPerCarnet,
		FundingLines: []domain.FundingLine{{FunderID: w.state, Amount: m("50000.00")}, {FunderID: w.dep, Amount: m("30000.00")}, {FunderID: w.caf, Amount: m("20000.00")}},
	}))
	w.programme = res.Events()[0].(domain.ProgrammeCreated).ProgrammeID
	res = must(t)(w.a.MintCarnets(ctx, md, w.programme, w.prescriber, 1))
	for _, c := range res.Changes {
		for _, e := range c.Events {
			if cm, ok := e.(domain.CarnetMinted); ok {
				w.carnet = domain.Fold[domain.CarnetState]([]domain.Event{cm})
			}
		}
	}
	if len(w.carnet.Serials) != chequesPerCarnet {
		t.Fatalf("minted carnet has %d serials", len(w.carnet.Serials))
	}
	must(t)(w.a.IssueCarnet(ctx, md, domain.IssueCarnetCommand{CarnetID: w.carnet.CarnetID, PrescriberID: w.prescriber, BeneficiaryRef: "BEN-0001", NeedLevel: "inclusion"}))
	return w
}

func (w world) redeem(ctx context.Context, serial, place string) (app.Result, error) {
	return w.a.RedeemCheque(ctx, md, domain.RedeemChequeCommand{
		Serial: serial, CheckCode: domain.CheckCode(keys.CheckCode, serial), PlaceID: place,
		SessionDate: domain.MustDate("2026-03-14"), Service: "atelier",
	})
}

// 50 goroutines redeem the same cheque: exactly one succeeds, 49 are told it is
// already redeemed.
func TestConcurrentRedemptionsOfOneCheque(t *testing.T) {
	concurrentRedemptionsOfOneCheque(t, onPostgres(db))
}

func concurrentRedemptionsOfOneCheque(t *testing.T, store app.Store) {
	w := newWorld(t, store, 10)
	ctx := context.Background()
	serial := w.carnet.Serials[3]
	const n = 50
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = w.redeem(ctx, serial, w.place)
		}()
	}
	close(start)
	wg.Wait()
	ok, already := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, domain.ErrChequeAlreadyRedeemed):
			already++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || already != n-1 {
		t.Fatalf("%d successes, %d already redeemed", ok, already)
	}
	streams, err := store.ReadStreams(ctx, []string{domain.ChequeStream(serial)})
	evs := streams[domain.ChequeStream(serial)]
	if err != nil || len(evs) != 1 || evs[0].Type != "ChequeRedeemed" {
		t.Fatalf("cheque stream: %d events, %v", len(evs), err)
	}
}

// 50 goroutines redeem the 50 cheques of one carnet: all succeed.
func TestConcurrentRedemptionsOfDifferentCheques(t *testing.T) {
	concurrentRedemptionsOfDifferentCheques(t, onPostgres(db))
}

func concurrentRedemptionsOfDifferentCheques(t *testing.T, store app.Store) {
	w := newWorld(t, store, 50)
	ctx := context.Background()
	errs := make([]error, len(w.carnet.Serials))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, serial := range w.carnet.Serials {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = w.redeem(ctx, serial, w.place)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("cheque %d: %v", i, err)
		}
	}
	stored, err := store.EventsWhere(ctx, w.carnet.CarnetID, eventstore.PayloadField{EventType: "ChequeRedeemed", Field: "carnet_id"})
	if err != nil || len(stored) != 50 {
		t.Fatalf("%d redemptions stored (%v)", len(stored), err)
	}
}

func TestRedemptionRules(t *testing.T) { redemptionRules(t, onPostgres(db)) }

func redemptionRules(t *testing.T, store app.Store) {
	w := newWorld(t, store, 10)
	ctx := context.Background()
	s := w.carnet.Serials
	if _, err := w.redeem(ctx, s[0], w.other); !errors.Is(err, domain.ErrPlaceOutsideTerritory) {
		t.Fatalf("place of another territory: %v", err)
	}
	bad := domain.RedeemChequeCommand{Serial: s[0], CheckCode: "000000", PlaceID: w.place, SessionDate: domain.MustDate("2026-03-14")}
	if domain.CheckCode(keys.CheckCode, s[0]) == "000000" {
		bad.CheckCode = "111111"
	}
	if _, err := w.a.RedeemCheque(ctx, md, bad); !errors.Is(err, domain.ErrInvalidCheckCode) {
		t.Fatalf("wrong check code: %v", err)
	}
	res, err := w.redeem(ctx, s[0], w.place)
	if err != nil {
		t.Fatal(err)
	}
	red := res.Events()[0].(domain.ChequeRedeemed)
	if !red.Amount.Equal(domain.MustMoney("10.00")) {
		t.Fatalf("redemption %+v", red)
	}
	// Reversal by the place, then a new redemption succeeds.
	if _, err := w.a.ReverseRedemption(ctx, md, domain.ReverseRedemptionCommand{RedemptionID: red.RedemptionID, PlaceID: w.other}); !errors.Is(err, domain.ErrNotYourRedemption) {
		t.Fatalf("reversal by another place: %v", err)
	}
	must(t)(w.a.ReverseRedemption(ctx, md, domain.ReverseRedemptionCommand{RedemptionID: red.RedemptionID, PlaceID: w.place}))
	must(t)(w.redeem(ctx, s[0], w.place))
	// Cancelling the carnet blocks its unredeemed cheques.
	must(t)(w.a.CancelCarnet(ctx, md, domain.CancelCarnetCommand{CarnetID: w.carnet.CarnetID, PrescriberID: w.prescriber, Reason: "stolen"}))
	if _, err := w.redeem(ctx, s[1], w.place); !errors.Is(err, domain.ErrChequeBlocked) {
		t.Fatalf("blocked cheque: %v", err)
	}
}

// Money received is ring-fenced: a batch is paid only with the programme's cash;
// an advance against a late pledge makes the cash, and is repaid from the receipt.
func TestReimbursementNeedsProgrammeCash(t *testing.T) {
	reimbursementNeedsProgrammeCash(t, onPostgres(db.Fresh(t)))
}

func reimbursementNeedsProgrammeCash(t *testing.T, store app.Store) {
	w := newWorld(t, store, 10)
	ctx := context.Background()
	for _, s := range w.carnet.Serials[:4] {
		must(t)(w.redeem(ctx, s, w.place))
	}
	res := must(t)(w.a.CreateReimbursementBatch(ctx, md, domain.CreateReimbursementBatchCommand{CutOff: domain.MustDate("2026-03-15")}))
	batch := res.Events()[0].(domain.ReimbursementBatchCreated)
	if batch.Total.String() != "40.00" || len(batch.Lines) != 1 || batch.Lines[0].PlaceID != w.place {
		t.Fatalf("batch %+v", batch)
	}
	// The same redemptions cannot be batched twice.
	if _, err := w.a.CreateReimbursementBatch(ctx, md, domain.CreateReimbursementBatchCommand{CutOff: domain.MustDate("2026-03-15")}); !errors.Is(err, domain.ErrEmptyBatch) {
		t.Fatalf("second batch: %v", err)
	}
	pay := domain.PayReimbursementBatchCommand{BatchID: batch.BatchID, PaidOn: domain.MustDate("2026-03-15"), BankReference: "VIR-0001"}
	if _, err := w.a.PayReimbursementBatch(ctx, md, pay); !errors.Is(err, domain.ErrInsufficientProgrammeCash) {
		t.Fatalf("payment without cash: %v", err)
	}
	// The EU-like funder (here the State line) pledged but has not paid: advance.
	res = must(t)(w.a.PledgeContribution(ctx, md, domain.PledgeContributionCommand{FunderID: w.state, ProgrammeID: w.programme, Amount: m("50000.00"), PledgedOn: domain.MustDate("2026-01-10")}))
	contribution := res.Events()[0].(domain.ContributionPledged).ContributionID
	res = must(t)(w.a.GrantAdvance(ctx, md, domain.GrantAdvanceCommand{ContributionID: contribution, Amount: m("30.00"), GrantedOn: domain.MustDate("2026-03-01")}))
	advance := res.Events()[0].(domain.AdvanceGranted).AdvanceID
	if _, err := w.a.PayReimbursementBatch(ctx, md, pay); !errors.Is(err, domain.ErrInsufficientProgrammeCash) {
		t.Fatalf("payment with 30.00 of cash for 40.00: %v", err)
	}
	must(t)(w.a.RecordReceipt(ctx, md, domain.RecordReceiptCommand{ContributionID: contribution, Amount: m("25.00"), ReceivedOn: domain.MustDate("2026-03-10"), BankReference: "EU-2026-1"}))
	must(t)(w.a.PayReimbursementBatch(ctx, md, pay))
	if _, err := w.a.PayReimbursementBatch(ctx, md, pay); !errors.Is(err, domain.ErrBatchAlreadyPaid) {
		t.Fatalf("paid twice: %v", err)
	}
	// Repayment is limited by what was received.
	if _, err := w.a.RepayAdvance(ctx, md, domain.RepayAdvanceCommand{AdvanceID: advance, Amount: m("30.00"), RepaidOn: domain.MustDate("2026-03-12")}); !errors.Is(err, domain.ErrRepaymentExceedsReceipts) {
		t.Fatalf("repayment above receipts: %v", err)
	}
	must(t)(w.a.RepayAdvance(ctx, md, domain.RepayAdvanceCommand{AdvanceID: advance, Amount: m("25.00"), RepaidOn: domain.MustDate("2026-03-12")}))

	// Bank statement: the receipt matches by reference, a stray line stays unmatched.
	lines := []app.BankLineInput{
		{Date: domain.MustDate("2026-03-10"), Amount: m("25.00"), Reference: "EU-2026-1", Label: "FSE+"},
		{Date: domain.MustDate("2026-03-15"), Amount: m("-40.00"), Reference: "VIR-0001", Label: "Remboursement"},
		{Date: domain.MustDate("2026-03-11"), Amount: m("12.34"), Reference: "???", Label: "inconnu"},
	}
	_, outcomes, err := w.a.ImportBankStatement(ctx, md, lines)
	if err != nil {
		t.Fatal(err)
	}
	want := []bool{true, true, false}
	for i, o := range outcomes {
		if o.Matched != want[i] {
			t.Fatalf("line %d: matched %v", i, o.Matched)
		}
	}
	// A movement is matched at most once: on a second statement, and on a second
	// line of the same statement.
	_, outcomes, err = w.a.ImportBankStatement(ctx, md, lines[:1])
	if err != nil {
		t.Fatal(err)
	}
	if outcomes[0].Matched {
		t.Fatal("second line for the same receipt was matched")
	}
	lines = append(lines, app.BankLineInput{Date: domain.MustDate("2026-03-20"), Amount: m("-30.00"), Reference: advance, Label: "Avance"},
		app.BankLineInput{Date: domain.MustDate("2026-03-21"), Amount: m("-30.00"), Reference: advance, Label: "Avance (doublon)"})
	_, outcomes, err = w.a.ImportBankStatement(ctx, md, lines[3:])
	if err != nil {
		t.Fatal(err)
	}
	if !outcomes[0].Matched || outcomes[1].Matched {
		t.Fatalf("two lines for one advance in one statement: matched %v, %v", outcomes[0].Matched, outcomes[1].Matched)
	}
	if outcomes[0].Reason != "" || outcomes[1].Reason != domain.UnmatchedAlreadyMatched {
		t.Fatalf("reasons %q, %q", outcomes[0].Reason, outcomes[1].Reason)
	}

	// A statement with an identity is imported once; each unmatched line says why.
	doc := app.BankStatement{Format: domain.StatementCamt05308, Statements: []app.StatementPart{{Account: "FR7630006000011234567890189", Reference: "STMT-1", Lines: []app.BankLineInput{
		{Date: domain.MustDate("2026-03-22"), Amount: m("-40.00"), Reference: "VIR-0001"},    // already matched above
		{Date: domain.MustDate("2026-03-22"), Amount: m("-41.00"), Reference: batch.BatchID}, // amount differs
		{Date: domain.MustDate("2026-03-22"), Amount: m("7.00"), Reference: "NOBODY"},        // no candidate
		{Date: domain.MustDate("2026-03-22"), Amount: m("7.00")},                             // no reference
	}}}}
	res, outcomes, err = w.a.ImportStatement(ctx, md, doc)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []domain.UnmatchedReason{domain.UnmatchedAlreadyMatched, domain.UnmatchedAmountDiffers, domain.UnmatchedNoCandidate, domain.UnmatchedNoReference} {
		if outcomes[i].Matched || outcomes[i].Reason != want {
			t.Errorf("line %d: %+v, want %s", i+1, outcomes[i], want)
		}
	}
	var recorded domain.BankStatementImported
	for _, e := range res.Events() {
		if ev, ok := e.(domain.BankStatementImported); ok {
			recorded = ev
		}
	}
	if recorded.Unmatched != 4 || recorded.Lines[1].UnmatchedReason != domain.UnmatchedAmountDiffers || recorded.Account != "FR7630006000011234567890189" {
		t.Fatalf("recorded %+v", recorded)
	}
	if _, _, err := w.a.ImportStatement(ctx, md, doc); !errors.Is(err, domain.ErrStatementAlreadyImported) {
		t.Fatalf("second import: %v", err)
	}
}

// A fund shares its received money by péréquation; a programme line drawn from the
// fund is attributed onward to the fund's contributors.
func TestFundPerequationAndDraw(t *testing.T) { fundPerequationAndDraw(t, onPostgres(db.Fresh(t))) }

func fundPerequationAndDraw(t *testing.T, store app.Store) {
	a := newApp(t, store)
	ctx := context.Background()
	for _, tr := range []struct {
		code string
		pop  int64
		rate string
	}{{"63", 660000, "0.20"}, {"03", 335000, "0.25"}, {"15", 145000, "0.30"}} {
		must(t)(a.RecordTerritoryNeed(ctx, md, domain.RecordTerritoryNeedCommand{Code: tr.code, Population: tr.pop, FragilityRate: decimal.RequireFromString(tr.rate), Source: "INSEE", AsOf: domain.MustDate("2025-12-31")}))
	}
	res := must(t)(a.CreateFund(ctx, md, domain.CreateFundCommand{Name: "Fonds Auvergne", Territories: []string{"63", "03", "15"}}))
	fund := res.Events()[0].(domain.FundCreated).FundID
	var funders []string
	for _, f := range []string{"État", "Région"} {
		res := must(t)(a.RegisterFunder(ctx, md, domain.RegisterFunderCommand{Name: f, Kind: "other"}))
		funders = append(funders, res.Events()[0].(domain.FunderRegistered).FunderID)
	}
	for i, amt := range []string{"60000.00", "40000.00"} {
		res := must(t)(a.PledgeContribution(ctx, md, domain.PledgeContributionCommand{FunderID: funders[i], FundID: fund, Amount: m(amt), PledgedOn: domain.MustDate("2026-01-05")}))
		c := res.Events()[0].(domain.ContributionPledged).ContributionID
		must(t)(a.RecordReceipt(ctx, md, domain.RecordReceiptCommand{ContributionID: c, Amount: m(amt), ReceivedOn: domain.MustDate("2026-01-20")}))
	}
	if _, err := a.RunPerequation(ctx, md, domain.RunPerequationCommand{FundID: fund, Budget: m("100000.01")}, nil); !errors.Is(err, domain.ErrBudgetExceedsAvailable) {
		t.Fatalf("budget above received cash: %v", err)
	}
	res = must(t)(a.RunPerequation(ctx, md, domain.RunPerequationCommand{FundID: fund, Budget: m("100000.00")}, nil))
	run := res.Events()[0].(domain.PerequationRun)
	// Needs: 63: 132,000; 03: 83,750; 15: 43,500; total 259,250.
	// 63: 100000 × 132000/259250 = 50916.104146…; 03: 32304.72516…; 15: 16779.17068…
	// Cents by largest remainder: 50916.10 (.4146), 32304.73 (.516 → +1), 16779.17 (.068).
	want := map[string]string{"63": "50916.10", "03": "32304.73", "15": "16779.17"}
	for _, al := range run.Allocations {
		if al.Amount.String() != want[al.Code] {
			t.Fatalf("allocation %s = %s, want %s", al.Code, al.Amount, want[al.Code])
		}
	}
	// A programme in 63 may draw up to 63's allocation, not a cent more.
	line := func(amount string) domain.CreateProgrammeCommand {
		return domain.CreateProgrammeCommand{Name: "Pass 63", Territory: "63", ValidFrom: domain.MustDate("2026-01-01"), ValidUntil: domain.MustDate("2026-12-31"),
			ChequeValue: m("10.00"), ChequesPerCarnet: 10, FundingLines: []domain.FundingLine{{FundID: fund, Amount: m(amount)}}}
	}
	if _, err := a.CreateProgramme(ctx, md, line("50916.11")); !errors.Is(err, domain.ErrFundAllocationExceeded) {
		t.Fatalf("draw above allocation: %v", err)
	}
	res = must(t)(a.CreateProgramme(ctx, md, line("10000.00")))
	created := res.Events()[0].(domain.ProgrammeCreated)
	// Onward attribution pro rata of receipts 60/40.
	got := map[string]string{}
	for _, f := range created.Funders {
		got[f.FunderID] = f.Amount.String()
	}
	if got[funders[0]] != "6000.00" || got[funders[1]] != "4000.00" {
		t.Fatalf("fund line attribution %v", got)
	}
	// Another process (an App with a stream cache of its own) draws on the fund:
	// 63 has 50916.10 − 10000.00 − 40900.00 = 16.10 left. This App's cached copy of
	// the fund stream still says 40916.10; the draw it allows is refused once the
	// append finds the stream moved.
	other := newApp(t, store)
	must(t)(other.CreateProgramme(ctx, md, line("40900.00")))
	if _, err := a.CreateProgramme(ctx, md, line("16.11")); !errors.Is(err, domain.ErrFundAllocationExceeded) {
		t.Fatalf("draw above what another process left: %v", err)
	}
	must(t)(a.CreateProgramme(ctx, md, line("16.10")))
}
