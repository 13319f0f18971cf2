package web

import (
	"net/http"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/places"
	"github.com/passnumerique/passledger/projections/treasury"
)

// financeView lists the reimbursement batches with their downloads and their
// reconciliation against the bank statement.
type financeView struct {
	Layout
	Batches []batchRow
	Recon   treasury.BankReconciliation
}

type batchRow struct {
	places.BatchSummary
	// Reconciled: a bank line was matched to the batch's payment (on LineDate).
	Reconciled bool
	LineDate   domain.Date
}

// Status is the batch's state for finance: to pay, paid and awaiting the bank
// statement, or reconciled.
func (b batchRow) Status() (label, class string) {
	switch {
	case b.PaidOn == nil:
		return "À payer", "wait"
	case b.Reconciled:
		return "Payé, rapproché du relevé du " + frDate(b.LineDate), "good"
	default:
		return "Payé, non rapproché", "bad"
	}
}

// StatusLabel and StatusClass are Status for the template.
func (b batchRow) StatusLabel() string { l, _ := b.Status(); return l }

// StatusClass is the badge class of Status.
func (b batchRow) StatusClass() string { _, c := b.Status(); return c }

func (p *Pages) financePage(w http.ResponseWriter, r *http.Request, s *session) {
	batches, err := places.BatchList(r.Context(), p.cfg.Querier)
	if err != nil {
		p.failed(w, r, s, err)
		return
	}
	rec, err := treasury.Reconciliation(r.Context(), p.cfg.Querier)
	if err != nil {
		p.failed(w, r, s, err)
		return
	}
	matched := map[string]domain.Date{}
	for _, l := range rec.Lines {
		if l.Matched && l.MovementKind == string(domain.MovementReimbursementPayment) {
			matched[l.MovementID] = l.Date
		}
	}
	v := financeView{Layout: Layout{Title: "Remboursements des lieux", Session: s}, Recon: rec}
	for _, b := range batches {
		d, ok := matched[b.BatchID]
		v.Batches = append(v.Batches, batchRow{BatchSummary: b, Reconciled: ok, LineDate: d})
	}
	p.render(w, http.StatusOK, "finance", v)
}
