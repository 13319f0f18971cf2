package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bad bytes are refused at the door, before any handler, store or database sees
// them (PostgreSQL refuses NUL and invalid UTF-8 in text, which used to surface as
// 500s; encoding/json silently replaces invalid UTF-8 with U+FFFD):
//
//   - path segments, query parameter names and values, and the Idempotency-Key
//     header must be valid UTF-8 without any control character (refuseBadBytes,
//     the middleware around the mux);
//   - a JSON body must be one JSON object (not null, an array or a scalar), valid
//     UTF-8, and none of its strings (keys included) may hold a NUL, a control
//     character or a lone surrogate escape (\ud800); nor may it hold null where
//     an object is expected (checkJSONText, called by DecodeStrict, which every
//     handler's decode uses);
//   - a bank statement cell follows the same rules (ParseBankStatement).
//
// Control characters are C0 (TAB, LF and CR included), DEL and C1: the domain
// accepts none in any id or text field (domain.checkText), so free text gets no
// exception here either; refusing them at the door only makes the answer a 400
// that names the field instead of a later 422.
//
// Every refusal is a 400 malformed-request problem naming the field.

// badRune describes why r may not appear in text, or "" when it may.
func badRune(r rune) string {
	switch {
	case r == 0:
		return "NUL character"
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return fmt.Sprintf("control character U+%04X", r)
	case r >= 0xd800 && r <= 0xdfff:
		return "lone UTF-16 surrogate"
	}
	return ""
}

// badText describes why s may not be accepted as text, or "" when it may.
func badText(s string) string {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return "invalid UTF-8"
		}
		if why := badRune(r); why != "" {
			return why
		}
		i += size
	}
	return ""
}

// refuseBadBytes wraps the mux: a request whose path, query or Idempotency-Key
// holds invalid UTF-8 or a control character is refused with 400 before routing,
// authentication or any handler.
func (s *Server) refuseBadBytes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.checkRequestText(r); err != nil {
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkRequestText checks the decoded path, the query and the Idempotency-Key.
func (s *Server) checkRequestText(r *http.Request) error {
	path := r.URL.Path
	if badText(path) != "" {
		var pattern []string
		if s.mux != nil {
			if _, p := s.mux.Handler(r); p != "" {
				_, p, _ = strings.Cut(p, " ") // "POST /v1/…" → "/v1/…"
				pattern = strings.Split(p, "/")
			}
		}
		for i, seg := range strings.Split(path, "/") {
			why := badText(seg)
			if why == "" {
				continue
			}
			if i < len(pattern) && strings.HasPrefix(pattern[i], "{") {
				return errBadRequest("path parameter %q: %s", strings.Trim(pattern[i], "{}."), why)
			}
			return errBadRequest("path segment %d: %s", i, why)
		}
	}
	if r.URL.RawQuery != "" {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return errBadRequest("malformed query string: %v", err)
		}
		for name, values := range q {
			if why := badText(name); why != "" {
				return errBadRequest("query parameter name %s: %s", strconv.QuoteToASCII(name), why)
			}
			for _, v := range values {
				if why := badText(v); why != "" {
					return errBadRequest("query parameter %q: %s", name, why)
				}
			}
		}
	}
	if why := badText(r.Header.Get("Idempotency-Key")); why != "" {
		return errBadRequest("header Idempotency-Key: %s", why)
	}
	return nil
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// checkJSONText walks the tokens of a JSON body decoded into a value of type t,
// refusing invalid UTF-8, NUL, lone surrogates and control characters in any
// string (see badRune), and null where a struct is expected, naming the field.
// Syntax errors are left to the decoder.
func checkJSONText(body []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []*jsonFrame
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return nil // end of input, or a syntax error the decoder reports
		}
		end := dec.InputOffset()
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			advance(stack)
			continue
		}
		if s, ok := tok.(string); ok && top != nil && top.object && top.wantKey {
			if why := badRawString(body[start:end]); why != "" {
				return errBadRequest("a field name in %s: %s", fieldName(top.path), why)
			}
			top.wantKey, top.key = false, s
			top.keyTyp = fieldOf(top.typ, s)
			continue
		}
		// A value: where it sits, and what it should be.
		path, typ := "", t
		switch {
		case top == nil:
		case top.object:
			path, typ = joinPath(top.path, top.key), top.keyTyp
		default:
			path, typ = top.path+"["+strconv.Itoa(top.index)+"]", top.typ
		}
		typ = deref(typ)
		switch v := tok.(type) {
		case json.Delim: // '{' or '['
			f := &jsonFrame{object: v == '{', path: path, wantKey: v == '{'}
			if typ != nil {
				switch {
				case v == '{' && (typ.Kind() == reflect.Struct || typ.Kind() == reflect.Map):
					f.typ = typ
				case v == '[' && (typ.Kind() == reflect.Slice || typ.Kind() == reflect.Array):
					f.typ = typ.Elem()
				}
			}
			stack = append(stack, f)
			continue
		case string:
			if why := badRawString(body[start:end]); why != "" {
				return errBadRequest("%s: %s", fieldName(path), why)
			}
		case nil:
			if typ != nil && typ.Kind() == reflect.Struct && !reflect.PointerTo(typ).Implements(jsonUnmarshaler) {
				return errBadRequest("%s: null where an object is expected", fieldName(path))
			}
		}
		advance(stack)
	}
}

// jsonFrame is one open object or array in checkJSONText's walk.
type jsonFrame struct {
	object  bool
	typ     reflect.Type // object: its struct (or map) type; array: its element type
	path    string
	wantKey bool // object: the next string is a key
	key     string
	keyTyp  reflect.Type // object: the type of the current key's value
	index   int          // array: the next element's index
}

// advance moves the innermost container past the value just read.
func advance(stack []*jsonFrame) {
	if len(stack) == 0 {
		return
	}
	f := stack[len(stack)-1]
	if f.object {
		f.wantKey = true
	} else {
		f.index++
	}
}

// fieldOf returns the type of a struct's (or map's) value for a JSON key; nil when
// unknown.
func fieldOf(t reflect.Type, key string) reflect.Type {
	if t == nil {
		return nil
	}
	if t.Kind() == reflect.Map {
		return t.Elem()
	}
	var folded *reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := jsonName(f)
		if name == key {
			return f.Type
		}
		if folded == nil && strings.EqualFold(name, key) {
			folded = &f
		}
	}
	if folded != nil { // encoding/json matches field names case-insensitively
		return folded.Type
	}
	return nil
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func fieldName(path string) string {
	if path == "" {
		return "the body"
	}
	return "field " + strconv.QuoteToASCII(path)
}

// badRawString checks one JSON string token as it is in the body (with leading
// separators and whitespace, then the quoted string): its bytes must be UTF-8,
// and neither its characters nor its \u escapes may be refused by badRune.
func badRawString(raw []byte) string {
	i := bytes.IndexByte(raw, '"')
	if i < 0 || len(raw) < i+2 {
		return ""
	}
	s := raw[i+1 : len(raw)-1]
	for j := 0; j < len(s); {
		if s[j] == '\\' && j+1 < len(s) {
			var r rune
			switch s[j+1] {
			case 'u':
				if j+6 > len(s) {
					return ""
				}
				r = hex4(s[j+2 : j+6])
				j += 6
				if r >= 0xd800 && r < 0xdc00 && j+6 <= len(s) && s[j] == '\\' && s[j+1] == 'u' {
					if lo := hex4(s[j+2 : j+6]); lo >= 0xdc00 && lo <= 0xdfff {
						r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
						j += 6
					}
				}
			case 'b':
				r, j = '\b', j+2
			case 'f':
				r, j = '\f', j+2
			case 'n':
				r, j = '\n', j+2
			case 'r':
				r, j = '\r', j+2
			case 't':
				r, j = '\t', j+2
			default: // \" \\ \/
				j += 2
				continue
			}
			if why := badRune(r); why != "" {
				return why
			}
			continue
		}
		r, size := utf8.DecodeRune(s[j:])
		if r == utf8.RuneError && size == 1 {
			return "invalid UTF-8"
		}
		if why := badRune(r); why != "" {
			return why
		}
		j += size
	}
	return ""
}

func hex4(b []byte) rune {
	n, err := strconv.ParseUint(string(b), 16, 32)
	if err != nil {
		return utf8.RuneError
	}
	return rune(n)
}
