package core

import (
	"fmt"
	"slices"

	"github.com/passnumerique/passledger/domain"
)

// Handlers routes each event to the one function registered for its type, in the
// manner of Watermill's cqrs.NewEventHandler[T]: a projection registers one small
// typed function per event type it uses (On) instead of one long type switch, and
// Handle skips the types it does not use.
//
// S is the projection's working state for one batch (the rows it loaded, the
// pgx.Batch it queues writes on, …); the functions receive it with the event and
// its data already asserted to T. A Handlers is built once (usually in a package
// variable) and is safe for concurrent use after that: Handle only reads it.
type Handlers[S any] struct {
	byType map[string]func(S, Event) error
}

// NewHandlers returns an empty set of handlers for working state S.
func NewHandlers[S any]() *Handlers[S] {
	return &Handlers[S]{byType: map[string]func(S, Event) error{}}
}

// On registers f as the handler of events whose data is a T (keyed by T's
// EventType()). It panics if T already has a handler in h: a second registration
// is a programming error that would otherwise silently replace the first.
func On[S any, T domain.Event](h *Handlers[S], f func(s S, ev Event, data T) error) {
	var zero T
	typ := zero.EventType()
	if _, dup := h.byType[typ]; dup {
		panic(fmt.Sprintf("projections: a second handler for %s", typ))
	}
	h.byType[typ] = func(s S, ev Event) error {
		data, ok := ev.Data.(T)
		if !ok {
			return fmt.Errorf("projections: event at position %d has type %s but data %T", ev.Position, typ, ev.Data)
		}
		return f(s, ev, data)
	}
}

// Collect registers, on h, a handler of events whose data is a T that only marks
// the id id(data) in the set set(s) (set[id] = true): the key-collecting pass of a
// projection that loads, before it folds a batch, the stored rows the batch names.
// Like On, it panics if T already has a handler in h.
func Collect[S any, T domain.Event](h *Handlers[S], set func(S) map[string]bool, id func(T) string) {
	On(h, func(s S, _ Event, data T) error {
		set(s)[id(data)] = true
		return nil
	})
}

// Handle calls the handler registered for ev's type with s; an event of a type
// with no handler is skipped (nil).
func (h *Handlers[S]) Handle(s S, ev Event) error {
	if ev.Data == nil {
		return nil
	}
	f, ok := h.byType[ev.Data.EventType()]
	if !ok {
		return nil
	}
	return f(s, ev)
}

// HandleAll calls Handle for each event in order and stops at the first error.
func (h *Handlers[S]) HandleAll(s S, events []Event) error {
	for _, ev := range events {
		if err := h.Handle(s, ev); err != nil {
			return err
		}
	}
	return nil
}

// Types lists the event types that have a handler, sorted.
func (h *Handlers[S]) Types() []string {
	out := make([]string, 0, len(h.byType))
	for t := range h.byType {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
