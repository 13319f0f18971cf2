package eventstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Command ties one request to one transaction: its idempotency record, the events
// it appends and the response it gives are committed together, or not at all.
//
// The HTTP port makes a Command per write request (NewCommand), passes it down in
// the request's context (WithCommand), lets the handler run — the handler's one
// append (AppendMulti) returns its result BEFORE the commit — and then gives the
// response it built to Finish, which stores it with the key, commits, and returns
// only once the commit is known. A request whose handler refused it without
// appending still calls Finish: with a key, the refusal is stored (in a group of
// its own) so that every retry gets the same answer.
//
// A repeat of a key that is already recorded does not append: Replayed reports the
// first request's record (request hash, result, response) and the caller answers
// with it. A repeat that arrives while the first is still in its transaction waits
// on the key's transaction-scoped advisory lock, which dies with its holder: a
// crash or an outage leaves no key "in flight".
type Command struct {
	store   *Store
	key     string
	reqHash []byte

	mu       sync.Mutex
	member   *member        // the append, once it was written (awaiting Finish)
	replay   *CommandRecord // the key was already recorded
	finished bool
}

// NewCommand returns a Command for one request. key is the idempotency key ("" for
// none: nothing is recorded, but the response still waits for the commit);
// requestHash identifies the request, so that a repeat with another body can be
// told apart by the caller.
func (s *Store) NewCommand(key string, requestHash []byte) *Command {
	return &Command{store: s, key: key, reqHash: requestHash}
}

type commandKey struct{}

// WithCommand returns a context whose appends belong to c.
func WithCommand(ctx context.Context, c *Command) context.Context {
	return context.WithValue(ctx, commandKey{}, c)
}

func commandFrom(ctx context.Context) *Command {
	c, _ := ctx.Value(commandKey{}).(*Command)
	return c
}

// ErrSecondAppend reports a Command that tried to append twice: a request is one
// command, decided once, written once.
var ErrSecondAppend = errors.New("eventstore: a command appends once")

// append runs m as the command's append.
func (c *Command) append(ctx context.Context, m *member) (AppendResult, error) {
	c.mu.Lock()
	if c.member != nil || c.finished {
		c.mu.Unlock()
		return AppendResult{}, ErrSecondAppend
	}
	if c.replay != nil {
		rec := c.replay
		c.mu.Unlock()
		return m.inCallerOrder(rec.Result), nil
	}
	c.mu.Unlock()
	m.key, m.reqHash, m.command = c.key, c.reqHash, true
	if err := c.store.committer().submit(ctx, m); err != nil {
		return AppendResult{}, err
	}
	// The outcome is always delivered: the group does not wait for ctx.
	out := <-m.outcome
	switch {
	case out.err != nil:
		return AppendResult{}, out.err
	case out.record != nil:
		c.mu.Lock()
		c.replay = out.record
		c.mu.Unlock()
		return m.inCallerOrder(out.record.Result), nil
	}
	c.mu.Lock()
	c.member = m
	c.mu.Unlock()
	return out.res, nil
}

// Replayed returns the record of the first request with this key, when the key
// was already recorded: the caller must answer with its response (after checking
// that its request hash matches), not with what the handler produced.
func (c *Command) Replayed() (*CommandRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.replay, c.replay != nil
}

// Appended reports whether the command's append is waiting for Finish.
func (c *Command) Appended() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.member != nil
}

// Finish stores response with the command's key and commits, then returns: nil
// once committed (the response may go out), the first request's record when the key
// turned out to be recorded already (answer with its response), or an error when
// nothing was committed (the request may be retried; nothing is recorded).
//
// response nil aborts: an append waiting in its group rolls the whole group back
// (ErrGroupAborted for everyone in it), and nothing is recorded. Call Finish
// exactly once per Command, even when the handler failed.
func (c *Command) Finish(ctx context.Context, response []byte) (*CommandRecord, error) {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return nil, errors.New("eventstore: command finished twice")
	}
	c.finished = true
	m, replay := c.member, c.replay
	c.mu.Unlock()
	switch {
	case replay != nil:
		return replay, nil
	case m != nil:
		m.respond <- response
		if response == nil {
			<-m.finished
			return nil, ErrGroupAborted
		}
		return nil, <-m.finished
	case c.key == "" || response == nil:
		return nil, nil
	}
	// No append: record the answer (a refusal) for the key, unless the key was
	// recorded meanwhile.
	rec := &member{key: c.key, reqHash: c.reqHash, response: response, recordedAt: c.store.now()}
	if err := c.store.committer().submit(ctx, rec); err != nil {
		return nil, err
	}
	out := <-rec.outcome
	if out.err != nil {
		return nil, fmt.Errorf("eventstore: record answer: %w", out.err)
	}
	if out.record != nil {
		c.mu.Lock()
		c.replay = out.record
		c.mu.Unlock()
		return out.record, nil
	}
	return nil, nil
}
