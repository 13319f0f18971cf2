package api

import (
	"strings"

	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/internal/spreadsheet"
	"github.com/passnumerique/passledger/projections/audit"
	"github.com/passnumerique/passledger/projections/equity"
	"github.com/passnumerique/passledger/projections/places"
)

// Spreadsheet versions (?format=xlsx) of the reports: the same figures as their
// JSON, French headers, euro cells, a totals row.

var (
	colText = func(h string) spreadsheet.Column { return spreadsheet.Column{Header: h, Kind: spreadsheet.Text} }
	colEuro = func(h string) spreadsheet.Column { return spreadsheet.Column{Header: h, Kind: spreadsheet.Euro} }
	colDate = func(h string) spreadsheet.Column { return spreadsheet.Column{Header: h, Kind: spreadsheet.Date} }
	colInt  = func(h string) spreadsheet.Column { return spreadsheet.Column{Header: h, Kind: spreadsheet.Int} }
	colNum  = func(h string) spreadsheet.Column { return spreadsheet.Column{Header: h, Kind: spreadsheet.Number} }
)

// sheetName keeps what a worksheet name may hold (31 characters, no []:*?/\).
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '-'
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	return s
}

func decimalCell(d *decimal.Decimal) any {
	if d == nil {
		return ""
	}
	return d.String()
}

func yesNo(b bool) string {
	if b {
		return "oui"
	}
	return "non"
}

func batchSheet(b places.Batch) spreadsheet.Sheet {
	sh := spreadsheet.Sheet{Name: sheetName("Lot " + b.BatchID), Totals: true,
		Columns: []spreadsheet.Column{colText("Lieu"), colText("Nom"), colText("SIRET"), colText("Territoire"),
			colText("IBAN"), colText("BIC"), colInt("Chèques"), colEuro("Montant")}}
	for _, l := range b.Lines {
		sh.Rows = append(sh.Rows, []any{l.PlaceID, l.Name, l.SIRET, l.Territory, l.IBAN, l.BIC, l.Count, l.Amount})
	}
	return sh
}

var statusFR = map[string]string{places.StatusOwed: "dû", places.StatusBatched: "en lot", places.StatusPaid: "payé", places.StatusReversed: "annulé"}

func statementSheets(st places.Report) []spreadsheet.Sheet {
	reds := spreadsheet.Sheet{Name: "Chèques", Totals: true,
		Columns: []spreadsheet.Column{colDate("Date de séance"), colText("Chèque"), colText("Programme"), colEuro("Montant"),
			colText("Statut"), colText("Lot"), colDate("Payé le")}}
	for _, r := range st.Redemptions {
		reds.Rows = append(reds.Rows, []any{r.SessionDate, r.Serial, r.ProgrammeID, r.Amount, statusFR[r.Status], r.BatchID, r.PaidOn})
	}
	batches := spreadsheet.Sheet{Name: "Lots", Totals: true,
		Columns: []spreadsheet.Column{colText("Lot"), colDate("Date de coupure"), colInt("Chèques"), colEuro("Montant"),
			colDate("Payé le"), colText("Référence bancaire")}}
	for _, b := range st.Batches {
		batches.Rows = append(batches.Rows, []any{b.BatchID, b.CutOff, b.Count, b.Amount, b.PaidOn, b.BankReference})
	}
	summary := spreadsheet.Sheet{Name: "Synthèse", Columns: []spreadsheet.Column{colText("Rubrique"), colInt("Chèques"), colEuro("Montant")},
		Rows: [][]any{
			{"Dû (non mis en lot)", st.Counts.Owed, st.Owed},
			{"En lot, non payé", st.Counts.Batched, st.Batched},
			{"Payé", st.Counts.Paid, st.Paid},
			{"Annulé", st.Counts.Reversed, st.Reversed},
		}}
	return []spreadsheet.Sheet{summary, reds, batches}
}

func equitySheets(rep equity.Figures) []spreadsheet.Sheet {
	sh := spreadsheet.Sheet{Name: "Équité territoriale", Totals: true,
		Columns: []spreadsheet.Column{colText("Territoire"), colInt("Population"), colNum("Taux de fragilité"), colNum("Besoin"),
			colEuro("Alloué"), colEuro("Émis"), colEuro("Distribué"), colEuro("Utilisé"), colEuro("Expiré"), colEuro("Bloqué"),
			colNum("Alloué par unité de besoin"), colNum("Taux d'utilisation"), colText("Sous le seuil")}}
	for _, t := range rep.Territories {
		sh.Rows = append(sh.Rows, []any{t.Code, t.Population, t.FragilityRate.String(), t.Need.String(), t.Allocated, t.Minted,
			t.Issued, t.Redeemed, t.Expired, t.Blocked, decimalCell(t.AllocatedPerNeed), decimalCell(t.RedemptionRate), yesNo(t.BelowThreshold)})
	}
	ind := spreadsheet.Sheet{Name: "Indicateurs", Columns: []spreadsheet.Column{colText("Indicateur"), colText("Valeur")},
		Rows: [][]any{
			{"Coefficient de Gini (euros par unité de besoin)", decimalString(rep.Gini)},
			{"Médiane alloué par unité de besoin", decimalString(rep.MedianAllocatedPerNeed)},
			{"Seuil (80 % de la médiane)", decimalString(rep.FlagThreshold)},
			{"Territoires sous le seuil", itoa(rep.Total.Flagged)},
		}}
	return []spreadsheet.Sheet{sh, ind}
}

func decimalString(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}

func auditSheets(tr audit.Trail) []spreadsheet.Sheet {
	summary := spreadsheet.Sheet{Name: "Synthèse", Columns: []spreadsheet.Column{colText("Rubrique"), colEuro("Montant")},
		Rows: [][]any{
			{"Engagé", tr.Pledged}, {"Reçu", tr.Received}, {"Non reçu", tr.NotReceived},
			{"Avancé (trésorerie)", tr.Advanced}, {"Avances remboursées", tr.AdvanceRepaid}, {"Avances en cours", tr.AdvanceOutstanding},
			{"Alloué aux territoires", tr.Allocated}, {"Non alloué", tr.Unallocated}, {"Émis en chèques", tr.Minted},
			{"Dans les programmes", tr.InProgrammes}, {"Utilisé", tr.Redeemed}, {"Remboursé aux lieux", tr.Reimbursed},
			{"Dû aux lieux", tr.OwedToPlaces}, {"Expiré", tr.Expired}, {"Bloqué", tr.Blocked},
			{"Non émis restitué", tr.UnmintedReturned}, {"Restitué", tr.Returned}, {"Frais de l'opérateur", tr.Fees},
			{"Financement propre", tr.OwnFunding}, {"Financement des autres", tr.OthersFunding},
		}}
	terr := spreadsheet.Sheet{Name: "Utilisé par territoire", Totals: true, Columns: []spreadsheet.Column{colText("Territoire"), colEuro("Utilisé")}}
	for _, t := range tr.RedeemedByTerritory {
		terr.Rows = append(terr.Rows, []any{t.Territory, t.Amount})
	}
	alloc := spreadsheet.Sheet{Name: "Alloué par territoire", Totals: true, Columns: []spreadsheet.Column{colText("Territoire"), colEuro("Alloué")}}
	for _, t := range tr.AllocatedByTerritory {
		alloc.Rows = append(alloc.Rows, []any{t.Territory, t.Amount})
	}
	byPlace := spreadsheet.Sheet{Name: "Utilisé par lieu", Totals: true, Columns: []spreadsheet.Column{colText("Lieu"), colText("Territoire"), colEuro("Utilisé")}}
	for _, p := range tr.RedeemedByPlace {
		byPlace.Rows = append(byPlace.Rows, []any{p.PlaceID, p.Territory, p.Amount})
	}
	progs := spreadsheet.Sheet{Name: "Programmes", Totals: true,
		Columns: []spreadsheet.Column{colText("Programme"), colText("Territoire"), colEuro("Part propre"), colEuro("Financement total"), colEuro("Émis")}}
	for _, p := range tr.Programmes {
		progs.Rows = append(progs.Rows, []any{p.ProgrammeID, p.Territory, p.Own, p.Total, p.Minted})
	}
	return []spreadsheet.Sheet{summary, alloc, terr, byPlace, progs}
}
