package api

import (
	"github.com/passnumerique/passledger/internal/reference"
	"net/http"

	"github.com/passnumerique/passledger/internal/spreadsheet"
	"github.com/passnumerique/passledger/projections/audit"
	"github.com/passnumerique/passledger/projections/balances"
	"github.com/passnumerique/passledger/projections/cheques"
	"github.com/passnumerique/passledger/projections/equity"
	"github.com/passnumerique/passledger/projections/places"
	"github.com/passnumerique/passledger/projections/prescribers"
	"github.com/passnumerique/passledger/projections/treasury"
)

// Role sets used by the route table.
var (
	adminOnly     = []Role{RoleAdmin}
	financeStaff  = []Role{RoleFinance, RoleAdmin}
	auditors      = []Role{RoleAuditor, RoleAdmin}
	financeReads  = []Role{RoleFinance, RoleAuditor, RoleAdmin}
	reportReaders = []Role{RoleFunder, RoleFinance, RoleAuditor, RoleAdmin}
)

// buildRoutes is the API: every endpoint, its roles, its types and its handler.
func (s *Server) buildRoutes() []Route {
	return []Route{
		// Reference data and organisations (admin).
		{Method: "PUT", Path: "/v1/territories/{code}", Summary: "Record a territory's need data (population, fragility rate)", Roles: adminOnly,
			Request: TerritoryRequest{}, Response: TerritoryResponse{}, Status: http.StatusOK, handle: s.putTerritory},
		{Method: "GET", Path: "/v1/territories", Summary: "The 101 French départements (built-in reference data)", Roles: Roles,
			Response: []reference.DepartementInfo{}, Status: http.StatusOK, handle: s.getTerritories},
		{Method: "POST", Path: "/v1/funders", Summary: "Register a funder", Roles: adminOnly,
			Request: FunderRequest{}, Response: CreatedResponse{}, Status: http.StatusCreated, handle: s.postFunder},
		{Method: "POST", Path: "/v1/funds", Summary: "Create a support fund over territories", Roles: adminOnly,
			Request: FundRequest{}, Response: CreatedResponse{}, Status: http.StatusCreated, handle: s.postFund},
		{Method: "POST", Path: "/v1/prescribers", Summary: "Register a prescriber", Roles: adminOnly,
			Request: PrescriberRequest{}, Response: CreatedResponse{}, Status: http.StatusCreated, handle: s.postPrescriber},
		{Method: "POST", Path: "/v1/places", Summary: "Register a mediation place", Roles: adminOnly,
			Request: PlaceRequest{}, Response: CreatedResponse{}, Status: http.StatusCreated, handle: s.postPlace},
		{Method: "PUT", Path: "/v1/places/{id}/bank-account", Summary: "Set or change the bank account a place is reimbursed to (IBAN, BIC)", Roles: adminOnly,
			Request: BankAccountRequest{}, Response: BankAccountResponse{}, Status: http.StatusOK, handle: s.putPlaceBankAccount},
		{Method: "POST", Path: "/v1/places/{id}/label", Summary: "Grant, suspend or withdraw a place's label", Roles: adminOnly,
			Request: LabelRequest{}, Response: WriteResponse{}, Status: http.StatusOK, handle: s.postLabel},
		{Method: "POST", Path: "/v1/programmes", Summary: "Create a programme with its funding lines", Roles: adminOnly,
			Request: ProgrammeRequest{}, Response: ProgrammeResponse{}, Status: http.StatusCreated, handle: s.postProgramme},
		{Method: "POST", Path: "/v1/programmes/{id}/mint", Summary: "Mint carnets into a prescriber's stock", Roles: adminOnly,
			Request: MintRequest{}, Response: MintResponse{}, Status: http.StatusCreated, handle: s.postMint},
		{Method: "POST", Path: "/v1/programmes/{id}/close", Summary: "Close a programme: unredeemed cheques expire", Roles: adminOnly,
			Request: CloseRequest{}, Response: CloseResponse{}, Status: http.StatusOK, handle: s.postClose},

		{Method: "POST", Path: "/v1/tokens", Summary: "Create an access token (shown once, stored hashed)", Roles: adminOnly,
			Request: TokenRequest{}, Response: TokenResponse{}, Status: http.StatusCreated, Secret: true, handle: s.postToken},

		// Funding.
		{Method: "POST", Path: "/v1/contributions", Summary: "Pledge a contribution to a fund or a programme", Roles: []Role{RoleFunder, RoleFinance, RoleAdmin},
			Request: ContributionRequest{}, Response: CreatedResponse{}, Status: http.StatusCreated, handle: s.postContribution},
		{Method: "POST", Path: "/v1/contributions/{id}/receipts", Summary: "Record money received on a pledge", Roles: financeStaff,
			Request: ReceiptRequest{}, Response: CreatedResponse{}, Status: http.StatusCreated, handle: s.postReceipt},
		{Method: "POST", Path: "/v1/funds/{id}/perequation-runs", Summary: "Share a fund between territories by need", Roles: financeStaff,
			Request: PerequationRequest{}, Response: PerequationResponse{}, Status: http.StatusCreated, handle: s.postPerequation},

		// Cheques.
		{Method: "POST", Path: "/v1/carnets/{id}/issue", Summary: "Issue a carnet to a beneficiary", Roles: []Role{RolePrescriber},
			Request: IssueRequest{}, Response: WriteResponse{}, Status: http.StatusOK, handle: s.postIssue},
		{Method: "POST", Path: "/v1/carnets/{id}/cancel", Summary: "Cancel a lost or stolen carnet", Roles: []Role{RolePrescriber},
			Request: CancelRequest{}, Response: CancelResponse{}, Status: http.StatusOK, handle: s.postCancel},
		{Method: "POST", Path: "/v1/redemptions", Summary: "Redeem a cheque for a mediation session (signed receipt)", Roles: []Role{RolePlace},
			Request: RedemptionRequest{}, Response: RedemptionResponse{}, Status: http.StatusCreated, handle: s.postRedemption},
		{Method: "POST", Path: "/v1/redemptions/{id}/reversal", Summary: "Reverse the place's own redemption within 48 hours", Roles: []Role{RolePlace},
			Request: ReversalRequest{}, Response: WriteResponse{}, Status: http.StatusOK, handle: s.postReversal},
		{Method: "GET", Path: "/v1/keys", Summary: "Public keys that verify redemption receipts", Public: true,
			Response: receiptKeySet{}, Status: http.StatusOK, handle: s.getKeys},

		// Finance.
		{Method: "POST", Path: "/v1/reimbursement-batches", Summary: "Batch what is owed to places up to a cut-off", Roles: financeStaff,
			Request: BatchRequest{}, Response: BatchResponse{}, Status: http.StatusCreated, handle: s.postBatch},
		{Method: "POST", Path: "/v1/reimbursement-batches/{id}/payment", Summary: "Mark a batch paid", Roles: financeStaff,
			Request: PaymentRequest{}, Response: PaymentResponse{}, Status: http.StatusOK, handle: s.postPayment},
		{Method: "POST", Path: "/v1/advances", Summary: "Grant a treasury advance against a pledge", Roles: financeStaff,
			Request: AdvanceRequest{}, Response: CreatedResponse{}, Status: http.StatusCreated, handle: s.postAdvance},
		{Method: "POST", Path: "/v1/advances/{id}/repayments", Summary: "Record a repayment of an advance", Roles: financeStaff,
			Request: RepaymentRequest{}, Response: CreatedResponse{}, Status: http.StatusCreated, handle: s.postRepayment},
		{Method: "POST", Path: "/v1/bank-statements", Summary: "Import a bank statement (text/csv date;amount;reference;label, or application/xml camt.053.001.02/.08) and match its lines; a statement already imported is refused (409 statement-already-imported)", Roles: financeStaff,
			Consumes: map[string]string{
				"text/csv":        "One line per bank line: date;amount;reference;label (a header line is allowed; UTF-8 or Windows-1252; a decimal comma or point; at most 4 MiB).",
				"text/plain":      "The same CSV as text/csv.",
				"application/xml": "An ISO 20022 camt.053.001.02 or camt.053.001.08 statement (at most 4 MiB); booked entries only are imported.",
				"text/xml":        "The same camt.053 as application/xml.",
			},
			Response: BankStatementResponse{}, Status: http.StatusCreated, handle: s.postBankStatement},
		{Method: "POST", Path: "/v1/bank-lines/{id}/match", Summary: "Match a bank line to one expected movement by hand", Roles: financeStaff,
			Request: MatchRequest{}, Response: WriteResponse{}, Status: http.StatusOK, handle: s.postMatch},

		// Reads (projections).
		{Method: "GET", Path: "/v1/prescribers/{id}/stock", Summary: "A prescriber's carnet stock and issuance by need level", Roles: []Role{RolePrescriber, RoleFinance, RoleAuditor, RoleAdmin},
			Owner: map[Role]string{RolePrescriber: "id"}, Projection: prescribers.Name, Response: prescribers.Inventory{}, Status: http.StatusOK, handle: s.getStock},
		{Method: "GET", Path: "/v1/cheques/{serial}", Summary: "A cheque's status and history", Roles: []Role{RolePlace, RolePrescriber, RoleFinance, RoleAuditor, RoleAdmin},
			Projection: cheques.Name, Response: cheques.State{}, Status: http.StatusOK, handle: s.getCheque},
		{Method: "GET", Path: "/v1/places/{id}/statement", Summary: "What a place is owed and was paid, redemption by redemption", Roles: []Role{RolePlace, RoleFinance, RoleAuditor, RoleAdmin},
			Owner: map[Role]string{RolePlace: "id"}, Query: map[string]string{"format": "json (default) or xlsx"}, Projection: places.Name, Response: places.Report{},
			Produces: []string{spreadsheet.ContentType}, Status: http.StatusOK, handle: s.getStatement},
		{Method: "GET", Path: "/v1/reimbursement-batches/{id}", Summary: "A reimbursement batch: one line per place with its bank account (JSON, or XLSX with ?format=xlsx)", Roles: financeReads,
			Query: map[string]string{"format": "json (default) or xlsx"}, Projection: places.Name, Response: places.Batch{},
			Produces: []string{spreadsheet.ContentType}, Status: http.StatusOK, handle: s.getBatch},
		{Method: "GET", Path: "/v1/reimbursement-batches/{id}/sepa", Summary: "The batch as a SEPA credit transfer initiation file (ISO 20022 pain.001.001.09, or .03)", Roles: financeStaff,
			Query:      map[string]string{"version": "pain.001.001.09 (default) or pain.001.001.03", "execution_date": "requested execution date (default: the payment date of a paid batch, else today)"},
			Projection: places.Name, Produces: []string{"application/xml"}, Status: http.StatusOK, handle: s.getBatchSEPA},
		{Method: "GET", Path: "/v1/advances", Summary: "Treasury advances with their ageing", Roles: financeReads,
			Query:      map[string]string{"status": "outstanding or all (default)", "as_of": "date of the ageing (default today)"},
			Projection: treasury.Name, Response: AdvancesResponse{}, Status: http.StatusOK, handle: s.getAdvances},
		{Method: "GET", Path: "/v1/reconciliation", Summary: "Bank lines and expected movements, matched or not", Roles: financeReads,
			Projection: treasury.Name, Response: treasury.BankReconciliation{}, Status: http.StatusOK, handle: s.getReconciliation},
		{Method: "GET", Path: "/v1/reports/equity", Summary: "Territorial equity report (JSON; CSV with Accept: text/csv; XLSX with ?format=xlsx; the report page, map and charts, with Accept: text/html)", Roles: reportReaders,
			Query:      map[string]string{"fund_id": "restrict allocations to one fund", "as_of": "last effective date counted (absent: everything recorded)", "format": "json (default) or xlsx"},
			Projection: equity.Name, Response: equity.Figures{}, Produces: s.equityMediaTypes(), Status: http.StatusOK, handle: s.getEquity},
		{Method: "GET", Path: "/v1/funders/{id}/audit", Summary: "Where each of a funder's euros is, at a date; its leverage", Roles: reportReaders,
			Owner: map[Role]string{RoleFunder: "id"}, Query: map[string]string{"as_of": "last effective date counted (absent: everything recorded)", "format": "json (default) or xlsx"},
			Projection: audit.Name, Response: audit.Trail{}, Produces: []string{spreadsheet.ContentType}, Status: http.StatusOK, handle: s.getAudit},
		{Method: "GET", Path: "/v1/balances", Summary: "Account balances (double entry), now or at a date", Roles: financeReads,
			Query: map[string]string{"as_of": "last effective date counted (absent: everything recorded)"}, Projection: balances.Name, Response: BalancesResponse{}, Status: http.StatusOK, handle: s.getBalances},
		{Method: "GET", Path: "/v1/trial-balance", Summary: "Sum of all balances over everything recorded (zero when the ledger balances)", Roles: financeReads,
			Projection: balances.Name, Response: TrialBalanceResponse{}, Status: http.StatusOK, handle: s.getTrialBalance},

		// Audit.
		{Method: "GET", Path: "/v1/events", Summary: "The event log in gap-free order", Roles: auditors,
			Query:    map[string]string{"after": "position to continue after", "limit": "1..1000 (default 100)"},
			Response: EventsResponse{}, Status: http.StatusOK, handle: s.getEvents},
		{Method: "GET", Path: "/v1/verify", Summary: "Recompute the hash chain of the whole history", Roles: []Role{RoleAuditor, RoleFunder, RoleFinance, RoleAdmin},
			Response: verifyReport{}, Status: http.StatusOK, handle: s.getVerify},
	}
}

func (s *Server) getTerritories(*http.Request, Principal) (int, any, error) {
	return http.StatusOK, reference.Departements(), nil
}

// equityMediaTypes lists what GET /v1/reports/equity offers besides JSON:
// text/html only when the server was given the page (Config.EquityPage).
func (s *Server) equityMediaTypes() []string {
	if s.equityPage != nil {
		return []string{"text/csv", "text/html", spreadsheet.ContentType}
	}
	return []string{"text/csv", spreadsheet.ContentType}
}
