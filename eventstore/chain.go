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

const lastCheckpointSQL = `SELECT seq, last_position, last_transaction_id::text, hash
FROM event_chain_checkpoints ORDER BY seq DESC LIMIT 1`

const insertCheckpointSQL = `INSERT INTO event_chain_checkpoints
(seq, first_position, last_position, last_transaction_id, event_count, prev_hash, hash)
VALUES ($1, $2, $3, $4::text::xid8, $5, $6, $7)`

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
	var locked bool
	if err := tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, chainerLockID).Scan(&locked); err != nil {
		return 0, fmt.Errorf("eventstore: chainer lock: %w", err)
	}
	if !locked {
		return 0, nil
	}
	var (
		seq      int64
		lastPos  int64
		lastTx   string
		prevHash = zeroHash
	)
	err = tx.QueryRow(ctx, lastCheckpointSQL).Scan(&seq, &lastPos, &lastTx, &prevHash)
	after := Cursor{}
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		seq, prevHash = 0, zeroHash
	case err != nil:
		return 0, fmt.Errorf("eventstore: chainer: %w", err)
	default:
		txid, err := parseTxID(lastTx)
		if err != nil {
			return 0, err
		}
		after = Cursor{TxID: txid, Position: lastPos}
	}
	rows, err := tx.Query(ctx, `SELECT position, transaction_id::text AS txid, hash FROM events
WHERE (transaction_id, position) > ($1::text::xid8, $2)
  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY events.transaction_id, events.position LIMIT $3`, strconv.FormatUint(after.TxID, 10), after.Position, maxEvents)
	if err != nil {
		return 0, fmt.Errorf("eventstore: chainer read: %w", err)
	}
	h := newCheckpointHasher(prevHash)
	var first int64
	for rows.Next() {
		var pos int64
		var txs string
		var hash []byte
		if err := rows.Scan(&pos, &txs, &hash); err != nil {
			rows.Close()
			return 0, err
		}
		txid, err := parseTxID(txs)
		if err != nil {
			rows.Close()
			return 0, err
		}
		if h.count == 0 {
			first = pos
		}
		h.add(pos, hash, Cursor{TxID: txid, Position: pos})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("eventstore: chainer read: %w", err)
	}
	if h.count == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, insertCheckpointSQL, seq+1, first, h.last.Position,
		strconv.FormatUint(h.last.TxID, 10), h.count, prevHash, h.sum()); err != nil {
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
	rows, err := s.pool.Query(ctx, `SELECT seq, first_position, last_position, last_transaction_id::text,
event_count, prev_hash, hash FROM event_chain_checkpoints ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("eventstore: checkpoints: %w", err)
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		var c Checkpoint
		var tx string
		if err := rows.Scan(&c.Seq, &c.FirstPosition, &c.LastPosition, &tx, &c.EventCount, &c.PrevHash, &c.Hash); err != nil {
			return nil, err
		}
		txid, err := parseTxID(tx)
		if err != nil {
			return nil, err
		}
		c.LastCursor = Cursor{TxID: txid, Position: c.LastPosition}
		out = append(out, c)
	}
	return out, rows.Err()
}

func equalHash(a, b []byte) bool { return bytes.Equal(a, b) }
