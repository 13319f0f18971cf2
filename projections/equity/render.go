package equity

import (
	"bufio"
	"encoding/csv"
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

// FrGroup groups the integer digits of a French-formatted number by three with a
// narrow no-break space ("1 234 567,50"), for the web pages (package web).
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
