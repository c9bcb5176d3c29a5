package etcdcluster_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ballast-bench/ballast/live/etcdcluster"
	"github.com/ballast-bench/ballast/live/netproxy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
)

func etcdBinary(t *testing.T) string {
	t.Helper()
	wd, _ := os.Getwd()
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			p := filepath.Join(d, "bin", "etcd")
			if _, err := os.Stat(p); err != nil {
				t.Skipf("no %s: 'make etcd' builds it", p)
			}
			return p
		}
	}
	t.Skip("no module root")
	return ""
}

// TestOnTheScenarioNetwork: a real etcd cluster whose peer traffic crosses
// the scenario's network (one proxy per member, 10 ms each way on every
// link, streams): every directed link carries its traffic through the
// model; a leader crash still fails over; a partition that isolates the
// new leader makes the other two elect a third.
func TestOnTheScenarioNetwork(t *testing.T) {
	bin := etcdBinary(t)
	sc, err := scenario.Parse("network_test.yaml", []byte(`name: wan10
nodes: 3
duration_s: 60
raft: {heartbeat_ms: 100}
network:
  transport: stream
  default: {base_delay_ms: 10, loss: 0}
`))
	if err != nil {
		t.Fatal(err)
	}
	nw := sim.NewNetwork(sc, 1)
	sh := netproxy.NewShared(nw, time.Now())
	var lns []net.Listener
	var advertise []string
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		advertise = append(advertise, "http://"+ln.Addr().String())
	}
	c, err := etcdcluster.Start(etcdcluster.Options{Binary: bin, Dir: t.TempDir(), Members: 3, HeartbeatMS: 100, ElectionMS: 1000, PreVote: true, Advertise: advertise})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A member logs its id as it starts, before it dials its peers; wait
	// for it rather than let a connection bypass the model.
	who := func(id string) (int, bool) {
		for range 400 {
			if m, ok := c.Member(id); ok {
				return m, true
			}
			time.Sleep(5 * time.Millisecond)
		}
		return 0, false
	}
	ctx, cancel := context.WithCancel(context.Background())
	var proxies []*netproxy.Streams
	done := make(chan error, 3)
	for i, ln := range lns {
		p := netproxy.NewStreams(i, sim.ClassHeartbeat, ln, strings.TrimPrefix(c.PeerURL(i), "http://"), sh, "X-Server-From", who)
		proxies = append(proxies, p)
		go func() { done <- p.Serve(ctx) }()
	}
	defer func() {
		c.Close()
		cancel()
		for range proxies {
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}()

	first, term, err := c.WaitLeader(0, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	killed := time.Now()
	if err := c.Kill(first); err != nil {
		t.Fatal(err)
	}
	second, term2, err := c.WaitLeader(term, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("m%d killed (term %d); m%d leader at term %d %v later", first, term, second, term2, time.Since(killed).Round(time.Millisecond))

	// Isolate the new leader: the remaining live member (and the old
	// leader, once back) must elect another.
	if err := c.Restart(first); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	groups := []int{0, 0, 0}
	groups[second] = 1
	sh.Do(func() { nw.Partition(groups) })
	third, term3, err := c.WaitLeader(term2, 30*time.Second)
	if err != nil {
		for to, p := range proxies {
			for from := range 3 {
				st := p.Stats(from, to)
				t.Logf("m%d -> m%d: %d chunks, %d delivered, %d cut, %d down", from, to, st.Frames, st.Delivered, st.Cut, st.Down)
			}
			t.Logf("to m%d: %d plain", to, p.Plain())
		}
		t.Fatal(err)
	}
	if third == second {
		t.Errorf("the isolated m%d is leader again at term %d", second, term3)
	}
	t.Logf("m%d isolated; m%d leader at term %d", second, third, term3)

	// A link's traffic crosses the proxies of both ends: requests go
	// through the receiver's, the streams' responses through the
	// sender's.
	for from := range 3 {
		for to := range 3 {
			if from == to {
				continue
			}
			var st netproxy.Stats
			for _, p := range proxies {
				l := p.Stats(from, to)
				st.Add(&l)
			}
			if st.Delivered == 0 {
				t.Errorf("link m%d -> m%d carried nothing through the model", from, to)
			}
			t.Logf("m%d -> m%d: %d chunks delivered, %d cut; lateness mean %.0f µs, p99 %.0f µs", from, to, st.Delivered, st.Cut, st.Lateness.MeanUS(), st.Lateness.QuantileUS(0.99))
		}
	}
	for to, p := range proxies {
		t.Logf("to m%d: %d connections never named their sender (copied untouched)", to, p.Plain())
	}
}
