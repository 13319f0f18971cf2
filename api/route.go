package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// handlerFunc serves one route for an authenticated principal and returns the
// success status and body, or an error that becomes a problem document.
type handlerFunc func(r *http.Request, p Principal) (status int, body any, err error)

// Route is one endpoint: the single table that drives the router, the role checks,
// the authorisation-matrix test and the OpenAPI document.
type Route struct {
	Method  string
	Path    string // net/http pattern path, e.g. /v1/carnets/{id}/issue
	Summary string
	// Roles may call the route.
	Roles []Role
	// Owner maps a role to the path parameter that must equal the token's
	// organisation (a place reads its own statement only). Organisation checks on
	// body fields are in the handler (own).
	Owner map[Role]string
	// Request is a zero value of the JSON body type (nil: no JSON body).
	Request any
	// Consumes lists the media types of a request body that is a file rather than
	// JSON (a bank statement: text/csv, application/xml), each with its
	// description; the handler reads the body itself.
	Consumes map[string]string
	// Response is a zero value of the success body type.
	Response any
	// Status is the success status.
	Status int
	// Projection is the read model a GET reads (for min_position), if any.
	Projection string
	// Query lists the query parameters (name → description).
	Query map[string]string
	// Public routes need no token.
	Public bool
	// Secret routes answer a secret shown once (a new token): the copy kept for
	// Idempotency-Key replays has its "token" field emptied.
	Secret bool
	// Produces overrides the success media type (default application/json).
	Produces []string
	handle   handlerFunc
}

func (rt Route) allows(role Role) bool {
	for _, r := range rt.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// maxBody bounds request bodies (a bank statement of ~50,000 lines fits).
const maxBody = 4 << 20

// decodeJSON reads the body strictly into v: one JSON object, no unknown field, no
// trailing data, every money amount as a string with at most two decimals.
func decodeJSON(r *http.Request, v any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/json") {
		return problemf(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type", "send application/json")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return errBadRequest("cannot read the body: %v", err)
	}
	if len(body) > maxBody {
		return errBadRequest("body larger than %d bytes", maxBody)
	}
	return DecodeStrict(body, v)
}

// DecodeStrict decodes one JSON object into v, refusing anything but an object (null,
// an array, a scalar), bad bytes in strings (invalid UTF-8, NUL, control characters:
// checkJSONText), unknown fields, wrong types, malformed amounts and trailing data,
// with a 400 problem that names the field.
func DecodeStrict(body []byte, v any) error {
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 {
		return errBadRequest("empty body: a JSON object is expected")
	} else if trimmed[0] != '{' {
		return errBadRequest("the body must be a JSON object, not %s", jsonKind(trimmed[0]))
	}
	if err := checkJSONText(body, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			return errBadRequest("field %q: expected %s", typeErr.Field, typeErr.Type)
		case errors.As(err, &syntaxErr):
			return errBadRequest("malformed JSON at byte %d", syntaxErr.Offset)
		case errors.Is(err, io.EOF):
			return errBadRequest("empty body: a JSON object is expected")
		default:
			return errBadRequest("%v", err)
		}
	}
	if dec.More() {
		return errBadRequest("trailing data after the JSON object")
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.Elem().Kind() == reflect.Struct {
		if err := checkRequired(rv.Elem(), ""); err != nil {
			return err
		}
	}
	return nil
}

// jsonKind names the JSON value that starts with byte c.
func jsonKind(c byte) string {
	switch {
	case c == 'n':
		return "null"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	}
	return "malformed JSON"
}

// checkRequired refuses a missing field tagged `required:"true"`.
func checkRequired(v reflect.Value, prefix string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := jsonName(f)
		if name == "" {
			continue
		}
		if f.Tag.Get("required") == "true" && v.Field(i).IsZero() {
			return errBadRequest("field %q is required", prefix+name)
		}
	}
	return nil
}

func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	return name
}

// writeJSON writes v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serve wraps a route: authentication, role, min_position, idempotency, problems.
func (s *Server) serve(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p Principal
		if !rt.Public {
			var err error
			if p, err = s.authenticate(r); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		s.serveFor(w, r, p, rt)
	})
}

// serveAs wraps a route for a caller already authenticated in process (ServeAs).
func (s *Server) serveAs(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := r.Context().Value(principalKey{}).(Principal)
		s.serveFor(w, r, p, rt)
	})
}

type principalKey struct{}

// ServeAs serves r, a request for one of the routes (e.g. POST /v1/redemptions
// with a JSON body and an Idempotency-Key), for a principal the caller already
// authenticated (the web pages' session), through the same route table, role and
// organisation checks, idempotency record and eventstore command as a bearer
// request: a page writes exactly as the API does. A path outside the table gets
// the API's 404 problem.
func (s *Server) ServeAs(w http.ResponseWriter, r *http.Request, p Principal) {
	s.refuseBadBytes(s.asMux).ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
}

// serveFor checks role and organisation, waits for min_position and runs the route.
func (s *Server) serveFor(w http.ResponseWriter, r *http.Request, p Principal, rt Route) {
	start := time.Now()
	if !rt.Public {
		if !rt.allows(p.Role) {
			s.fail(w, r, errForbidden("role %s may not %s %s", p.Role, rt.Method, rt.Path))
			return
		}
		if param, ok := rt.Owner[p.Role]; ok && r.PathValue(param) != p.Org {
			s.fail(w, r, errForbidden("a %s token acts for %s only", p.Role, p.Org))
			return
		}
	}
	if rt.Method == http.MethodGet && rt.Projection != "" {
		if err := s.waitMinPosition(r, rt.Projection); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if rt.Method != http.MethodGet && !rt.Public {
		s.command(w, r, p, rt)
	} else {
		s.run(w, r, p, rt)
	}
	s.logger.Debug("request", "method", r.Method, "path", r.URL.Path, "role", p.Role, "took", time.Since(start))
}

// run calls the handler and writes its answer.
func (s *Server) run(w http.ResponseWriter, r *http.Request, p Principal, rt Route) {
	status, body, err := rt.handle(r, p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if raw, ok := body.(rawBody); ok {
		w.Header().Set("Content-Type", raw.contentType)
		w.WriteHeader(status)
		_, _ = w.Write(raw.body)
		return
	}
	writeJSON(w, status, body)
}

// rawBody is a non-JSON answer (CSV, HTML).
type rawBody struct {
	contentType string
	body        []byte
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := ProblemFor(err)
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
		s.logger.Warn("request refused: unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
	} else if p.Status >= 500 {
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p.Instance = r.URL.Path
	writeProblem(w, p)
}

// waitMinPosition waits, bounded, until the route's projection reached the
// position given in ?min_position=, so a client that wrote sees its write.
func (s *Server) waitMinPosition(r *http.Request, projection string) error {
	raw := r.URL.Query().Get("min_position")
	if raw == "" {
		return nil
	}
	pos, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || pos < 0 {
		return errBadRequest("min_position must be a non-negative integer")
	}
	if pos == 0 || s.waiter == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.minPositionWait)
	defer cancel()
	if err := s.waiter.WaitFor(ctx, projection, pos); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return problemf(http.StatusServiceUnavailable, "projection-lagging", "Projection lagging",
				"projection %s has not reached position %d yet; retry", projection, pos)
		}
		return fmt.Errorf("wait for %s: %w", projection, err)
	}
	return nil
}

// pathID returns a path parameter.
func pathID(r *http.Request, name string) string { return r.PathValue(name) }
