package projections

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections/core"
)

// Topic is the Watermill topic the relay publishes pages of events to.
const Topic = "passledger.events"

// PoisonTopic receives the pages a projection handler failed on after its retries
// (with the reason in the message metadata).
const PoisonTopic = "passledger.events.poison"

// pageNamespace makes message UUIDs deterministic: the same page of the log always
// travels under the same UUID, so a transport that de-duplicates by message id
// (JetStream's Nats-Msg-Id) drops a page that two relays published.
var pageNamespace = uuid.MustParse("7f7c6a52-2b7e-4c7e-9a43-5b0f3d1e9c11")

// Metadata keys of a page message.
const (
	metaAfter = "passledger_after"
	metaLast  = "passledger_last"
	metaCount = "passledger_count"
)

// wirePage is the JSON payload of a page message: the events (payload and metadata
// as the JSON stored) and the cursor the page starts after. The hashes are not
// carried: projections do not check them (verify does).
type wirePage struct {
	After  wireCursor  `json:"after"`
	Events []wireEvent `json:"events"`
}

type wireCursor struct {
	TxID     uint64 `json:"transaction_id,string"`
	Position int64  `json:"position"`
}

type wireEvent struct {
	Position   int64           `json:"position"`
	TxID       uint64          `json:"transaction_id,string"`
	EventID    string          `json:"event_id"`
	StreamID   string          `json:"stream_id"`
	Version    int64           `json:"stream_version"`
	Type       string          `json:"type"`
	Payload    json.RawMessage `json:"payload"`
	Metadata   json.RawMessage `json:"metadata"`
	RecordedAt time.Time       `json:"recorded_at"`
}

// PageUUID returns the deterministic message UUID of the page (after, last].
func PageUUID(after, last eventstore.Cursor) string {
	return uuid.NewSHA1(pageNamespace, []byte(after.String()+"|"+last.String())).String()
}

// NewPageMessage encodes a page of the log that starts right after cursor after as
// one Watermill message.
func NewPageMessage(after eventstore.Cursor, recs []eventstore.RecordedEvent) (*message.Message, error) {
	p := wirePage{After: wireCursor{TxID: after.TxID, Position: after.Position}, Events: make([]wireEvent, len(recs))}
	for i, r := range recs {
		md := r.Metadata
		if len(md) == 0 {
			md = json.RawMessage("{}")
		}
		p.Events[i] = wireEvent{Position: r.Position, TxID: r.TxID, EventID: r.EventID, StreamID: r.StreamID,
			Version: r.Version, Type: r.Type, Payload: r.Payload, Metadata: md, RecordedAt: r.RecordedAt}
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("projections: encode page: %w", err)
	}
	last := after
	if len(recs) > 0 {
		last = recs[len(recs)-1].Cursor()
	}
	msg := message.NewMessage(PageUUID(after, last), payload)
	msg.Metadata.Set(metaAfter, after.String())
	msg.Metadata.Set(metaLast, last.String())
	msg.Metadata.Set(metaCount, strconv.Itoa(len(recs)))
	return msg, nil
}

// DecodePage decodes a page message into a Batch, decoding every event's payload.
func DecodePage(payload []byte) (Batch, error) {
	var p wirePage
	if err := json.Unmarshal(payload, &p); err != nil {
		return Batch{}, fmt.Errorf("projections: decode page: %w", err)
	}
	recs := make([]eventstore.RecordedEvent, len(p.Events))
	for i, e := range p.Events {
		recs[i] = eventstore.RecordedEvent{Position: e.Position, TxID: e.TxID, EventID: e.EventID, StreamID: e.StreamID,
			Version: e.Version, Type: e.Type, Payload: []byte(e.Payload), Metadata: []byte(e.Metadata), RecordedAt: e.RecordedAt.UTC()}
	}
	evs, err := core.Decode(recs)
	if err != nil {
		return Batch{}, err
	}
	return Batch{After: eventstore.Cursor{TxID: p.After.TxID, Position: p.After.Position}, Events: evs}, nil
}

// pageCache decodes each page once for all the projection handlers of a process:
// with fan-out, every handler receives the same page, and decoding (JSON, exact
// decimals) is the larger part of a handler's CPU. Keys are message UUIDs, which
// name a page's content (PageUUID). Handlers must not modify the events.
type pageCache struct {
	mu    sync.Mutex
	pages map[string]*cachedPage
	order []string
	max   int
}

type cachedPage struct {
	once  sync.Once
	batch Batch
	err   error
}

func newPageCache(max int) *pageCache {
	return &pageCache{pages: map[string]*cachedPage{}, max: max}
}

func (c *pageCache) batch(msg *message.Message) (Batch, error) {
	key := msg.UUID + "|" + msg.Metadata.Get(metaLast)
	c.mu.Lock()
	p, ok := c.pages[key]
	if !ok {
		p = &cachedPage{}
		c.pages[key] = p
		c.order = append(c.order, key)
		if len(c.order) > c.max {
			delete(c.pages, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.mu.Unlock()
	p.once.Do(func() { p.batch, p.err = DecodePage(msg.Payload) })
	return p.batch, p.err
}
