package equity

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/domain"
)

// csvHeader names the columns of WriteCSV, in French for the spreadsheets of the
// report's readers.
var csvHeader = []string{
	"Territoire", "Population", "Taux de fragilité", "Besoin", "Alloué (€)",
	"Émis (€)", "Distribué (€)", "Utilisé (€)", "Expiré (€)", "Bloqué (€)",
	"€ alloués par unité de besoin", "Taux d'utilisation", "Sous 80 % de la médiane",
}

// WriteCSV writes the report so that a French spreadsheet opens it as numbers:
// UTF-8 with a byte-order mark, ';' between fields, CRLF line ends, a decimal comma
// and no thousands separator ("1234,50"). Line 1 is the header, then one line per
// territory, a "Total" line, an empty line, and the report's summary (fund, date,
// median, threshold, Gini) as "label;value" lines. An undefined ratio is an empty
// field.
func WriteCSV(w io.Writer, rep Figures) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.Comma, cw.UseCRLF = ';', true
	records := [][]string{csvHeader}
	for _, t := range rep.Territories {
		flag := ""
		if t.BelowThreshold {
			flag = "oui"
		}
		pop, rate, need := "", "", ""
		if t.HasNeedData {
			pop, rate, need = strconv.FormatInt(t.Population, 10), frDecimal(t.FragilityRate), frDecimal(t.Need)
		}
		records = append(records, []string{t.Code, pop, rate, need, frMoney(t.Allocated), frMoney(t.Minted),
			frMoney(t.Issued), frMoney(t.Redeemed), frMoney(t.Expired), frMoney(t.Blocked),
			frRatio(t.AllocatedPerNeed), frRatio(t.RedemptionRate), flag})
	}
	tt := rep.Total
	records = append(records,
		[]string{"Total", strconv.FormatInt(tt.Population, 10), "", frDecimal(tt.Need), frMoney(tt.Allocated), frMoney(tt.Minted),
			frMoney(tt.Issued), frMoney(tt.Redeemed), frMoney(tt.Expired), frMoney(tt.Blocked),
			frRatio(tt.AllocatedPerNeed), frRatio(tt.RedemptionRate), strconv.Itoa(tt.Flagged)},
		[]string{},
		[]string{"Fonds", fundLabel(rep.FundID)},
		[]string{"Au", dateLabel(rep.AsOf)},
		[]string{"Médiane des € alloués par unité de besoin", frRatio(rep.MedianAllocatedPerNeed)},
		[]string{"Seuil de signalement (80 % de la médiane)", frRatio(rep.FlagThreshold)},
		[]string{"Coefficient de Gini (pondéré par le besoin)", frRatio(rep.Gini)},
	)
	for _, r := range records {
		if len(r) == 0 {
			if _, err := bw.WriteString("\r\n"); err != nil {
				return err
			}
			continue
		}
		if err := cw.Write(r); err != nil {
			return err
		}
		cw.Flush() // keep csv and raw writes in order
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

func frMoney(m domain.Money) string { return strings.Replace(m.String(), ".", ",", 1) }

func frDecimal(d decimal.Decimal) string { return strings.Replace(d.String(), ".", ",", 1) }

func frRatio(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return strings.Replace(d.StringFixed(RatioDecimals), ".", ",", 1)
}

func fundLabel(id string) string {
	if id == "" {
		return "tous les fonds"
	}
	return id
}

func dateLabel(d *domain.Date) string {
	if d == nil {
		return "dernière position"
	}
	return d.String()
}

var htmlReport = template.Must(template.New("equity").Funcs(template.FuncMap{
	"money": func(m domain.Money) string { return FrGroup(frMoney(m)) },
	"ratio": func(d *decimal.Decimal) string {
		if d == nil {
			return "—"
		}
		return frRatio(d)
	},
	"dec":  func(d decimal.Decimal) string { return frDecimal(d) },
	"int":  func(n int64) string { return FrGroup(strconv.FormatInt(n, 10)) },
	"fund": fundLabel,
	"date": dateLabel,
}).Parse(`<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Équité territoriale — {{fund .FundID}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.flag td { background: #fde2e1; }
tfoot td { font-weight: bold; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
</style>
</head>
<body>
<h1>Équité territoriale</h1>
<dl>
<dt>Fonds</dt><dd>{{fund .FundID}}</dd>
<dt>Au</dt><dd>{{date .AsOf}}</dd>
<dt>Médiane des € alloués par unité de besoin</dt><dd>{{ratio .MedianAllocatedPerNeed}}</dd>
<dt>Seuil de signalement (80 % de la médiane)</dt><dd>{{ratio .FlagThreshold}}</dd>
<dt>Coefficient de Gini (pondéré par le besoin)</dt><dd>{{ratio .Gini}}</dd>
</dl>
<table>
<thead><tr>
<th>Territoire</th><th>Population</th><th>Taux de fragilité</th><th>Besoin</th><th>Alloué (€)</th>
<th>Émis (€)</th><th>Distribué (€)</th><th>Utilisé (€)</th><th>Expiré (€)</th><th>Bloqué (€)</th>
<th>€ alloués par unité de besoin</th><th>Taux d'utilisation</th><th>Sous 80 % de la médiane</th>
</tr></thead>
<tbody>
{{range .Territories}}<tr{{if .BelowThreshold}} class="flag"{{end}}>
<td>{{.Code}}</td>{{if .HasNeedData}}<td class="n">{{int .Population}}</td><td class="n">{{dec .FragilityRate}}</td><td class="n">{{dec .Need}}</td>{{else}}<td></td><td></td><td></td>{{end}}
<td class="n">{{money .Allocated}}</td><td class="n">{{money .Minted}}</td><td class="n">{{money .Issued}}</td>
<td class="n">{{money .Redeemed}}</td><td class="n">{{money .Expired}}</td><td class="n">{{money .Blocked}}</td>
<td class="n">{{ratio .AllocatedPerNeed}}</td><td class="n">{{ratio .RedemptionRate}}</td><td>{{if .BelowThreshold}}oui{{end}}</td>
</tr>
{{end}}</tbody>
<tfoot>{{with .Total}}<tr>
<td>Total ({{.Territories}})</td><td class="n">{{int .Population}}</td><td></td><td class="n">{{dec .Need}}</td>
<td class="n">{{money .Allocated}}</td><td class="n">{{money .Minted}}</td><td class="n">{{money .Issued}}</td>
<td class="n">{{money .Redeemed}}</td><td class="n">{{money .Expired}}</td><td class="n">{{money .Blocked}}</td>
<td class="n">{{ratio .AllocatedPerNeed}}</td><td class="n">{{ratio .RedemptionRate}}</td><td>{{.Flagged}}</td>
</tr>{{end}}</tfoot>
</table>
</body>
</html>
`))

// WriteHTML writes the report as a standalone HTML page (html/template escapes every
// value), flagged territories highlighted, amounts in French notation.
func WriteHTML(w io.Writer, rep Figures) error {
	if err := htmlReport.Execute(w, rep); err != nil {
		return fmt.Errorf("equity: html: %w", err)
	}
	return nil
}

// FrGroup groups the integer digits of a French-formatted number by three with a
// narrow no-break space ("1 234 567,50"). The web pages use it too.
func FrGroup(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ",")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(c)
	}
	out := sign + b.String()
	if hasFrac {
		out += "," + frac
	}
	return out
}
