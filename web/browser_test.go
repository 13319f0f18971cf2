package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/internal/receipt"
)

// Browser tests: real headless Chromium (Debian's chromium; `make test` installs it)
// against the pages and API served on 127.0.0.1 over a real database.

// screenshotDir receives the screenshots the README shows.
const screenshotDir = "../docs/screenshots"

const (
	desktopW, desktopH = 1280, 900
	phoneW, phoneH     = 390, 844
)

// chromiumPath finds the browser: Debian's chromium-headless-shell first, the
// full chromium (or another Chrome) when it is missing. The headless shell is
// Chromium's own headless build (the same Blink and V8, without the desktop
// browser around them): the package's tests and screenshots pass the same
// with either, and with the shell they cost a good deal less (web package
// alone, alternated, 2026-12-06: 19.2 and 20.1 s of machine CPU with chromium,
// 8.3 and 8.7 s with the shell; the screenshots come out pixel for pixel the
// same but for the random identifiers they show).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium found: `make test` installs it (apt-get install -y chromium chromium-headless-shell)")
	return ""
}

// chromium is the one headless Chromium of the package's browser tests, started
// by the first test that needs it (startChromium) and stopped by TestMain. Each
// test gets a browser context of its own in it (browser): its own cookies,
// storage and tab, as if it had a browser of its own, without paying a
// browser's start each time.
var chromium struct {
	once   sync.Once
	ctx    context.Context // the browser's first tab: parent of every test's context
	cancel context.CancelFunc
	err    error
}

// startChromium starts the shared browser once.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	chromium.once.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("lang", "fr-FR"),
			chromedp.Env("LANGUAGE=fr", "LANG=fr_FR.UTF-8"),
			chromedp.WindowSize(desktopW, desktopH),
		)
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelB := chromedp.NewContext(actx)
		chromium.ctx, chromium.cancel = ctx, func() { cancelB(); cancelA() }
		chromium.err = chromedp.Do(ctx) // starts the browser
	})
	if chromium.err != nil {
		t.Fatalf("chromium: %v", chromium.err)
	}
	return chromium.ctx
}

// stopChromium stops the shared browser, if it was started.
func stopChromium() {
	if chromium.cancel != nil {
		chromium.cancel()
	}
}

// browser opens a tab with a viewport of w × h in a new browser context of the
// shared Chromium (nothing shared with other tests' tabs), closed with the test.
func browser(t *testing.T, w, h int) context.Context {
	t.Helper()
	ctx, cancelB := chromedp.NewContext(startChromium(t), chromedp.WithNewBrowserContext())
	// The timeout bounds the whole test.
	ctx, cancelC := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelC(); cancelB() })
	var opt []chromedp.EmulateViewportOption
	if w < 600 {
		opt = append(opt, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	// Focus emulated: each tab behaves as the focused window of its own
	// (autofocus, :focus, document.activeElement), even while other tests' tabs
	// are open in the same browser beside it (the browser tests run in parallel).
	focus := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	})
	if err := chromedp.Do(ctx, focus, chromedp.EmulateViewport(int64(w), int64(h), opt...)); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// get runs one action that returns a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }

// login fills the login form with the token and submits it. The token is set
// as the field's value rather than typed: typing a 47-character token is a
// round trip and three key events per character in Chromium, and
// TestBrowserKeyboardOnlyRedemption types it once, with the keyboard alone.
func login(t *testing.T, ctx context.Context, base, token string) {
	t.Helper()
	run(t, ctx,
		chromedp.Navigate(base+"/connexion"),
		chromedp.WaitVisible(css("#jeton")),
		chromedp.SetValue(css("#jeton"), token),
	)
	navigateBy(t, ctx, chromedp.Submit(css("#jeton")))
	run(t, ctx, chromedp.WaitVisible(css("header.site .who")))
}

// navigateBy runs actions that make the page navigate (a form submitted, Enter
// in a form) and returns once the new page has loaded (chromedp.RunResponse),
// so that the queries that follow look at the new page rather than racing its
// replacement, and a server error fails the test at once instead of leaving a
// WaitVisible to wait out the test's three minutes.
func navigateBy(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status >= 500 {
		t.Fatalf("%s: HTTP %d", resp.URL, resp.Status)
	}
}

// screenshot saves the whole page as name.png: in docs/screenshots when
// PASSLEDGER_SCREENSHOTS=1 (to refresh the README's pictures), else in the test's
// temporary folder, so that a test run leaves the work tree as it was.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := get(t, ctx, chromedp.FullScreenshot(100))
	dir := t.TempDir()
	if os.Getenv("PASSLEDGER_SCREENSHOTS") == "1" {
		dir = screenshotDir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	run(t, ctx, chromedp.WaitVisible(css(sel)))
	return get(t, ctx, chromedp.Text(css(sel)))
}

func count(t *testing.T, ctx context.Context, js string) int {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[int](js))
}

// redeemForm fills the place's form (the date keeps its default, today) and submits.
func redeemForm(t *testing.T, ctx context.Context, serial, code string) {
	t.Helper()
	run(t, ctx,
		chromedp.WaitVisible(css("#serie")),
		chromedp.Clear(css("#serie")), chromedp.SendKeys(css("#serie"), serial),
		chromedp.Clear(css("#code")), chromedp.SendKeys(css("#code"), code),
		chromedp.Clear(css("#prestation")), chromedp.SendKeys(css("#prestation"), "atelier smartphone"),
		forget("#resultat"),
	)
	navigateBy(t, ctx, chromedp.Click(css("#form-encaisser button[type=submit]")))
	run(t, ctx, chromedp.WaitVisible(css("#resultat")))
}

// forget removes the element sel of the current page, so that waiting for it
// waits for the next page.
func forget(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](`document.querySelector("`+sel+`")?.remove()`)(ctx, tg)
		return err
	})
}

// A place logs in, redeems a cheque (success, signed receipt to download, the
// statement shows it), then tries the same cheque again and is refused in French.
func TestBrowserPlaceRedeemsThenIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e, 2)
	ctx := browser(t, desktopW, desktopH)
	login(t, ctx, e.srv.URL, w.placeTok)
	loc := get(t, ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "/lieu") {
		t.Fatalf("after login: %s", loc)
	}
	chq := w.carnets[0].Cheques[0]
	redeemForm(t, ctx, strings.ToLower(chq.Serial), chq.CheckCode) // typed in lower case: normalised
	if got := text(t, ctx, "#resultat"); !strings.Contains(got, "Chèque "+chq.Serial+" accepté") || !strings.Contains(got, "10,00") {
		t.Fatalf("success message: %q", got)
	}
	// The receipt link carries the API's answer, which verifies with /v1/keys.
	href := get(t, ctx, chromedp.AttributeValue(css("#recu"), "href")).Value
	file := get(t, ctx, chromedp.AttributeValue(css("#recu"), "download")).Value
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(href, "data:application/json;base64,"))
	if err != nil || file != "recu-"+chq.Serial+".json" {
		t.Fatalf("receipt link %q %q: %v", href, file, err)
	}
	var red api.RedemptionResponse
	if err := json.Unmarshal(raw, &red); err != nil {
		t.Fatal(err)
	}
	var keys receipt.KeySet
	e.call("GET", "/v1/keys", "", nil, 200, &keys)
	if facts, err := receipt.Verify(red.Receipt, keys); err != nil || facts.Serial != chq.Serial || facts.PlaceID != w.place {
		t.Fatalf("receipt: %+v %v", facts, err)
	}
	// The statement on the same page shows the redemption, owed.
	if got := text(t, ctx, "main"); !strings.Contains(got, chq.Serial) || !strings.Contains(got, "À rembourser") {
		t.Fatalf("statement does not show the redemption: %q", got)
	}
	screenshot(t, ctx, "lieu-encaissement")

	redeemForm(t, ctx, chq.Serial, chq.CheckCode)
	got := text(t, ctx, "#resultat")
	if !strings.Contains(got, "Chèque refusé") || !strings.Contains(got, "déjà été encaissé") {
		t.Fatalf("refusal message: %q", got)
	}
	role := get(t, ctx, chromedp.AttributeValue(css("#resultat"), "role")).Value
	if role != "alert" {
		t.Fatalf("refusal role %q", role)
	}
	screenshot(t, ctx, "lieu-refus")

	// A wrong check code is told apart, in French.
	redeemForm(t, ctx, w.carnets[0].Cheques[1].Serial, "000000")
	if got := text(t, ctx, "#resultat"); !strings.Contains(got, "code de contrôle ne correspond pas") {
		t.Fatalf("wrong code message: %q", got)
	}
}

// The same redemption with the keyboard alone: Tab to the form, type, Enter.
func TestBrowserKeyboardOnlyRedemption(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e, 1)
	ctx := browser(t, desktopW, desktopH)
	run(t, ctx, chromedp.Navigate(e.srv.URL+"/connexion"), chromedp.WaitVisible(css("#jeton")))
	// The token field has the focus on arrival (autofocus); Enter submits.
	run(t, ctx, chromedp.KeyEvent(w.placeTok))
	navigateBy(t, ctx, chromedp.KeyEvent(kb.Enter))
	run(t, ctx, chromedp.WaitVisible(css("#serie")))
	// Tab from the top of the page until the serial field has the focus.
	focused := func() string {
		return get(t, ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
	}
	var path []string
	for i := 0; i < 15 && focused() != "serie"; i++ {
		run(t, ctx, chromedp.KeyEvent(kb.Tab))
		desc := get(t, ctx, chromedp.Evaluate[string](`(document.activeElement.id || document.activeElement.tagName) + ":" + (document.activeElement.textContent||"").trim().slice(0,20)`))
		path = append(path, desc)
	}
	if focused() != "serie" {
		t.Fatalf("Tab never reached the serial field: %v", path)
	}
	if path[0] != "A:Aller au contenu" {
		t.Errorf("first Tab stop %q, want the skip link", path[0])
	}
	tabTo := func(id string) {
		t.Helper()
		for i := 0; i < 10 && focused() != id; i++ {
			run(t, ctx, chromedp.KeyEvent(kb.Tab))
		}
		if focused() != id {
			t.Fatalf("Tab never reached #%s", id)
		}
	}
	chq := w.carnets[0].Cheques[0]
	run(t, ctx, chromedp.KeyEvent(chq.Serial))
	tabTo("code")
	run(t, ctx, chromedp.KeyEvent(chq.CheckCode))
	tabTo("prestation") // through the date (today by default)
	run(t, ctx, chromedp.KeyEvent("atelier"))
	navigateBy(t, ctx, chromedp.KeyEvent(kb.Enter))
	run(t, ctx, chromedp.WaitVisible(css("#resultat")))
	if got := text(t, ctx, "#resultat"); !strings.Contains(got, "accepté") {
		t.Fatalf("keyboard redemption: %q", got)
	}
	// The success message's download link is reachable by keyboard too.
	tabTo("recu")
}

// A prescriber logs in and issues a carnet from its stock; it appears in what it
// issued.
func TestBrowserPrescriberIssuesCarnet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e, 3)
	ctx := browser(t, desktopW, desktopH)
	login(t, ctx, e.srv.URL, w.prescriberTok)
	run(t, ctx, chromedp.WaitVisible(css("#carnet")))
	// The first carnet in stock is proposed (carnets[0] is issued already).
	carnet := get(t, ctx, chromedp.Value(css("#carnet")))
	if carnet != w.carnets[1].ID && carnet != w.carnets[2].ID {
		t.Fatalf("default carnet %s is not in stock", carnet)
	}
	if n := count(t, ctx, `document.querySelectorAll("#carnet option").length`); n != 2 {
		t.Fatalf("%d carnets proposed, want the 2 in stock", n)
	}
	run(t, ctx,
		chromedp.SendKeys(css("#beneficiaire"), "CCAS63-2026-000777"),
		chromedp.Click(css(`input[name=besoin][value=inclusion]`)),
		forget("#resultat"),
	)
	navigateBy(t, ctx, chromedp.Click(css("#form-remettre button[type=submit]")))
	run(t, ctx, chromedp.WaitVisible(css("#resultat")))
	if got := text(t, ctx, "#resultat"); !strings.Contains(got, "Carnet "+carnet+" remis") {
		t.Fatalf("issue message: %q", got)
	}
	issued := text(t, ctx, "#remis")
	if !strings.Contains(issued, carnet) || !strings.Contains(issued, "Inclusion") {
		t.Fatalf("issued list: %q", issued)
	}
	screenshot(t, ctx, "prescripteur-remise")
	// The same beneficiary cannot get a second carnet of the programme.
	run(t, ctx,
		chromedp.SendKeys(css("#beneficiaire"), "CCAS63-2026-000777"),
		chromedp.Click(css(`input[name=besoin][value=urgence]`)),
		forget("#resultat"),
	)
	navigateBy(t, ctx, chromedp.Click(css("#form-remettre button[type=submit]")))
	run(t, ctx, chromedp.WaitVisible(css("#resultat")))
	if got := text(t, ctx, "#resultat"); !strings.Contains(got, "a déjà reçu un carnet de ce programme") {
		t.Fatalf("refusal: %q", got)
	}
}

// The equity page shows the tile map (101 départements), the ranked chart, the
// Gini figure and the flagged territories, at desktop and phone widths.
func TestBrowserEquityPageShowsMapAndChart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	equityWorld(e)
	auditor := e.token(api.RoleAuditor, "")
	for _, size := range []struct {
		name string
		w, h int
	}{{"equite", desktopW, desktopH}, {"equite-telephone", phoneW, phoneH}} {
		ctx := browser(t, size.w, size.h)
		login(t, ctx, e.srv.URL, auditor)
		run(t, ctx, chromedp.Navigate(e.srv.URL+"/reports/equity"), chromedp.WaitVisible(css("#carte")))
		if n := count(t, ctx, `document.querySelectorAll("#carte rect.tile").length`); n != 101 {
			t.Fatalf("%d tiles, want 101", n)
		}
		if n := count(t, ctx, `document.querySelectorAll("#carte g.tuile > title").length`); n != 101 {
			t.Fatalf("%d tile titles, want 101", n)
		}
		bars := count(t, ctx, `document.querySelectorAll("#classement rect.bar").length`)
		if bars < 80 || bars > 101 {
			t.Fatalf("%d bars", bars)
		}
		if n := count(t, ctx, `document.querySelectorAll("#carte rect.tile[stroke-dasharray]").length`); n != 10 {
			t.Errorf("%d tiles without need data, want 10", n)
		}
		if g := text(t, ctx, "#gini"); !strings.HasPrefix(g, "0,") {
			t.Fatalf("Gini %q", g)
		}
		if n := count(t, ctx, `document.querySelectorAll("#signales tbody tr").length`); n == 0 {
			t.Fatal("no flagged territory listed")
		}
		if n := count(t, ctx, `document.querySelectorAll('a[href^="/reports/equity.csv"], a[href*="format=xlsx"], a[href="/v1/reports/equity"]').length`); n != 3 {
			t.Fatalf("%d download links, want 3", n)
		}
		if size.w < 600 {
			if sw := count(t, ctx, `document.documentElement.scrollWidth`); sw > size.w {
				t.Errorf("page %d px wide on a %d px phone", sw, size.w)
			}
		}
		screenshot(t, ctx, size.name)
	}
}

// Under 600 px the place's page is one column, with no sideways scrolling.
func TestBrowserPhoneLayoutIsOneColumn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e, 1)
	chq := w.carnets[0].Cheques[0]
	e.call("POST", "/v1/redemptions", w.placeTok, map[string]any{"serial": chq.Serial, "check_code": chq.CheckCode, "session_date": "2026-03-14", "service": "atelier"}, 201, nil)
	e.settle()
	ctx := browser(t, phoneW, phoneH)
	login(t, ctx, e.srv.URL, w.placeTok)
	type box struct{ X, Y, W float64 }
	const sections = `[...document.querySelectorAll("main .cols > section")].map(s => { const r = s.getBoundingClientRect(); return {X: r.x, Y: r.y, W: r.width} })`
	boxes := get(t, ctx, chromedp.Evaluate[[]box](sections))
	if len(boxes) != 2 || boxes[0].X != boxes[1].X || boxes[1].Y <= boxes[0].Y {
		t.Fatalf("sections not stacked in one column: %+v", boxes)
	}
	if sw := count(t, ctx, `document.documentElement.scrollWidth`); sw > phoneW {
		t.Errorf("page %d px wide on a %d px phone", sw, phoneW)
	}
	screenshot(t, ctx, "lieu-telephone")
	// Desktop: two columns side by side.
	ctx = browser(t, desktopW, desktopH)
	login(t, ctx, e.srv.URL, w.placeTok)
	boxes = get(t, ctx, chromedp.Evaluate[[]box](sections))
	if len(boxes) != 2 || boxes[1].X <= boxes[0].X {
		t.Fatalf("desktop sections not side by side: %+v", boxes)
	}
}

// Finance sees its batches with their SEPA and XLSX links and reconciliation
// status; a funder's audit page prints without navigation or forms.
func TestBrowserFinanceAndFunderPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e, 1)
	finance := e.token(api.RoleFinance, "org_finance")
	for _, chq := range w.carnets[0].Cheques[:3] {
		e.call("POST", "/v1/redemptions", w.placeTok, map[string]any{"serial": chq.Serial, "check_code": chq.CheckCode, "session_date": "2026-03-02", "service": "atelier"}, 201, nil)
	}
	var c api.CreatedResponse
	e.call("POST", "/v1/contributions", finance, map[string]any{"funder_id": w.funder, "programme_id": w.programme, "amount": "50000.00", "pledged_on": "2026-01-05"}, 201, &c)
	e.call("POST", "/v1/contributions/"+c.ID+"/receipts", finance, map[string]any{"amount": "50000.00", "received_on": "2026-01-10"}, 201, nil)
	var batch api.BatchResponse
	e.call("POST", "/v1/reimbursement-batches", finance, map[string]any{"cut_off": "2026-03-15"}, 201, &batch)
	e.call("POST", "/v1/reimbursement-batches/"+batch.ID+"/payment", finance, map[string]any{"paid_on": "2026-03-12", "bank_reference": "VIR-2026-03"}, 200, nil)
	e.settle()

	ctx := browser(t, desktopW, desktopH)
	login(t, ctx, e.srv.URL, finance)
	row := text(t, ctx, "#lots tbody tr")
	if !strings.Contains(row, batch.ID) || !strings.Contains(row, "30,00") || !strings.Contains(row, "Payé, non rapproché") {
		t.Fatalf("batch row: %q", row)
	}
	if n := count(t, ctx, `document.querySelectorAll('#lots a[href="/v1/reimbursement-batches/`+batch.ID+`/sepa"], #lots a[href="/v1/reimbursement-batches/`+batch.ID+`?format=xlsx"]').length`); n != 2 {
		t.Fatalf("%d batch download links, want 2", n)
	}
	screenshot(t, ctx, "finance-lots")

	ctx = browser(t, desktopW, desktopH)
	login(t, ctx, e.srv.URL, w.funderTok)
	if got := text(t, ctx, "main h1"); !strings.Contains(got, "Audit des fonds") {
		t.Fatalf("funder lands on %q", got)
	}
	screenshot(t, ctx, "financeur-audit")
	run(t, ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	navShown := get(t, ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector("header.site")).display !== "none"`))
	formShown := get(t, ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector("main form")).display !== "none"`))
	if navShown || formShown {
		t.Fatalf("print: navigation shown %v, form shown %v", navShown, formShown)
	}
	screenshot(t, ctx, "financeur-audit-impression")
}
