package metrics

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"github.com/zeebo/xxh3"

	"github.com/ballast-bench/ballast/eventlog"
)

// TestEventsHashIsOneXXH3 checks the trace hash against its definition:
// xxh3-128 of the events' 40-byte little-endian records (time, term,
// value, message id, then node, peer, kind and arm packed in a word)
// hashed in one piece, for runs short and long enough to fill the buffer
// several times.
func TestEventsHashIsOneXXH3(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 1637, 1638, 1639, 5000} {
		h := newEventsHash()
		var all []byte
		for range n {
			ev := eventlog.Event{TimeUS: r.Int64(), Term: r.Uint64(), Value: r.Int64() - r.Int64(), MsgID: r.Uint64(),
				Node: int16(r.IntN(300) - 1), Peer: int16(r.IntN(300) - 1), Kind: eventlog.Kind(r.IntN(40)), Arm: int8(r.IntN(20) - 1)}
			h.add(&ev)
			all = binary.LittleEndian.AppendUint64(all, uint64(ev.TimeUS))
			all = binary.LittleEndian.AppendUint64(all, ev.Term)
			all = binary.LittleEndian.AppendUint64(all, uint64(ev.Value))
			all = binary.LittleEndian.AppendUint64(all, ev.MsgID)
			all = append(all, byte(uint16(ev.Node)), byte(uint16(ev.Node)>>8), byte(uint16(ev.Peer)), byte(uint16(ev.Peer)>>8),
				byte(ev.Kind), byte(ev.Arm), 0, 0)
		}
		want := xxh3.Hash128(all).Bytes()
		if got := h.sum(); got != hex.EncodeToString(want[:]) {
			t.Errorf("%d events: %s, one xxh3-128 of the records: %x", n, got, want)
		}
	}
}
