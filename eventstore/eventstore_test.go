package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
	"github.com/passnumerique/passledger/internal/pgtest"
)

var db *pgtest.DB

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &db)) }

func ev(typ string, payload any) eventstore.EventData {
	b, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	return eventstore.EventData{Type: typ, Payload: b}
}

func uniq(prefix string) string { return fmt.Sprintf("%s-%d", prefix, rand.Int64()) }

func TestAppendAndReadStream(t *testing.T) {
	ctx := context.Background()
	s := eventstore.New(db.Pool)
	stream := uniq("carnet")
	res, err := s.Append(ctx, stream, eventstore.NoStream, eventstore.Metadata{Actor: "t"},
		ev("A", map[string]int{"n": 1}), ev("B", map[string]int{"n": 2}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Positions) != 2 || res.Versions[stream] != 2 || res.Positions[1] <= res.Positions[0] {
		t.Fatalf("unexpected result %+v", res)
	}
	if res.LastPosition != res.Positions[1] {
		t.Fatalf("last position %d, want %d", res.LastPosition, res.Positions[1])
	}
	got, err := s.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Type != "A" || got[1].Version != 2 || string(got[1].Payload) != `{"n":2}` {
		t.Fatalf("read back %+v", got)
	}
	md, err := got[0].DecodeMetadata()
	if err != nil || md.Actor != "t" {
		t.Fatalf("metadata %+v %v", md, err)
	}
	// Exact version, then a wrong one.
	if _, err := s.Append(ctx, stream, eventstore.Exactly(2), eventstore.Metadata{}, ev("C", 1)); err != nil {
		t.Fatal(err)
	}
	_, err = s.Append(ctx, stream, eventstore.Exactly(2), eventstore.Metadata{}, ev("D", 1))
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrConflict) || ce.Actual != 3 || ce.Stream != stream {
		t.Fatalf("want conflict at version 3, got %v", err)
	}
	// NoStream on an existing stream.
	if _, err := s.Append(ctx, stream, eventstore.NoStream, eventstore.Metadata{}, ev("E", 1)); !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("want conflict, got %v", err)
	}
	// Any appends at the end.
	res, err = s.Append(ctx, stream, eventstore.Any, eventstore.Metadata{}, ev("F", 1))
	if err != nil || res.Versions[stream] != 4 {
		t.Fatalf("any: %+v %v", res, err)
	}
}

// TestFirstEvents reads the first event of each stream, and only that: long and
// short streams, and a stream that has none.
func TestFirstEvents(t *testing.T) {
	ctx := context.Background()
	s := eventstore.New(db.Pool)
	long, short, absent := uniq("programme"), uniq("carnet"), uniq("absent")
	if _, err := s.Append(ctx, long, eventstore.NoStream, eventstore.Metadata{}, ev("Created", 1), ev("B", 2), ev("C", 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, short, eventstore.NoStream, eventstore.Metadata{}, ev("Minted", 4)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, long, eventstore.Exactly(3), eventstore.Metadata{}, ev("D", 5)); err != nil {
		t.Fatal(err)
	}
	got, err := s.FirstEvents(ctx, []string{long, short, absent})
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.ReadStreams(ctx, []string{long, short})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d first events, want 2 (none for %s): %+v", len(got), absent, got)
	}
	for stream, want := range map[string]string{long: "Created", short: "Minted"} {
		e, ok := got[stream]
		if !ok || e.Type != want || e.Version != 1 || e.StreamID != stream || !reflect.DeepEqual(e, all[stream][0]) {
			t.Errorf("first event of %s: %+v, want the %s event at version 1 as ReadStreams reads it: %+v", stream, e, want, all[stream][0])
		}
	}
}

func TestInvalidAppendsWriteNothing(t *testing.T) {
	ctx := context.Background()
	s := eventstore.New(db.Pool)
	stream := uniq("bad")
	cases := map[string][]eventstore.StreamAppend{
		"no streams":       nil,
		"bad stream id":    {{Stream: "has space", Events: []eventstore.EventData{ev("A", 1)}}},
		"no events":        {{Stream: stream}},
		"payload not json": {{Stream: stream, Events: []eventstore.EventData{{Type: "A", Payload: []byte("{")}}}},
		"no type":          {{Stream: stream, Events: []eventstore.EventData{{Payload: []byte("1")}}}},
		"stream twice": {{Stream: stream, Events: []eventstore.EventData{ev("A", 1)}},
			{Stream: stream, Events: []eventstore.EventData{ev("A", 1)}}},
	}
	for name, appends := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := s.AppendMulti(ctx, eventstore.Metadata{}, appends...); !errors.Is(err, eventstore.ErrInvalidAppend) {
				t.Fatalf("want ErrInvalidAppend, got %v", err)
			}
		})
	}
	if got, _ := s.ReadStream(ctx, stream, 0, 0); len(got) != 0 {
		t.Fatalf("invalid appends wrote %d events", len(got))
	}
}

func TestMultiStreamAppendIsAtomic(t *testing.T) {
	ctx := context.Background()
	s := eventstore.New(db.Pool)
	a, b := uniq("a"), uniq("b")
	if _, err := s.Append(ctx, b, eventstore.NoStream, eventstore.Metadata{}, ev("X", 1)); err != nil {
		t.Fatal(err)
	}
	// b expects NoStream but exists: nothing of a may be written.
	_, err := s.AppendMulti(ctx, eventstore.Metadata{},
		eventstore.StreamAppend{Stream: a, Expected: eventstore.NoStream, Events: []eventstore.EventData{ev("Y", 1)}},
		eventstore.StreamAppend{Stream: b, Expected: eventstore.NoStream, Events: []eventstore.EventData{ev("Y", 1)}})
	if !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("want conflict, got %v", err)
	}
	if got, _ := s.ReadStream(ctx, a, 0, 0); len(got) != 0 {
		t.Fatalf("stream a got %d events from a failed append", len(got))
	}
	res, err := s.AppendMulti(ctx, eventstore.Metadata{},
		eventstore.StreamAppend{Stream: a, Expected: eventstore.NoStream, Events: []eventstore.EventData{ev("Y", 1)}},
		eventstore.StreamAppend{Stream: b, Expected: eventstore.Exactly(1), Events: []eventstore.EventData{ev("Y", 1), ev("Z", 2)}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Versions[a] != 1 || res.Versions[b] != 3 || len(res.Positions) != 3 {
		t.Fatalf("result %+v", res)
	}
}

// Two appends with the same expected version: exactly one wins, every time.
func TestConcurrentAppendsOneWins(t *testing.T) {
	ctx := context.Background()
	s := eventstore.New(db.Pool)
	for round := 0; round < 50; round++ {
		stream := uniq("cheque")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		start := make(chan struct{})
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = s.Append(ctx, stream, eventstore.NoStream, eventstore.Metadata{}, ev("ChequeRedeemed", i))
			}()
		}
		close(start)
		wg.Wait()
		wins, conflicts := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, eventstore.ErrConflict):
				conflicts++
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
		if wins != 1 || conflicts != 1 {
			t.Fatalf("round %d: %d wins, %d conflicts", round, wins, conflicts)
		}
		if got, _ := s.ReadStream(ctx, stream, 0, 0); len(got) != 1 {
			t.Fatalf("round %d: %d events stored", round, len(got))
		}
	}
}

// 20 goroutines append with one idempotency key: one write, one answer for all.
func TestIdempotencyUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	s := eventstore.New(db.Pool)
	for _, expected := range []eventstore.ExpectedVersion{eventstore.Any, eventstore.NoStream} {
		stream := uniq("redemption")
		key := uniq("key")
		const n = 20
		results := make([]eventstore.AppendResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = s.Append(ctx, stream, expected, eventstore.Metadata{IdempotencyKey: key},
					ev("ChequeRedeemed", map[string]int{"attempt": i}))
			}()
		}
		close(start)
		wg.Wait()
		firsts := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("expected %d, goroutine %d: %v", expected, i, errs[i])
			}
			if !results[i].Duplicate {
				firsts++
			}
			if results[i].LastPosition != results[0].LastPosition || results[i].Versions[stream] != 1 {
				t.Fatalf("goroutine %d got %+v, goroutine 0 got %+v", i, results[i], results[0])
			}
		}
		if firsts != 1 {
			t.Fatalf("%d appends claim to be the first", firsts)
		}
		got, _ := s.ReadStream(ctx, stream, 0, 0)
		if len(got) != 1 {
			t.Fatalf("%d events written for one key", len(got))
		}
		// Later repeat: same answer, still one event.
		again, err := s.Append(ctx, stream, expected, eventstore.Metadata{IdempotencyKey: key}, ev("ChequeRedeemed", 99))
		if err != nil || !again.Duplicate || again.LastPosition != got[0].Position {
			t.Fatalf("repeat: %+v %v", again, err)
		}
	}
}

// 16 writers × 2,000 events, single- and multi-stream appends, some transactions
// sleeping before they commit, while a reader tails. The reader must see exactly the
// full log, once each, and every stream in version order.
func TestGapFreeTailing(t *testing.T) {
	t.Parallel()
	fresh := db.Fresh(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s := eventstore.New(fresh.Pool)
	s.SetTxDelay(func() time.Duration {
		if rand.IntN(10) == 0 {
			return time.Duration(rand.IntN(15)) * time.Millisecond
		}
		return 0
	})
	const writers, perWriter = 16, 1000
	streams := make([]string, 40)
	for i := range streams {
		streams[i] = fmt.Sprintf("shared-%d", i)
	}

	var seen []eventstore.RecordedEvent
	readerDone := make(chan error, 1)
	readerCtx, stopReader := context.WithCancel(ctx)
	go func() {
		reader := eventstore.New(fresh.Pool)
		err := reader.Tail(readerCtx, eventstore.Cursor{}, 500, func(evs []eventstore.RecordedEvent) error {
			seen = append(seen, evs...)
			return nil
		})
		readerDone <- err
	}()

	var wg sync.WaitGroup
	var mu sync.Mutex
	written := 0
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for n < perWriter {
				var err error
				if rand.IntN(3) == 0 {
					// Multi-stream append over two shared streams (contended, Any).
					a, b := streams[rand.IntN(len(streams))], streams[rand.IntN(len(streams))]
					if a == b {
						continue
					}
					_, err = s.AppendMulti(ctx, eventstore.Metadata{},
						eventstore.StreamAppend{Stream: a, Expected: eventstore.Any, Events: []eventstore.EventData{ev("M", w)}},
						eventstore.StreamAppend{Stream: b, Expected: eventstore.Any, Events: []eventstore.EventData{ev("M", w)}})
					if err == nil {
						n += 2
					}
				} else {
					_, err = s.Append(ctx, fmt.Sprintf("own-%d-%d", w, n%7), eventstore.Any, eventstore.Metadata{}, ev("S", n))
					if err == nil {
						n++
					}
				}
				if err != nil && !errors.Is(err, eventstore.ErrConflict) {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
			mu.Lock()
			written += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		stopReader()
		return
	}

	// Wait until the reader saw every stored event, then stop it. (Not "until it
	// reached the head": the watermark is cluster-wide, so the head read now may
	// still be held back by another session's transaction.)
	var stored int64
	if err := fresh.Pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		stopReaderIfDone := func() bool {
			mu.Lock()
			defer mu.Unlock()
			return int64(len(seen)) >= stored
		}
		if stopReaderIfDone() || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopReader()
	if err := <-readerDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("reader: %v", err)
	}

	var total int64
	if err := fresh.Pool.QueryRow(ctx, `SELECT count(*) FROM events`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	// Read the whole log again. The watermark is cluster-wide: a transaction of
	// another session can hold it back for a moment, so a short page means "wait",
	// not "end", until every stored event was read.
	var all []eventstore.RecordedEvent
	after := eventstore.Cursor{}
	for int64(len(all)) < total && time.Now().Before(deadline.Add(time.Minute)) {
		page, err := s.ReadFrom(ctx, after, 5000)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) > 0 {
			after = page[len(page)-1].Cursor()
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if int(total) != written || len(all) != written {
		t.Fatalf("written %d, stored %d, read afterwards %d", written, total, len(all))
	}
	if len(seen) != len(all) {
		t.Fatalf("tailing reader saw %d events, the log holds %d", len(seen), len(all))
	}
	positions := make(map[int64]bool, len(seen))
	versions := make(map[string]int64)
	for i := range seen {
		if seen[i].Position != all[i].Position {
			t.Fatalf("event %d: reader saw position %d, log has %d", i, seen[i].Position, all[i].Position)
		}
		if positions[seen[i].Position] {
			t.Fatalf("position %d seen twice", seen[i].Position)
		}
		positions[seen[i].Position] = true
		if seen[i].Version != versions[seen[i].StreamID]+1 {
			t.Fatalf("stream %s: version %d after %d", seen[i].StreamID, seen[i].Version, versions[seen[i].StreamID])
		}
		versions[seen[i].StreamID] = seen[i].Version
	}
}

func TestEventsAreAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := eventstore.New(db.Pool)
	stream := uniq("immutable")
	res, err := s.Append(ctx, stream, eventstore.NoStream, eventstore.Metadata{}, ev("A", 1))
	if err != nil {
		t.Fatal(err)
	}
	pos := res.Positions[0]
	for _, stmt := range []string{
		fmt.Sprintf(`UPDATE events SET event_type = 'B' WHERE position = %d`, pos),
		fmt.Sprintf(`DELETE FROM events WHERE position = %d`, pos),
		`TRUNCATE events`,
		`DELETE FROM event_chain_checkpoints`,
		`TRUNCATE event_chain_checkpoints`,
	} {
		if _, err := db.Pool.Exec(ctx, stmt); err == nil {
			t.Fatalf("%s: accepted", stmt)
		}
	}
	// The application role may only read and insert.
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SET LOCAL ROLE passledger_app`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SAVEPOINT s`); err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, fmt.Sprintf(`UPDATE events SET event_type = 'B' WHERE position = %d`, pos))
	if err == nil {
		t.Fatal("passledger_app may update events")
	}
	if _, err := tx.Exec(ctx, `ROLLBACK TO SAVEPOINT s`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM events WHERE position = $1`, pos).Scan(&n); err != nil || n != 1 {
		t.Fatalf("passledger_app cannot read events: %v", err)
	}
	var has bool
	if err := tx.QueryRow(ctx, `SELECT has_table_privilege('passledger_app', 'events', 'UPDATE')
		OR has_table_privilege('passledger_app', 'events', 'DELETE')
		OR has_table_privilege('passledger_app', 'events', 'TRUNCATE')`).Scan(&has); err != nil || has {
		t.Fatalf("passledger_app has more than SELECT/INSERT on events (%v)", err)
	}
}

// tamper runs statements as superuser with the append-only triggers disabled.
func tamper(t *testing.T, d *pgtest.DB, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `ALTER TABLE events DISABLE TRIGGER USER`); err != nil {
			return err
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		_, err := tx.Exec(ctx, `ALTER TABLE events ENABLE TRIGGER USER`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// seedHistory writes n events over a few streams and chains them into checkpoints.
func seedHistory(t *testing.T, s *eventstore.Store, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	var positions []int64
	for i := 0; i < n; i++ {
		res, err := s.Append(ctx, fmt.Sprintf("stream-%d", i%5), eventstore.Any, eventstore.Metadata{Actor: "seed"},
			ev("Seeded", map[string]any{"i": i, "amount": "10.00"}))
		if err != nil {
			t.Fatal(err)
		}
		positions = append(positions, res.Positions...)
	}
	storetest.WaitVisible(t, ctx, s)
	for {
		c, err := s.AppendCheckpoint(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		if c == 0 {
			break
		}
	}
	return positions
}

func TestVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("intact", func(t *testing.T) {
		d := db.Fresh(t)
		s := eventstore.New(d.Pool)
		seedHistory(t, s, 40)
		// A few events after the last checkpoint are checked by their stream chain.
		if _, err := s.Append(ctx, "stream-1", eventstore.Any, eventstore.Metadata{}, ev("Late", 1)); err != nil {
			t.Fatal(err)
		}
		storetest.WaitVisible(t, ctx, s)
		rep, err := s.Verify(ctx, nil)
		if err != nil || !rep.OK || rep.Events != 41 || rep.Checkpoints != 6 {
			t.Fatalf("report %+v, err %v", rep, err)
		}
	})
	cases := []struct {
		name   string
		stmt   func(p []int64) []string
		wantAt func(p []int64) int64
	}{
		{"altered payload", func(p []int64) []string {
			return []string{fmt.Sprintf(`UPDATE events SET payload = '{"i": 17, "amount": "1000.00"}' WHERE position = %d`, p[17])}
		}, func(p []int64) int64 { return p[17] }},
		{"altered metadata", func(p []int64) []string {
			return []string{fmt.Sprintf(`UPDATE events SET metadata = '{"actor":"mallory"}' WHERE position = %d`, p[23])}
		}, func(p []int64) int64 { return p[23] }},
		{"altered and rehashed", func(p []int64) []string {
			// Content hash recomputed by a forger who does not fix the chain.
			return []string{fmt.Sprintf(`UPDATE events SET event_type = 'Forged', content_hash = sha256('x') WHERE position = %d`, p[9])}
		}, func(p []int64) int64 { return p[9] }},
		{"deleted from the middle of a stream", func(p []int64) []string {
			return []string{fmt.Sprintf(`DELETE FROM events WHERE position = %d`, p[12])}
		}, func(p []int64) int64 { return p[7] }}, // checkpoint 2 covers events 7..13
		{"deleted last event", func(p []int64) []string {
			return []string{fmt.Sprintf(`DELETE FROM events WHERE position = %d`, p[39])}
		}, func(p []int64) int64 { return p[35] }},
		{"swapped payloads", func(p []int64) []string {
			return []string{
				fmt.Sprintf(`UPDATE events SET payload = (SELECT payload FROM events WHERE position = %d) WHERE position = %d`, p[30], p[25]),
			}
		}, func(p []int64) int64 { return p[25] }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := db.Fresh(t)
			s := eventstore.New(d.Pool)
			p := seedHistory(t, s, 40)
			tamper(t, d, tc.stmt(p)...)
			rep, err := s.Verify(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.FirstBadPosition != tc.wantAt(p) {
				t.Fatalf("want first bad position %d, got %+v", tc.wantAt(p), rep)
			}
		})
	}
}

// Reading order is by the xid8 value, not its text: transaction 99 comes before
// transaction 100 (a text ordering would put "100" first and skip events).
func TestReadingOrderIsNumericByTransaction(t *testing.T) {
	t.Parallel()
	d := db.Fresh(t)
	ctx := context.Background()
	for _, tx := range []string{"100", "99", "1000"} {
		if _, err := d.Pool.Exec(ctx, `INSERT INTO events (transaction_id, event_id, stream_id, stream_version,
			event_type, payload, metadata, recorded_at, content_hash, hash)
			VALUES ($1::text::xid8, gen_random_uuid(), 'tx-'||$1, 1, 'T', '{}', '{}', now(), sha256('c'), sha256('h'))`, tx); err != nil {
			t.Fatal(err)
		}
	}
	s := eventstore.New(d.Pool)
	var got []uint64
	after := eventstore.Cursor{}
	for {
		page, err := s.ReadFrom(ctx, after, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page[0].TxID)
		after = page[0].Cursor()
	}
	if fmt.Sprint(got) != "[99 100 1000]" {
		t.Fatalf("reading order %v, want [99 100 1000]", got)
	}
	head, err := s.Head(ctx)
	if err != nil || head.TxID != 1000 {
		t.Fatalf("head %v %v, want transaction 1000", head, err)
	}
}

// TestSettledFollowsTheWatermark checks Settled against Count, which counts the
// table: an open transaction that took a transaction id before an event was
// appended keeps that event unreadable, and Settled says so until it ends.
func TestSettledFollowsTheWatermark(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.Fresh(t)
	s := eventstore.New(d.Pool)
	// state reads both answers: Settled's, and Count's, which counts the table.
	state := func() (settled bool, readable, stored int64) {
		t.Helper()
		settled, err := s.Settled(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if readable, stored, err = s.Count(ctx); err != nil {
			t.Fatal(err)
		}
		return settled, readable, stored
	}
	// settles waits until both say everything is readable: other tests' open
	// transactions anywhere in the cluster hold the watermark back for a moment.
	// (Not storetest.WaitVisible: that wait polls Settled, the thing tested.)
	settles := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			ok, readable, stored := state()
			if stored != want {
				t.Fatalf("%d events stored, want %d", stored, want)
			}
			if ok && readable == stored {
				return
			}
			if ok && readable != stored {
				t.Fatalf("settled with %d of %d events readable", readable, stored)
			}
			if time.Now().After(deadline) {
				t.Fatalf("not settled after a minute: %d of %d readable", readable, stored)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	settles(0) // an empty log is settled
	if _, err := s.Append(ctx, "settled-1", eventstore.NoStream, eventstore.Metadata{}, ev("Seeded", 1)); err != nil {
		t.Fatal(err)
	}
	settles(1)

	holder, err := d.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback(ctx) }()
	if _, err := holder.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "settled-2", eventstore.NoStream, eventstore.Metadata{}, ev("Seeded", 2)); err != nil {
		t.Fatal(err)
	}
	if ok, readable, stored := state(); ok || readable != 1 || stored != 2 {
		t.Fatalf("with an older transaction open: settled %v, %d of %d readable; want false, 1 of 2", ok, readable, stored)
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	settles(2)
}
