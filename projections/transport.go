package projections

import (
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
)

// Transport is the Watermill pub/sub that carries pages of events from the relay to
// the projection handlers.
//
// The handlers do not rely on the transport for correctness: a page carries the
// cursor it starts after, so a lost page is filled from the event store, a repeated
// one is skipped by position, and reordered ones are both. A transport only has to
// deliver every page it accepted to every projection eventually, which the relay's
// resync guarantees even when it does not. So the code never assumes one process:
// with a broker (NATS JetStream, a later issue) several processes can run relays
// and handlers on one database.
type Transport struct {
	// Name says which transport this is ("gochannel").
	Name string
	// Publisher is what the relay publishes pages with (and the poison queue).
	Publisher message.Publisher
	// Subscriber returns the subscriber the handler of one projection consumes
	// from. Every projection must receive every page (fan-out); handlers of the
	// same projection in several processes may share a consumer group.
	Subscriber func(projection string) (message.Subscriber, error)
	// Close releases the transport.
	Close func() error
}

// NewTransport returns the transport called name: "gochannel" (or ""), the
// in-process default. Other names are an error until a later issue adds them.
func NewTransport(name string, logger watermill.LoggerAdapter) (Transport, error) {
	switch name {
	case "", "gochannel":
		return NewGoChannelTransport(logger), nil
	}
	return Transport{}, fmt.Errorf("projections: unknown transport %q (known: gochannel)", name)
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
