package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/sepa"
	"github.com/passnumerique/passledger/projections/core"
)

// ProblemBase prefixes every problem type: each rule broken has one stable URI.
const ProblemBase = "https://passledger.fr/problems/"

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// problemError is an error that already knows its problem type and status.
type problemError struct {
	status int
	slug   string
	title  string
	detail string
}

func (e *problemError) Error() string { return e.slug + ": " + e.detail }

func problemf(status int, slug, title, format string, args ...any) error {
	return &problemError{status: status, slug: slug, title: title, detail: fmt.Sprintf(format, args...)}
}

// errBadRequest reports malformed input: unknown field, wrong type, malformed amount.
func errBadRequest(format string, args ...any) error {
	return problemf(http.StatusBadRequest, "malformed-request", "Malformed request", format, args...)
}

// problemKind maps one domain (or app) error to its status and slug.
type problemKind struct {
	err    error
	status int
	slug   string
	title  string
}

// problemKinds is checked in order: specific rules first, generic ones last.
var problemKinds = []problemKind{
	{domain.ErrChequeAlreadyRedeemed, 409, "cheque-already-redeemed", "Cheque already redeemed"},
	{domain.ErrInvalidSerial, 422, "invalid-serial", "Invalid cheque serial"},
	{domain.ErrInvalidCheckCode, 422, "invalid-check-code", "Invalid check code"},
	{domain.ErrCarnetNotIssued, 409, "carnet-not-issued", "Carnet not issued"},
	{domain.ErrChequeBlocked, 409, "cheque-blocked", "Cheque blocked (carnet cancelled)"},
	{domain.ErrChequeExpired, 409, "cheque-expired", "Cheque expired"},
	{domain.ErrOutsideValidity, 422, "outside-validity", "Outside the programme's validity window"},
	{domain.ErrSessionInFuture, 422, "session-in-future", "Session date in the future"},
	{domain.ErrDateInFuture, 422, "date-in-future", "Effective date after today"},
	{domain.ErrPlaceNotLabelled, 422, "place-not-labelled", "Place not labelled on the session date"},
	{domain.ErrPlaceOutsideTerritory, 422, "place-outside-territory", "Place outside the programme's territory"},
	{domain.ErrChequeNotRedeemed, 409, "cheque-not-redeemed", "Cheque not redeemed"},
	{domain.ErrNotYourRedemption, 403, "not-your-redemption", "Not this place's redemption"},
	{domain.ErrReversalWindowClosed, 409, "reversal-window-closed", "Reversal window (48 hours) closed"},
	{domain.ErrRedemptionAlreadyBatched, 409, "redemption-already-batched", "Redemption already in a reimbursement batch"},
	{domain.ErrRedemptionAlreadyReversed, 409, "redemption-already-reversed", "Redemption already reversed"},
	{domain.ErrReceiptExceedsPledge, 422, "receipt-exceeds-pledge", "Receipts would exceed the pledge"},
	{domain.ErrAdvanceExceedsPledge, 422, "advance-exceeds-pledge", "Advance exceeds the unreceived pledge"},
	{domain.ErrRepaymentExceedsAdvance, 422, "repayment-exceeds-advance", "Repayment exceeds the advance outstanding"},
	{domain.ErrRepaymentExceedsReceipts, 422, "repayment-exceeds-receipts", "Repayments exceed what was received"},
	{domain.ErrBudgetExceedsAvailable, 422, "budget-exceeds-available", "Budget exceeds the fund's available cash"},
	{domain.ErrTerritoryNotInFund, 422, "territory-not-in-fund", "Territory not covered by the fund"},
	{domain.ErrFundAllocationExceeded, 422, "fund-allocation-exceeded", "Fund line exceeds the territory's undrawn allocation"},
	{domain.ErrFundHasNoReceipts, 422, "fund-has-no-receipts", "Fund has received no money"},
	{domain.ErrInvalidFundingLine, 422, "invalid-funding-line", "Invalid funding line"},
	{domain.ErrMintExceedsFunding, 422, "mint-exceeds-funding", "Minting would exceed the programme's funding"},
	{domain.ErrProgrammeClosed, 409, "programme-closed", "Programme closed"},
	{domain.ErrProgrammeStillValid, 409, "programme-still-valid", "Programme still within validity and grace"},
	{domain.ErrNotYourCarnet, 403, "not-your-carnet", "Carnet belongs to another prescriber"},
	{domain.ErrCarnetAlreadyIssued, 409, "carnet-already-issued", "Carnet already issued"},
	{domain.ErrCarnetCancelled, 409, "carnet-cancelled", "Carnet cancelled"},
	{domain.ErrInvalidBeneficiaryRef, 422, "invalid-beneficiary-ref", "Invalid beneficiary reference"},
	{domain.ErrBeneficiaryAlreadyHasCarnet, 409, "beneficiary-already-has-carnet", "Beneficiary already has a carnet in this programme"},
	{domain.ErrEmptyBatch, 422, "empty-batch", "Nothing to reimburse up to the cut-off"},
	{domain.ErrBatchAlreadyPaid, 409, "batch-already-paid", "Batch already paid"},
	{domain.ErrInsufficientProgrammeCash, 422, "insufficient-programme-cash", "Programme cash received does not cover the payment"},
	{domain.ErrBankAmountMismatch, 422, "bank-amount-mismatch", "Bank line amount differs from the movement"},
	{domain.ErrBankLineAlreadyMatched, 409, "bank-line-already-matched", "Bank line already matched"},
	{domain.ErrMovementAlreadyMatched, 409, "movement-already-matched", "Movement already matched"},
	{domain.ErrPerequationInfeasible, 422, "perequation-infeasible", "Péréquation floors or caps cannot be met"},
	{domain.ErrStatementAlreadyImported, 409, "statement-already-imported", "Bank statement already imported"},
	{domain.ErrInvalidIBAN, 422, "invalid-iban", "Invalid IBAN"},
	{domain.ErrInvalidBIC, 422, "invalid-bic", "Invalid BIC"},
	{sepa.ErrDebtor, 409, "sepa-debtor-not-configured", "The operator's debtor account is not configured"},
	{sepa.ErrCreditorAccount, 409, "place-bank-account-missing", "A place of the batch has no bank account"},
	{sepa.ErrInvalid, 422, "sepa-invalid", "The batch cannot be written as a SEPA transfer"},
	{domain.ErrInvalidTerritory, 422, "invalid-territory", "Invalid territory"},
	{domain.ErrInvalidSIRET, 422, "invalid-siret", "Invalid SIRET"},
	{domain.ErrInvalidLabelChange, 409, "invalid-label-change", "Invalid label change"},
	{domain.ErrInvalidAmount, 400, "invalid-amount", "Invalid amount"},
	{domain.ErrNonPositiveAmount, 422, "non-positive-amount", "Amount must be positive"},
	{domain.ErrNegativeAmount, 422, "negative-amount", "Amount must not be negative"},
	{domain.ErrNotFound, 404, "not-found", "Not found"},
	{core.ErrNotFound, 404, "not-found", "Not found"},
	{domain.ErrAlreadyExists, 409, "already-exists", "Already exists"},
	{domain.ErrInvalidArgument, 422, "invalid-argument", "Invalid argument"},
	{app.ErrContention, 503, "contention", "Too much contention, retry"},
}

// perequationErrors are all reported as one invalid-perequation problem.
var perequationErrors = []error{
	domain.ErrPerequationNoTerritories, domain.ErrPerequationInvalidCode, domain.ErrPerequationDuplicateTerritory,
	domain.ErrPerequationInvalidPopulation, domain.ErrPerequationInvalidFragility, domain.ErrPerequationInvalidBudget,
	domain.ErrPerequationInvalidFloor, domain.ErrPerequationInvalidCap, domain.ErrPerequationZeroNeed,
}

// ProblemFor maps an error to its problem document.
func ProblemFor(err error) Problem {
	var pe *problemError
	if errors.As(err, &pe) {
		return Problem{Type: ProblemBase + pe.slug, Title: pe.title, Status: pe.status, Detail: pe.detail}
	}
	for _, k := range problemKinds {
		if errors.Is(err, k.err) {
			return Problem{Type: ProblemBase + k.slug, Title: k.title, Status: k.status, Detail: err.Error()}
		}
	}
	for _, e := range perequationErrors {
		if errors.Is(err, e) {
			return Problem{Type: ProblemBase + "invalid-perequation", Title: "Invalid péréquation input", Status: 422, Detail: err.Error()}
		}
	}
	if unavailable(err) {
		return Problem{Type: ProblemBase + "unavailable", Title: "Service unavailable", Status: http.StatusServiceUnavailable,
			Detail: "the ledger's database cannot be reached, or the outcome of the request's transaction is unknown; retry with the same Idempotency-Key: a request that was recorded answers with its first response, one that was not runs once"}
	}
	return Problem{Type: ProblemBase + "internal", Title: "Internal error", Status: 500, Detail: "an internal error occurred; it was logged"}
}

// unavailable reports an error that says the database is away (refused or lost
// connection, shutdown, timeout) or that a group of commands was rolled back:
// nothing was committed, and the same request may succeed later.
func unavailable(err error) bool {
	if errors.Is(err, eventstore.ErrGroupAborted) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 08: connection exception; 57P: operator intervention (shutdown);
		// 53: insufficient resources; 40001/40P01: serialization, deadlock.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P") ||
			strings.HasPrefix(pgErr.Code, "53") || pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) || isClosedConn(err)
}

// isClosedConn matches pgx's "conn closed" / "conn busy" errors, which carry no
// sentinel.
func isClosedConn(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "closed pool") ||
		strings.Contains(msg, "failed to deallocate cached statement")
}

// ProblemTypes lists every problem slug the API can answer with (documentation).
func ProblemTypes() []string {
	out := []string{"malformed-request", "unauthenticated", "forbidden", "idempotency-key-reused",
		"unavailable", "projection-lagging", "unsupported-media-type", "invalid-perequation", "internal"}
	for _, k := range problemKinds {
		out = append(out, k.slug)
	}
	return out
}

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
