package eventstore

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"time"
)

// hashDomain separates our hashes from any other use of SHA-256.
const hashDomain = "passledger/event/v1"

// ContentHash is SHA-256 over the event's stored content, each field length-prefixed:
// event id, stream id, type, recorded time (Unix microseconds), payload bytes and
// metadata bytes. The version is not part of it; ChainHash adds it.
func ContentHash(eventID, streamID, eventType string, recordedAt time.Time, payload, metadata []byte) []byte {
	h := sha256.New()
	writeField(h, []byte(hashDomain))
	writeField(h, []byte(eventID))
	writeField(h, []byte(streamID))
	writeField(h, []byte(eventType))
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(recordedAt.UnixMicro()))
	h.Write(ts[:])
	writeField(h, payload)
	writeField(h, metadata)
	return h.Sum(nil)
}

// ChainHash is sha256(prev || int8 big-endian(version) || contentHash), exactly what
// sha256(prev || int8send(version) || content) in SQL, as verify's SQL checks can recompute it.
// prev is 32 zero bytes for a stream's first event.
func ChainHash(prev []byte, version int64, contentHash []byte) []byte {
	var buf [32 + 8 + 32]byte
	copy(buf[:32], prev)
	binary.BigEndian.PutUint64(buf[32:40], uint64(version))
	copy(buf[40:], contentHash)
	sum := sha256.Sum256(buf[:])
	return sum[:]
}

func writeField(h hash.Hash, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// zeroHash is the "previous hash" of a stream's first event and of the first
// checkpoint.
var zeroHash = make([]byte, 32)

// checkpointHasher accumulates one checkpoint: sha256(prev checkpoint hash ||
// for each event in reading order: int8(position) || event hash).
type checkpointHasher struct {
	h     hash.Hash
	count int
	last  Cursor
}

func newCheckpointHasher(prev []byte) *checkpointHasher {
	h := sha256.New()
	h.Write([]byte("passledger/checkpoint/v1"))
	h.Write(prev)
	return &checkpointHasher{h: h}
}

func (c *checkpointHasher) add(position int64, eventHash []byte, cur Cursor) {
	var p [8]byte
	binary.BigEndian.PutUint64(p[:], uint64(position))
	c.h.Write(p[:])
	c.h.Write(eventHash)
	c.count++
	c.last = cur
}

func (c *checkpointHasher) sum() []byte { return c.h.Sum(nil) }
