package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/internal/atomicfile"
	"github.com/ballast-bench/ballast/live/netproxy"
	"github.com/ballast-bench/ballast/live/procs"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// BallastOptions of a live run on ballast nodes.
type BallastOptions struct {
	Scenario *scenario.Scenario
	Seed     uint64
	// Node is the command line that runs one node (RunNode), to which the
	// coordinator appends --node I --cluster FILE --dir DIR --listen-fd 3:
	// the ballast binary, "live-node" and the run's --scenario, --policy,
	// --set and --seed.
	Node []string
	// Dir holds the cluster file and each node's write-ahead file,
	// events file and log (its stderr).
	Dir string
	Log io.Writer
}

// CheckBallast refuses, with one line naming the key, what live ballast
// nodes cannot do faithfully.
func CheckBallast(s *scenario.Scenario) error {
	bad := func(key, why, allowed string) error {
		return fmt.Errorf("scenario %s: %s: %s on the ballast target; allowed: %s", s.Name, key, why, allowed)
	}
	// A per-message processing delay is realised: the proxies draw each
	// message's delay from sim.Network.Transmit, which adds the receiver's
	// processing delay to the link's, as in virtual time.
	switch {
	case s.NodesTimerJitter != nil:
		return bad("nodes_timer_jitter", "the nodes' timers are real ones", "none")
	case s.Storage != nil:
		return bad("storage", "the nodes fsync for real", "none")
	}
	for i, c := range s.Crashes {
		if c.LaggingFollowers > 0 {
			return bad(fmt.Sprintf("crashes[%d].lagging_followers", i), "the crashed leader's last entry cannot be made to reach only some followers", "0")
		}
	}
	return nil
}

// RunBallast runs s on live ballast nodes (RunNode, one process each) for
// the scenario's duration: the coordinator listens for each node and for
// each directed link's proxy, writes the cluster file, starts the nodes,
// applies the timeline in wall time, and at the end merges the nodes'
// events files with its own rows.
func RunBallast(ctx context.Context, opt BallastOptions) (*Result, error) {
	s := opt.Scenario
	if err := CheckBallast(s); err != nil {
		return nil, err
	}
	n := s.Nodes
	var lns []net.Listener
	closeAll := func() {
		for _, ln := range lns {
			ln.Close()
		}
	}
	listen := func() (net.Listener, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			lns = append(lns, ln)
		}
		return ln, err
	}
	nodeLn := make([]net.Listener, n)
	linkLn := make([][]net.Listener, n)
	for i := range n {
		ln, err := listen()
		if err != nil {
			closeAll()
			return nil, err
		}
		nodeLn[i] = ln
	}
	for i := range n {
		linkLn[i] = make([]net.Listener, n)
		for j := range n {
			if i == j {
				continue
			}
			ln, err := listen()
			if err != nil {
				closeAll()
				return nil, err
			}
			linkLn[i][j] = ln
		}
	}
	defer closeAll()
	// The run's clock starts here: the cluster file tells the nodes, the
	// timeline's offsets and every row's time count from it.
	start := time.Now()
	cf := ClusterFile{StartUnixNS: start.UnixNano()}
	for i := range n {
		nd := ClusterNode{Listen: nodeLn[i].Addr().String(), Peers: make([]string, n)}
		for j := range n {
			if j != i {
				nd.Peers[j] = linkLn[i][j].Addr().String()
			}
		}
		cf.Nodes = append(cf.Nodes, nd)
	}
	clusterPath := filepath.Join(opt.Dir, "cluster.json")
	b, _ := json.MarshalIndent(cf, "", "  ")
	if _, _, err := atomicfile.WriteFile(clusterPath, append(b, '\n')); err != nil {
		return nil, err
	}

	nw := sim.NewNetwork(s, opt.Seed)
	sh := netproxy.NewShared(nw, start)
	pctx, cancel := context.WithCancel(context.Background())
	var links []*netproxy.Link
	var pwg sync.WaitGroup
	for i := range n {
		for j := range n {
			if i != j {
				l := netproxy.NewLink(i, j, linkLn[i][j], nodeLn[j].Addr().String(), sh)
				links = append(links, l)
				pwg.Go(func() { l.Serve(pctx) })
			}
		}
	}
	stopProxies := func() {
		cancel()
		pwg.Wait()
	}
	defer stopProxies()

	bn := &ballastNodes{state: make([]nodeState, n)}
	specs := make([]procs.Spec, n)
	var logs []*os.File
	defer func() {
		for _, f := range logs {
			f.Close()
		}
	}()
	for i := range n {
		f, err := nodeLn[i].(*net.TCPListener).File()
		if err != nil {
			return nil, err
		}
		logs = append(logs, f)
		lf, err := os.Create(filepath.Join(opt.Dir, fmt.Sprintf("node-%d.log", i)))
		if err != nil {
			return nil, err
		}
		logs = append(logs, lf)
		specs[i] = procs.Spec{Path: opt.Node[0],
			Args:   append(slices.Clone(opt.Node[1:]), "--node", strconv.Itoa(i), "--cluster", clusterPath, "--dir", opt.Dir, "--listen-fd", "3"),
			Files:  []*os.File{f},
			Stdout: &statusWriter{nodes: bn, i: i},
			Stderr: lf}
	}
	bn.g = procs.NewGroup(specs)
	defer bn.g.Close()
	for i := range n {
		if err := bn.g.Start(i); err != nil {
			return nil, err
		}
	}

	mem := &eventlog.Memory{}
	log := &sim.Log{Sink: mem}
	cl := &cluster{c: bn, sh: sh, log: log, n: n, paused: make([]bool, n), wakeUS: make([]int64, n)}
	tl := scenario.NewTimeline(s, opt.Seed)
	in := sim.NewInjector(s, tl, nw, log, opt.Seed)
	res := &Result{}
	if opt.Log != nil {
		fmt.Fprintf(opt.Log, "live: %d ballast nodes, %s for %g s, seed %d\n", n, s.Name, s.DurationS, opt.Seed)
	}
	if err := inject(ctx, s, tl, in, cl, sh, &res.Injected); err != nil {
		return nil, err
	}
	endUS := sh.NowUS()
	// A node that ended by itself failed (its run error is its log's
	// last line); the coordinator's kills are not that.
	for i := range n {
		if exited, err := bn.g.Exited(i); exited && !bn.killed(i) {
			return nil, fmt.Errorf("node %d stopped by itself (%v): %s", i, err, lastLine(filepath.Join(opt.Dir, fmt.Sprintf("node-%d.log", i))))
		}
	}
	if err := bn.g.Close(); err != nil {
		return nil, err
	}
	stopProxies()
	for _, l := range links {
		st := l.Stats()
		res.Network.Add(&st)
	}
	var all []eventlog.Event
	all = append(all, mem.Events...)
	for i := range n {
		nf, err := readNodeEvents(EventsPath(opt.Dir, i))
		if err != nil {
			return nil, err
		}
		res.Choose, res.Update = append(res.Choose, nf.choose...), append(res.Update, nf.update...)
		for _, e := range nf.evs {
			if e.TimeUS <= endUS {
				all = append(all, e)
			}
		}
		for _, l := range nf.late {
			// A timer due while the coordinator held the node stopped
			// (a pause, a sleep) fires at the resume by design, as in
			// virtual time: not the machine's lateness.
			if !stopped(mem.Events, i, l.TimeUS-l.Value, l.TimeUS) {
				res.Timers.Add(l.Value)
			}
		}
	}
	// In time order; at one instant the coordinator's rows first, then
	// each node's in its own order.
	slices.SortStableFunc(all, func(a, b eventlog.Event) int {
		switch {
		case a.TimeUS < b.TimeUS:
			return -1
		case a.TimeUS > b.TimeUS:
			return 1
		}
		return 0
	})
	// Message ids in the order the messages were first logged (sent), as
	// a simulated run's are: the analysis relies on it.
	ids := map[uint64]uint64{}
	for i := range all {
		if id := all[i].MsgID; id != 0 {
			if _, ok := ids[id]; !ok {
				ids[id] = uint64(len(ids) + 1)
			}
			all[i].MsgID = ids[id]
		}
	}
	res.Events = all
	return res, nil
}

// nodeState is what a node last said on its status line.
type nodeState struct {
	role   string
	term   uint64
	killed bool // the coordinator killed its last process
}

// ballastNodes are the node processes of a live ballast run, as members.
type ballastNodes struct {
	g     *procs.Group
	mu    sync.Mutex
	state []nodeState
}

func (b *ballastNodes) Leader() (int, uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	best := -1
	for i, st := range b.state {
		if st.role == "leader" && !st.killed && (best < 0 || st.term > b.state[best].term) {
			best = i
		}
	}
	if best < 0 {
		return -1, 0
	}
	return best, b.state[best].term
}

func (b *ballastNodes) Term(i int) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state[i].term
}

func (b *ballastNodes) killed(i int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state[i].killed
}

func (b *ballastNodes) Pid(i int) int { return b.g.Pid(i) }

func (b *ballastNodes) Kill(i int) error {
	err := b.g.Kill(i)
	b.mu.Lock()
	b.state[i].role, b.state[i].killed = "", true
	b.mu.Unlock()
	return err
}

func (b *ballastNodes) Restart(i int) error {
	b.mu.Lock()
	b.state[i].killed = false
	b.mu.Unlock()
	return b.g.Start(i)
}

func (b *ballastNodes) Pause(i int) error  { return b.g.Pause(i) }
func (b *ballastNodes) Resume(i int) error { return b.g.Resume(i) }

// statusWriter parses node i's status lines ("<role> <term>").
type statusWriter struct {
	nodes *ballastNodes
	i     int
	part  []byte
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.part = append(w.part, p...)
	for {
		k := bytes.IndexByte(w.part, '\n')
		if k < 0 {
			break
		}
		f := strings.Fields(string(w.part[:k]))
		w.part = w.part[k+1:]
		if len(f) != 2 {
			continue
		}
		term, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			continue
		}
		w.nodes.mu.Lock()
		if !w.nodes.state[w.i].killed {
			w.nodes.state[w.i].role, w.nodes.state[w.i].term = f[0], term
		}
		w.nodes.mu.Unlock()
	}
	return len(p), nil
}

// lastLine is the last non-empty line of the file at path.
func lastLine(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// stopped reports whether the coordinator's rows stopped node during
// [fromUS, toUS]: a pause or sleep row whose span meets it.
func stopped(coord []eventlog.Event, node int, fromUS, toUS int64) bool {
	for _, e := range coord {
		if int(e.Node) == node && (e.Kind == eventlog.PauseStart || e.Kind == eventlog.Sleep) && e.TimeUS <= toUS && e.TimeUS+e.Value >= fromUS {
			return true
		}
	}
	return false
}
