package app

import (
	"context"

	"github.com/passnumerique/passledger/eventstore"
)

// Store is what the application layer needs of the event store: read streams,
// append a command's events atomically with expected versions, and the few
// cross-stream lookups that commands make (which streams hold an event of a type
// whose payload field has a value, and so on). It is declared here, by its user,
// and kept to what the commands call; nothing in app reaches the events table by
// any other way.
//
// *eventstore.Store implements it over PostgreSQL; eventstore.Memory implements it
// in memory for fast unit tests. Both are checked by the same conformance suite
// (eventstore/storetest), so a test that passes on one passes on the other.
type Store interface {
	// ReadStreams returns the events of each named stream, in version order.
	ReadStreams(ctx context.Context, streams []string) (map[string][]eventstore.RecordedEvent, error)
	// AppendMulti appends one command's events atomically (see
	// eventstore.Store.AppendMulti). A StreamAppend without events is a read-set
	// check: the stream must still be at Expected when the events are written.
	AppendMulti(ctx context.Context, md eventstore.Metadata, appends ...eventstore.StreamAppend) (eventstore.AppendResult, error)
	// StreamsWhere returns, sorted, the streams holding an event of one of the
	// (type, payload field) pairs whose field equals value: the contributions
	// pledged to a fund or to a programme, the cheque of a redemption id.
	StreamsWhere(ctx context.Context, value string, fields ...eventstore.PayloadField) ([]string, error)
	// EventsWhere returns, in position order, the events of one of the (type,
	// payload field) pairs whose field equals value: the draws of a fund or of a
	// programme, the expected movements with an id or a bank reference.
	EventsWhere(ctx context.Context, value string, fields ...eventstore.PayloadField) ([]eventstore.RecordedEvent, error)
	// EventsOfTypes returns, in position order, every event of the given types
	// (the reimbursement batches paid).
	EventsOfTypes(ctx context.Context, types ...string) ([]eventstore.RecordedEvent, error)
	// StreamsWithMore returns, sorted, the streams holding more events of types
	// than of than (the cheques redeemed and neither reversed nor claimed).
	StreamsWithMore(ctx context.Context, types, than []string) ([]string, error)
}

var _ Store = (*eventstore.Memory)(nil)

var _ Store = (*eventstore.Store)(nil)
