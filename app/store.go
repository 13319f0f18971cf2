package app

import (
	"context"

	"github.com/passnumerique/passledger/eventstore"
)

// Store is what the application layer needs of the event store: read streams,
// append a command's events atomically with expected versions, and the few
// cross-stream lookups that commands make (which streams hold an event of a type
// whose payload field has a value, and so on).
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
}

var _ Store = (*eventstore.Store)(nil)
