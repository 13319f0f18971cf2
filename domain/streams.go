package domain

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Stream ids. Every aggregate instance lives in one event stream whose id is
// "<kind>-<id>" (docs/domain.md, "Streams"). The helpers below are the only
// place where these ids are spelled; ids passed to them are expected to be
// valid (ValidID, ValidCarnetID, a canonical serial, a département code), and
// the command functions check that before returning a Change.

// FunderStream returns "funder-{id}", the stream of a Funder.
func FunderStream(id string) string { return "funder-" + id }

// FundStream returns "fund-{id}", the stream of a Fund (support fund).
func FundStream(id string) string { return "fund-" + id }

// ContributionStream returns "contribution-{id}", the stream of a
// Contribution (one pledge, its receipts and its treasury advances).
func ContributionStream(id string) string { return "contribution-" + id }

// TerritoryStream returns "territory-{code}", the stream of a territory's
// need records; code is a département code ("63", "2A", "974").
func TerritoryStream(code string) string { return "territory-" + code }

// PrescriberStream returns "prescriber-{id}".
func PrescriberStream(id string) string { return "prescriber-" + id }

// PlaceStream returns "place-{id}", the stream of a place and its label.
func PlaceStream(id string) string { return "place-" + id }

// ProgrammeStream returns "programme-{id}".
func ProgrammeStream(id string) string { return "programme-" + id }

// CarnetStream returns "carnet-{id}".
func CarnetStream(id string) string { return "carnet-" + id }

// BeneficiaryStream returns "beneficiary-{programmeID}-{hash}", the stream
// whose mere existence says that the beneficiary with that keyed hash (see
// BeneficiaryHash) holds a carnet of the programme. The caller appends to it
// with expected version "no stream": that is the uniqueness check.
func BeneficiaryStream(programmeID, beneficiaryHash string) string {
	return "beneficiary-" + programmeID + "-" + beneficiaryHash
}

// ChequeStream returns "cheque-{serial}" for a canonical serial (SerialFor).
func ChequeStream(serial string) string { return "cheque-" + serial }

// BatchStream returns "batch-{id}", the stream of a reimbursement batch.
func BatchStream(id string) string { return "batch-" + id }

// BankLineStream returns "bankline-{id}", the stream of one bank statement
// line.
func BankLineStream(id string) string { return "bankline-" + id }

// MovementStream returns "movement-{kind}-{id}", the stream whose existence
// says that the expected movement (a receipt, a reimbursement payment, an
// advance or a repayment, see MovementKind) is matched to a bank line. The
// caller appends to it with expected version "no stream".
func MovementStream(kind MovementKind, id string) string {
	return "movement-" + string(kind) + "-" + id
}

// MaxIDLength is the longest id ValidID accepts.
const MaxIDLength = 64

// ValidID reports whether id can name an aggregate or a child (funder,
// fund, contribution, receipt, advance, repayment, prescriber, place,
// programme, redemption, batch, bank line, péréquation run): 1 to
// MaxIDLength characters among ASCII letters, digits, '_', '.' and '-'.
// Colons are refused because they separate the parts of account names, and
// spaces because ids appear in URLs and stream ids. UUIDs are valid ids.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

func checkID(field, id string) error {
	if !ValidID(id) {
		return invalid("%s %q is not a valid id (1-%d of A-Z a-z 0-9 _ . -)", field, id, MaxIDLength)
	}
	return nil
}

// MaxNameLength is the longest name, label, reason or reference (in
// characters) a command accepts.
const MaxNameLength = 200

// checkText validates a human text field: trimmed by the caller or not, it
// must have at least one non-space character when required, at most max
// characters, valid UTF-8 and no control characters.
func checkText(field, s string, required bool, max int) error {
	if !utf8.ValidString(s) {
		return invalid("%s is not valid UTF-8", field)
	}
	if required && len([]rune(trimSpace(s))) == 0 {
		return invalid("%s is required", field)
	}
	if utf8.RuneCountInString(s) > max {
		return invalid("%s is longer than %d characters", field, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalid("%s contains a control character", field)
		}
	}
	return nil
}

func trimSpace(s string) string {
	start, end := 0, len(s)
	for start < end {
		r, n := utf8.DecodeRuneInString(s[start:])
		if !unicode.IsSpace(r) {
			break
		}
		start += n
	}
	for end > start {
		r, n := utf8.DecodeLastRuneInString(s[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		end -= n
	}
	return s[start:end]
}

// instant normalises a command's "now": UTC, no monotonic reading, truncated
// to the microsecond (what PostgreSQL keeps), so that an event read back from
// the store is equal to the one decided. The zero instant is refused.
func instant(field string, t time.Time) (time.Time, error) {
	if t.IsZero() {
		return time.Time{}, invalid("%s is required", field)
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

// notAfterToday refuses (ErrDateInFuture) an effective date after now's date.
func notAfterToday(field string, d Date, now time.Time) error {
	if today := DateOf(now); d.After(today) {
		return fmt.Errorf("%w: %s %s is after today %s", ErrDateInFuture, field, d, today)
	}
	return nil
}

func requireDate(field string, d Date) error {
	if d.IsZero() {
		return invalid("%s is required", field)
	}
	return nil
}
