package eventstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/passnumerique/passledger/eventstore"
)

// A group holding a conflicting append, a refused command (an answer recorded
// without events) and good appends commits the good ones and the refusal, and
// tells the conflicting one alone. The group is forced: one worker that waits
// until it holds exactly five appends.
func TestGroupCommitsAroundAConflictAndARefusal(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	s := eventstore.New(db.Pool, eventstore.WithMetrics(eventstore.NewMetrics(reg)),
		eventstore.WithGroupCommit(eventstore.GroupOptions{Workers: 1, MaxSize: 5, MaxWait: 10 * time.Second}))
	contested, free1, free2 := uniq("cheque"), uniq("cheque"), uniq("cheque")
	refusalKey := uniq("http:tok:refused")

	type outcome struct {
		res eventstore.AppendResult
		err error
	}
	var wg sync.WaitGroup
	outs := make([]outcome, 4)
	for i, stream := range []string{contested, contested, free1, free2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Append(ctx, stream, eventstore.NoStream, eventstore.Metadata{Actor: "t"}, ev("ChequeRedeemed", map[string]int{"i": i}))
			outs[i] = outcome{res, err}
		}()
	}
	var refusal *eventstore.CommandRecord
	var refusalErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		cmd := s.NewCommand(refusalKey, []byte("hash"))
		refusal, refusalErr = cmd.Finish(ctx, []byte(`{"status":409}`))
	}()
	wg.Wait()

	if refusalErr != nil || refusal != nil {
		t.Fatalf("refusal: record %v, err %v (want it stored as the first answer)", refusal, refusalErr)
	}
	won, conflicts := 0, 0
	for i, o := range outs[:2] {
		switch {
		case o.err == nil:
			won++
		case errors.Is(o.err, eventstore.ErrConflict):
			conflicts++
		default:
			t.Fatalf("append %d: %v", i, o.err)
		}
	}
	if won != 1 || conflicts != 1 {
		t.Fatalf("contested stream: %d won, %d conflicts", won, conflicts)
	}
	var tx uint64
	for i, o := range outs {
		if o.err != nil {
			continue
		}
		if tx == 0 {
			tx = o.res.Cursor.TxID
		}
		if o.res.Cursor.TxID != tx {
			t.Fatalf("append %d committed in transaction %d, not %d: not one group", i, o.res.Cursor.TxID, tx)
		}
	}
	for _, stream := range []string{contested, free1, free2} {
		evs, err := s.ReadStream(ctx, stream, 0, 0)
		if err != nil || len(evs) != 1 {
			t.Fatalf("stream %s: %d events, %v", stream, len(evs), err)
		}
	}
	// One group of five.
	size := histogram(t, reg, "passledger_eventstore_group_size")
	if size.GetSampleCount() != 1 || size.GetSampleSum() != 5 {
		t.Fatalf("group sizes: %d groups, %v appends", size.GetSampleCount(), size.GetSampleSum())
	}
	// The refusal was recorded: the same key now replays it.
	again, err := eventstore.New(db.Pool).NewCommand(refusalKey, []byte("hash")).Finish(ctx, []byte(`{"status":201}`))
	if err != nil || again == nil || string(again.Response) != `{"status":409}` {
		t.Fatalf("replay of the refusal: %+v, %v", again, err)
	}
}

// A Command that appended and then aborts (its handler failed) rolls its whole
// group back; nothing of it is written and its key stays free.
func TestCommandAbortRollsBack(t *testing.T) {
	ctx := context.Background()
	s := eventstore.New(db.Pool)
	stream, key := uniq("cheque"), uniq("http:tok:abort")
	cmd := s.NewCommand(key, []byte("h"))
	if _, err := s.Append(eventstore.WithCommand(ctx, cmd), stream, eventstore.NoStream, eventstore.Metadata{}, ev("A", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Finish(ctx, nil); !errors.Is(err, eventstore.ErrGroupAborted) {
		t.Fatalf("abort: %v", err)
	}
	if evs, err := s.ReadStream(ctx, stream, 0, 0); err != nil || len(evs) != 0 {
		t.Fatalf("aborted append left %d events (%v)", len(evs), err)
	}
	// The key is free: the retry runs once and is recorded.
	retry := s.NewCommand(key, []byte("h"))
	if _, err := s.Append(eventstore.WithCommand(ctx, retry), stream, eventstore.NoStream, eventstore.Metadata{}, ev("A", 1)); err != nil {
		t.Fatal(err)
	}
	if rec, err := retry.Finish(ctx, []byte("answer")); err != nil || rec != nil {
		t.Fatalf("retry: %v %v", rec, err)
	}
	replay := s.NewCommand(key, []byte("h"))
	res, err := s.Append(eventstore.WithCommand(ctx, replay), stream, eventstore.NoStream, eventstore.Metadata{}, ev("A", 1))
	if err != nil || !res.Duplicate {
		t.Fatalf("repeat of a recorded key: %+v %v", res, err)
	}
	if rec, ok := replay.Replayed(); !ok || string(rec.Response) != "answer" {
		t.Fatalf("replayed record %+v", rec)
	}
}

// A read-set check (a stream named without events) fails the append when the
// stream moved, and passes when it did not.
func TestReadSetCheck(t *testing.T) {
	ctx := context.Background()
	s := eventstore.New(db.Pool)
	ref, target := uniq("programme"), uniq("cheque")
	if _, err := s.Append(ctx, ref, eventstore.NoStream, eventstore.Metadata{}, ev("A", 1)); err != nil {
		t.Fatal(err)
	}
	_, err := s.AppendMulti(ctx, eventstore.Metadata{},
		eventstore.StreamAppend{Stream: ref, Expected: eventstore.NoStream},
		eventstore.StreamAppend{Stream: target, Expected: eventstore.NoStream, Events: []eventstore.EventData{ev("B", 1)}})
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || ce.Stream != ref || ce.Actual != 1 {
		t.Fatalf("stale read set: %v", err)
	}
	res, err := s.AppendMulti(ctx, eventstore.Metadata{},
		eventstore.StreamAppend{Stream: ref, Expected: eventstore.Exactly(1)},
		eventstore.StreamAppend{Stream: target, Expected: eventstore.NoStream, Events: []eventstore.EventData{ev("B", 1)}})
	if err != nil || len(res.Positions) != 1 || res.Versions[ref] != 0 {
		t.Fatalf("current read set: %+v %v", res, err)
	}
	if _, err := s.AppendMulti(ctx, eventstore.Metadata{}, eventstore.StreamAppend{Stream: ref, Expected: eventstore.Any},
		eventstore.StreamAppend{Stream: target, Expected: eventstore.Any, Events: []eventstore.EventData{ev("B", 1)}}); !errors.Is(err, eventstore.ErrInvalidAppend) {
		t.Fatalf("read-set check without a version: %v", err)
	}
}

func histogram(t *testing.T, g prometheus.Gatherer, name string) *dto.Histogram {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetHistogram()
		}
	}
	t.Fatalf("no histogram %s", name)
	return nil
}
