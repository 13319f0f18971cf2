package domain

import (
	"errors"
	"fmt"
)

// The sentinel errors below name one rule each. Command functions return them
// wrapped with context (fmt.Errorf("%w: ...")) or inside a *LimitError, so
// callers must test with errors.Is. The application maps each sentinel to one
// RFC 9457 problem type; the messages are stable but not meant to be parsed.

// Generic errors, shared by every aggregate.
var (
	// ErrInvalidArgument reports a malformed command field: an empty or
	// malformed id or name, an unknown kind, a missing date or instant, an
	// inconsistent pair of states handed in by the caller, and so on. The
	// wrapped message names the field.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrAlreadyExists reports a creation command on a stream that already has
	// its creation event, or a second use of an id that must be unique within
	// an aggregate (a receipt id, an advance id, a péréquation run id, ...).
	ErrAlreadyExists = errors.New("already exists")
	// ErrNotFound reports a command on an aggregate that does not exist yet
	// (its state was folded from no creation event), or a reference to an
	// unknown child (an advance of a contribution, ...).
	ErrNotFound = errors.New("not found")
	// ErrMissingKey reports a secret key (check-code key, beneficiary key) that
	// is missing or shorter than MinKeyLength bytes: a configuration error.
	ErrMissingKey = errors.New("secret key missing or too short")
	// ErrUnknownEventType reports an event type name that DecodeEvent (or
	// EncodeEvent) does not know.
	ErrUnknownEventType = errors.New("unknown event type")
	// ErrMalformedEvent reports an event payload that DecodeEvent cannot
	// decode strictly: not a JSON object, unknown field, wrong JSON type,
	// invalid amount or date, trailing data.
	ErrMalformedEvent = errors.New("malformed event payload")
)

// Reference data: territories, funders, places.
var (
	// ErrInvalidTerritory reports a territory code that is not a French
	// département code (see ValidDepartementCode).
	ErrInvalidTerritory = errors.New("invalid territory code")
	// ErrInvalidSIRET reports a SIRET that is not 14 digits with a valid
	// check (Luhn, or the La Poste rule; see ValidSIRET).
	ErrInvalidSIRET = errors.New("invalid SIRET")
	// ErrInvalidLabelChange reports a label change that the label's life cycle
	// forbids: granting a label already granted or withdrawn, suspending a
	// label that is not granted, withdrawing one already withdrawn, or an
	// effective date before the previous change's.
	ErrInvalidLabelChange = errors.New("invalid label change")
	// ErrInvalidIBAN reports an IBAN that is malformed, of the wrong length
	// for its country, or fails the ISO 13616 mod-97 check (see ValidIBAN).
	ErrInvalidIBAN = errors.New("invalid IBAN")
	// ErrInvalidBIC reports a BIC that is not 8 or 11 characters of the
	// ISO 9362 form (see ValidBIC).
	ErrInvalidBIC = errors.New("invalid BIC")
)

// Contributions and treasury.
var (
	// ErrReceiptExceedsPledge: the receipts of a contribution would exceed its
	// pledge.
	ErrReceiptExceedsPledge = errors.New("receipts would exceed the pledge")
	// ErrAdvanceExceedsPledge: a treasury advance would exceed what is still
	// expected on the pledge (pledge − received − outstanding advances).
	ErrAdvanceExceedsPledge = errors.New("advance exceeds the pledge not yet received")
	// ErrRepaymentExceedsAdvance: a repayment would exceed the advance's
	// outstanding amount.
	ErrRepaymentExceedsAdvance = errors.New("repayment exceeds the advance outstanding")
	// ErrRepaymentExceedsReceipts: the cumulative repayments of the
	// contribution's advances would exceed what the funder has actually paid
	// (advances are repaid from receipts).
	ErrRepaymentExceedsReceipts = errors.New("repayments would exceed the receipts")
)

// Funds.
var (
	// ErrBudgetExceedsAvailable: a péréquation budget exceeds the fund's
	// unallocated cash-backed amount given by the caller.
	ErrBudgetExceedsAvailable = errors.New("péréquation budget exceeds the fund's available cash")
	// ErrTerritoryNotInFund: a territory is not among the fund's territories.
	ErrTerritoryNotInFund = errors.New("territory not covered by the fund")
	// ErrFundAllocationExceeded: a draw exceeds what the territory was
	// allocated by the fund and has not drawn yet.
	ErrFundAllocationExceeded = errors.New("draw exceeds the territory's undrawn fund allocation")
	// ErrFundHasNoReceipts: a draw cannot be attributed because the fund's
	// contributors have received nothing.
	ErrFundHasNoReceipts = errors.New("fund has no receipts to attribute a draw to")
)

// Programmes and carnets.
var (
	// ErrInvalidFundingLine: a programme funding line names both or neither
	// of funder_id and fund_id, has a non-positive amount, or repeats a
	// funder or a fund.
	ErrInvalidFundingLine = errors.New("invalid funding line")
	// ErrMintExceedsFunding: minting would make the value of the programme's
	// cheques exceed its total funding.
	ErrMintExceedsFunding = errors.New("minting exceeds the programme's funding")
	// ErrProgrammeClosed: the programme is closed (its cheques expired).
	ErrProgrammeClosed = errors.New("programme closed")
	// ErrProgrammeStillValid: closing before the end of validity plus grace.
	ErrProgrammeStillValid = errors.New("programme still valid")
	// ErrInvalidSerial: a cheque serial that is malformed, fails its check
	// digits, or names a cheque beyond its carnet's size.
	ErrInvalidSerial = errors.New("invalid cheque serial")
	// ErrInvalidCheckCode: the check code does not match the serial.
	ErrInvalidCheckCode = errors.New("invalid check code")
	// ErrNotYourCarnet: the acting prescriber does not hold the carnet.
	ErrNotYourCarnet = errors.New("carnet belongs to another prescriber")
	// ErrCarnetAlreadyIssued: the carnet was already issued to a beneficiary.
	ErrCarnetAlreadyIssued = errors.New("carnet already issued")
	// ErrCarnetCancelled: the carnet was cancelled (lost, stolen, other).
	ErrCarnetCancelled = errors.New("carnet cancelled")
	// ErrInvalidBeneficiaryRef: the pseudonymous beneficiary reference is
	// empty, too long, or contains characters that personal data would
	// (spaces, '@', ...); see NormalizeBeneficiaryRef.
	ErrInvalidBeneficiaryRef = errors.New("invalid beneficiary reference")
	// ErrBeneficiaryAlreadyHasCarnet: the beneficiary already holds a carnet
	// of this programme.
	ErrBeneficiaryAlreadyHasCarnet = errors.New("beneficiary already has a carnet for this programme")
)

// Cheques.
var (
	// ErrCarnetNotIssued: the cheque's carnet was not issued to a beneficiary.
	ErrCarnetNotIssued = errors.New("carnet not issued")
	// ErrChequeBlocked: the cheque's carnet was cancelled.
	ErrChequeBlocked = errors.New("cheque blocked")
	// ErrChequeAlreadyRedeemed: the cheque is redeemed (and not reversed).
	ErrChequeAlreadyRedeemed = errors.New("cheque already redeemed")
	// ErrChequeExpired: the cheque expired at its programme's close.
	ErrChequeExpired = errors.New("cheque expired")
	// ErrOutsideValidity: the session date (or the redemption, or the
	// issuing) falls outside the programme's validity window plus grace.
	ErrOutsideValidity = errors.New("outside the programme's validity")
	// ErrSessionInFuture: the session date is after today.
	ErrSessionInFuture = errors.New("session date in the future")
	// ErrDateInFuture: the effective date of a money movement being recorded
	// (pledged_on, received_on, granted_on, repaid_on, a batch's cut-off or
	// paid_on, a close's as_of) is after today. One rule for all of them: the
	// ledger records what happened, and every report, whose as_of counts
	// effective dates, would otherwise silently leave the movement out.
	ErrDateInFuture = errors.New("date in the future")
	// ErrPlaceNotLabelled: the place's label is not active on the session date.
	ErrPlaceNotLabelled = errors.New("place not labelled on the session date")
	// ErrPlaceOutsideTerritory: the place is outside the programme's territory
	// and the programme does not allow it.
	ErrPlaceOutsideTerritory = errors.New("place outside the programme's territory")
	// ErrChequeNotRedeemed: reversing a cheque that is not redeemed.
	ErrChequeNotRedeemed = errors.New("cheque not redeemed")
	// ErrNotYourRedemption: a place reversing another place's redemption.
	ErrNotYourRedemption = errors.New("redemption made by another place")
	// ErrReversalWindowClosed: more than ReversalWindow since the redemption.
	ErrReversalWindowClosed = errors.New("reversal window closed")
	// ErrRedemptionAlreadyBatched: the redemption is claimed by a
	// reimbursement batch and can no longer be reversed.
	ErrRedemptionAlreadyBatched = errors.New("redemption already in a reimbursement batch")
	// ErrRedemptionAlreadyReversed: the redemption was already reversed.
	ErrRedemptionAlreadyReversed = errors.New("redemption already reversed")
)

// Reimbursement and bank reconciliation.
var (
	// ErrEmptyBatch: no eligible redemption up to the cut-off.
	ErrEmptyBatch = errors.New("no redemption to reimburse")
	// ErrBatchAlreadyPaid: the batch is already marked paid.
	ErrBatchAlreadyPaid = errors.New("reimbursement batch already paid")
	// ErrInsufficientProgrammeCash: a programme's share of a batch exceeds the
	// cash received for that programme (ring-fencing).
	ErrInsufficientProgrammeCash = errors.New("insufficient programme cash")
	// ErrBankAmountMismatch: the bank line's signed amount is not the
	// movement's amount with the movement kind's sign.
	ErrBankAmountMismatch = errors.New("bank line amount does not match the movement")
	// ErrBankLineAlreadyMatched: the bank line is already matched.
	ErrBankLineAlreadyMatched = errors.New("bank line already matched")
	// ErrMovementAlreadyMatched: the movement is already matched to a line.
	ErrMovementAlreadyMatched = errors.New("movement already matched")
	// ErrStatementAlreadyImported: a bank statement with the same identity
	// (camt.053: account and statement id; CSV: the file's digest) was
	// imported before; nothing is written.
	ErrStatementAlreadyImported = errors.New("bank statement already imported")
)

// LimitError is the error of a rule that caps an amount: it carries the
// amount the command asked for and the most the rule allowed at that moment,
// so that the API can say "requested 120.00, at most 80.00 available". It
// wraps Err, one of the sentinels above (ErrReceiptExceedsPledge,
// ErrAdvanceExceedsPledge, ErrRepaymentExceedsAdvance,
// ErrRepaymentExceedsReceipts, ErrBudgetExceedsAvailable,
// ErrFundAllocationExceeded, ErrMintExceedsFunding,
// ErrInsufficientProgrammeCash), so errors.Is(err, ErrMintExceedsFunding)
// works, and errors.As(err, &limitErr) gives the figures.
type LimitError struct {
	// Err is the sentinel of the rule broken.
	Err error
	// Subject names what was capped, e.g. "contribution C1" or
	// "programme P1 cash".
	Subject string
	// Requested is the amount the command asked for (for cumulative rules:
	// the amount of this command).
	Requested Money
	// Limit is the largest amount the command could have asked for.
	Limit Money
}

// Error returns "<rule>: <subject>: requested X, at most Y".
func (e *LimitError) Error() string {
	return fmt.Sprintf("%v: %s: requested %s, at most %s", e.Err, e.Subject, e.Requested, e.Limit)
}

// Unwrap returns the rule's sentinel.
func (e *LimitError) Unwrap() error { return e.Err }

func limitErr(sentinel error, subject string, requested, limit Money) error {
	if limit.IsNegative() {
		limit = Money{}
	}
	return &LimitError{Err: sentinel, Subject: subject, Requested: requested, Limit: limit}
}

// invalid wraps ErrInvalidArgument with a formatted detail.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidArgument, fmt.Sprintf(format, args...))
}
