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
	buf    []byte
}

func newEventsHash() eventsHash {
	return eventsHash{hasher: xxh3.New(), buf: make([]byte, 0, 64<<10)}
}

// add feeds the event into the hash: 40 bytes per event, buffered, so
// that hashing costs a few nanoseconds per event.
func (h *eventsHash) add(ev *eventlog.Event) {
	b := h.buf
	b = binary.LittleEndian.AppendUint64(b, uint64(ev.TimeUS))
	b = binary.LittleEndian.AppendUint64(b, ev.Term)
	b = binary.LittleEndian.AppendUint64(b, uint64(ev.Value))
	b = binary.LittleEndian.AppendUint64(b, ev.MsgID)
	b = binary.LittleEndian.AppendUint64(b, uint64(uint16(ev.Node))|uint64(uint16(ev.Peer))<<16|uint64(ev.Kind)<<32|uint64(uint8(ev.Arm))<<40)
	if len(b) >= cap(b)-40 {
		h.hasher.Write(b)
		b = b[:0]
	}
	h.buf = b
}

// sum is the hash of the events added, in hex.
func (h *eventsHash) sum() string {
	h.hasher.Write(h.buf)
	h.buf = h.buf[:0]
	s := h.hasher.Sum128().Bytes()
	return hex.EncodeToString(s[:])
}
