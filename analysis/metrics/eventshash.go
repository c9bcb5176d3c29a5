package metrics

import (
	"encoding/binary"
	"encoding/hex"

	"github.com/zeebo/xxh3"

	"github.com/ballast-bench/ballast/eventlog"
)

// eventsHash is the run's trace hash (RunRow.EventsHash), which the
// ablation self-check compares: xxh3-128 over every column of every event
// but run_id, in order.
type eventsHash struct {
	hasher *xxh3.Hasher
	buf    []byte // a full slice: buf[:n] is what is not hashed yet
	n      int
}

func newEventsHash() eventsHash {
	return eventsHash{hasher: xxh3.New(), buf: make([]byte, 64<<10)}
}

// add feeds the event into the hash: 40 bytes per event, buffered, so
// that hashing costs a few nanoseconds per event. The bytes are put in
// place (five appends would check and grow the slice five times).
func (h *eventsHash) add(ev *eventlog.Event) {
	b := h.buf[h.n : h.n+40]
	binary.LittleEndian.PutUint64(b[0:8], uint64(ev.TimeUS))
	binary.LittleEndian.PutUint64(b[8:16], ev.Term)
	binary.LittleEndian.PutUint64(b[16:24], uint64(ev.Value))
	binary.LittleEndian.PutUint64(b[24:32], ev.MsgID)
	binary.LittleEndian.PutUint64(b[32:40], uint64(uint16(ev.Node))|uint64(uint16(ev.Peer))<<16|uint64(ev.Kind)<<32|uint64(uint8(ev.Arm))<<40)
	h.n += 40
	if h.n > len(h.buf)-40 {
		h.hasher.Write(h.buf[:h.n])
		h.n = 0
	}
}

// sum is the hash of the events added, in hex.
func (h *eventsHash) sum() string {
	h.hasher.Write(h.buf[:h.n])
	h.n = 0
	s := h.hasher.Sum128().Bytes()
	return hex.EncodeToString(s[:])
}
