package api

import (
	"net/http"
	"time"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/internal/receipt"
)

// IssueRequest is the body of POST /v1/carnets/{id}/issue.
type IssueRequest struct {
	BeneficiaryRef string `json:"beneficiary_ref" required:"true" doc:"pseudonymous reference; stored only as a keyed hash"`
	NeedLevel      string `json:"need_level" required:"true" enum:"NeedLevel"`
	JobSeeker      bool   `json:"job_seeker,omitempty"`
}

func (s *Server) postIssue(r *http.Request, p Principal) (int, any, error) {
	var req IssueRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.IssueCarnet(r.Context(), meta(r, p), domain.IssueCarnetCommand{
		CarnetID: pathID(r, "id"), PrescriberID: p.Org, BeneficiaryRef: req.BeneficiaryRef,
		NeedLevel: domain.NeedLevel(req.NeedLevel), JobSeeker: req.JobSeeker})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, WriteResponse{Position: res.Position}, nil
}

// CancelRequest is the body of POST /v1/carnets/{id}/cancel.
type CancelRequest struct {
	Reason string `json:"reason" required:"true" enum:"CancelReason"`
}

// CancelResponse reports the cheques blocked.
type CancelResponse struct {
	Blocked  int   `json:"blocked"`
	Position int64 `json:"position"`
}

func (s *Server) postCancel(r *http.Request, p Principal) (int, any, error) {
	var req CancelRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.CancelCarnet(r.Context(), meta(r, p), domain.CancelCarnetCommand{
		CarnetID: pathID(r, "id"), PrescriberID: p.Org, Reason: domain.CancelReason(req.Reason)})
	if err != nil {
		return 0, nil, err
	}
	blocked := 0
	for _, e := range res.Events() {
		if _, ok := e.(domain.ChequeBlocked); ok {
			blocked++
		}
	}
	return http.StatusOK, CancelResponse{Blocked: blocked, Position: res.Position}, nil
}

// RedemptionRequest is the body of POST /v1/redemptions.
type RedemptionRequest struct {
	Serial      string      `json:"serial" required:"true"`
	CheckCode   string      `json:"check_code" required:"true"`
	SessionDate domain.Date `json:"session_date" required:"true"`
	Service     string      `json:"service,omitempty"`
}

// RedemptionResponse is the accepted redemption with its signed receipt.
type RedemptionResponse struct {
	ID       string          `json:"id"`
	Serial   string          `json:"serial"`
	Amount   domain.Money    `json:"amount"`
	PlaceID  string          `json:"place_id"`
	Position int64           `json:"position"`
	Receipt  receipt.Receipt `json:"receipt"`
}

func (s *Server) postRedemption(r *http.Request, p Principal) (int, any, error) {
	var req RedemptionRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.RedeemCheque(r.Context(), meta(r, p), domain.RedeemChequeCommand{
		Serial: req.Serial, CheckCode: req.CheckCode, PlaceID: p.Org, SessionDate: req.SessionDate, Service: req.Service})
	if err != nil {
		return 0, nil, err
	}
	ev := res.Events()[0].(domain.ChequeRedeemed)
	rc, err := receipt.Sign(s.secrets.Signing, receipt.Facts{
		RedemptionID: ev.RedemptionID, Serial: ev.Serial, PlaceID: ev.PlaceID, ProgrammeID: ev.ProgrammeID,
		Territory: ev.ProgrammeTerritory, Amount: ev.Amount.String(), Currency: "EUR", SessionDate: ev.SessionDate.String(),
		RedeemedAt: ev.RedeemedAt.UTC().Format(time.RFC3339Nano), Position: res.Position, Ledger: "passledger",
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, RedemptionResponse{ID: ev.RedemptionID, Serial: ev.Serial, Amount: ev.Amount, PlaceID: ev.PlaceID,
		Position: res.Position, Receipt: rc}, nil
}

// ReversalRequest is the optional body of POST /v1/redemptions/{id}/reversal.
type ReversalRequest struct {
	Reason string `json:"reason,omitempty"`
}

func (s *Server) postReversal(r *http.Request, p Principal) (int, any, error) {
	var req ReversalRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(r, &req); err != nil {
			return 0, nil, err
		}
	}
	res, err := s.app.ReverseRedemption(r.Context(), meta(r, p), domain.ReverseRedemptionCommand{
		RedemptionID: pathID(r, "id"), PlaceID: p.Org, Reason: req.Reason})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, WriteResponse{Position: res.Position}, nil
}

func (s *Server) getKeys(*http.Request, Principal) (int, any, error) {
	return http.StatusOK, receipt.KeySet{Keys: []receipt.PublicKey{receipt.Publish(s.secrets.Signing)}}, nil
}
