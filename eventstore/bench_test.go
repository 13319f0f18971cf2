package eventstore_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/internal/dbsqlc"
)

// payloadLike is the size and shape of a typical ledger event (a redemption).
var payloadLike = []byte(`{"redemption_id":"4b0f3c7e-8f6e-4a47-9b57-0c6c1d3a2f10","serial":"K7Q2M9X4-03-41","carnet_id":"K7Q2M9X4","programme_id":"pgm-63-2026","place_id":"plc-000123","session_date":"2026-03-14","service":"atelier","amount":"10.00","attribution":[{"funder_id":"fdr-state","amount":"5.00"},{"funder_id":"fdr-dep63","amount":"3.00"},{"funder_id":"fdr-caf63","amount":"2.00"}]}`)

func benchAppend(b *testing.B, writers, perAppend int) {
	d := db.Fresh(b)
	s := eventstore.New(d.Pool)
	ctx := context.Background()
	events := make([]eventstore.EventData, perAppend)
	for i := range events {
		events[i] = eventstore.EventData{Type: "ChequeRedeemed", Payload: payloadLike}
	}
	var seq atomic.Int64
	b.SetParallelism((writers + 1) / 2) // GOMAXPROCS is 2 on the reference machine
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			stream := fmt.Sprintf("cheque-%d", seq.Add(1))
			if _, err := s.Append(ctx, stream, eventstore.NoStream, eventstore.Metadata{Actor: "bench"}, events...); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N*perAppend)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
}

func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 32} {
		for _, per := range []int{1, 100} {
			b.Run(fmt.Sprintf("writers=%d/events=%d", writers, per), func(b *testing.B) {
				if writers == 1 {
					benchSerialAppend(b, per)
					return
				}
				benchAppend(b, writers, per)
			})
		}
	}
}

func benchSerialAppend(b *testing.B, perAppend int) {
	d := db.Fresh(b)
	s := eventstore.New(d.Pool)
	ctx := context.Background()
	events := make([]eventstore.EventData, perAppend)
	for i := range events {
		events[i] = eventstore.EventData{Type: "ChequeRedeemed", Payload: payloadLike}
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := s.Append(ctx, fmt.Sprintf("cheque-%d", i), eventstore.NoStream, eventstore.Metadata{Actor: "bench"}, events...); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N*perAppend)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
}

// seedForRead writes n events in appends of 100 over many streams, then chains them.
func seedForRead(b *testing.B, s *eventstore.Store, n int) {
	ctx := context.Background()
	events := make([]eventstore.EventData, 100)
	for i := range events {
		events[i] = eventstore.EventData{Type: "ChequeRedeemed", Payload: payloadLike}
	}
	for i := 0; i < n/100; i++ {
		if _, err := s.Append(ctx, fmt.Sprintf("carnet-%d", i), eventstore.NoStream, eventstore.Metadata{Actor: "seed"}, events...); err != nil {
			b.Fatal(err)
		}
	}
	for {
		c, err := s.AppendCheckpoint(ctx, 10000)
		if err != nil {
			b.Fatal(err)
		}
		if c == 0 {
			break
		}
	}
}

const readBenchEvents = 200_000

func BenchmarkReadAll(b *testing.B) {
	d := db.Fresh(b)
	s := eventstore.New(d.Pool)
	seedForRead(b, s, readBenchEvents)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	total := 0
	for i := 0; i < b.N; i++ {
		after := eventstore.Cursor{}
		for {
			page, err := s.ReadFrom(ctx, after, 10000)
			if err != nil {
				b.Fatal(err)
			}
			total += len(page)
			if len(page) < 10000 {
				break
			}
			after = page[len(page)-1].Cursor()
		}
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkReadAllGenerated reads the same log as BenchmarkReadAll through sqlc's
// generated ReadFrom (each column scanned through pgx's Scan into
// dbsqlc.Event, then copied into RecordedEvent): the measure that keeps the
// store's own binary decoding (scan.go) for the event reads.
func BenchmarkReadAllGenerated(b *testing.B) {
	d := db.Fresh(b)
	s := eventstore.New(d.Pool)
	seedForRead(b, s, readBenchEvents)
	ctx := context.Background()
	q := dbsqlc.New()
	b.ResetTimer()
	start := time.Now()
	total := 0
	for i := 0; i < b.N; i++ {
		after := eventstore.Cursor{}
		for {
			rows, err := q.ReadFrom(ctx, d.Pool, dbsqlc.ReadFromParams{
				AfterTxid: strconv.FormatUint(after.TxID, 10), AfterPosition: after.Position, MaxEvents: 10000})
			if err != nil {
				b.Fatal(err)
			}
			page := make([]eventstore.RecordedEvent, len(rows))
			for j, r := range rows {
				page[j] = eventstore.RecordedEvent{Position: r.Position, TxID: r.TransactionID.Uint64, EventID: r.EventID,
					StreamID: r.StreamID, Version: r.StreamVersion, Type: r.EventType, Payload: r.Payload,
					Metadata: r.Metadata, RecordedAt: r.RecordedAt, ContentHash: r.ContentHash, Hash: r.Hash}
			}
			total += len(page)
			if len(page) < 10000 {
				break
			}
			after = page[len(page)-1].Cursor()
		}
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "events/s")
}

func BenchmarkVerify(b *testing.B) {
	d := db.Fresh(b)
	s := eventstore.New(d.Pool)
	seedForRead(b, s, readBenchEvents)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	var total int64
	for i := 0; i < b.N; i++ {
		rep, err := s.Verify(ctx, nil)
		if err != nil || !rep.OK {
			b.Fatalf("%+v %v", rep, err)
		}
		total += rep.Events
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "events/s")
}
