package api

import (
	"net/http"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/domain"
)

// BatchRequest is the body of POST /v1/reimbursement-batches.
type BatchRequest struct {
	CutOff domain.Date `json:"cut_off" required:"true"`
}

// BatchResponse is a reimbursement batch: one line per place.
type BatchResponse struct {
	ID       string             `json:"id"`
	CutOff   domain.Date        `json:"cut_off"`
	Lines    []domain.BatchLine `json:"lines"`
	Total    domain.Money       `json:"total"`
	Count    int                `json:"count"`
	Position int64              `json:"position"`
}

func (s *Server) postBatch(r *http.Request, p Principal) (int, any, error) {
	var req BatchRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.CreateReimbursementBatch(r.Context(), meta(r, p), domain.CreateReimbursementBatchCommand{CutOff: req.CutOff})
	if err != nil {
		return 0, nil, err
	}
	ev := res.Events()[0].(domain.ReimbursementBatchCreated)
	return http.StatusCreated, BatchResponse{ID: ev.BatchID, CutOff: ev.CutOff, Lines: ev.Lines, Total: ev.Total, Count: ev.Count, Position: res.Position}, nil
}

// PaymentRequest is the body of POST /v1/reimbursement-batches/{id}/payment.
type PaymentRequest struct {
	PaidOn        domain.Date `json:"paid_on" required:"true"`
	BankReference string      `json:"bank_reference" required:"true"`
}

// PaymentResponse reports a paid batch.
type PaymentResponse struct {
	BatchID  string       `json:"batch_id"`
	Total    domain.Money `json:"total"`
	Position int64        `json:"position"`
}

func (s *Server) postPayment(r *http.Request, p Principal) (int, any, error) {
	var req PaymentRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.PayReimbursementBatch(r.Context(), meta(r, p), domain.PayReimbursementBatchCommand{
		BatchID: pathID(r, "id"), PaidOn: req.PaidOn, BankReference: req.BankReference})
	if err != nil {
		return 0, nil, err
	}
	ev := res.Events()[0].(domain.ReimbursementBatchPaid)
	return http.StatusOK, PaymentResponse{BatchID: ev.BatchID, Total: ev.Total, Position: res.Position}, nil
}

// AdvanceRequest is the body of POST /v1/advances.
type AdvanceRequest struct {
	ContributionID   string       `json:"contribution_id" required:"true"`
	BeneficiaryOrgID string       `json:"beneficiary_org_id,omitempty"`
	Amount           domain.Money `json:"amount" required:"true"`
	GrantedOn        domain.Date  `json:"granted_on" required:"true"`
	DueOn            *domain.Date `json:"due_on,omitempty"`
}

func (s *Server) postAdvance(r *http.Request, p Principal) (int, any, error) {
	var req AdvanceRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.GrantAdvance(r.Context(), meta(r, p), domain.GrantAdvanceCommand{
		ContributionID: req.ContributionID, Amount: req.Amount, GrantedOn: req.GrantedOn,
		BeneficiaryOrgID: req.BeneficiaryOrgID, DueOn: req.DueOn})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, CreatedResponse{ID: res.Events()[0].(domain.AdvanceGranted).AdvanceID, Position: res.Position}, nil
}

// RepaymentRequest is the body of POST /v1/advances/{id}/repayments.
type RepaymentRequest struct {
	Amount   domain.Money `json:"amount" required:"true"`
	RepaidOn domain.Date  `json:"repaid_on" required:"true"`
}

func (s *Server) postRepayment(r *http.Request, p Principal) (int, any, error) {
	var req RepaymentRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.RepayAdvance(r.Context(), meta(r, p), domain.RepayAdvanceCommand{
		AdvanceID: pathID(r, "id"), Amount: req.Amount, RepaidOn: req.RepaidOn})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, CreatedResponse{ID: res.Events()[0].(domain.AdvanceRepaid).RepaymentID, Position: res.Position}, nil
}

// BankLineResult is one imported statement line and its match.
type BankLineResult struct {
	ID           string       `json:"id"`
	Line         int          `json:"line"`
	Date         domain.Date  `json:"date"`
	Amount       domain.Money `json:"amount"`
	Reference    string       `json:"reference"`
	Label        string       `json:"label"`
	Matched      bool         `json:"matched"`
	MovementKind string       `json:"movement_kind,omitempty" enum:"MovementKind"`
	MovementID   string       `json:"movement_id,omitempty"`
	// UnmatchedReason says why an unmatched line was not matched: no_reference,
	// no_candidate, amount_differs, several_candidates or already_matched.
	UnmatchedReason string `json:"unmatched_reason,omitempty"`
}

// StatementResult identifies one imported statement.
type StatementResult struct {
	ID        string `json:"id"`
	Account   string `json:"account"`
	Reference string `json:"reference"`
	Lines     int    `json:"lines"`
}

// BankStatementResponse lists the imported lines.
type BankStatementResponse struct {
	Format     string            `json:"format"`
	Statements []StatementResult `json:"statements"`
	Lines      []BankLineResult  `json:"lines"`
	Matched    int               `json:"matched"`
	Unmatched  int               `json:"unmatched"`
	Position   int64             `json:"position"`
}

// postBankStatement imports a statement (CSV or camt.053, by Content-Type) and
// matches its lines, in one command that also records the statement's identity:
// the same statement imported again is refused (409 statement-already-imported)
// and writes nothing.
func (s *Server) postBankStatement(r *http.Request, p Principal) (int, any, error) {
	doc, err := readStatement(r)
	if err != nil {
		return 0, nil, err
	}
	res, outcomes, err := s.app.ImportStatement(r.Context(), meta(r, p), doc)
	if err != nil {
		return 0, nil, err
	}
	out := BankStatementResponse{Format: doc.Format, Position: res.Position}
	var lines []app.BankLineInput
	for _, st := range doc.Statements {
		out.Statements = append(out.Statements, StatementResult{ID: domain.StatementID(st.Account, st.Reference),
			Account: st.Account, Reference: st.Reference, Lines: len(st.Lines)})
		lines = append(lines, st.Lines...)
	}
	for i, o := range outcomes {
		l := lines[i]
		line := BankLineResult{ID: o.ID, Line: i + 1, Date: l.Date, Amount: l.Amount, Reference: l.Reference, Label: l.Label, Matched: o.Matched}
		if o.Matched {
			line.MovementKind, line.MovementID = string(o.Movement.Kind), o.Movement.ID
			out.Matched++
		} else {
			line.UnmatchedReason = string(o.Reason)
			out.Unmatched++
		}
		out.Lines = append(out.Lines, line)
	}
	return http.StatusCreated, out, nil
}

// MatchRequest is the body of POST /v1/bank-lines/{id}/match.
type MatchRequest struct {
	MovementKind string `json:"movement_kind" required:"true" enum:"MovementKind"`
	MovementID   string `json:"movement_id" required:"true"`
}

func (s *Server) postMatch(r *http.Request, p Principal) (int, any, error) {
	var req MatchRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.MatchBankLine(r.Context(), meta(r, p), pathID(r, "id"), domain.MovementKind(req.MovementKind), req.MovementID)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, WriteResponse{Position: res.Position}, nil
}
