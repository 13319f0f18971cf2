package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/jackc/pgx/v5"
)

// idempotent runs a POST at most once per (token, Idempotency-Key): the first
// response (status and body) is stored and replayed to every repeat with the same
// body; a repeat with another body is refused with 422; a repeat that arrives while
// the first is still running waits for it (bounded). Server errors (5xx) are not
// stored, so the client may retry them.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, p Principal, rt Route) {
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
	ctx := r.Context()

	tag, err := s.pool.Exec(ctx, `INSERT INTO http_idempotency (token_id, key, request_hash) VALUES ($1, $2, $3)
ON CONFLICT (token_id, key) DO NOTHING`, p.TokenID, key, reqHash)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if tag.RowsAffected() == 0 {
		s.replay(w, r, p, key, reqHash)
		return
	}
	rec := httptest.NewRecorder()
	s.run(rec, r, p, rt)
	if rec.Code >= 500 {
		_, _ = s.pool.Exec(ctx, `DELETE FROM http_idempotency WHERE token_id = $1 AND key = $2`, p.TokenID, key)
	} else {
		kept := rec.Body.Bytes()
		if rt.Secret {
			kept = redactToken(kept)
		}
		_, err = s.pool.Exec(ctx, `UPDATE http_idempotency SET status = $3, content_type = $4, body = $5
WHERE token_id = $1 AND key = $2`, p.TokenID, key, rec.Code, rec.Header().Get("Content-Type"), kept)
		if err != nil {
			s.logger.Error("idempotency: store response", "err", err)
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// idempotencyWait bounds how long a repeat waits for the first request to finish.
const idempotencyWait = 10 * time.Second

func (s *Server) replay(w http.ResponseWriter, r *http.Request, p Principal, key string, reqHash []byte) {
	deadline := time.Now().Add(idempotencyWait)
	for {
		var (
			stored      []byte
			status      *int
			contentType *string
			body        []byte
		)
		err := s.pool.QueryRow(r.Context(), `SELECT request_hash, status, content_type, body FROM http_idempotency
WHERE token_id = $1 AND key = $2`, p.TokenID, key).Scan(&stored, &status, &contentType, &body)
		if errors.Is(err, pgx.ErrNoRows) {
			// The first attempt failed with a server error and was forgotten.
			s.fail(w, r, problemf(http.StatusConflict, "idempotency-key-in-flight", "Retry",
				"the first request with this Idempotency-Key failed; retry it"))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !bytes.Equal(stored, reqHash) {
			s.fail(w, r, problemf(http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency key reused",
				"this Idempotency-Key was used with another request body or path"))
			return
		}
		if status != nil {
			if contentType != nil {
				w.Header().Set("Content-Type", *contentType)
			}
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(*status)
			_, _ = w.Write(body)
			return
		}
		if time.Now().After(deadline) {
			s.fail(w, r, problemf(http.StatusConflict, "idempotency-key-in-flight", "Request in flight",
				"the first request with this Idempotency-Key is still running; retry later"))
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
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
