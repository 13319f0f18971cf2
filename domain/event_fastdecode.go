package domain

import (
	"time"
	"unicode/utf8"
)

// fastDecode decodes the payloads of the event types that make up almost all of a
// log (redemptions, claims, expiries, carnets, batches) without reflection, giving
// exactly the value decodeStrict gives. It handles only the canonical form
// EncodeEvent writes: one JSON object whose keys are the types' exact snake_case
// names, string values without escapes, no nulls where decodeStrict would keep a
// field untouched. Anything else (unknown or differently-cased key, escape, null, a
// number where a string is expected, trailing data) makes it give up (ok false),
// and DecodeEvent falls back to decodeStrict, which is the reference:
// TestFastDecode and FuzzFastDecode check that both agree on canonical payloads
// and on mutated ones.
//
// Decoding is most of the CPU a rebuild spends outside PostgreSQL, and a large
// part of what a command that reads many cheques (closing a programme, building
// a reimbursement batch) spends; this path is several times faster than
// encoding/json's reflection.
func fastDecode(eventType string, payload []byte) (ev Event, ok bool) {
	s := scanner{b: payload}
	switch eventType {
	case "ChequeRedeemed":
		var e ChequeRedeemed
		ok = s.object(func(k []byte) bool {
			switch string(k) {
			case "redemption_id":
				return s.str(&e.RedemptionID)
			case "serial":
				return s.str(&e.Serial)
			case "carnet_id":
				return s.str(&e.CarnetID)
			case "programme_id":
				return s.str(&e.ProgrammeID)
			case "place_id":
				return s.str(&e.PlaceID)
			case "place_territory":
				return s.str(&e.PlaceTerritory)
			case "programme_territory":
				return s.str(&e.ProgrammeTerritory)
			case "session_date":
				return s.date(&e.SessionDate)
			case "service":
				return s.str(&e.Service)
			case "amount":
				return s.money(&e.Amount)
			case "redeemed_at":
				return s.time(&e.RedeemedAt)
			case "fee":
				return s.money(&e.Fee)
			}
			return false
		})
		ev = e
	case "ChequeReimbursementClaimed":
		var e ChequeReimbursementClaimed
		ok = s.object(func(k []byte) bool {
			switch string(k) {
			case "batch_id":
				return s.str(&e.BatchID)
			case "redemption_id":
				return s.str(&e.RedemptionID)
			case "serial":
				return s.str(&e.Serial)
			case "place_id":
				return s.str(&e.PlaceID)
			case "amount":
				return s.money(&e.Amount)
			case "claimed_at":
				return s.time(&e.ClaimedAt)
			}
			return false
		})
		ev = e
	case "ChequeExpired":
		var e ChequeExpired
		ok = s.object(func(k []byte) bool {
			switch string(k) {
			case "serial":
				return s.str(&e.Serial)
			case "carnet_id":
				return s.str(&e.CarnetID)
			case "programme_id":
				return s.str(&e.ProgrammeID)
			case "amount":
				return s.money(&e.Amount)
			case "expired_on":
				return s.date(&e.ExpiredOn)
			case "expired_at":
				return s.time(&e.ExpiredAt)
			}
			return false
		})
		ev = e
	case "ChequeBlocked":
		var e ChequeBlocked
		ok = s.object(func(k []byte) bool {
			switch string(k) {
			case "serial":
				return s.str(&e.Serial)
			case "carnet_id":
				return s.str(&e.CarnetID)
			case "programme_id":
				return s.str(&e.ProgrammeID)
			case "reason":
				var r string
				ok := s.str(&r)
				e.Reason = CancelReason(r)
				return ok
			case "amount":
				return s.money(&e.Amount)
			case "blocked_at":
				return s.time(&e.BlockedAt)
			}
			return false
		})
		ev = e
	case "RedemptionReversed":
		var e RedemptionReversed
		ok = s.object(func(k []byte) bool {
			switch string(k) {
			case "redemption_id":
				return s.str(&e.RedemptionID)
			case "serial":
				return s.str(&e.Serial)
			case "carnet_id":
				return s.str(&e.CarnetID)
			case "programme_id":
				return s.str(&e.ProgrammeID)
			case "place_id":
				return s.str(&e.PlaceID)
			case "place_territory":
				return s.str(&e.PlaceTerritory)
			case "programme_territory":
				return s.str(&e.ProgrammeTerritory)
			case "session_date":
				return s.date(&e.SessionDate)
			case "amount":
				return s.money(&e.Amount)
			case "fee":
				return s.money(&e.Fee)
			case "reason":
				return s.str(&e.Reason)
			case "reversed_at":
				return s.time(&e.ReversedAt)
			}
			return false
		})
		ev = e
	case "CarnetMinted":
		var e CarnetMinted
		ok = s.object(func(k []byte) bool {
			switch string(k) {
			case "carnet_id":
				return s.str(&e.CarnetID)
			case "programme_id":
				return s.str(&e.ProgrammeID)
			case "prescriber_id":
				return s.str(&e.PrescriberID)
			case "ordinal":
				return s.int(&e.Ordinal)
			case "serials":
				return s.strings(&e.Serials)
			case "cheque_value":
				return s.money(&e.ChequeValue)
			case "minted_at":
				return s.time(&e.MintedAt)
			}
			return false
		})
		ev = e
	case "CarnetIssued":
		var e CarnetIssued
		ok = s.object(func(k []byte) bool {
			switch string(k) {
			case "carnet_id":
				return s.str(&e.CarnetID)
			case "programme_id":
				return s.str(&e.ProgrammeID)
			case "prescriber_id":
				return s.str(&e.PrescriberID)
			case "territory":
				return s.str(&e.Territory)
			case "beneficiary_hash":
				return s.str(&e.BeneficiaryHash)
			case "need_level":
				var n string
				ok := s.str(&n)
				e.NeedLevel = NeedLevel(n)
				return ok
			case "job_seeker":
				return s.bool(&e.JobSeeker)
			case "value":
				return s.money(&e.Value)
			case "issued_at":
				return s.time(&e.IssuedAt)
			}
			return false
		})
		ev = e
	case "BeneficiaryCarnetAssigned":
		var e BeneficiaryCarnetAssigned
		ok = s.object(func(k []byte) bool {
			switch string(k) {
			case "programme_id":
				return s.str(&e.ProgrammeID)
			case "beneficiary_hash":
				return s.str(&e.BeneficiaryHash)
			case "carnet_id":
				return s.str(&e.CarnetID)
			case "prescriber_id":
				return s.str(&e.PrescriberID)
			case "assigned_at":
				return s.time(&e.AssignedAt)
			}
			return false
		})
		ev = e
	case "ReimbursementBatchCreated":
		// Rare but huge (a month of redemptions in one event): worth the fast path.
		var e ReimbursementBatchCreated
		ok = s.object(func(k []byte) bool {
			switch string(k) {
			case "batch_id":
				return s.str(&e.BatchID)
			case "cut_off":
				return s.date(&e.CutOff)
			case "lines":
				return s.lines(&e.Lines)
			case "redemptions":
				return s.redemptions(&e.Redemptions)
			case "total":
				return s.money(&e.Total)
			case "count":
				return s.int(&e.Count)
			case "created_at":
				return s.time(&e.CreatedAt)
			}
			return false
		})
		ev = e
	default:
		return nil, false
	}
	if !ok {
		return nil, false
	}
	return ev, true
}

// scanner reads the canonical JSON the domain writes; every method returns false
// when the input is not in that form.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object reads one JSON object, calling field for each key with the scanner on
// its value, and requires nothing but white space after it.
func (s *scanner) object(field func(key []byte) bool) bool {
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		s.ws()
		return s.i == len(s.b)
	}
	var seen [16][]byte
	n := 0
	for {
		key, ok := s.raw()
		if !ok || !s.eat(':') {
			return false
		}
		// A repeated key is legal JSON that encoding/json resolves its own way:
		// leave it to encoding/json.
		for _, k := range seen[:n] {
			if string(k) == string(key) {
				return false
			}
		}
		if n == len(seen) || !field(key) {
			return false
		}
		seen[n] = key
		n++
		if s.eat(',') {
			continue
		}
		if !s.eat('}') {
			return false
		}
		s.ws()
		return s.i == len(s.b)
	}
}

// raw returns the bytes of a string value without its quotes; it refuses escapes,
// control characters and invalid UTF-8 (which encoding/json would rewrite).
func (s *scanner) raw() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	start := s.i
	ascii := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			v := s.b[start:s.i]
			s.i++
			if !ascii && !utf8.Valid(v) {
				return nil, false
			}
			return v, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
		s.i++
	}
	return nil, false
}

func (s *scanner) str(dst *string) bool {
	v, ok := s.raw()
	if ok {
		*dst = string(v)
	}
	return ok
}

func (s *scanner) money(dst *Money) bool {
	v, ok := s.raw()
	if !ok {
		return false
	}
	if c, ok := canonicalCents(v); ok {
		*dst = Cents(c)
		return true
	}
	m, err := ParseMoney(string(v))
	if err != nil {
		return false
	}
	*dst = m
	return true
}

// canonicalCents reads an amount written as Money.MarshalJSON writes it
// ("-?digits.dd", at most 13 integer digits) as cents. Cents of it is the
// value ParseMoney gives, down to its representation (exponent −2).
func canonicalCents(v []byte) (int64, bool) {
	neg := len(v) > 0 && v[0] == '-'
	if neg {
		v = v[1:]
	}
	n := len(v)
	if n < 4 || n > 16 || v[n-3] != '.' {
		return 0, false
	}
	var c int64
	for i, ch := range v {
		if i == n-3 {
			continue
		}
		if ch < '0' || ch > '9' {
			return 0, false
		}
		c = c*10 + int64(ch-'0')
	}
	if neg {
		c = -c
	}
	return c, true
}

// date reads a date string, or null (the zero Date), as Date.UnmarshalJSON does.
func (s *scanner) date(dst *Date) bool {
	if s.null() {
		*dst = Date{}
		return true
	}
	v, ok := s.raw()
	if !ok {
		return false
	}
	d, err := ParseDate(string(v))
	if err != nil {
		return false
	}
	*dst = d
	return true
}

func (s *scanner) time(dst *time.Time) bool {
	s.ws()
	start := s.i
	if _, ok := s.raw(); !ok {
		return false
	}
	// time.Time's own UnmarshalJSON, as encoding/json calls it.
	return dst.UnmarshalJSON(s.b[start:s.i]) == nil
}

func (s *scanner) int(dst *int) bool {
	s.ws()
	start, neg := s.i, false
	if s.i < len(s.b) && s.b[s.i] == '-' {
		neg = true
		s.i++
	}
	n, digits := 0, 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		if digits > 15 || (digits > 0 && s.b[start+boolInt(neg)] == '0') {
			return false // large or with a leading zero: leave it to encoding/json
		}
		n = n*10 + int(s.b[s.i]-'0')
		digits++
		s.i++
	}
	if digits == 0 || (s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E')) {
		return false
	}
	if neg {
		n = -n
	}
	*dst = n
	return true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *scanner) bool(dst *bool) bool {
	s.ws()
	switch {
	case len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "true":
		s.i += 4
		*dst = true
	case len(s.b)-s.i >= 5 && string(s.b[s.i:s.i+5]) == "false":
		s.i += 5
		*dst = false
	default:
		return false
	}
	return true
}

// strings reads an array of strings; [] gives an empty non-nil slice and null a
// nil one, as encoding/json does.
func (s *scanner) strings(dst *[]string) bool {
	if s.null() {
		*dst = nil
		return true
	}
	if !s.eat('[') {
		return false
	}
	out := []string{}
	if s.eat(']') {
		*dst = out
		return true
	}
	for {
		var v string
		if !s.str(&v) {
			return false
		}
		out = append(out, v)
		if s.eat(',') {
			continue
		}
		if !s.eat(']') {
			return false
		}
		*dst = out
		return true
	}
}

func (s *scanner) null() bool {
	s.ws()
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// array reads a JSON array whose elements elem reads ([]: zero elements; null is
// left to the caller, which gives up: encoding/json's null handling of a slice
// field that was set before differs).
func (s *scanner) array(elem func() bool) (n int, ok bool) {
	if !s.eat('[') {
		return 0, false
	}
	if s.eat(']') {
		return 0, true
	}
	for {
		if !elem() {
			return 0, false
		}
		n++
		if s.eat(',') {
			continue
		}
		return n, s.eat(']')
	}
}

// fields reads one JSON object of known keys (a repeated key gives up).
func (s *scanner) fields(field func(key []byte) bool) bool {
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		return true
	}
	var seen [8][]byte
	n := 0
	for {
		key, ok := s.raw()
		if !ok || !s.eat(':') {
			return false
		}
		for _, k := range seen[:n] {
			if string(k) == string(key) {
				return false
			}
		}
		if n == len(seen) || !field(key) {
			return false
		}
		seen[n] = key
		n++
		if s.eat(',') {
			continue
		}
		return s.eat('}')
	}
}

func (s *scanner) lines(dst *[]BatchLine) bool {
	out := []BatchLine{}
	_, ok := s.array(func() bool {
		var l BatchLine
		if !s.fields(func(k []byte) bool {
			switch string(k) {
			case "place_id":
				return s.str(&l.PlaceID)
			case "amount":
				return s.money(&l.Amount)
			case "count":
				return s.int(&l.Count)
			case "by_programme":
				by := []ProgrammeAmount{}
				_, ok := s.array(func() bool {
					var p ProgrammeAmount
					if !s.fields(func(k []byte) bool {
						switch string(k) {
						case "programme_id":
							return s.str(&p.ProgrammeID)
						case "amount":
							return s.money(&p.Amount)
						}
						return false
					}) {
						return false
					}
					by = append(by, p)
					return true
				})
				l.ByProgramme = by
				return ok
			}
			return false
		}) {
			return false
		}
		out = append(out, l)
		return true
	})
	*dst = out
	return ok
}

func (s *scanner) redemptions(dst *[]BatchRedemption) bool {
	out := []BatchRedemption{}
	_, ok := s.array(func() bool {
		var r BatchRedemption
		if !s.fields(func(k []byte) bool {
			switch string(k) {
			case "serial":
				return s.str(&r.Serial)
			case "redemption_id":
				return s.str(&r.RedemptionID)
			case "place_id":
				return s.str(&r.PlaceID)
			case "programme_id":
				return s.str(&r.ProgrammeID)
			case "amount":
				return s.money(&r.Amount)
			}
			return false
		}) {
			return false
		}
		out = append(out, r)
		return true
	})
	*dst = out
	return ok
}
