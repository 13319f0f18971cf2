package domain

import "bytes"

// StringFields reads from an event payload the string values of keys, into vals
// (vals[i] for keys[i]), without decoding the event: what the routing of a
// partitioned projection needs from the events it will not apply. It takes only the
// canonical form the domain writes (as the fast decoder: one JSON object, strings
// without escapes) and ok is false — the caller then decodes the payload
// (DecodeEvent) and reads the fields there — when the payload is not in that form,
// when a key is missing or its value is not a plain string, when a key is repeated,
// or when a key of the payload is not one of keys but would match one for
// encoding/json (another case, non-ASCII). So when ok is true, vals are exactly the
// fields DecodeEvent's event holds. The other values are skipped without being
// checked: a payload that does not decode may still give its fields.
func StringFields(payload []byte, keys []string, vals []string) (ok bool) {
	if len(keys) > 64 || len(vals) < len(keys) {
		return false
	}
	s := scanner{b: payload}
	var found uint64
	ok = s.object(func(k []byte) bool {
		for i, want := range keys {
			if string(k) == want {
				found |= 1 << i
				return s.str(&vals[i])
			}
			if bytes.EqualFold(k, []byte(want)) {
				return false
			}
		}
		for _, c := range k {
			if c >= 0x80 {
				return false
			}
		}
		return s.skip(0)
	})
	return ok && found == 1<<len(keys)-1
}

// skip reads one JSON value of any kind, leniently (a literal is any run of
// letters, digits and number signs), refusing escapes in strings and nesting
// deeper than 32.
func (s *scanner) skip(depth int) bool {
	s.ws()
	if s.i >= len(s.b) || depth > 32 {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, ok := s.raw()
		return ok
	case '{':
		s.i++
		if s.eat('}') {
			return true
		}
		for {
			if _, ok := s.raw(); !ok || !s.eat(':') || !s.skip(depth+1) {
				return false
			}
			if s.eat(',') {
				continue
			}
			return s.eat('}')
		}
	case '[':
		s.i++
		if s.eat(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.eat(',') {
				continue
			}
			return s.eat(']')
		}
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'E') {
			break
		}
		s.i++
	}
	return s.i > start
}
