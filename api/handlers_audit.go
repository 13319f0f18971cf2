package api

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/receipt"
)

// EventView is one stored event as the auditor sees it: the stored payload
// (its bytes are what content_hash covers) and the double-entry postings the
// event makes, computed from the payload by domain.Entries when the event is
// served (never stored), so an auditor never re-derives them.
type EventView struct {
	Position int64           `json:"position"`
	Cursor   string          `json:"cursor" pattern:"cursor"`
	EventID  string          `json:"event_id"`
	Stream   string          `json:"stream" pattern:"-"`
	Version  int64           `json:"version"`
	Type     string          `json:"type"`
	Payload  json.RawMessage `json:"payload"`
	Metadata json.RawMessage `json:"metadata"`
	// Postings are the event's movements (debit account, credit account,
	// amount); empty for an event that moves no money.
	Postings    []domain.Entry `json:"postings"`
	RecordedAt  time.Time      `json:"recorded_at"`
	ContentHash string         `json:"content_hash" pattern:"sha256"`
	Hash        string         `json:"hash" pattern:"sha256"`
}

// EventsResponse is a page of the log in the gap-free reading order.
type EventsResponse struct {
	Events []EventView `json:"events"`
	// Next is the position to pass as ?after= for the next page (0 when none).
	Next int64 `json:"next"`
}

func (s *Server) getEvents(r *http.Request, _ Principal) (int, any, error) {
	q := r.URL.Query()
	var after int64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return 0, nil, errBadRequest("after must be a non-negative integer")
		}
		after = n
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, nil, errBadRequest("limit must be between 1 and 1000")
		}
		limit = n
	}
	evs, err := s.store.ReadAll(r.Context(), after, limit)
	if err != nil {
		return 0, nil, err
	}
	out := EventsResponse{Events: make([]EventView, 0, len(evs))}
	for _, e := range evs {
		v, err := viewOf(e)
		if err != nil {
			return 0, nil, err
		}
		out.Events = append(out.Events, v)
	}
	if len(evs) == limit {
		out.Next = evs[len(evs)-1].Position
	}
	return http.StatusOK, out, nil
}

func viewOf(e eventstore.RecordedEvent) (EventView, error) {
	ev, err := domain.DecodeEvent(e.Type, e.Payload)
	if err != nil {
		return EventView{}, fmt.Errorf("event at position %d: %w", e.Position, err)
	}
	postings := domain.Entries(ev)
	if postings == nil {
		postings = []domain.Entry{}
	}
	return EventView{Position: e.Position, Cursor: e.Cursor().String(), EventID: e.EventID, Stream: e.StreamID, Version: e.Version,
		Type: e.Type, Payload: json.RawMessage(e.Payload), Metadata: json.RawMessage(e.Metadata), Postings: postings,
		RecordedAt: e.RecordedAt, ContentHash: hex.EncodeToString(e.ContentHash), Hash: hex.EncodeToString(e.Hash)}, nil
}

func (s *Server) getVerify(r *http.Request, _ Principal) (int, any, error) {
	rep, err := s.store.Verify(r.Context(), nil)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rep, nil
}

// verifyReport and receiptKeySet name the documented response types.
type (
	verifyReport  = eventstore.VerifyReport
	receiptKeySet = receipt.KeySet
)
