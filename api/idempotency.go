package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/passnumerique/passledger/eventstore"
)

// command runs a write request as one eventstore.Command: its idempotency record,
// the events it appends and the response it gives are committed in one PostgreSQL
// transaction (shared with the other commands of its group), and the response goes
// out only after that commit.
//
// With an Idempotency-Key, the first answer (status, content type, body) is kept
// with the key, per token: a repeat with the same method, path and body gets it
// again with Idempotent-Replayed: true; a repeat with another body or path is
// refused with 422 idempotency-key-reused; a repeat that arrives while the first is
// still running waits on the key's transaction-scoped lock, which dies with its
// holder. Server errors (5xx) are never kept: nothing was committed, the client
// retries with the same key and the command runs once.
func (s *Server) command(w http.ResponseWriter, r *http.Request, p Principal, rt Route) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		s.fail(w, r, errBadRequest("Idempotency-Key longer than 200 characters"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		s.fail(w, r, errBadRequest("cannot read the body: %v", err))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.RequestURI() + "\n"))
	h.Write(body)
	reqHash := h.Sum(nil)

	storeKey := ""
	if key != "" {
		storeKey = "http:" + p.TokenID + ":" + key
	}
	cmd := s.store.NewCommand(storeKey, reqHash)
	finished := false
	defer func() {
		if !finished { // the handler panicked: roll its group back
			_, _ = cmd.Finish(context.Background(), nil)
		}
	}()
	rec := httptest.NewRecorder()
	s.run(rec, r.WithContext(eventstore.WithCommand(r.Context(), cmd)), p, rt)

	var stored *eventstore.CommandRecord
	if rec.Code >= 500 {
		finished = true
		_, _ = cmd.Finish(context.Background(), nil)
	} else {
		kept := rec.Body.Bytes()
		if rt.Secret {
			kept = redactToken(kept)
		}
		answer, err := json.Marshal(storedAnswer{Status: rec.Code, ContentType: rec.Header().Get("Content-Type"), Body: kept})
		if err != nil {
			finished = true
			_, _ = cmd.Finish(context.Background(), nil)
			s.fail(w, r, err)
			return
		}
		stored, err = cmd.Finish(context.Background(), answer)
		finished = true
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if stored != nil {
		s.replay(w, r, stored, reqHash)
		return
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// storedAnswer is the response kept with an idempotency key.
type storedAnswer struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
	Body        []byte `json:"body"`
}

// replay answers a repeat with the first answer to its key.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, rec *eventstore.CommandRecord, reqHash []byte) {
	if !bytes.Equal(rec.RequestHash, reqHash) {
		s.fail(w, r, problemf(http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency key reused",
			"this Idempotency-Key was used with another request body or path"))
		return
	}
	var a storedAnswer
	if err := json.Unmarshal(rec.Response, &a); err != nil || a.Status == 0 {
		s.fail(w, r, problemf(http.StatusConflict, "idempotency-key-reused", "Idempotency key reused",
			"this Idempotency-Key was used by an append that kept no HTTP answer"))
		return
	}
	if a.ContentType != "" {
		w.Header().Set("Content-Type", a.ContentType)
	}
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}

// redactToken empties the "token" field of a JSON object, so that a secret shown
// once is never stored in clear.
func redactToken(body []byte) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return []byte("{}")
	}
	if _, ok := m["token"]; ok {
		m["token"] = ""
	}
	out, err := json.Marshal(m)
	if err != nil {
		return []byte("{}")
	}
	return out
}
