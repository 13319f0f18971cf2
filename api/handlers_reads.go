package api

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/audit"
	"github.com/passnumerique/passledger/projections/balances"
	"github.com/passnumerique/passledger/projections/cheques"
	"github.com/passnumerique/passledger/projections/equity"
	"github.com/passnumerique/passledger/projections/places"
	"github.com/passnumerique/passledger/projections/prescribers"
	"github.com/passnumerique/passledger/projections/treasury"
)

// Read endpoints: thin queries of the projections (read models).

// queryDate reads an optional YYYY-MM-DD query parameter.
func queryDate(r *http.Request, name string) (*domain.Date, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	d, err := domain.ParseDate(v)
	if err != nil {
		return nil, errBadRequest("%s must be a date YYYY-MM-DD", name)
	}
	return &d, nil
}

func (s *Server) getStock(r *http.Request, _ Principal) (int, any, error) {
	inv, err := prescribers.Stock(r.Context(), s.pool, pathID(r, "id"))
	return http.StatusOK, inv, err
}

// getCheque shows a cheque to finance, auditors and admins; to the prescriber whose
// stock it came from; and to the place that redeemed it (a token sees its own
// organisation's data alone). Others are told it does not exist.
func (s *Server) getCheque(r *http.Request, p Principal) (int, any, error) {
	c, err := cheques.Cheque(r.Context(), s.pool, s.store, domain.NormalizeSerial(pathID(r, "serial")))
	if err != nil {
		return 0, nil, err
	}
	hidden := (p.Role == RolePrescriber && c.PrescriberID != p.Org) ||
		(p.Role == RolePlace && (c.Redemption == nil || c.Redemption.PlaceID != p.Org))
	if hidden {
		return 0, nil, problemf(http.StatusNotFound, "not-found", "Not found", "no cheque %s for %s", c.Serial, p.Org)
	}
	return http.StatusOK, c, nil
}

func (s *Server) getStatement(r *http.Request, _ Principal) (int, any, error) {
	xlsx, err := wantsXLSX(r)
	if err != nil {
		return 0, nil, err
	}
	st, err := places.Statement(r.Context(), s.pool, pathID(r, "id"))
	if err != nil || !xlsx {
		return http.StatusOK, st, err
	}
	body, err := xlsxBody(statementSheets(st)...)
	return http.StatusOK, body, err
}

// AdvancesResponse lists treasury advances with their ageing.
type AdvancesResponse struct {
	AsOf        domain.Date            `json:"as_of"`
	Status      string                 `json:"status" enum:"AdvanceFilter"`
	Advances    []treasury.Advance     `json:"advances"`
	Buckets     []treasury.BucketTotal `json:"buckets"`
	Outstanding domain.Money           `json:"outstanding"`
}

func (s *Server) getAdvances(r *http.Request, _ Principal) (int, any, error) {
	asOf, err := queryDate(r, "as_of")
	if err != nil {
		return 0, nil, err
	}
	status := r.URL.Query().Get("status")
	if status != "" && status != "outstanding" && status != "all" {
		return 0, nil, errBadRequest("status must be outstanding or all")
	}
	day := domain.DateOf(s.app.Now())
	if asOf != nil {
		day = *asOf
	}
	advs, err := treasury.Advances(r.Context(), s.pool, day, status == "outstanding")
	if err != nil {
		return 0, nil, err
	}
	out := AdvancesResponse{AsOf: day, Status: status, Advances: advs, Buckets: treasury.Ageing(advs)}
	if out.Status == "" {
		out.Status = "all"
	}
	for _, b := range out.Buckets {
		out.Outstanding = out.Outstanding.Add(b.Outstanding)
	}
	return http.StatusOK, out, nil
}

func (s *Server) getReconciliation(r *http.Request, _ Principal) (int, any, error) {
	rec, err := treasury.Reconciliation(r.Context(), s.pool)
	return http.StatusOK, rec, err
}

func (s *Server) getEquity(r *http.Request, _ Principal) (int, any, error) {
	asOf, err := queryDate(r, "as_of")
	if err != nil {
		return 0, nil, err
	}
	xlsx, err := wantsXLSX(r, "csv", "html")
	if err != nil {
		return 0, nil, err
	}
	rep, err := equity.Report(r.Context(), s.pool, r.URL.Query().Get("fund_id"), asOf)
	if err != nil {
		return 0, nil, err
	}
	if xlsx {
		body, err := xlsxBody(equitySheets(rep)...)
		return http.StatusOK, body, err
	}
	switch accept := r.Header.Get("Accept"); {
	case strings.Contains(accept, "text/csv"):
		var b bytes.Buffer
		if err := equity.WriteCSV(&b, rep); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, rawBody{contentType: "text/csv; charset=utf-8", body: b.Bytes()}, nil
	case strings.Contains(accept, "text/html") && s.equityPage != nil:
		var b bytes.Buffer
		if err := s.equityPage(&b, rep); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, rawBody{contentType: "text/html; charset=utf-8", body: b.Bytes()}, nil
	}
	return http.StatusOK, rep, nil
}

func (s *Server) getAudit(r *http.Request, _ Principal) (int, any, error) {
	asOf, err := queryDate(r, "as_of")
	if err != nil {
		return 0, nil, err
	}
	var day domain.Date // absent: everything recorded, as for every report
	if asOf != nil {
		day = *asOf
	}
	xlsx, err := wantsXLSX(r)
	if err != nil {
		return 0, nil, err
	}
	tr, err := audit.Audit(r.Context(), s.pool, pathID(r, "id"), day)
	if err != nil || !xlsx {
		return http.StatusOK, tr, err
	}
	body, err := xlsxBody(auditSheets(tr)...)
	return http.StatusOK, body, err
}

// BalancesResponse lists account balances (debit positive, credit negative).
type BalancesResponse struct {
	AsOf     *domain.Date              `json:"as_of,omitempty"`
	Accounts []balances.AccountBalance `json:"accounts"`
	// Total is the sum of all balances: 0.00 in a balanced ledger.
	Total domain.Money `json:"total"`
}

func (s *Server) getBalances(r *http.Request, _ Principal) (int, any, error) {
	asOf, err := queryDate(r, "as_of")
	if err != nil {
		return 0, nil, err
	}
	bs, err := balances.Balances(r.Context(), s.pool, asOf)
	if err != nil {
		return 0, nil, err
	}
	out := BalancesResponse{AsOf: asOf, Accounts: bs}
	for _, b := range bs {
		out.Total = out.Total.Add(b.Balance)
	}
	return http.StatusOK, out, nil
}

// TrialBalanceResponse proves the double entry: the sum of all balances.
type TrialBalanceResponse struct {
	Total    domain.Money `json:"total"`
	Accounts int          `json:"accounts"`
	Balanced bool         `json:"balanced"`
}

func (s *Server) getTrialBalance(r *http.Request, _ Principal) (int, any, error) {
	total, n, err := balances.TrialBalance(r.Context(), s.pool)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, TrialBalanceResponse{Total: total, Accounts: n, Balanced: total.IsZero()}, nil
}
