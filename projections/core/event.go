package core

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
)

// Event is one stored event with its payload decoded once (domain.DecodeEvent) for
// every projection that applies it. Data is the domain event by value
// (domain.ChequeRedeemed, …); the embedded RecordedEvent gives its place in the log
// (Position, TxID, Cursor()), stream, type and raw payload.
type Event struct {
	eventstore.RecordedEvent
	Data domain.Event
}

// Projection is one read model: a set of tables that a function of the event log
// fills, batch by batch.
//
// Apply must write the effect of events, in order, into its tables within tx, and
// nothing else: no commit, no checkpoint (the runner moves the checkpoint in the same
// transaction), no read of another projection's tables (each projection is rebuilt
// and checkpointed on its own), no clock, no randomness. The result must depend only
// on the sequence of events, not on how it is cut into batches: live delivery and a
// rebuild cut the same log differently and must give the same rows. Events of types
// the projection does not use are skipped. Apply is called with events that follow
// the projection's checkpoint with no gap and no repeat.
//
// A projection value may cache immutable facts learnt from events (a programme's
// territory) but belongs to one database.
type Projection interface {
	// Name is the projection's stable name, its key in projection_checkpoints and
	// the value of `passledger replay --projection`.
	Name() string
	// Tables lists the tables the projection owns; Rebuild truncates them.
	Tables() []string
	// Apply writes the effect of a batch of events inside tx.
	Apply(ctx context.Context, tx pgx.Tx, events []Event) error
}

// Querier is what the query functions of the projection packages need: a
// *pgxpool.Pool, a *pgx.Conn or a pgx.Tx all satisfy it.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Decode decodes the payload of every recorded event with domain.DecodeEvent. An
// event that does not decode is an error naming its position: projections never
// skip an event, so a projection stops there rather than diverge.
func Decode(recs []eventstore.RecordedEvent) ([]Event, error) {
	out := make([]Event, len(recs))
	for i, r := range recs {
		ev, err := DecodeRecord(r)
		if err != nil {
			return nil, err
		}
		out[i] = ev
	}
	return out, nil
}

// DecodeRecord decodes the payload of one recorded event (as Decode).
func DecodeRecord(r eventstore.RecordedEvent) (Event, error) {
	d, err := domain.DecodeEvent(r.Type, r.Payload)
	if err != nil {
		return Event{}, fmt.Errorf("projections: decode event at position %d (%s): %w", r.Position, r.Type, err)
	}
	return Event{RecordedEvent: r, Data: d}, nil
}

// EffectiveDate returns the business date of an event: the date the fact it records
// belongs to in the books, used for every as-of-date figure (balances, equity, audit
// trail, treasury). It is taken from the event's own fields, never from the time the
// event was appended, so that a replay gives the same dates:
//
//	ContributionPledged        pledged_on
//	ContributionReceived       received_on
//	AdvanceGranted             granted_on
//	AdvanceRepaid              repaid_on
//	TerritoryNeedRecorded      as_of
//	PlaceLabelChanged          effective_on
//	ChequeRedeemed             session_date (the day the place earned its claim)
//	ChequeExpired              expired_on
//	ProgrammeClosed            closed_on
//	ReimbursementBatchPaid     paid_on
//	BankLineImported           date (the bank's value date)
//	any other event            the UTC date of its own instant field (created_at,
//	                           ran_at, drawn_at, minted_at, issued_at, reversed_at,
//	                           blocked_at, claimed_at, matched_at, …)
//
// A reversal is dated when it happened (reversed_at), not at the session it cancels:
// as-of figures show the books as they stood on that date. If an event carries no
// usable date (a zero value from a hand-made event), the UTC date of recordedAt is
// used.
func EffectiveDate(ev domain.Event, recordedAt time.Time) domain.Date {
	d := effectiveDate(ev)
	if d.IsZero() {
		return domain.DateOf(recordedAt.UTC())
	}
	return d
}

func effectiveDate(ev domain.Event) domain.Date {
	at := func(t time.Time) domain.Date {
		if t.IsZero() {
			return domain.Date{}
		}
		return domain.DateOf(t.UTC())
	}
	switch e := ev.(type) {
	case domain.FunderRegistered:
		return at(e.RegisteredAt)
	case domain.FundCreated:
		return at(e.CreatedAt)
	case domain.PerequationRun:
		return at(e.RanAt)
	case domain.FundDrawn:
		return at(e.DrawnAt)
	case domain.ContributionPledged:
		return e.PledgedOn
	case domain.ContributionReceived:
		return e.ReceivedOn
	case domain.AdvanceGranted:
		return e.GrantedOn
	case domain.AdvanceRepaid:
		return e.RepaidOn
	case domain.TerritoryNeedRecorded:
		return e.AsOf
	case domain.PrescriberRegistered:
		return at(e.RegisteredAt)
	case domain.PlaceRegistered:
		return at(e.RegisteredAt)
	case domain.PlaceLabelChanged:
		return e.EffectiveOn
	case domain.ProgrammeCreated:
		return at(e.CreatedAt)
	case domain.CarnetsMinted:
		return at(e.MintedAt)
	case domain.ProgrammeClosed:
		return e.ClosedOn
	case domain.CarnetMinted:
		return at(e.MintedAt)
	case domain.CarnetIssued:
		return at(e.IssuedAt)
	case domain.CarnetCancelled:
		return at(e.CancelledAt)
	case domain.BeneficiaryCarnetAssigned:
		return at(e.AssignedAt)
	case domain.ChequeRedeemed:
		return e.SessionDate
	case domain.RedemptionReversed:
		return at(e.ReversedAt)
	case domain.ChequeExpired:
		return e.ExpiredOn
	case domain.ChequeBlocked:
		return at(e.BlockedAt)
	case domain.ChequeReimbursementClaimed:
		return at(e.ClaimedAt)
	case domain.ReimbursementBatchCreated:
		return at(e.CreatedAt)
	case domain.ReimbursementBatchPaid:
		return e.PaidOn
	case domain.BankLineImported:
		return e.Date
	case domain.BankLineMatched:
		return at(e.MatchedAt)
	case domain.MovementMatched:
		return at(e.MatchedAt)
	case domain.PlaceBankAccountSet:
		return at(e.SetAt)
	case domain.BankStatementImported:
		return at(e.ImportedAt)
	}
	return domain.Date{}
}

// Date returns the business date of e (EffectiveDate of its data).
func (e Event) Date() domain.Date { return EffectiveDate(e.Data, e.RecordedAt) }
