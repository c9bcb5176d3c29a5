package pq

import (
	"cmp"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
)

// heartbeatStream returns a realistic synthetic event stream: runs of a
// 5-node cluster for 60 s simulated each, leader 0 sending heartbeats every
// 50 ms to followers 1-4, concatenated end to end (time keeps increasing)
// until there are at least minEvents events. Every heartbeat gives five
// rows: heartbeat_sent, heartbeat_recv, timer_reset, heartbeat_resp_sent,
// heartbeat_resp_recv. Rows are in time order, as an engine emits them.
func heartbeatStream(seed uint64, minEvents int) []eventlog.Event {
	const (
		followers = 4
		runUS     = 60_000_000
		hbUS      = 50_000
	)
	rng := rand.New(rand.NewPCG(seed, 0x62616c6c617374)) // "ballast"
	delay := func() int64 { return 20_000 + rng.Int64N(60_001) }
	var (
		all   []eventlog.Event
		t0    int64
		term  uint64 = 3
		msgID uint64 = 1
	)
	for len(all) < minEvents {
		run := make([]eventlog.Event, 0, runUS/hbUS*followers*5)
		for t := t0; t < t0+runUS; t += hbUS {
			if rng.IntN(500) == 0 {
				term++ // an occasional election
			}
			for f := int16(1); f <= followers; f++ {
				d1, d2 := delay(), delay()
				m := msgID
				msgID += 2
				ev := func(at int64, k eventlog.Kind, node, peer int16, value int64, id uint64) eventlog.Event {
					return eventlog.Event{TimeUS: at, Term: term, Value: value, MsgID: id, Node: node, Peer: peer, Kind: k, Arm: -1}
				}
				run = append(run,
					ev(t, eventlog.HeartbeatSent, 0, f, 0, m),
					ev(t+d1, eventlog.HeartbeatRecv, f, 0, d1, m),
					ev(t+d1, eventlog.TimerReset, f, -1, 150_000+rng.Int64N(150_001), 0),
					ev(t+d1, eventlog.HeartbeatRespSent, f, 0, 0, m+1),
					ev(t+d1+d2, eventlog.HeartbeatRespRecv, 0, f, d1+d2, m+1),
				)
			}
		}
		slices.SortStableFunc(run, func(a, b eventlog.Event) int { return cmp.Compare(a.TimeUS, b.TimeUS) })
		all = append(all, run...)
		t0 += runUS
	}
	return all
}

var benchStream = sync.OnceValue(func() []eventlog.Event { return heartbeatStream(1, 1_000_000) })

func writeAll(tb testing.TB, path string, evs []eventlog.Event) {
	w, err := Create(path, "bench-run")
	if err != nil {
		tb.Fatal(err)
	}
	for i := range evs {
		w.Emit(&evs[i])
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
}

func BenchmarkWrite(b *testing.B) {
	evs := benchStream()
	path := filepath.Join(b.TempDir(), "events.parquet")
	b.ResetTimer()
	for b.Loop() {
		writeAll(b, path, evs)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)*float64(len(evs))/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(st.Size())/float64(len(evs)), "bytes/event")
}

func BenchmarkScan(b *testing.B) {
	evs := benchStream()
	path := filepath.Join(b.TempDir(), "events.parquet")
	writeAll(b, path, evs)
	b.ResetTimer()
	var sum int64
	for b.Loop() {
		err := ScanEvents(path, func(_ string, ev *eventlog.Event) error {
			sum += ev.Value
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(evs))/b.Elapsed().Seconds(), "events/s")
}
