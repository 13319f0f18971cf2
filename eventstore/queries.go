package eventstore

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/eventstore/internal/dbsqlc"
)

// Cross-stream reads. Commands decide over the events themselves rather than over
// projections, so that a decision never depends on how far a projection has got;
// these are the few generic lookups they need besides ReadStreams. They know
// nothing of the domain: an event is a type and a JSON payload, and a lookup
// names the event type and the top-level payload field it matches on.
//
// They read every committed event, not only those below the reading watermark
// (ReadFrom's gap-free order): a command must see the event that the previous
// command just wrote. Results come in position order (or stream id order), which
// is stable but is not the gap-free reading order.

// ErrInvalidQuery reports a lookup that can never succeed: an event type or a
// payload field that is not a plain name, or no event type or field at all.
var ErrInvalidQuery = errors.New("eventstore: invalid query")

// PayloadField names what a lookup matches on: the events of type EventType whose
// top-level JSON payload field Field holds the value looked up (PostgreSQL's
// payload->>'Field', so a string field matches its string, a number its text).
//
// Both are plain names (ValidName) and are written into the SQL text as literals,
// so that PostgreSQL can use the partial expression indexes of the migrations
// (e.g. events_pledge_fund_idx ON events ((payload->>'fund_id')) WHERE event_type
// = 'ContributionPledged'): an index on an expression, or with a WHERE clause,
// serves a query only when the query states that expression and that clause, and
// a parameter ($1) states neither once PostgreSQL switches a prepared statement
// to its generic plan.
type PayloadField struct {
	EventType string
	Field     string
}

var namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.:-]{0,254}$`)

// ValidName reports whether s may name an event type or a payload field in a
// lookup: 1–255 characters of letters, digits, '_', '.', ':' and '-', starting
// with a letter or '_'. Such a name can be written inside a SQL string literal as
// it is.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// matchSQL renders fields as a disjunction over the value $1:
// (event_type = 'T' AND payload->>'f' = $1) OR …
func matchSQL(fields []PayloadField) (string, error) {
	if len(fields) == 0 {
		return "", fmt.Errorf("%w: no payload field to match", ErrInvalidQuery)
	}
	arms := make([]string, len(fields))
	for i, f := range fields {
		if !ValidName(f.EventType) || !ValidName(f.Field) {
			return "", fmt.Errorf("%w: event type %q, field %q: not plain names", ErrInvalidQuery, f.EventType, f.Field)
		}
		arms[i] = fmt.Sprintf("(event_type = '%s' AND payload->>'%s' = $1)", f.EventType, f.Field)
	}
	return strings.Join(arms, " OR "), nil
}

// streamsWhereSQL and eventsWhereSQL are hand-written, not sqlc's: their WHERE
// clause is built from the names looked up (matchSQL), which a static query
// cannot state (see PayloadField). They are the only SQL of this package outside
// internal/dbsqlc (doc.go, Exceptions).
const streamsWhereSQL = `SELECT DISTINCT stream_id FROM events WHERE %s ORDER BY stream_id`

// StreamsWhere returns, sorted and each once, the ids of the streams that hold at
// least one event matching one of fields with value: an event of type
// fields[i].EventType whose payload field fields[i].Field equals value (as text).
// It answers "which contribution streams pledge to this fund" without a
// projection. No match is an empty result, not an error; an empty fields or a
// name that is not ValidName is ErrInvalidQuery. Each (type, field) pair that has
// a partial expression index is one index lookup.
func (s *Store) StreamsWhere(ctx context.Context, value string, fields ...PayloadField) ([]string, error) {
	where, err := matchSQL(fields)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, fmt.Sprintf(streamsWhereSQL, where), value)
	if err != nil {
		return nil, fmt.Errorf("eventstore: streams where %s = %q: %w", fields[0].Field, value, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("eventstore: streams where %s = %q: %w", fields[0].Field, value, err)
	}
	return out, nil
}

// eventColumns are the columns of dbsqlc.Event, in its order (decodeEvent).
const eventColumns = `position, transaction_id, event_id, stream_id, stream_version, event_type,
payload, metadata, recorded_at, content_hash, hash`

const eventsWhereSQL = `SELECT ` + eventColumns + ` FROM events WHERE %s ORDER BY position`

// EventsWhere returns, in position order and each once, the events that match one
// of fields with value: an event of type fields[i].EventType whose payload field
// fields[i].Field equals value (as text). An event that matches several pairs
// (a receipt whose id is also its bank reference) comes once. It answers "which
// fund draws name this programme" or "which movement has this id or bank
// reference" in one round trip; each (type, field) pair that has a partial
// expression index is one index lookup. No match is an empty result; an empty
// fields or a name that is not ValidName is ErrInvalidQuery.
func (s *Store) EventsWhere(ctx context.Context, value string, fields ...PayloadField) ([]RecordedEvent, error) {
	where, err := matchSQL(fields)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, fmt.Sprintf(eventsWhereSQL, where), binaryResults, value)
	if err != nil {
		return nil, fmt.Errorf("eventstore: events where %s = %q: %w", fields[0].Field, value, err)
	}
	return scanEvents(rows)
}

// EventsOfTypes returns every event whose type is one of types, in position
// order (the index on event_type serves it). It reads the whole history of those
// types: meant for rare types (reimbursement batch payments) and for tests, not
// for a type that every request writes. No type is an empty result.
func (s *Store) EventsOfTypes(ctx context.Context, types ...string) ([]RecordedEvent, error) {
	if len(types) == 0 {
		return nil, nil
	}
	rows, err := dbsqlc.EventsOfTypesRows(ctx, s.pool, types)
	if err != nil {
		return nil, fmt.Errorf("eventstore: events of types %v: %w", types, err)
	}
	return scanEvents(rows)
}

// StreamsWithMore returns, sorted, the ids of the streams that hold more events
// whose type is in types than events whose type is in than: the streams where
// something opened (a redemption) is still open, because fewer events closed it
// (reversals, reimbursement claims). A type named in both lists counts on both
// sides, so never makes a stream qualify. Streams that hold none of the types
// are never returned.
func (s *Store) StreamsWithMore(ctx context.Context, types, than []string) ([]string, error) {
	if len(types) == 0 {
		return nil, nil
	}
	if than == nil {
		than = []string{}
	}
	out, err := queries.StreamsWithMore(ctx, s.pool, dbsqlc.StreamsWithMoreParams{Types: types, Than: than})
	if err != nil {
		return nil, fmt.Errorf("eventstore: streams with more %v than %v: %w", types, than, err)
	}
	return out, nil
}

// Settled reports whether every event stored is readable now: whether the
// last transaction that stored events is below the reading watermark (true on an
// empty log). It answers what Count's readable == stored answers, from one index
// entry instead of the whole table, so it is the check to poll while waiting
// for another session's transaction to end.
func (s *Store) Settled(ctx context.Context) (bool, error) {
	ok, err := queries.Settled(ctx, s.pool)
	if err != nil {
		return false, fmt.Errorf("eventstore: settled: %w", err)
	}
	return ok, nil
}

// Count returns, from one snapshot, how many events are readable now (below the
// reading watermark: what ReadFrom and Tail can return) and how many are stored
// (every committed event). The two differ while a transaction anywhere in the
// cluster holds the watermark back; readable == stored means a reader from the
// start sees every event. It counts the whole table: a replay's progress bar
// calls it once, not per event; to wait for readers to see everything, poll
// Settled.
func (s *Store) Count(ctx context.Context) (readable, stored int64, err error) {
	c, err := queries.Count(ctx, s.pool)
	if err != nil {
		return 0, 0, fmt.Errorf("eventstore: count: %w", err)
	}
	return c.Readable, c.Stored, nil
}
