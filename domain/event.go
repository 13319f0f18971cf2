package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"

	"github.com/shopspring/decimal"
)

// Event is a fact that happened, appended to one stream and never changed.
//
// Every event type is a plain struct, used by value (DecodeEvent returns
// values, Apply methods switch on values), whose EventType is a stable name
// ("ChequeRedeemed") stored beside the JSON payload in the event store. Its
// fields carry snake_case JSON tags; money is Money (a JSON string with two
// decimals), civil dates are Date ("YYYY-MM-DD"), instants are time.Time in
// UTC (RFC 3339). An event carries everything its readers need (for example
// a redemption carries its funder attribution), so projections and Postings
// never have to look at another stream.
type Event interface {
	// EventType returns the event's stable type name.
	EventType() string
}

// Change is what a command decides for one stream: the events to append to
// Stream. A command that touches several streams returns one Change per
// stream, to be appended atomically in one transaction with the expected
// versions the caller read (or "no stream" for a stream it found empty, as
// for BeneficiaryStream and MovementStream, whose existence is the rule).
type Change struct {
	// Stream is the stream id (see the *Stream helpers).
	Stream string
	// Events are the events to append to Stream, in order.
	Events []Event
}

// eventDecoders maps each event type name to a strict decoder returning the
// event by value. It is filled once at start-up by registerEvents and never
// changed afterwards.
var eventDecoders = map[string]func([]byte) (Event, error){}

// eventGoTypes maps each event type name to the Go type registered for it.
var eventGoTypes = map[string]reflect.Type{}

func registerEvent[T Event]() {
	var zero T
	name := zero.EventType()
	if _, dup := eventDecoders[name]; dup {
		panic("domain: event type registered twice: " + name)
	}
	eventGoTypes[name] = reflect.TypeOf(zero)
	eventDecoders[name] = func(payload []byte) (Event, error) {
		var v T
		if err := strictUnmarshal(payload, &v); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, name, err)
		}
		if err := checkDecimals(reflect.ValueOf(v)); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, name, err)
		}
		return v, nil
	}
}

func init() {
	registerEvent[FunderRegistered]()
	registerEvent[FundCreated]()
	registerEvent[PerequationRun]()
	registerEvent[FundDrawn]()
	registerEvent[ContributionPledged]()
	registerEvent[ContributionReceived]()
	registerEvent[AdvanceGranted]()
	registerEvent[AdvanceRepaid]()
	registerEvent[TerritoryNeedRecorded]()
	registerEvent[PrescriberRegistered]()
	registerEvent[PlaceRegistered]()
	registerEvent[PlaceLabelChanged]()
	registerEvent[ProgrammeCreated]()
	registerEvent[CarnetsMinted]()
	registerEvent[ProgrammeClosed]()
	registerEvent[CarnetMinted]()
	registerEvent[CarnetIssued]()
	registerEvent[CarnetCancelled]()
	registerEvent[BeneficiaryCarnetAssigned]()
	registerEvent[ChequeRedeemed]()
	registerEvent[RedemptionReversed]()
	registerEvent[ChequeExpired]()
	registerEvent[ChequeBlocked]()
	registerEvent[ChequeReimbursementClaimed]()
	registerEvent[ReimbursementBatchCreated]()
	registerEvent[ReimbursementBatchPaid]()
	registerEvent[BankLineImported]()
	registerEvent[BankLineMatched]()
	registerEvent[MovementMatched]()
	registerEvent[PlaceBankAccountSet]()
	registerEvent[BankStatementImported]()
}

// EventTypes returns the names of all event types DecodeEvent knows, sorted.
func EventTypes() []string {
	names := make([]string, 0, len(eventDecoders))
	for n := range eventDecoders {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// EncodeEvent returns the JSON payload of e. The event's type must be
// registered (ErrUnknownEventType otherwise) and e must be the registered
// struct, by value or by pointer. The encoding is deterministic: the same
// event always gives the same bytes (field order is the struct's).
func EncodeEvent(e Event) ([]byte, error) {
	if e == nil {
		return nil, fmt.Errorf("%w: nil event", ErrUnknownEventType)
	}
	v := reflect.ValueOf(e)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, fmt.Errorf("%w: nil %T", ErrUnknownEventType, e)
		}
		v = v.Elem()
	}
	want, ok := eventGoTypes[e.EventType()]
	if !ok || v.Type() != want {
		return nil, fmt.Errorf("%w: %q (%T)", ErrUnknownEventType, e.EventType(), e)
	}
	return json.Marshal(v.Interface())
}

// DecodeEvent decodes payload as the event type named eventType and returns
// the event by value. An unknown name gives ErrUnknownEventType. Decoding is
// strict and returns an error wrapping ErrMalformedEvent when payload is not
// exactly one JSON object, has a field the type does not declare
// (DisallowUnknownFields), a value of the wrong JSON type, an invalid amount
// (Money refuses floats, more than two decimals, ...) or date, or a decimal
// (rate, need) of absurd magnitude (exponent beyond ±maxDecimalExponent or
// more than maxDecimalBits bits of coefficient, which would make printing it
// exhaust memory). Field names
// match case-insensitively, as encoding/json always does; a missing field is
// left at its zero value. DecodeEvent never panics, whatever the bytes.
//
// The event types a log is mostly made of (redemptions, claims, expiries,
// carnets, batches) are decoded without reflection when their payload is in
// the canonical form EncodeEvent writes (fastDecode); any other payload, and
// every other type, goes through decodeStrict, the reference the fast path is
// tested against.
func DecodeEvent(eventType string, payload []byte) (Event, error) {
	if ev, ok := fastDecode(eventType, payload); ok {
		return ev, nil
	}
	return decodeStrict(eventType, payload)
}

// decodeStrict is DecodeEvent through encoding/json (strictUnmarshal): the
// reference for every type and every payload, canonical or not.
func decodeStrict(eventType string, payload []byte) (Event, error) {
	dec, ok := eventDecoders[eventType]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownEventType, eventType)
	}
	return dec(payload)
}

func strictUnmarshal(payload []byte, v any) error {
	trimmed := bytes.TrimLeft(payload, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return errors.New("payload is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

// Fold returns the state of type T folded from events, in order, by T's
// Apply method (defined on *T). Events of other aggregates are ignored by
// Apply, so any slice of events is accepted; pointers to events are
// dereferenced first. Fold knows nothing of stream
// versions; the caller keeps the version it read for the append.
//
//	cheque := domain.Fold[domain.ChequeState](events)
func Fold[T any, P interface {
	*T
	Apply(Event)
}](events []Event) T {
	var s T
	p := P(&s)
	for _, e := range events {
		p.Apply(deref(e))
	}
	return s
}

// Bounds on the decimals (rates, needs) an event may carry.
const (
	maxDecimalExponent = 64
	maxDecimalBits     = 256
)

var decimalType = reflect.TypeOf(decimal.Decimal{})

// checkDecimals walks a decoded event and refuses decimals of absurd
// magnitude.
func checkDecimals(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == decimalType {
			d := v.Interface().(decimal.Decimal)
			if e := d.Exponent(); e > maxDecimalExponent || e < -maxDecimalExponent || d.Coefficient().BitLen() > maxDecimalBits {
				return errors.New("decimal out of range")
			}
			return nil
		}
		for i := 0; i < v.NumField(); i++ {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			if err := checkDecimals(v.Field(i)); err != nil {
				return err
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			if err := checkDecimals(v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			return checkDecimals(v.Elem())
		}
	}
	return nil
}

// EventGoType returns the Go type registered for the event type name, or nil
// for an unknown name (the api package reflects it into the schema of the
// event's payload).
func EventGoType(name string) reflect.Type { return eventGoTypes[name] }
