package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmnats "github.com/ThreeDotsLabs/watermill-nats/v2/pkg/nats"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"

	"github.com/passnumerique/passledger/eventstore"
)

// NATSConfig says how to reach NATS JetStream and what to call things there.
type NATSConfig struct {
	// URL of the NATS server(s), e.g. nats://127.0.0.1:4222 (required).
	URL string
	// Stream is the JetStream stream of events (default "PASSLEDGER"). Its subject
	// is Stream + "." + Topic, so several streams (tests, environments) can share
	// one server. Pages that fail go to the stream Stream + "_POISON".
	Stream string
	// Duplicates is the stream's de-duplication window (default 2 minutes): an
	// event published again within it, under the same message id (its position),
	// is dropped by the server.
	Duplicates time.Duration
	// AckWait is how long JetStream waits for an acknowledgement before it
	// delivers a message again (default 30 s).
	AckWait time.Duration
	// Linger is how long a handler waits for more messages before it applies a
	// partial batch (default 2 ms).
	Linger time.Duration
}

func (c *NATSConfig) defaults() {
	if c.Stream == "" {
		c.Stream = "PASSLEDGER"
	}
	if c.Duplicates <= 0 {
		c.Duplicates = 2 * time.Minute
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
}

func (c NATSConfig) subject(topic string) string { return c.Stream + "." + topic }

func (c NATSConfig) poisonStream() string { return c.Stream + "_POISON" }

// durable returns the name of the durable consumer of a projection (also its
// queue group): every process that runs the projection joins it, and JetStream
// remembers what it acknowledged across restarts.
func (c NATSConfig) durable(projection string) string {
	r := strings.NewReplacer(".", "_", "*", "_", ">", "_", " ", "_")
	return r.Replace(c.Stream + "_" + projection)
}

// NewNATSTransport returns a transport over NATS JetStream, through Watermill's
// NATS adapter (github.com/ThreeDotsLabs/watermill-nats/v2, JetStream mode):
//
//   - the relay publishes the log in the store's gap-free order, one message per
//     page of consecutive events, to the subject Stream.Topic of the stream Stream
//     (created when missing, file storage); each message's id (Nats-Msg-Id) is the
//     position of its first event, so the server drops a page published again
//     from the same event within the Duplicates window;
//   - a restarted relay resumes after the last event the stream holds (Resume),
//     so it publishes nothing twice even outside that window;
//   - each projection consumes through a durable consumer named after the stream
//     and the projection, which every process running the projection shares (a
//     queue group); a message is acknowledged only after the transaction that
//     applied its events committed, so the pages a killed worker had not
//     committed are delivered again (after AckWait), and skipped or filled by
//     position like any other page.
//
// One message per page rather than per event: Watermill's NATS subscriber hands
// the router one message at a time and waits for its acknowledgement, so with one
// event per message every event would cost a transaction of its own (measured:
// about 50 events/s per projection); a page costs one transaction.
func NewNATSTransport(cfg NATSConfig, logger watermill.LoggerAdapter) (Transport, error) {
	cfg.defaults()
	if cfg.URL == "" {
		return Transport{}, errors.New("projections: the NATS transport needs a URL")
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	pubConn, err := nats.Connect(cfg.URL, nats.Name("passledger-relay"), nats.MaxReconnects(-1))
	if err != nil {
		return Transport{}, fmt.Errorf("projections: connect to NATS: %w", err)
	}
	js, err := pubConn.JetStream()
	if err != nil {
		pubConn.Close()
		return Transport{}, fmt.Errorf("projections: JetStream: %w", err)
	}
	for _, sc := range []*nats.StreamConfig{
		{Name: cfg.Stream, Subjects: []string{cfg.subject(Topic)}, Storage: nats.FileStorage, Duplicates: cfg.Duplicates,
			Description: "passledger events: pages of the log in gap-free order, message id = position of the first event"},
		{Name: cfg.poisonStream(), Subjects: []string{cfg.subject(PoisonTopic)}, Storage: nats.FileStorage,
			Description: "passledger pages a projection handler gave up on (retried from the event store)"},
	} {
		if _, err := js.StreamInfo(sc.Name); errors.Is(err, nats.ErrStreamNotFound) {
			if _, err := js.AddStream(sc); err != nil && !errors.Is(err, nats.ErrStreamNameAlreadyInUse) {
				pubConn.Close()
				return Transport{}, fmt.Errorf("projections: create stream %s: %w", sc.Name, err)
			}
		} else if err != nil {
			pubConn.Close()
			return Transport{}, fmt.Errorf("projections: stream %s: %w", sc.Name, err)
		}
	}
	pub, err := wmnats.NewPublisherWithNatsConn(pubConn, wmnats.PublisherPublishConfig{
		Marshaler:         &wmnats.NATSMarshaler{},
		SubjectCalculator: wmnats.DefaultSubjectCalculator,
		JetStream:         wmnats.JetStreamConfig{TrackMsgId: true},
	}, logger)
	if err != nil {
		pubConn.Close()
		return Transport{}, err
	}
	// The poison queue reuses the page's message id; it must not be de-duplicated
	// against the events, hence its own stream and a publisher without msg ids.
	poisonPub, err := wmnats.NewPublisherWithNatsConn(pubConn, wmnats.PublisherPublishConfig{
		Marshaler:         &wmnats.NATSMarshaler{},
		SubjectCalculator: wmnats.DefaultSubjectCalculator,
	}, logger)
	if err != nil {
		pubConn.Close()
		return Transport{}, err
	}

	var subs []*wmnats.Subscriber
	subscriber := func(projection string) (message.Subscriber, error) {
		conn, err := nats.Connect(cfg.URL, nats.Name("passledger-"+projection), nats.MaxReconnects(-1))
		if err != nil {
			return nil, fmt.Errorf("projections: connect to NATS: %w", err)
		}
		durable := cfg.durable(projection)
		const subscribers = 1 // one page at a time, in order
		sub, err := wmnats.NewSubscriberWithNatsConn(conn, wmnats.SubscriberSubscriptionConfig{
			Unmarshaler:      &wmnats.NATSMarshaler{},
			SubscribersCount: subscribers,
			AckWaitTimeout:   cfg.AckWait,
			CloseTimeout:     10 * time.Second,
			SubscribeTimeout: 30 * time.Second,
			QueueGroupPrefix: durable,
			SubjectCalculator: func(queueGroupPrefix, topic string) *wmnats.SubjectDetail {
				return &wmnats.SubjectDetail{Primary: cfg.subject(topic), QueueGroup: queueGroupPrefix}
			},
			JetStream: wmnats.JetStreamConfig{
				DurablePrefix: durable,
				AckAsync:      true,
				SubscribeOptions: []nats.SubOpt{
					nats.ManualAck(), nats.AckExplicit(), nats.DeliverAll(),
					nats.MaxAckPending(8), nats.AckWait(cfg.AckWait),
				},
			},
		}, logger)
		if err != nil {
			conn.Close()
			return nil, err
		}
		subs = append(subs, sub)
		return &topicSubscriber{sub}, nil
	}
	return Transport{
		Name:         "nats",
		Publisher:    &topicPublisher{pub, cfg},
		Poison:       &topicPublisher{poisonPub, cfg},
		Subscriber:   subscriber,
		IDByPosition: true,
		Resume:       func(ctx context.Context) (eventstore.Cursor, bool, error) { return lastPublished(js, cfg) },
		Close: func() error {
			var errs []error
			for _, s := range subs {
				errs = append(errs, s.Close())
			}
			pubConn.Close()
			return errors.Join(errs...)
		},
	}, nil
}

// lastPublished returns the cursor of the last event the stream holds (ok false
// when it holds none).
func lastPublished(js nats.JetStreamContext, cfg NATSConfig) (eventstore.Cursor, bool, error) {
	m, err := js.GetLastMsg(cfg.Stream, cfg.subject(Topic))
	if errors.Is(err, nats.ErrMsgNotFound) {
		return eventstore.Cursor{}, false, nil
	}
	if err != nil {
		return eventstore.Cursor{}, false, fmt.Errorf("projections: last message of stream %s: %w", cfg.Stream, err)
	}
	p, err := decodeRawPage(m.Data)
	if err != nil {
		return eventstore.Cursor{}, false, err
	}
	return p.batch().Last(), true, nil
}

// topicPublisher publishes Watermill topic T to the subject Stream.T.
type topicPublisher struct {
	inner *wmnats.Publisher
	cfg   NATSConfig
}

func (p *topicPublisher) Publish(topic string, msgs ...*message.Message) error {
	return p.inner.Publish(p.cfg.subject(topic), msgs...)
}

func (p *topicPublisher) Close() error { return nil } // the transport closes the connection

// topicSubscriber hides the subscriber's Close from the router (the transport
// closes it) and passes Subscribe through; the subject mapping is done by the
// subscriber's SubjectCalculator.
type topicSubscriber struct{ inner *wmnats.Subscriber }

func (s *topicSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	return s.inner.Subscribe(ctx, topic)
}

func (s *topicSubscriber) Close() error { return s.inner.Close() }
