package api

import (
	"errors"
	"github.com/passnumerique/passledger/internal/reference"
	"net/http"

	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/domain"
)

// meta is the event metadata of a request.
func meta(r *http.Request, p Principal) app.Meta {
	m := app.Meta{Actor: string(p.Role) + ":" + p.TokenID, Organisation: p.Org, CorrelationID: r.Header.Get("X-Correlation-Id")}
	if k := r.Header.Get("Idempotency-Key"); k != "" && r.Method == http.MethodPost {
		m.IdempotencyKey = p.TokenID + ":" + r.Method + ":" + r.URL.Path + ":" + k
	}
	return m
}

// TerritoryRequest is the body of PUT /v1/territories/{code}.
type TerritoryRequest struct {
	Name          string          `json:"name,omitempty"`
	Population    int64           `json:"population" required:"true"`
	FragilityRate decimal.Decimal `json:"fragility_rate" required:"true"`
	Source        string          `json:"source" required:"true"`
	AsOf          *domain.Date    `json:"as_of,omitempty"`
}

// TerritoryResponse answers a territory's need record.
type TerritoryResponse struct {
	Code          string          `json:"code"`
	Name          string          `json:"name,omitempty"`
	Population    int64           `json:"population"`
	FragilityRate decimal.Decimal `json:"fragility_rate"`
	Need          decimal.Decimal `json:"need"`
	Source        string          `json:"source"`
	AsOf          domain.Date     `json:"as_of"`
	Position      int64           `json:"position"`
}

func (s *Server) putTerritory(r *http.Request, p Principal) (int, any, error) {
	var req TerritoryRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	code := pathID(r, "code")
	asOf := domain.DateOf(s.app.Now())
	if req.AsOf != nil {
		asOf = *req.AsOf
	}
	res, err := s.app.RecordTerritoryNeed(r.Context(), meta(r, p), domain.RecordTerritoryNeedCommand{
		Code: code, Population: req.Population, FragilityRate: req.FragilityRate, Source: req.Source, AsOf: asOf,
	})
	if err != nil {
		return 0, nil, err
	}
	ev := res.Events()[0].(domain.TerritoryNeedRecorded)
	name := req.Name
	if name == "" {
		if d, ok := reference.Departement(code); ok {
			name = d.Name
		}
	}
	return http.StatusOK, TerritoryResponse{Code: code, Name: name, Population: ev.Population, FragilityRate: ev.FragilityRate,
		Need: ev.Need, Source: ev.Source, AsOf: ev.AsOf, Position: res.Position}, nil
}

// CreatedResponse answers a creation: the new id and the write's position.
type CreatedResponse struct {
	ID       string `json:"id"`
	Position int64  `json:"position"`
}

// FunderRequest is the body of POST /v1/funders.
type FunderRequest struct {
	Name string `json:"name" required:"true"`
	Kind string `json:"kind" required:"true" enum:"FunderKind"`
}

func (s *Server) postFunder(r *http.Request, p Principal) (int, any, error) {
	var req FunderRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.RegisterFunder(r.Context(), meta(r, p), domain.RegisterFunderCommand{Name: req.Name, Kind: domain.FunderKind(req.Kind)})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, CreatedResponse{ID: res.Events()[0].(domain.FunderRegistered).FunderID, Position: res.Position}, nil
}

// FundRequest is the body of POST /v1/funds.
type FundRequest struct {
	Name        string   `json:"name" required:"true"`
	Territories []string `json:"territories" required:"true"`
}

func (s *Server) postFund(r *http.Request, p Principal) (int, any, error) {
	var req FundRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.CreateFund(r.Context(), meta(r, p), domain.CreateFundCommand{Name: req.Name, Territories: req.Territories})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, CreatedResponse{ID: res.Events()[0].(domain.FundCreated).FundID, Position: res.Position}, nil
}

// PrescriberRequest is the body of POST /v1/prescribers.
type PrescriberRequest struct {
	Name      string `json:"name" required:"true"`
	Kind      string `json:"kind" required:"true" enum:"PrescriberKind"`
	Territory string `json:"territory" required:"true"`
}

func (s *Server) postPrescriber(r *http.Request, p Principal) (int, any, error) {
	var req PrescriberRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.RegisterPrescriber(r.Context(), meta(r, p), domain.RegisterPrescriberCommand{Name: req.Name, Kind: domain.PrescriberKind(req.Kind), Territory: req.Territory})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, CreatedResponse{ID: res.Events()[0].(domain.PrescriberRegistered).PrescriberID, Position: res.Position}, nil
}

// PlaceRequest is the body of POST /v1/places.
type PlaceRequest struct {
	Name      string `json:"name" required:"true"`
	SIRET     string `json:"siret" required:"true"`
	Territory string `json:"territory" required:"true"`
}

func (s *Server) postPlace(r *http.Request, p Principal) (int, any, error) {
	var req PlaceRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.RegisterPlace(r.Context(), meta(r, p), domain.RegisterPlaceCommand{Name: req.Name, SIRET: req.SIRET, Territory: req.Territory})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, CreatedResponse{ID: res.Events()[0].(domain.PlaceRegistered).PlaceID, Position: res.Position}, nil
}

// LabelRequest is the body of POST /v1/places/{id}/label.
type LabelRequest struct {
	Action      string      `json:"action" required:"true" enum:"LabelAction"`
	EffectiveOn domain.Date `json:"effective_on" required:"true"`
	Reason      string      `json:"reason,omitempty"`
}

// WriteResponse answers a write that creates nothing new.
type WriteResponse struct {
	Position int64 `json:"position"`
}

func (s *Server) postLabel(r *http.Request, p Principal) (int, any, error) {
	var req LabelRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	res, err := s.app.ChangePlaceLabel(r.Context(), meta(r, p), domain.ChangePlaceLabelCommand{
		PlaceID: pathID(r, "id"), Action: domain.LabelAction(req.Action), EffectiveOn: req.EffectiveOn, Reason: req.Reason})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, WriteResponse{Position: res.Position}, nil
}

// TokenRequest is the body of POST /v1/tokens.
type TokenRequest struct {
	Role  string `json:"role" required:"true" enum:"Role"`
	OrgID string `json:"org_id,omitempty" doc:"the funder, prescriber or place id (finance: its structure); none for admin and auditor"`
	Label string `json:"label,omitempty"`
}

// TokenResponse carries the new token: it is shown this once.
type TokenResponse struct {
	ID    string `json:"id"`
	Token string `json:"token"`
	Role  string `json:"role" enum:"Role"`
	OrgID string `json:"org_id,omitempty"`
}

func (s *Server) postToken(r *http.Request, _ Principal) (int, any, error) {
	var req TokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	id, token, err := CreateToken(r.Context(), s.pool, Role(req.Role), req.OrgID, req.Label)
	if errors.Is(err, ErrInvalidToken) {
		return 0, nil, problemf(http.StatusUnprocessableEntity, "invalid-argument", "Invalid argument", "%v", err)
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, TokenResponse{ID: id, Token: token, Role: req.Role, OrgID: req.OrgID}, nil
}
