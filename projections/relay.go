package projections

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/passnumerique/passledger/eventstore"
)

// Relay tails the event store in gap-free reading order and publishes each page of
// events it reads as one Watermill message (NewPageMessage) to Topic.
//
// It starts from the lowest checkpoint of the projections it serves (From), so a
// restarted process resumes where the slowest projection stopped; projections that
// are further ahead skip what they already applied. Every ResyncInterval it looks at
// that lowest checkpoint again: if it is behind what was published and has not moved
// since the previous look, some projection lost or failed pages, and the relay
// publishes again from there. So a projection that failed on a page (and sent it to
// the poison queue) is retried, and no transport loss can leave a projection behind
// for good.
type Relay struct {
	Store     *eventstore.Store
	Publisher message.Publisher
	// Topic defaults to Topic.
	Topic string
	// PageSize is the most events per message (default 1000).
	PageSize int
	// From returns the cursor to start (and resync) from: the lowest checkpoint.
	From func(ctx context.Context) (eventstore.Cursor, error)
	// ResyncInterval defaults to 5 s.
	ResyncInterval time.Duration
	Logger         *slog.Logger
	// OnPublish, if set, is called after each page is published.
	OnPublish func(after, last eventstore.Cursor, events int)
	// IDByPosition names each page message after the position of its first event
	// (see Transport.IDByPosition).
	IDByPosition bool
	// Resume, if set, returns where the transport's log ends: the relay starts
	// after that cursor (From only when the transport holds nothing) and does not
	// resync (see Transport.Resume).
	Resume func(ctx context.Context) (last eventstore.Cursor, ok bool, err error)
}

// Run publishes until ctx ends; it returns ctx.Err(). It reads the store again at
// once after a full page, 10 ms after a partial one (events flow: let a page
// gather), and from 2 ms up to 50 ms after an empty one (idle: one cheap indexed
// query 20 times a second), so a write reaches the handlers within about 50 ms.
// Read and publish errors are logged and retried after a pause.
//
// Why 10 ms after a partial page: every page costs each projection one
// transaction (its checkpoint row, its lookups, its upserts), whatever the page
// holds. Under a steady write load (the 20,000 redemptions of cmd/passledger's
// TestResilienceKillDuringRedemptions, about 2,000 a second) reading every 2 ms
// gave pages of about ten events, each costing every projection a transaction;
// waiting 10 ms makes them about three times larger (10 → 25-34 events a page
// with a simulated year written at 1,900-2,800 events a second) for at most
// 10 ms more lag.
func (r *Relay) Run(ctx context.Context) error {
	const minWait, flowWait, maxWait = 2 * time.Millisecond, 10 * time.Millisecond, 50 * time.Millisecond
	topic, size, resync := r.Topic, r.PageSize, r.ResyncInterval
	if topic == "" {
		topic = Topic
	}
	if size <= 0 {
		size = 1000
	}
	if resync <= 0 {
		resync = 5 * time.Second
	}
	logger := r.Logger
	if logger == nil {
		logger = slog.Default()
	}
	pause := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	var after eventstore.Cursor
	for {
		c, err := r.start(ctx)
		if err == nil {
			after = c
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		logger.Error("projections relay: reading checkpoints", "err", err)
		if !pause(time.Second) {
			return ctx.Err()
		}
	}
	lastLow, nextResync := after, time.Now().Add(resync)
	wait := minWait
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		recs, err := r.Store.ReadFrom(ctx, after, size)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			logger.Error("projections relay: reading events", "after", after.String(), "err", err)
			if !pause(time.Second) {
				return ctx.Err()
			}
			continue
		}
		if len(recs) > 0 {
			msg, err := NewPageMessage(after, recs)
			if err != nil {
				return err
			}
			if r.IDByPosition {
				msg.UUID = strconv.FormatInt(recs[0].Position, 10)
			}
			msg.SetContext(ctx)
			if err := r.Publisher.Publish(topic, msg); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				logger.Error("projections relay: publishing", "after", after.String(), "err", err)
				if !pause(time.Second) {
					return ctx.Err()
				}
				continue
			}
			last := recs[len(recs)-1].Cursor()
			if r.OnPublish != nil {
				r.OnPublish(after, last, len(recs))
			}
			after = last
			wait = minWait
		} else if wait < maxWait {
			wait = min(wait*2, maxWait)
		}
		if r.Resume == nil && time.Now().After(nextResync) {
			nextResync = time.Now().Add(resync)
			if low, err := r.From(ctx); err == nil {
				if low.Less(after) && low == lastLow {
					logger.Warn("projections relay: a projection is not progressing; publishing again from its checkpoint",
						"checkpoint", low.String(), "published", after.String())
					after = low
				}
				lastLow = low
			}
		}
		if len(recs) == size {
			continue
		}
		next := wait
		if len(recs) > 0 {
			next = flowWait
		}
		if !pause(next) {
			return ctx.Err()
		}
	}
}

// start returns the cursor to publish after: the end of the transport's log when
// it can tell (Resume), else From.
func (r *Relay) start(ctx context.Context) (eventstore.Cursor, error) {
	if r.Resume != nil {
		last, ok, err := r.Resume(ctx)
		if err != nil || ok {
			return last, err
		}
	}
	return r.From(ctx)
}
