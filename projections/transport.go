package projections

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/passnumerique/passledger/eventstore"
)

// Transport is the Watermill pub/sub that carries pages of events from the relay to
// the projection handlers.
//
// The handlers do not rely on the transport for correctness: a page carries the
// cursor it starts after, so a lost page is filled from the event store, a repeated
// one is skipped by position, and reordered ones are both. A transport only has to
// deliver every page it accepted to every projection eventually, which the relay's
// resync guarantees even when it does not. So the code never assumes one process:
// with a broker (NATS JetStream, NewNATSTransport) several processes can run
// relays and handlers on one database.
type Transport struct {
	// Name says which transport this is ("gochannel", "nats").
	Name string
	// Publisher is what the relay publishes pages with (and the poison queue
	// when Poison is nil).
	Publisher message.Publisher
	// Poison, if set, is what the poison queue publishes with.
	Poison message.Publisher
	// Subscriber returns the subscriber the handler of one projection consumes
	// from. Every projection must receive every page (fan-out); handlers of the
	// same projection in several processes may share a consumer group.
	Subscriber func(projection string) (message.Subscriber, error)
	// Close releases the transport.
	Close func() error

	// IDByPosition makes the relay name each page message after the position of
	// its first event (the message id a broker de-duplicates by: JetStream's
	// Nats-Msg-Id) instead of a hash of the page's cursors.
	IDByPosition bool
	// Resume, if set, tells the relay where the transport's log ends (the cursor
	// of the last event it holds; ok false when empty): the relay resumes after
	// it instead of at the lowest checkpoint, and never publishes old events again
	// (a durable broker redelivers what a handler did not acknowledge; handlers
	// fill from the store what they gave up on).
	Resume func(ctx context.Context) (last eventstore.Cursor, ok bool, err error)
}

// Buses lists the transports NewTransport knows.
var Buses = []string{"gochannel", "nats"}

// NewTransport returns the transport called name: "gochannel" (or ""), the
// in-process default, or "nats" (NATS JetStream at natsCfg.URL, see
// NewNATSTransport).
func NewTransport(name string, natsCfg NATSConfig, logger watermill.LoggerAdapter) (Transport, error) {
	switch name {
	case "", "gochannel":
		return NewGoChannelTransport(logger), nil
	case "nats":
		return NewNATSTransport(natsCfg, logger)
	}
	return Transport{}, fmt.Errorf("projections: unknown transport %q (known: gochannel, nats)", name)
}

// NewGoChannelTransport returns an in-process transport: one GoChannel whose every
// subscriber (one per projection) receives every page. Publish blocks until every
// handler acknowledged the page, which keeps pages in order and bounds the memory
// the relay can fill when a projection is slow.
func NewGoChannelTransport(logger watermill.LoggerAdapter) Transport {
	ch := gochannel.NewGoChannel(gochannel.Config{BlockPublishUntilSubscriberAck: true}, logger)
	return Transport{
		Name:       "gochannel",
		Publisher:  ch,
		Subscriber: func(string) (message.Subscriber, error) { return ch, nil },
		Close:      ch.Close,
	}
}
