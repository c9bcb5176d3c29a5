package netproxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// echoNode is node 1: for each connection it reads the request head and
// answers "ok\n" at once.
func echoNode(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						io.WriteString(c, "ok\n")
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln
}

func streamScenario(t *testing.T) *sim.Network {
	t.Helper()
	sc, err := scenario.Parse("streams_test.yaml", []byte(`name: wan
nodes: 3
duration_s: 10
raft: {heartbeat_ms: 50}
network:
  transport: stream
  default: {base_delay_ms: 25, loss: 0}
`))
	if err != nil {
		t.Fatal(err)
	}
	return sim.NewNetwork(sc, 1)
}

// TestStreams: a request carrying the sender's header takes the link's
// delay to the node and the answer the reverse link's delay back (25 ms
// each way: at least 50 ms round trip); a connection without the header
// is copied untouched; a partition ends a connection.
func TestStreams(t *testing.T) {
	node := echoNode(t)
	nw := streamScenario(t)
	sh := NewShared(nw, time.Now())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	who := func(v string) (int, bool) {
		if v == "aa" {
			return 0, true
		}
		return 0, false
	}
	s := NewStreams(1, sim.ClassHeartbeat, ln, node.Addr().String(), sh, "X-Server-From", who)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	roundTrip := func(head string) (time.Duration, error) {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			return 0, err
		}
		defer c.Close()
		start := time.Now()
		io.WriteString(c, head)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || line != "ok\n" {
			return 0, err
		}
		return time.Since(start), nil
	}
	rtt, err := roundTrip("GET /raft/stream/message/aa HTTP/1.1\r\nHost: x\r\nX-Server-From: aa\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if rtt < 50*time.Millisecond || rtt > 200*time.Millisecond {
		t.Errorf("round trip through the proxy %v; want 50 ms (25 each way) plus a little", rtt)
	}
	// The proxy counts a chunk once its write returned, which can be
	// after the client read it: wait for the count.
	eventually(func() int64 { return s.Stats(0, 1).Delivered }, 1)
	eventually(func() int64 { return s.Stats(1, 0).Delivered }, 1)
	up, down := s.Stats(0, 1), s.Stats(1, 0)
	if up.Delivered < 1 || down.Delivered < 1 {
		t.Errorf("link stats 0->1 %+v, 1->0 %+v; want chunks delivered both ways", up.Delivered, down.Delivered)
	}
	t.Logf("round trip %v; lateness 0->1 mean %.0f µs, 1->0 mean %.0f µs", rtt, up.Lateness.MeanUS(), down.Lateness.MeanUS())

	plain, err := roundTrip("GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if plain > 25*time.Millisecond {
		t.Errorf("a connection without the header: %v; want copied untouched", plain)
	}
	// It counts as plain when it ends with no request naming its sender.
	for deadline := time.Now().Add(5 * time.Second); s.Plain() != 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d plain connections, want 1", s.Plain())
		}
	}
	// A probe first, then a request naming its sender, on one connection
	// (keep-alive): from the second request on, the link's delays apply.
	rtt2, err := roundTrip("GET /raft/probing HTTP/1.1\r\n\r\nPOST /raft HTTP/1.1\r\nX-Server-From: aa\r\nContent-Length: 0\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	// The probe's answer comes back at once; the request after it is
	// held for the link's delay, and counted when the proxy writes it.
	if got := eventually(func() int64 { return s.Stats(0, 1).Frames }, 2); got < 2 {
		t.Errorf("after a probe and a request naming the sender: %d chunks on 0->1, want the second request's too (round trip %v)", got, rtt2)
	}

	sh.Do(func() { nw.Partition([]int{0, 1, 1}) })
	if _, err := roundTrip("GET /raft HTTP/1.1\r\nX-Server-From: aa\r\n\r\n"); err == nil || !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
		t.Errorf("through a partition: %v; want the connection ended", err)
	}
	if got := eventually(func() int64 { return s.Stats(0, 1).Cut }, 1); got != 1 {
		t.Errorf("0->1 cut %d, want 1", got)
	}
}

// eventually polls a count of the proxy's until it reaches want or two
// seconds pass, and returns it: the proxy counts on its own goroutines,
// which a loaded machine can run after the client saw the effect.
func eventually(count func() int64, want int64) int64 {
	got := count()
	for deadline := time.Now().Add(2 * time.Second); got < want && time.Now().Before(deadline); got = count() {
		time.Sleep(time.Millisecond)
	}
	return got
}
