package eventstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/eventstore/internal/dbsqlc"
)

// Checkpoint is one link of the global hash chain: it covers EventCount events that
// follow the previous checkpoint in reading order.
type Checkpoint struct {
	Seq           int64
	FirstPosition int64
	LastPosition  int64
	LastCursor    Cursor
	EventCount    int
	PrevHash      []byte
	Hash          []byte
}

const chainerLockID = 0x7061_7373_6c65 // "passle": one chainer at a time per database

// AppendCheckpoint covers up to maxEvents events that follow the last checkpoint with
// a new checkpoint, and returns how many it covered (0: nothing new). Chainers in
// several processes take turns through an advisory lock.
func (s *Store) AppendCheckpoint(ctx context.Context, maxEvents int) (int, error) {
	if maxEvents <= 0 {
		maxEvents = 10000
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("eventstore: chainer: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit it is a no-op
	locked, err := queries.TryChainerLock(ctx, tx, chainerLockID)
	if err != nil {
		return 0, fmt.Errorf("eventstore: chainer lock: %w", err)
	}
	if !locked {
		return 0, nil
	}
	var (
		seq      int64
		prevHash = zeroHash
	)
	last, err := queries.LastCheckpoint(ctx, tx)
	after := Cursor{}
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return 0, fmt.Errorf("eventstore: chainer: %w", err)
	default:
		txid, err := parseTxID(last.LastTransactionID)
		if err != nil {
			return 0, err
		}
		seq, prevHash = last.Seq, last.Hash
		after = Cursor{TxID: txid, Position: last.LastPosition}
	}
	rows, err := queries.ChainRange(ctx, tx, dbsqlc.ChainRangeParams{
		AfterTxid: strconv.FormatUint(after.TxID, 10), AfterPosition: after.Position, MaxEvents: int64(maxEvents)})
	if err != nil {
		return 0, fmt.Errorf("eventstore: chainer read: %w", err)
	}
	h := newCheckpointHasher(prevHash)
	var first int64
	for _, r := range rows {
		txid, err := parseTxID(r.TransactionID)
		if err != nil {
			return 0, err
		}
		if h.count == 0 {
			first = r.Position
		}
		h.add(r.Position, r.Hash, Cursor{TxID: txid, Position: r.Position})
	}
	if h.count == 0 {
		return 0, nil
	}
	if err := queries.InsertCheckpoint(ctx, tx, dbsqlc.InsertCheckpointParams{
		Seq: seq + 1, FirstPosition: first, LastPosition: h.last.Position,
		LastTransactionID: strconv.FormatUint(h.last.TxID, 10), EventCount: int32(h.count),
		PrevHash: prevHash, Hash: h.sum()}); err != nil {
		return 0, fmt.Errorf("eventstore: chainer insert: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("eventstore: chainer commit: %w", err)
	}
	return h.count, nil
}

// RunChainer appends checkpoints every interval until ctx ends, catching up in
// ranges of maxEvents.
func (s *Store) RunChainer(ctx context.Context, interval time.Duration, maxEvents int, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			n, err := s.AppendCheckpoint(ctx, maxEvents)
			if err != nil {
				if ctx.Err() == nil {
					logger.Error("hash chain checkpoint failed", "err", err)
				}
				break
			}
			if n < maxEvents {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// loadCheckpoints returns every checkpoint in sequence order.
func (s *Store) loadCheckpoints(ctx context.Context) ([]Checkpoint, error) {
	rows, err := queries.Checkpoints(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("eventstore: checkpoints: %w", err)
	}
	var out []Checkpoint
	for _, r := range rows {
		txid, err := parseTxID(r.LastTransactionID)
		if err != nil {
			return nil, err
		}
		out = append(out, Checkpoint{Seq: r.Seq, FirstPosition: r.FirstPosition, LastPosition: r.LastPosition,
			LastCursor: Cursor{TxID: txid, Position: r.LastPosition}, EventCount: int(r.EventCount),
			PrevHash: r.PrevHash, Hash: r.Hash})
	}
	return out, nil
}

func equalHash(a, b []byte) bool { return bytes.Equal(a, b) }
