package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// UnmatchedReason says why an imported bank line was not matched on import.
type UnmatchedReason string

// The reasons a line stays unmatched.
const (
	// UnmatchedNoReference: the line carries no reference to look up.
	UnmatchedNoReference UnmatchedReason = "no_reference"
	// UnmatchedNoCandidate: no expected movement has that reference.
	UnmatchedNoCandidate UnmatchedReason = "no_candidate"
	// UnmatchedAmountDiffers: movements have that reference, none with the
	// line's signed amount.
	UnmatchedAmountDiffers UnmatchedReason = "amount_differs"
	// UnmatchedSeveralCandidates: more than one movement has that reference
	// and amount; finance must choose (POST /v1/bank-lines/{id}/match).
	UnmatchedSeveralCandidates UnmatchedReason = "several_candidates"
	// UnmatchedAlreadyMatched: the one movement that fits is already matched
	// to another line (an earlier statement, or an earlier line of this one).
	UnmatchedAlreadyMatched UnmatchedReason = "already_matched"
)

// Statement formats BankStatementImported records.
const (
	StatementCSV       = "csv"
	StatementCamt05302 = "camt.053.001.02"
	StatementCamt05308 = "camt.053.001.08"
)

// StatementLine is what the import did with one line of a statement.
type StatementLine struct {
	BankLineID      string          `json:"bank_line_id"`
	MovementKind    MovementKind    `json:"movement_kind,omitempty"`
	MovementID      string          `json:"movement_id,omitempty"`
	UnmatchedReason UnmatchedReason `json:"unmatched_reason,omitempty"`
}

// BankStatementImported records that a bank statement was imported: its
// identity (format, account, the bank's statement id or the file's digest),
// its lines (each a BankLineImported in the same append) and what the import
// matched, with the reason each other line stayed unmatched. It is the only
// creation event of BankStatementStream(StatementID), appended with expected
// version "no stream": a statement is imported at most once. No postings.
type BankStatementImported struct {
	StatementID string          `json:"statement_id"`
	Format      string          `json:"format"`
	Account     string          `json:"account"`
	Reference   string          `json:"reference"`
	Lines       []StatementLine `json:"lines"`
	Matched     int             `json:"matched"`
	Unmatched   int             `json:"unmatched"`
	ImportedAt  time.Time       `json:"imported_at"`
}

// EventType returns "BankStatementImported".
func (BankStatementImported) EventType() string { return "BankStatementImported" }

// BankStatementState is the fold of a statement stream.
type BankStatementState struct {
	Imported    bool
	StatementID string
	Format      string
	Account     string
	Reference   string
	Lines       []StatementLine
	ImportedAt  time.Time
}

// Apply folds one event into the state; other events are ignored.
func (s *BankStatementState) Apply(e Event) {
	if ev, ok := e.(BankStatementImported); ok {
		*s = BankStatementState{Imported: true, StatementID: ev.StatementID, Format: ev.Format, Account: ev.Account,
			Reference: ev.Reference, Lines: append([]StatementLine(nil), ev.Lines...), ImportedAt: ev.ImportedAt}
	}
}

// BankStatementStream returns "bankstatement-{id}", the stream whose
// existence says that the statement was imported.
func BankStatementStream(id string) string { return "bankstatement-" + id }

// StatementID derives a statement's id from its identity: the account it is
// a statement of (an IBAN, empty for a CSV file) and its reference within
// that account (camt.053 Stmt/Id, or "sha256:…" of a CSV file's bytes). The
// same identity always gives the same id, so a second import of one
// statement lands on the same stream.
func StatementID(account, reference string) string {
	sum := sha256.Sum256([]byte(account + "\x00" + reference))
	return "stm-" + hex.EncodeToString(sum[:16])
}

// RecordBankStatementCommand records a statement's import.
type RecordBankStatementCommand struct {
	Format    string
	Account   string
	Reference string
	Lines     []StatementLine
	Now       time.Time
}

// RecordBankStatement returns a BankStatementImported for
// BankStatementStream(StatementID(cmd.Account, cmd.Reference)). Rules: a
// known format, a reference (ErrInvalidArgument), at least one line, each
// line a ValidID and either matched (kind and id) or given a reason
// (ErrInvalidArgument); not imported before (ErrStatementAlreadyImported).
func RecordBankStatement(cmd RecordBankStatementCommand, existing BankStatementState) ([]Event, error) {
	switch cmd.Format {
	case StatementCSV, StatementCamt05302, StatementCamt05308:
	default:
		return nil, invalid("statement format %q is not csv, camt.053.001.02 or camt.053.001.08", cmd.Format)
	}
	if err := checkText("statement reference", cmd.Reference, true, MaxNameLength); err != nil {
		return nil, err
	}
	if err := checkText("statement account", cmd.Account, false, 34); err != nil {
		return nil, err
	}
	id := StatementID(cmd.Account, cmd.Reference)
	if existing.Imported {
		return nil, fmt.Errorf("%w: statement %s of account %q (id %s) was imported on %s", ErrStatementAlreadyImported,
			cmd.Reference, cmd.Account, id, existing.ImportedAt.Format(time.RFC3339))
	}
	if len(cmd.Lines) == 0 {
		return nil, invalid("the statement has no line")
	}
	ev := BankStatementImported{StatementID: id, Format: cmd.Format, Account: cmd.Account, Reference: cmd.Reference,
		Lines: append([]StatementLine(nil), cmd.Lines...)}
	for i, l := range cmd.Lines {
		if err := checkID("bank_line_id", l.BankLineID); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		matched := l.MovementKind != "" || l.MovementID != ""
		switch {
		case matched && (!l.MovementKind.Valid() || !ValidID(l.MovementID) || l.UnmatchedReason != ""):
			return nil, invalid("line %d: a matched line names a valid movement and no reason", i+1)
		case !matched && l.UnmatchedReason == "":
			return nil, invalid("line %d: an unmatched line needs a reason", i+1)
		case matched:
			ev.Matched++
		default:
			ev.Unmatched++
		}
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	ev.ImportedAt = now
	return []Event{ev}, nil
}

// SEPAReference turns a ledger id into a reference the SEPA character set
// allows (letters, digits and / - ? : ( ) . , ' + space): '_' becomes '+',
// the other characters of an id are kept. It is one to one on valid ids, so
// ReferenceID undoes it. ok is false when the id is not valid or longer than
// the 35 characters of a SEPA reference.
func SEPAReference(id string) (ref string, ok bool) {
	if !ValidID(id) || len(id) > 35 {
		return "", false
	}
	return strings.ReplaceAll(id, "_", "+"), true
}

// ReferenceID undoes SEPAReference: the id a bank reference stands for, or
// ref itself when it holds no '+'.
func ReferenceID(ref string) string { return strings.ReplaceAll(ref, "+", "_") }
