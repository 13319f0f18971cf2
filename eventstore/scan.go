package eventstore

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Events are read in binary format and decoded by decodeEvent, in the column order
// of dbsqlc.Event (the queries of internal/dbsqlc/read.sql, and eventColumns of
// queries.go). Decoding raw values, rather than through Scan, costs one allocation
// per event and skips pgx's re-validation of JSON that PostgreSQL already
// validated: reading the log is the hot path of replays and of verify.
var binaryResults = pgx.QueryResultFormats{pgx.BinaryFormatCode}

// pgEpoch is the origin of PostgreSQL's binary timestamps.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func scanEvents(rows pgx.Rows) ([]RecordedEvent, error) {
	defer rows.Close()
	var out []RecordedEvent
	for rows.Next() {
		e, err := decodeEvent(rows.RawValues())
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("eventstore: read: %w", err)
	}
	return out, nil
}

func decodeEvent(v [][]byte) (RecordedEvent, error) {
	if len(v) != 11 || len(v[0]) != 8 || len(v[1]) != 8 || len(v[2]) != 16 || len(v[4]) != 8 || len(v[8]) != 8 {
		return RecordedEvent{}, fmt.Errorf("eventstore: unexpected row shape")
	}
	// One buffer holds the event id text, stream id, type, payload, metadata and hashes.
	n := 36 + len(v[3]) + len(v[5]) + len(v[6]) + len(v[7]) + len(v[9]) + len(v[10])
	buf := make([]byte, 0, n)
	var id [36]byte
	encodeUUID(id[:], v[2])
	buf = append(buf, id[:]...)
	buf = append(buf, v[3]...)
	buf = append(buf, v[5]...)
	buf = append(buf, v[6]...)
	buf = append(buf, v[7]...)
	buf = append(buf, v[9]...)
	buf = append(buf, v[10]...)
	strs := string(buf[:36+len(v[3])+len(v[5])])
	off := 0
	take := func(k int) []byte { b := buf[off : off+k : off+k]; off += k; return b }
	e := RecordedEvent{
		Position: int64(binary.BigEndian.Uint64(v[0])),
		TxID:     binary.BigEndian.Uint64(v[1]),
		EventID:  strs[:36],
		StreamID: strs[36 : 36+len(v[3])],
		Version:  int64(binary.BigEndian.Uint64(v[4])),
		Type:     strs[36+len(v[3]):],
	}
	off = 36 + len(v[3]) + len(v[5])
	e.Payload = take(len(v[6]))
	e.Metadata = take(len(v[7]))
	e.ContentHash = take(len(v[9]))
	e.Hash = take(len(v[10]))
	e.RecordedAt = pgEpoch.Add(time.Duration(int64(binary.BigEndian.Uint64(v[8]))) * time.Microsecond)
	return e, nil
}

func encodeUUID(dst, u []byte) {
	hex.Encode(dst[0:8], u[0:4])
	dst[8] = '-'
	hex.Encode(dst[9:13], u[4:6])
	dst[13] = '-'
	hex.Encode(dst[14:18], u[6:8])
	dst[18] = '-'
	hex.Encode(dst[19:23], u[8:10])
	dst[23] = '-'
	hex.Encode(dst[24:], u[10:16])
}
