package projections

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/passnumerique/passledger/domain"
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

// A page message's payload is binary (pageMagic, then encoding/binary varints and
// length-prefixed bytes):
//
//	"PLP" 0x01
//	after.TxID uvarint, after.Position varint, number of events uvarint
//	per event: Position varint, TxID uvarint, EventID bytes, StreamID bytes,
//	           Version varint, Type bytes, Payload bytes, Metadata bytes,
//	           RecordedAt as Unix seconds varint and nanoseconds uvarint
//	bytes = length uvarint, then the bytes
//
// The events' payloads and metadata travel as the JSON stored, untouched: a worker
// takes them as slices of the message (no copy, no validation) and decodes only the
// payloads of the events it applies (see Batch). The hashes are not carried:
// projections do not check them (verify does). Pages written before this format
// (a JSON object, wirePage) are still read.
var pageMagic = []byte("PLP\x01")

// minWireEvent is the fewest bytes an event takes in a page (ten fields of at
// least one byte): it bounds the event count a page may announce.
const minWireEvent = 10

// wirePage is the JSON payload of a page message of the first format, still
// decoded (DecodePage) for the pages a stream kept from before the binary one.
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
	payload := encodePage(after, recs)
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

// encodePage writes the binary payload of a page.
func encodePage(after eventstore.Cursor, recs []eventstore.RecordedEvent) []byte {
	n := len(pageMagic) + 3*binary.MaxVarintLen64
	for _, r := range recs {
		n += 10*binary.MaxVarintLen64 + len(r.EventID) + len(r.StreamID) + len(r.Type) + len(r.Payload) + len(r.Metadata)
	}
	b := make([]byte, 0, n)
	b = append(b, pageMagic...)
	b = binary.AppendUvarint(b, after.TxID)
	b = binary.AppendVarint(b, after.Position)
	b = binary.AppendUvarint(b, uint64(len(recs)))
	for _, r := range recs {
		b = binary.AppendVarint(b, r.Position)
		b = binary.AppendUvarint(b, r.TxID)
		b = appendString(b, r.EventID)
		b = appendString(b, r.StreamID)
		b = binary.AppendVarint(b, r.Version)
		b = appendString(b, r.Type)
		b = appendBytes(b, r.Payload)
		b = appendBytes(b, r.Metadata)
		b = binary.AppendVarint(b, r.RecordedAt.Unix())
		b = binary.AppendUvarint(b, uint64(r.RecordedAt.Nanosecond()))
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendBytes(b, s []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// DecodePage decodes a page message into a Batch, decoding every event's payload
// (the handlers decode only what they apply: see pageCache).
func DecodePage(payload []byte) (Batch, error) {
	p, err := decodeRawPage(payload)
	if err != nil {
		return Batch{}, err
	}
	evs := make([]core.Event, len(p.evs))
	for i := range evs {
		if evs[i], err = p.event(i); err != nil {
			return Batch{}, err
		}
	}
	return Batch{After: p.after, Events: evs}, nil
}

// page is a decoded page message whose events' payloads are decoded on demand,
// each at most once (event), safe for concurrent use: evs hold the events with
// Data nil and are never written.
type page struct {
	after eventstore.Cursor
	evs   []core.Event
	slots []decodeSlot
}

type decodeSlot struct {
	once sync.Once
	ev   core.Event
	err  error
}

// event returns event i of the page with its payload decoded.
func (p *page) event(i int) (core.Event, error) {
	s := &p.slots[i]
	s.once.Do(func() { s.ev, s.err = core.DecodeRecord(p.evs[i].RecordedEvent) })
	return s.ev, s.err
}

// batch returns the page as a Batch whose events the Runner decodes through the
// page.
func (p *page) batch() Batch { return Batch{After: p.after, Events: p.evs, page: p} }

// decodeRawPage decodes a page message (binary, or JSON of the first format)
// without decoding the events' payloads.
func decodeRawPage(payload []byte) (*page, error) {
	var recs []eventstore.RecordedEvent
	var after eventstore.Cursor
	if bytes.HasPrefix(payload, pageMagic) {
		r := pageReader{b: payload[len(pageMagic):]}
		after = eventstore.Cursor{TxID: r.uvarint(), Position: r.varint()}
		n := r.uvarint()
		if r.err == nil && n > uint64(len(r.b)/minWireEvent) {
			r.fail("announces %d events in %d bytes", n, len(r.b))
		}
		if r.err == nil {
			recs = make([]eventstore.RecordedEvent, n)
		}
		for i := range recs {
			e := &recs[i]
			e.Position, e.TxID = r.varint(), r.uvarint()
			e.EventID, e.StreamID = string(r.bytes()), string(r.bytes())
			e.Version, e.Type = r.varint(), eventType(r.bytes())
			e.Payload, e.Metadata = r.bytes(), r.bytes()
			sec, nsec := r.varint(), r.uvarint()
			if r.err == nil && nsec >= 1e9 {
				r.fail("event %d: %d nanoseconds", i, nsec)
			}
			if r.err != nil {
				break
			}
			e.RecordedAt = time.Unix(sec, int64(nsec)).UTC()
		}
		if r.err == nil && len(r.b) > 0 {
			r.fail("%d bytes after the last event", len(r.b))
		}
		if r.err != nil {
			return nil, fmt.Errorf("projections: decode page: %w", r.err)
		}
	} else {
		var p wirePage
		if err := json.Unmarshal(payload, &p); err != nil {
			return nil, fmt.Errorf("projections: decode page: %w", err)
		}
		after = eventstore.Cursor{TxID: p.After.TxID, Position: p.After.Position}
		recs = make([]eventstore.RecordedEvent, len(p.Events))
		for i, e := range p.Events {
			recs[i] = eventstore.RecordedEvent{Position: e.Position, TxID: e.TxID, EventID: e.EventID, StreamID: e.StreamID,
				Version: e.Version, Type: e.Type, Payload: []byte(e.Payload), Metadata: []byte(e.Metadata), RecordedAt: e.RecordedAt.UTC()}
		}
	}
	p := &page{after: after, evs: make([]core.Event, len(recs)), slots: make([]decodeSlot, len(recs))}
	for i, r := range recs {
		p.evs[i].RecordedEvent = r
	}
	return p, nil
}

// pageReader reads the fields of a binary page; the first error sticks.
type pageReader struct {
	b   []byte
	err error
}

func (r *pageReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *pageReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad or truncated varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// varint reads a signed varint: the zig-zag form of an unsigned one, as
// binary.Varint decodes it.
func (r *pageReader) varint() int64 {
	u := r.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

// bytes returns the next length-prefixed bytes, a slice of the page (its capacity
// cut to its length).
func (r *pageReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail("%d bytes announced, %d left", n, len(r.b))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// eventTypes interns the event type names, so that a page's events share them.
var eventTypes = func() map[string]string {
	m := map[string]string{}
	for _, t := range domain.EventTypes() {
		m[t] = t
	}
	return m
}()

func eventType(b []byte) string {
	if t, ok := eventTypes[string(b)]; ok {
		return t
	}
	return string(b)
}

// pageCache decodes each page once for all the projection handlers of a process:
// with fan-out, every handler receives the same page. The cache holds the page
// with its events' payloads not decoded; the Runner decodes, through the page,
// the payloads of the events a handler applies (a partition only those routed to
// it, see Partition), each at most once per process however many handlers apply
// it. Keys are message UUIDs and last cursors, which name a page's content
// (PageUUID). Handlers must not modify the events.
type pageCache struct {
	mu    sync.Mutex
	pages map[string]*cachedPage
	order []string
	max   int
}

type cachedPage struct {
	once sync.Once
	page *page
	err  error
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
	p.once.Do(func() { p.page, p.err = decodeRawPage(msg.Payload) })
	if p.err != nil {
		return Batch{}, p.err
	}
	return p.page.batch(), nil
}
