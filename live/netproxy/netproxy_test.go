package netproxy

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
)

func TestFrames(t *testing.T) {
	var b bytes.Buffer
	for _, p := range [][]byte{[]byte("vote"), {}, bytes.Repeat([]byte{7}, 100000)} {
		if err := WriteFrame(&b, sim.ClassHeartbeat, p); err != nil {
			t.Fatal(err)
		}
	}
	r := bufio.NewReader(&b)
	for _, want := range []int{4, 0, 100000} {
		class, p, err := ReadFrame(r)
		if err != nil || class != sim.ClassHeartbeat || len(p) != want {
			t.Fatalf("ReadFrame: class %d, %d bytes, %v; want class %d, %d bytes", class, len(p), err, sim.ClassHeartbeat, want)
		}
	}
	bad := bufio.NewReader(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff, 1}))
	if _, _, err := ReadFrame(bad); err == nil || !strings.Contains(err.Error(), "allowed: 1 to") {
		t.Errorf("a 4 GB frame length: %v", err)
	}
}

func TestHistogram(t *testing.T) {
	var h Histogram
	for v := int64(1); v <= 1000; v++ {
		h.Add(v)
	}
	h.Add(0)
	if h.N != 1001 || h.MinUS != 0 || h.MaxUS != 1000 || h.SumUS != 500500 {
		t.Errorf("histogram %+v", h)
	}
	// The true median of 0..1000 is 500; a quantile is its bucket's upper
	// bound, at most 5 % above.
	for _, c := range []struct{ p, want float64 }{{0.5, 500}, {0.99, 990}, {1, 1000}} {
		if got := h.QuantileUS(c.p); got < c.want || got > c.want*growth {
			t.Errorf("QuantileUS(%v) = %v, want in [%v, %v]", c.p, got, c.want, c.want*growth)
		}
	}
	var m Histogram
	m.Merge(&h)
	m.Merge(&h)
	if m.N != 2002 || m.QuantileUS(0.5) != h.QuantileUS(0.5) {
		t.Errorf("merged %+v", m)
	}
}

// script is a Model that gives frame i the i-th fate and delay.
type script struct {
	mu     sync.Mutex
	delays []time.Duration
	fates  []sim.Fate
	i      int
}

func (s *script) Transmit(from, to, class int, nowUS int64) (int64, sim.Fate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.i
	s.i++
	return s.delays[i%len(s.delays)].Microseconds(), s.fates[i%len(s.fates)]
}

// sink is To's node: it records every frame with its arrival time.
type sink struct {
	ln    net.Listener
	mu    sync.Mutex
	got   []arrival
	conns []net.Conn
	wg    sync.WaitGroup
}

type arrival struct {
	payload string
	at      time.Time
}

func newSink(t *testing.T, addr string) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{ln: ln}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Go(func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					_, p, err := ReadFrame(r)
					if err != nil {
						return
					}
					s.mu.Lock()
					s.got = append(s.got, arrival{string(p), time.Now()})
					s.mu.Unlock()
				}
			})
		}
	})
	t.Cleanup(s.close)
	return s
}

// close takes To down: its listener and its connections.
func (s *sink) close() {
	s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
}

func (s *sink) wait(t *testing.T, n int) []arrival {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		if len(s.got) >= n {
			got := slices.Clone(s.got)
			s.mu.Unlock()
			return got
		}
		s.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Fatalf("%d frames arrived in 10 s, want %d", len(s.got), n)
	return nil
}

// startLink proxies 0 -> 1 towards dest and returns the link, a connection
// from node 0, and a function that stops the link and waits for it.
func startLink(t *testing.T, m Model, dest string) (*Link, net.Conn, *Shared, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sh := NewShared(m, time.Now())
	l := NewLink(0, 1, ln, dest, sh)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Serve(ctx) }()
	c, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	stop := func() {
		c.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}
	return l, c, sh, stop
}

func send(t *testing.T, c net.Conn, class int, payload string) time.Time {
	t.Helper()
	at := time.Now()
	if err := WriteFrame(c, byte(class), []byte(payload)); err != nil {
		t.Fatal(err)
	}
	return at
}

// TestDelaysAndOrder: each frame leaves when the model's delay has passed
// since it arrived, in the order of those times (a datagram class is
// reordered by its delays), never before.
func TestDelaysAndOrder(t *testing.T) {
	s := newSink(t, "127.0.0.1:0")
	m := &script{delays: []time.Duration{60 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}, fates: []sim.Fate{sim.Delivered, sim.Delivered, sim.Delivered}}
	l, c, _, stop := startLink(t, m, s.ln.Addr().String())
	defer stop()
	sent := map[string]time.Time{}
	for _, p := range []string{"a", "b", "c"} {
		sent[p] = send(t, c, sim.ClassVote, p)
	}
	got := s.wait(t, 3)
	var order []string
	for _, a := range got {
		order = append(order, a.payload)
	}
	if !slices.Equal(order, []string{"b", "c", "a"}) {
		t.Errorf("arrival order %v, want [b c a] (delays 60, 20, 40 ms)", order)
	}
	for i, p := range []string{"a", "b", "c"} {
		var at time.Time
		for _, a := range got {
			if a.payload == p {
				at = a.at
			}
		}
		if d := at.Sub(sent[p]); d < m.delays[i] {
			t.Errorf("frame %s arrived after %v, before its delay %v", p, d, m.delays[i])
		}
	}
	st := l.Stats()
	if st.Frames != 3 || st.Delivered != 3 || st.Lateness.N != 3 {
		t.Errorf("stats %+v", st)
	}
	t.Logf("lateness: mean %.0f µs, max %d µs", st.Lateness.MeanUS(), st.Lateness.MaxUS)
}

// TestFates: lost and cut frames are dropped and counted; frames due
// while To is down are dropped and counted; after To comes back the link
// dials again; From's new connection replaces its old one.
func TestFates(t *testing.T) {
	s := newSink(t, "127.0.0.1:0")
	addr := s.ln.Addr().String()
	m := &script{delays: []time.Duration{time.Millisecond}, fates: []sim.Fate{sim.Delivered, sim.Lost, sim.Cut}}
	l, c, _, stop := startLink(t, m, addr)
	defer stop()
	for _, p := range []string{"1", "2", "3", "4"} { // fates: delivered, lost, cut, delivered
		send(t, c, sim.ClassHeartbeat, p)
	}
	got := s.wait(t, 2)
	if got[0].payload != "1" || got[1].payload != "4" {
		t.Errorf("arrived %v, want frames 1 and 4", got)
	}
	s.close() // To goes down: its listener and its connection
	s.mu.Lock()
	s.got = nil
	s.mu.Unlock()
	s.wg.Wait()
	waitStats(t, l, func(st Stats) bool { return st.Lost == 1 && st.Cut == 1 })
	m.mu.Lock()
	m.i = 0 // every frame delivered from here: index 0 of the script
	m.fates = []sim.Fate{sim.Delivered}
	m.mu.Unlock()
	time.Sleep(50 * time.Millisecond) // the link sees To's connection close
	send(t, c, sim.ClassHeartbeat, "down")
	waitStats(t, l, func(st Stats) bool { return st.Down >= 1 })

	s2 := newSink(t, addr) // To restarts on its address
	c.Close()              // and From reconnects
	c2, err := net.Dial("tcp", l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	send(t, c2, sim.ClassHeartbeat, "back")
	if got := s2.wait(t, 1); got[0].payload != "back" {
		t.Errorf("after the restarts: %v, want [back]", got)
	}
	st := l.Stats()
	t.Logf("stats: %d frames, %d delivered, %d lost, %d cut, %d down", st.Frames, st.Delivered, st.Lost, st.Cut, st.Down)
	if st.Frames != 6 || st.Delivered != 3 || st.Lost != 1 || st.Cut != 1 || st.Down != 1 {
		t.Errorf("stats %+v; want 6 frames: 3 delivered, 1 lost, 1 cut, 1 down", st)
	}
}

func waitStats(t *testing.T, l *Link, ok func(Stats) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok(l.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", l.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestScenarioNetwork: with the simulator's own network model of a
// scenario (20 ms one way, no jitter), every frame takes at least 20 ms
// and, on this machine, not much more; a partition installed through
// Shared.Do cuts the link, and healing it restores it.
func TestScenarioNetwork(t *testing.T) {
	sc, err := scenario.Parse("netproxy_test.yaml", []byte(`name: flat
nodes: 3
duration_s: 10
raft: {heartbeat_ms: 50}
network:
  default: {base_delay_ms: 20, loss: 0}
`))
	if err != nil {
		t.Fatal(err)
	}
	nw := sim.NewNetwork(sc, 1)
	s := newSink(t, "127.0.0.1:0")
	l, c, sh, stop := startLink(t, nw, s.ln.Addr().String())
	defer stop()
	const n = 40
	sent := map[string]time.Time{}
	for i := range n {
		p := string(rune('A' + i))
		sent[p] = send(t, c, sim.ClassHeartbeat, p)
		time.Sleep(2 * time.Millisecond)
	}
	got := s.wait(t, n)
	var extra []time.Duration
	for i, a := range got {
		if want := string(rune('A' + i)); a.payload != want {
			t.Fatalf("frame %d is %q, want %q: constant delays keep the order", i, a.payload, want)
		}
		d := a.at.Sub(sent[a.payload])
		if d < 20*time.Millisecond {
			t.Errorf("frame %s took %v, under the link's 20 ms", a.payload, d)
		}
		extra = append(extra, d-20*time.Millisecond)
	}
	slices.Sort(extra)
	st := l.Stats()
	t.Logf("end to end beyond 20 ms: median %v, max %v; link lateness mean %.0f µs, p99 %.0f µs", extra[n/2], extra[n-1], st.Lateness.MeanUS(), st.Lateness.QuantileUS(0.99))
	if extra[n/2] > 15*time.Millisecond {
		t.Errorf("median delay beyond the model's 20 ms is %v: the proxy is slow (or the machine overloaded)", extra[n/2])
	}

	sh.Do(func() { nw.Partition([]int{0, 1, 1}) }) // node 0 alone
	send(t, c, sim.ClassHeartbeat, "cut")
	waitStats(t, l, func(st Stats) bool { return st.Cut == 1 })
	sh.Do(func() { nw.Partition(nil) })
	send(t, c, sim.ClassHeartbeat, "healed")
	if got := s.wait(t, n+1); got[n].payload != "healed" {
		t.Errorf("after healing: %q, want healed", got[n].payload)
	}
}

// TestServeLeavesNothing: stopping a link closes its listener and
// connections and ends its goroutines.
func TestServeLeavesNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	s := newSink(t, "127.0.0.1:0")
	m := &script{delays: []time.Duration{time.Hour}, fates: []sim.Fate{sim.Delivered}}
	l, c, _, stop := startLink(t, m, s.ln.Addr().String())
	send(t, c, sim.ClassVote, "pending") // due in an hour: still queued
	waitStats(t, l, func(st Stats) bool { return st.Frames == 1 })
	stop()
	s.close()
	s.wg.Wait()
	if _, err := net.Dial("tcp", l.Addr()); err == nil {
		t.Error("the link's listener still accepts after Serve returned")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after the link stopped, %d before", g, before)
	}
}
