package api

import (
	"net/http"

	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/domain"
)

// FundingLineRequest is one funding line: a funder or a fund's allocation.
type FundingLineRequest struct {
	FunderID string       `json:"funder_id,omitempty"`
	FundID   string       `json:"fund_id,omitempty"`
	Amount   domain.Money `json:"amount" required:"true"`
}

// ProgrammeRequest is the body of POST /v1/programmes.
type ProgrammeRequest struct {
	Name                  string               `json:"name" required:"true"`
	Territory             string               `json:"territory" required:"true"`
	ValidFrom             domain.Date          `json:"valid_from" required:"true"`
	ValidUntil            domain.Date          `json:"valid_until" required:"true"`
	ChequeValue           domain.Money         `json:"cheque_value" required:"true"`
	ChequesPerCarnet      int                  `json:"cheques_per_carnet" required:"true"`
	Funding               []FundingLineRequest `json:"funding" required:"true"`
	GraceDays             *int                 `json:"grace_days,omitempty" doc:"default 31"`
	OperatorFeeRate       *decimal.Decimal     `json:"operator_fee_rate,omitempty"`
	AllowOutsideTerritory bool                 `json:"allow_outside_territory,omitempty"`
}

// ProgrammeResponse answers a programme's creation.
type ProgrammeResponse struct {
	ID       string               `json:"id"`
	Funders  []domain.FunderShare `json:"funders"`
	Total    domain.Money         `json:"total_funding"`
	Position int64                `json:"position"`
}

func (s *Server) postProgramme(r *http.Request, p Principal) (int, any, error) {
	var req ProgrammeRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	cmd := domain.CreateProgrammeCommand{Name: req.Name, Territory: req.Territory, ValidFrom: req.ValidFrom, ValidUntil: req.ValidUntil,
		GraceDays: req.GraceDays, ChequeValue: req.ChequeValue, ChequesPerCarnet: req.ChequesPerCarnet,
		OperatorFeeRate: req.OperatorFeeRate, AllowOutsideTerritory: req.AllowOutsideTerritory}
	for _, l := range req.Funding {
		cmd.FundingLines = append(cmd.FundingLines, domain.FundingLine{FunderID: l.FunderID, FundID: l.FundID, Amount: l.Amount})
	}
	res, err := s.app.CreateProgramme(r.Context(), meta(r, p), cmd)
	if err != nil {
		return 0, nil, err
	}
	ev := res.Events()[0].(domain.ProgrammeCreated)
	return http.StatusCreated, ProgrammeResponse{ID: ev.ProgrammeID, Funders: ev.Funders, Total: ev.TotalFunding, Position: res.Position}, nil
}

// MintRequest is the body of POST /v1/programmes/{id}/mint.
type MintRequest struct {
	Carnets      int    `json:"carnets" required:"true"`
	PrescriberID string `json:"prescriber_id" required:"true"`
}

// MintedCheque is one minted cheque with the check code to print on it.
type MintedCheque struct {
	Serial    string `json:"serial"`
	CheckCode string `json:"check_code"`
}

// MintedCarnet is one minted carnet.
type MintedCarnet struct {
	ID      string         `json:"id"`
	Cheques []MintedCheque `json:"cheques"`
}

// MintResponse lists the minted carnets, for printing (check codes are derived from
// a server key and are not stored anywhere: this answer is where they are printed
// from).
type MintResponse struct {
	ProgrammeID string         `json:"programme_id"`
	Value       domain.Money   `json:"value"`
	Carnets     []MintedCarnet `json:"carnets"`
	Position    int64          `json:"position"`
}

func (s *Server) postMint(r *http.Request, p Principal) (int, any, error) {
	var req MintRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.MintCarnets(r.Context(), meta(r, p), pathID(r, "id"), req.PrescriberID, req.Carnets)
	if err != nil {
		return 0, nil, err
	}
	out := MintResponse{ProgrammeID: pathID(r, "id"), Position: res.Position}
	for _, e := range res.Events() {
		switch ev := e.(type) {
		case domain.CarnetsMinted:
			out.Value = ev.Value
		case domain.CarnetMinted:
			c := MintedCarnet{ID: ev.CarnetID}
			for _, serial := range ev.Serials {
				c.Cheques = append(c.Cheques, MintedCheque{Serial: serial, CheckCode: domain.CheckCode(s.secrets.Domain.CheckCode, serial)})
			}
			out.Carnets = append(out.Carnets, c)
		}
	}
	return http.StatusCreated, out, nil
}

// CloseRequest is the body of POST /v1/programmes/{id}/close.
type CloseRequest struct {
	AsOf domain.Date `json:"as_of" required:"true"`
}

// CloseResponse reports what expired.
type CloseResponse struct {
	ProgrammeID  string       `json:"programme_id"`
	ExpiredCount int          `json:"expired_count"`
	ExpiredValue domain.Money `json:"expired_value"`
	Unminted     domain.Money `json:"unminted"`
	Position     int64        `json:"position"`
}

func (s *Server) postClose(r *http.Request, p Principal) (int, any, error) {
	var req CloseRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.CloseProgramme(r.Context(), meta(r, p), domain.CloseProgrammeCommand{ProgrammeID: pathID(r, "id"), AsOf: req.AsOf})
	if err != nil {
		return 0, nil, err
	}
	out := CloseResponse{ProgrammeID: pathID(r, "id"), Position: res.Position}
	for _, e := range res.Events() {
		if ev, ok := e.(domain.ProgrammeClosed); ok {
			out.ExpiredCount, out.ExpiredValue, out.Unminted = ev.ExpiredCount, ev.ExpiredValue, ev.Unminted
		}
	}
	return http.StatusOK, out, nil
}

// ContributionRequest is the body of POST /v1/contributions.
type ContributionRequest struct {
	FunderID    string       `json:"funder_id" required:"true"`
	FundID      string       `json:"fund_id,omitempty"`
	ProgrammeID string       `json:"programme_id,omitempty"`
	Amount      domain.Money `json:"amount" required:"true"`
	PledgedOn   *domain.Date `json:"pledged_on,omitempty" doc:"default: today"`
}

func (s *Server) postContribution(r *http.Request, p Principal) (int, any, error) {
	var req ContributionRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	if err := own(p, RoleFunder, req.FunderID); err != nil {
		return 0, nil, err
	}
	on := domain.DateOf(s.app.Now())
	if req.PledgedOn != nil {
		on = *req.PledgedOn
	}
	res, err := s.app.PledgeContribution(r.Context(), meta(r, p), domain.PledgeContributionCommand{
		FunderID: req.FunderID, FundID: req.FundID, ProgrammeID: req.ProgrammeID, Amount: req.Amount, PledgedOn: on})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, CreatedResponse{ID: res.Events()[0].(domain.ContributionPledged).ContributionID, Position: res.Position}, nil
}

// ReceiptRequest is the body of POST /v1/contributions/{id}/receipts.
type ReceiptRequest struct {
	Amount        domain.Money `json:"amount" required:"true"`
	ReceivedOn    domain.Date  `json:"received_on" required:"true"`
	BankReference string       `json:"bank_reference,omitempty"`
}

func (s *Server) postReceipt(r *http.Request, p Principal) (int, any, error) {
	var req ReceiptRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.RecordReceipt(r.Context(), meta(r, p), domain.RecordReceiptCommand{
		ContributionID: pathID(r, "id"), Amount: req.Amount, ReceivedOn: req.ReceivedOn, BankReference: req.BankReference})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, CreatedResponse{ID: res.Events()[0].(domain.ContributionReceived).ReceiptID, Position: res.Position}, nil
}

// PerequationRequest is the body of POST /v1/funds/{id}/perequation-runs.
type PerequationRequest struct {
	Budget           domain.Money  `json:"budget" required:"true"`
	Floor            *domain.Money `json:"floor,omitempty"`
	CapPerInhabitant *domain.Money `json:"cap_per_inhabitant,omitempty"`
	Territories      []string      `json:"territories,omitempty" doc:"default: the fund's territories"`
}

// PerequationAllocation is one territory's share.
type PerequationAllocation struct {
	Territory string          `json:"territory"`
	Need      decimal.Decimal `json:"need"`
	Amount    domain.Money    `json:"amount"`
}

// PerequationResponse answers a run.
type PerequationResponse struct {
	RunID       string                  `json:"run_id"`
	Budget      domain.Money            `json:"budget"`
	Allocations []PerequationAllocation `json:"allocations"`
	Position    int64                   `json:"position"`
}

func (s *Server) postPerequation(r *http.Request, p Principal) (int, any, error) {
	var req PerequationRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.RunPerequation(r.Context(), meta(r, p), domain.RunPerequationCommand{
		FundID: pathID(r, "id"), Budget: req.Budget, Floor: req.Floor, CapPerInhabitant: req.CapPerInhabitant}, req.Territories)
	if err != nil {
		return 0, nil, err
	}
	ev := res.Events()[0].(domain.PerequationRun)
	out := PerequationResponse{RunID: ev.RunID, Budget: ev.Budget, Position: res.Position}
	for _, a := range ev.Allocations {
		out.Allocations = append(out.Allocations, PerequationAllocation{Territory: a.Code, Need: a.Need, Amount: a.Amount})
	}
	return http.StatusCreated, out, nil
}
