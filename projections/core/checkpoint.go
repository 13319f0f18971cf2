package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections/internal/dbsqlc"
)

// ErrNotFound reports that a query found nothing for the key it was given (a serial,
// a place, a funder, …). Test with errors.Is.
var ErrNotFound = errors.New("projections: not found")

// ErrNotReached reports a query about a log position that the projection has not
// applied yet; wait for it (projections.WaitFor) and ask again.
var ErrNotReached = errors.New("projections: position not reached yet")

// ErrUnknownPosition reports a position that holds no event.
var ErrUnknownPosition = fmt.Errorf("projections: unknown position: %w", eventstore.ErrNotFound)

// CheckpointOf returns the cursor of the last event the projection name applied
// (the zero Cursor when it applied nothing yet). A projection split into partitions
// (projections.Partition) has one checkpoint per partition; CheckpointOf returns the
// least advanced of them, so that "the projection reached position p" means that
// every partition did: whatever partition owns the rows a reader looks at, they hold
// the effect of every event up to p. The partitions' rows are all created at once
// (when the projection is split), so none is ever missing from the minimum.
func CheckpointOf(ctx context.Context, q Querier, name string) (eventstore.Cursor, error) {
	row, err := dbsqlc.New().CheckpointOf(ctx, ReadOnly(q), name)
	if errors.Is(err, pgx.ErrNoRows) {
		return eventstore.Cursor{}, nil
	}
	if err != nil {
		return eventstore.Cursor{}, fmt.Errorf("projections: checkpoint of %s: %w", name, err)
	}
	return eventstore.Cursor{TxID: row.TransactionID, Position: row.Position}, nil
}

// PartitionCheckpoint is the checkpoint row of partition Partition of Partitions
// of projection Name (0 of 1 when the projection is whole).
type PartitionCheckpoint struct {
	Name                  string
	Partition, Partitions int
	Cursor                eventstore.Cursor
}

// PartitionCheckpoints returns every checkpoint row, by projection then partition.
func PartitionCheckpoints(ctx context.Context, q Querier) ([]PartitionCheckpoint, error) {
	rows, err := dbsqlc.New().PartitionCheckpoints(ctx, ReadOnly(q))
	if err != nil {
		return nil, fmt.Errorf("projections: checkpoints: %w", err)
	}
	out := make([]PartitionCheckpoint, len(rows))
	for i, r := range rows {
		out[i] = PartitionCheckpoint{Name: r.Name, Partition: int(r.Partition), Partitions: int(r.Partitions),
			Cursor: eventstore.Cursor{TxID: r.TransactionID, Position: r.Position}}
	}
	return out, nil
}

// CursorOfPosition returns the reading-order cursor of the event at position, as
// the event store knows it (eventstore.Store.CursorOf): ErrUnknownPosition when no
// event holds it, the zero Cursor for position 0.
func CursorOfPosition(ctx context.Context, store *eventstore.Store, position int64) (eventstore.Cursor, error) {
	c, err := store.CursorOf(ctx, position)
	if errors.Is(err, eventstore.ErrNotFound) {
		return eventstore.Cursor{}, fmt.Errorf("%w: %d", ErrUnknownPosition, position)
	}
	if err != nil {
		return eventstore.Cursor{}, fmt.Errorf("projections: cursor of position %d: %w", position, err)
	}
	return c, nil
}

// Reached checks that projection name has applied the event at position (nil), or
// says why not: ErrNotReached, ErrUnknownPosition. Query functions that answer "as of
// a position" call it so that they never give a partial answer. The position's
// cursor comes from store, the checkpoint from q.
func Reached(ctx context.Context, q Querier, store *eventstore.Store, name string, position int64) (eventstore.Cursor, error) {
	cur, err := CursorOfPosition(ctx, store, position)
	if err != nil {
		return cur, err
	}
	cp, err := CheckpointOf(ctx, q, name)
	if err != nil {
		return cur, err
	}
	if cp.Less(cur) {
		return cur, fmt.Errorf("%w: %s is at %s, position %d is at %s", ErrNotReached, name, cp, position, cur)
	}
	return cur, nil
}
