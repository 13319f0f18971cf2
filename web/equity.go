package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/equity"
)

// EquityPageOptions shape the equity page.
type EquityPageOptions struct {
	// BaseURL prefixes the download links ("" on the served page: same site).
	// Without Links the page lists no downloads (a file written by the CLI).
	Links   bool
	BaseURL string
	// Form shows the fund and date selector (the served page).
	Form bool
}

// APIEquityPage is the page GET /v1/reports/equity answers with Accept: text/html
// (api.Config.EquityPage): the same page as GET /reports/equity, with its download
// links and without the selector form.
func APIEquityPage(w io.Writer, rep equity.Figures) error {
	return WriteEquityPage(w, rep, EquityPageOptions{Links: true})
}

// equityView is the equity page.
type equityView struct {
	Layout
	Rep       equity.Figures
	Opts      EquityPageOptions
	FundID    string
	AsOf      string
	Map       template.HTML
	Chart     template.HTML
	Legend    []legendItem
	Flagged   []flaggedRow
	Covered   int
	Downloads []download
}

type legendItem struct {
	Colour string
	Label  string
}

type flaggedRow struct {
	equity.Territory
	Name        string
	ShareMedian string
}

type download struct{ Href, Label, File string }

// WriteEquityPage writes the equity report as a standalone page: the tile-grid
// map, the ranked bar chart, the Gini coefficient, the flagged territories and the
// full table, charts drawn as inline SVG (no script). `passledger report equity
// --format html` writes it; GET /reports/equity serves the same page.
func WriteEquityPage(w io.Writer, rep equity.Figures, opts EquityPageOptions) error {
	return pages["equity"].ExecuteTemplate(w, "layout", buildEquityView(rep, opts, nil))
}

func buildEquityView(rep equity.Figures, opts EquityPageOptions, s *session) equityView {
	v := equityView{Layout: Layout{Title: "Équité territoriale", Session: s}, Rep: rep, Opts: opts, FundID: rep.FundID}
	if rep.AsOf != nil {
		v.AsOf = rep.AsOf.String()
	}
	scale := newColourScale(rep)
	v.Legend = scale.legend()
	v.Map = equityMap(rep, scale)
	v.Chart = rankedChart(rep)
	for _, t := range rep.Territories {
		if t.AllocatedPerNeed != nil {
			v.Covered++
		}
		if t.BelowThreshold {
			row := flaggedRow{Territory: t, Name: deptName(t.Code)}
			if rep.MedianAllocatedPerNeed != nil && rep.MedianAllocatedPerNeed.IsPositive() {
				row.ShareMedian = frPercent(ptr(t.AllocatedPerNeed.DivRound(*rep.MedianAllocatedPerNeed, 4)))
			}
			v.Flagged = append(v.Flagged, row)
		}
	}
	sort.SliceStable(v.Flagged, func(i, j int) bool {
		return v.Flagged[i].AllocatedPerNeed.LessThan(*v.Flagged[j].AllocatedPerNeed)
	})
	if opts.Links {
		q := url.Values{}
		if rep.FundID != "" {
			q.Set("fund_id", rep.FundID)
		}
		if v.AsOf != "" {
			q.Set("as_of", v.AsOf)
		}
		with := func(path string, extra ...string) string {
			qq := url.Values{}
			for k, vs := range q {
				qq[k] = vs
			}
			for i := 0; i+1 < len(extra); i += 2 {
				qq.Set(extra[i], extra[i+1])
			}
			if enc := qq.Encode(); enc != "" {
				return opts.BaseURL + path + "?" + enc
			}
			return opts.BaseURL + path
		}
		name := "equite-territoriale"
		if v.AsOf != "" {
			name += "-" + v.AsOf
		}
		v.Downloads = []download{
			{with("/reports/equity.csv"), "Tableur (CSV)", name + ".csv"},
			{with("/v1/reports/equity", "format", "xlsx"), "Classeur Excel (XLSX)", name + ".xlsx"},
			{with("/v1/reports/equity"), "Données (JSON)", name + ".json"},
		}
	}
	return v
}

func ptr[T any](v T) *T { return &v }

// equityPage serves the page for the session (GET /reports/equity?fund_id=&as_of=).
func (p *Pages) equityPage(w http.ResponseWriter, r *http.Request, s *session) {
	rep, ok := p.equityReport(w, r, s)
	if !ok {
		return
	}
	var b bytes.Buffer
	if err := pages["equity"].ExecuteTemplate(&b, "layout", buildEquityView(rep, EquityPageOptions{Links: true, Form: true}, s)); err != nil {
		p.failed(w, r, s, err)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

// equityCSV downloads the report for a French spreadsheet (equity.WriteCSV, as
// GET /v1/reports/equity with Accept: text/csv).
func (p *Pages) equityCSV(w http.ResponseWriter, r *http.Request, s *session) {
	rep, ok := p.equityReport(w, r, s)
	if !ok {
		return
	}
	var b bytes.Buffer
	if err := equity.WriteCSV(&b, rep); err != nil {
		p.failed(w, r, s, err)
		return
	}
	name := "equite-territoriale"
	if rep.AsOf != nil {
		name += "-" + rep.AsOf.String()
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	_, _ = w.Write(b.Bytes())
}

// equityReport reads the report as GET /v1/reports/equity does.
func (p *Pages) equityReport(w http.ResponseWriter, r *http.Request, s *session) (equity.Figures, bool) {
	q := r.URL.Query()
	var asOf *domain.Date
	if v := q.Get("as_of"); v != "" {
		d, err := domain.ParseDate(v)
		if err != nil {
			p.errorPage(w, r, s, http.StatusBadRequest, "La date demandée n'est pas valide.")
			return equity.Figures{}, false
		}
		asOf = &d
	}
	fund := strings.TrimSpace(q.Get("fund_id"))
	rep, err := equity.Report(r.Context(), p.cfg.Querier, fund, asOf)
	if err != nil {
		if api.ProblemFor(err).Status == http.StatusNotFound {
			p.errorPage(w, r, s, http.StatusNotFound, "Ce fonds est inconnu, ou n'a encore rien réparti.")
			return equity.Figures{}, false
		}
		p.failed(w, r, s, err)
		return equity.Figures{}, false
	}
	return rep, true
}

// colourScale maps euros per unit of need to five classes of a sequential blue
// palette (quantiles of the territories that have a value); each class has a
// text colour that keeps a contrast of at least 4.5:1.
type colourScale struct {
	breaks []decimal.Decimal // upper bounds of classes 0..n-2
	min    decimal.Decimal
	max    decimal.Decimal
	n      int
}

var palette = []struct{ fill, text string }{
	{"#eff3ff", "#1a1a1a"}, {"#bdd7e7", "#1a1a1a"}, {"#6baed6", "#1a1a1a"}, {"#2171b5", "#ffffff"}, {"#08306b", "#ffffff"},
}

const (
	noDataFill = "#f2f2f2"
	noDataText = "#4a4a4a"
	flagStroke = "#a4161a"
)

func newColourScale(rep equity.Figures) colourScale {
	var vals []decimal.Decimal
	for _, t := range rep.Territories {
		if t.AllocatedPerNeed != nil {
			vals = append(vals, *t.AllocatedPerNeed)
		}
	}
	sort.Slice(vals, func(i, j int) bool { return vals[i].LessThan(vals[j]) })
	s := colourScale{}
	if len(vals) == 0 {
		return s
	}
	s.min, s.max = vals[0], vals[len(vals)-1]
	// Quantile breaks, without repeats.
	for k := 1; k < len(palette); k++ {
		b := vals[(k*len(vals)-1)/len(palette)]
		if b.LessThan(s.max) && (len(s.breaks) == 0 || b.GreaterThan(s.breaks[len(s.breaks)-1])) {
			s.breaks = append(s.breaks, b)
		}
	}
	s.n = len(s.breaks) + 1
	return s
}

// class returns the palette index of v (spread over the palette when there are
// fewer classes than colours).
func (s colourScale) class(v decimal.Decimal) int {
	i := 0
	for i < len(s.breaks) && v.GreaterThan(s.breaks[i]) {
		i++
	}
	return s.paletteIndex(i)
}

func (s colourScale) paletteIndex(i int) int {
	if s.n <= 1 {
		return len(palette) - 2
	}
	return i * (len(palette) - 1) / (s.n - 1)
}

func (s colourScale) legend() []legendItem {
	var out []legendItem
	if s.n > 0 {
		lo := s.min
		for i := 0; i < s.n; i++ {
			hi := s.max
			if i < len(s.breaks) {
				hi = s.breaks[i]
			}
			label := frRatio(&lo) + " – " + frRatio(&hi) + " €"
			if i > 0 {
				label = "plus de " + frRatio(&lo) + " à " + frRatio(&hi) + " €"
			}
			out = append(out, legendItem{Colour: palette[s.paletteIndex(i)].fill, Label: label})
			lo = hi
		}
	}
	return append(out, legendItem{Colour: noDataFill, Label: "pas de donnée de besoin"})
}

const (
	tileSize = 40
	tileStep = 44
	mapPad   = 8
)

// equityMap draws the tile grid: one square per département, coloured by euros
// allocated per unit of need, flagged territories outlined in red, each with a
// <title> giving its name and value.
func equityMap(rep equity.Figures, scale colourScale) template.HTML {
	byCode := map[string]equity.Territory{}
	for _, t := range rep.Territories {
		byCode[t.Code] = t
	}
	cols, rows := gridSize()
	width, height := mapPad*2+cols*tileStep, mapPad*2+rows*tileStep
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="carte" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="carte-titre carte-desc" xmlns="http://www.w3.org/2000/svg">`,
		width, height, width, height)
	b.WriteString(`<title id="carte-titre">Carte des départements : euros alloués par unité de besoin</title>`)
	b.WriteString(`<desc id="carte-desc">Un carré par département, à sa place approximative ; plus le bleu est foncé, plus le territoire a reçu d'euros par unité de besoin ; un contour rouge signale un territoire sous 80 % de la médiane ; les départements d'outre-mer sont en encart. Les mêmes chiffres sont dans le tableau complet.</desc>`)
	// Overseas inset frame.
	minRow, maxRow := rows, 0
	for _, t := range Tiles {
		if t.Inset {
			minRow, maxRow = min(minRow, t.Row), max(maxRow, t.Row)
		}
	}
	if maxRow >= minRow {
		x, y := mapPad-4, mapPad+minRow*tileStep-22
		fmt.Fprintf(&b, `<g class="encart"><rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#5a5a5a" stroke-dasharray="4 3"/>`,
			x, y, 3*tileStep+8, (maxRow-minRow+1)*tileStep+26)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" font-weight="600" fill="#1a1a1a">Outre-mer</text></g>`, x+6, y+15)
	}
	for _, tile := range Tiles {
		t, known := byCode[tile.Code]
		name := deptName(tile.Code)
		fill, text, value := noDataFill, noDataText, "pas de donnée de besoin"
		if known && t.AllocatedPerNeed != nil {
			c := palette[scale.class(*t.AllocatedPerNeed)]
			fill, text = c.fill, c.text
			value = frRatio(t.AllocatedPerNeed) + " € par unité de besoin"
			if t.BelowThreshold {
				value += " — sous 80 % de la médiane"
			}
		}
		x, y := mapPad+tile.Col*tileStep, mapPad+tile.Row*tileStep
		flagged := known && t.BelowThreshold
		fmt.Fprintf(&b, `<g class="tuile" data-code="%s"><title>%s (%s) : %s</title>`,
			esc(tile.Code), esc(name), esc(tile.Code), esc(value))
		stroke, sw, dash := "#5a5a5a", "1", ""
		if fill == noDataFill {
			dash = ` stroke-dasharray="3 2"`
		}
		if flagged {
			stroke, sw, dash = flagStroke, "3.5", ""
		}
		inset := 0.0
		if flagged {
			inset = 1.75
		}
		fmt.Fprintf(&b, `<rect class="tile" x="%.2f" y="%.2f" width="%.2f" height="%.2f" rx="3" fill="%s" stroke="%s" stroke-width="%s"%s/>`,
			float64(x)+inset, float64(y)+inset, tileSize-2*inset, tileSize-2*inset, fill, stroke, sw, dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="13" font-weight="600" fill="%s">%s</text>`,
			x+tileSize/2, y+tileSize/2+5, text, esc(tile.Code))
		if tile.Inset {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#1a1a1a">%s</text>`, x+tileSize+6, y+tileSize/2+4, esc(name))
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every text escaped above
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// rankedChart draws the territories that have a coverage as horizontal bars,
// highest first, with the median and the flag threshold as vertical lines.
func rankedChart(rep equity.Figures) template.HTML {
	var rows []equity.Territory
	for _, t := range rep.Territories {
		if t.AllocatedPerNeed != nil {
			rows = append(rows, t)
		}
	}
	if len(rows) == 0 {
		return ""
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].AllocatedPerNeed.GreaterThan(*rows[j].AllocatedPerNeed) })
	const labelW, barW, valueW, rowH, top = 200, 330, 90, 20, 34
	maxV := rows[0].AllocatedPerNeed.InexactFloat64()
	for _, line := range []*decimal.Decimal{rep.MedianAllocatedPerNeed, rep.FlagThreshold} {
		if line != nil {
			maxV = max(maxV, line.InexactFloat64())
		}
	}
	if maxV <= 0 {
		maxV = 1
	}
	width, height := labelW+barW+valueW, top+len(rows)*rowH+8
	xOf := func(v float64) float64 { return labelW + v/maxV*barW }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="classement" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="classement-titre classement-desc" xmlns="http://www.w3.org/2000/svg">`,
		width, height, width, height)
	b.WriteString(`<title id="classement-titre">Classement des territoires par euros alloués par unité de besoin</title>`)
	b.WriteString(`<desc id="classement-desc">Une barre par territoire, du mieux doté au moins bien doté ; en rouge les territoires sous 80 % de la médiane ; le trait plein marque la médiane, le trait pointillé le seuil de signalement.</desc>`)
	for i, t := range rows {
		y := top + i*rowH
		v := t.AllocatedPerNeed.InexactFloat64()
		colour := "#2171b5"
		label := frRatio(t.AllocatedPerNeed) + " €"
		if t.BelowThreshold {
			colour, label = flagStroke, label+" ▼"
		}
		name := deptName(t.Code)
		fmt.Fprintf(&b, `<g class="barre"><title>%s (%s) : %s par unité de besoin%s</title>`, esc(name), esc(t.Code), esc(frRatio(t.AllocatedPerNeed)+" €"),
			map[bool]string{true: ", sous 80 % de la médiane", false: ""}[t.BelowThreshold])
		short := name
		if r := []rune(short); len(r) > 22 {
			short = string(r[:21]) + "…"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" font-size="12" fill="#1a1a1a">%s %s</text>`, labelW-6, y+14, esc(t.Code), esc(short))
		fmt.Fprintf(&b, `<rect class="bar" x="%d" y="%d" width="%.2f" height="%d" fill="%s"/>`, labelW, y+3, max(xOf(v)-labelW, 1), rowH-6, colour)
		fmt.Fprintf(&b, `<text x="%.2f" y="%d" font-size="12" fill="#1a1a1a">%s</text></g>`, xOf(v)+4, y+14, esc(label))
	}
	lines := []struct {
		v     *decimal.Decimal
		label string
		dash  string
	}{{rep.MedianAllocatedPerNeed, "médiane", ""}, {rep.FlagThreshold, "seuil 80 %", ` stroke-dasharray="5 3"`}}
	for i, l := range lines {
		if l.v == nil {
			continue
		}
		x := xOf(l.v.InexactFloat64())
		fmt.Fprintf(&b, `<line x1="%.2f" y1="%d" x2="%.2f" y2="%d" stroke="#1a1a1a" stroke-width="1.5"%s/>`, x, top-4, x, height-4, l.dash)
		anchor := "start"
		if i == 1 {
			anchor = "end"
		}
		fmt.Fprintf(&b, `<text x="%.2f" y="%d" font-size="12" fill="#1a1a1a" text-anchor="%s">%s %s €</text>`, x, 14+i*14, anchor, esc(l.label), esc(frRatio(l.v)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
