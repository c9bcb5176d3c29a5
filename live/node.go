package live

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/live/netproxy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/etcdraft"
)

// ClusterFile says where the nodes of a live ballast run are: the run's
// clock (its start, in Unix nanoseconds, which every node's clock counts
// from: the hosts' clocks must agree, as NTP keeps them to well under a
// millisecond), each node's listening address, and the address at which
// each node reaches each peer. On one machine the coordinator writes it
// with its proxies' addresses as the peers'; on several hosts an operator
// writes it (docs/live.md), with the peers' own listening addresses or
// proxies of their own.
type ClusterFile struct {
	StartUnixNS int64         `json:"start_unix_ns"`
	Nodes       []ClusterNode `json:"nodes"`
}

// ClusterNode is one node of a ClusterFile.
type ClusterNode struct {
	Listen string   `json:"listen"` // host:port where its peers' messages arrive
	Peers  []string `json:"peers"`  // by node id: where it sends to that node ("" for itself)
}

// ReadClusterFile reads and checks path for a run of n nodes.
func ReadClusterFile(path string, n int) (*ClusterFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c ClusterFile
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %v; allowed: a JSON cluster file (docs/live.md)", path, err)
	}
	if len(c.Nodes) != n {
		return nil, fmt.Errorf("%s: nodes: %d nodes for a scenario of %d; allowed: %d", path, len(c.Nodes), n, n)
	}
	addr := func(field, a string) error {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("%s: %s: %q: %v; allowed: host:port", path, field, a, err)
		}
		return nil
	}
	for i, nd := range c.Nodes {
		if err := addr(fmt.Sprintf("nodes[%d].listen", i), nd.Listen); err != nil {
			return nil, err
		}
		if len(nd.Peers) != n {
			return nil, fmt.Errorf("%s: nodes[%d].peers: %d addresses; allowed: one per node (%d), \"\" for itself", path, i, len(nd.Peers), n)
		}
		for p, a := range nd.Peers {
			if p == i {
				continue
			}
			if err := addr(fmt.Sprintf("nodes[%d].peers[%d]", i, p), a); err != nil {
				return nil, err
			}
		}
	}
	if c.StartUnixNS <= 0 {
		return nil, fmt.Errorf("%s: start_unix_ns: %d; allowed: the run's start, in Unix nanoseconds", path, c.StartUnixNS)
	}
	return &c, nil
}

// NodeOptions is one live ballast node.
type NodeOptions struct {
	// Config is the run (scenario, seed, policy, run id); its Sink is
	// not used: the node writes its rows to its events file.
	Config  *sim.Config
	ID      int
	Cluster *ClusterFile
	// Listener is where the peers' messages arrive (inherited from the
	// coordinator); nil: the node listens on its cluster file address.
	Listener net.Listener
	// Dir holds the node's write-ahead file, restart count and events
	// file: a directory on the disk (or tmpfs) whose fsync is measured.
	Dir string
	// Status gets one line per change of the node's role or term, for the
	// coordinator: "<role> <term>" (follower, pre-candidate, candidate,
	// leader).
	Status io.Writer
}

// EventsPath is node's events file in dir: its rows as fixed-size
// records (nodeRecord), appended by every incarnation.
func EventsPath(dir string, node int) string {
	return filepath.Join(dir, fmt.Sprintf("node-%d.events", node))
}

// RunNode runs one live ballast node until ctx ends: go.etcd.io/raft
// (sim/etcdraft's protocol, policy hook and split clock) in wall time,
// its term, vote and log in a write-ahead file fsynced before what
// depends on them is sent, one TCP connection per peer. It starts from
// what its write-ahead file holds, so the coordinator restarts a crashed
// node by starting it again.
func RunNode(ctx context.Context, opt NodeOptions) error {
	n := len(opt.Cluster.Nodes)
	incarn, err := nextIncarnation(opt.Dir, opt.ID)
	if err != nil {
		return err
	}
	w, hs, ents, err := openWAL(opt.Dir, opt.ID)
	if err != nil {
		return err
	}
	defer w.close()
	ev, err := os.OpenFile(EventsPath(opt.Dir, opt.ID), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer ev.Close()
	sink := &nodeSink{f: ev, node: int16(opt.ID), status: opt.Status}
	cfg := *opt.Config
	cfg.Sink = sink
	cfg.PolicyTiming = sink.policyCall
	node, err := etcdraft.NewLive(&cfg, opt.ID, hs, ents, w.save)
	if err != nil {
		return err
	}
	ln := opt.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", opt.Cluster.Nodes[opt.ID].Listen); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := make(chan sim.Envelope[*pb.Message], 4096)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	start := time.Unix(0, opt.Cluster.StartUnixNS)
	clock := func() int64 { return time.Since(start).Microseconds() }
	// What was sent before this process started was sent to its previous
	// incarnation, and waited in the listening socket's queue while no
	// process held it: a crashed process's messages are lost.
	bootUS := clock()
	wg.Go(func() { accept(ctx, ln, in, bootUS) })
	wire := &tcpWire{peers: make([]chan []byte, n)}
	for p, addr := range opt.Cluster.Nodes[opt.ID].Peers {
		if p == opt.ID {
			continue
		}
		ch := make(chan []byte, 1024)
		wire.peers[p] = ch
		wg.Go(func() { sendLoop(ctx, addr, ch) })
	}
	return node.Serve(ctx, incarn, wire, clock, in, sink.late)
}

// nodeRecord is one record of a node's events file, 40 bytes: a tag
// ('E' an event, 'L' a timer that fired late: time and node, the lateness
// in µs as its value; 'C' and 'U' a call of the policy, its choose or its
// update: the ns it took as its value), then the event's fields
// little-endian: time, term, value, msg id (8 bytes each), node, peer
// (2 each), kind, arm (1 each), 1 byte of padding. Each record is one
// write: a crash loses at most the record being written, and the reader
// drops a cut one.
const nodeRecord = 40

type nodeSink struct {
	f      *os.File
	node   int16
	status io.Writer
	buf    [nodeRecord]byte
	err    error
}

func (s *nodeSink) Emit(e *eventlog.Event) {
	s.write('E', e)
	if s.status != nil {
		role := ""
		switch e.Kind {
		case eventlog.BecameFollower:
			role = "follower"
		case eventlog.BecamePreCandidate:
			role = "pre-candidate"
		case eventlog.BecameCandidate:
			role = "candidate"
		case eventlog.BecameLeader:
			role = "leader"
		}
		if role != "" {
			fmt.Fprintf(s.status, "%s %d\n", role, e.Term)
		}
	}
}

// late records a timer that fired us late, now (the node's clock).
func (s *nodeSink) late(nowUS, us int64) {
	s.write('L', &eventlog.Event{TimeUS: nowUS, Value: us, Node: s.node})
}

// policyCall records how long a call of the policy took (the BALLAST
// paper's Table 5, sim.Config.PolicyTiming).
func (s *nodeSink) policyCall(_ int, update bool, ns int64) {
	tag := byte('C')
	if update {
		tag = 'U'
	}
	s.write(tag, &eventlog.Event{Value: ns, Node: s.node})
}

func (s *nodeSink) write(tag byte, e *eventlog.Event) {
	b := s.buf[:]
	b[0] = tag
	binary.LittleEndian.PutUint64(b[1:], uint64(e.TimeUS))
	binary.LittleEndian.PutUint64(b[9:], e.Term)
	binary.LittleEndian.PutUint64(b[17:], uint64(e.Value))
	binary.LittleEndian.PutUint64(b[25:], e.MsgID)
	binary.LittleEndian.PutUint16(b[33:], uint16(e.Node))
	binary.LittleEndian.PutUint16(b[35:], uint16(e.Peer))
	b[37] = byte(e.Kind)
	b[38] = byte(e.Arm)
	b[39] = 0
	// Written at once, so that a row is in the file before the message it
	// logs leaves: a peer's receipt row never comes without its sending.
	if _, err := s.f.Write(b); err != nil && s.err == nil {
		s.err = err
	}
}

// nodeFile is what a node's events file holds: its rows, its timers'
// lateness (when each fired, TimeUS, and how late, Value, in µs) and how
// long each call of its policy took (ns).
type nodeFile struct {
	evs, late      []eventlog.Event
	choose, update []int64
}

// readNodeEvents reads a node's events file. A record cut short by a
// crash is dropped.
func readNodeEvents(path string) (nodeFile, error) {
	var nf nodeFile
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nf, nil
	}
	if err != nil {
		return nf, err
	}
	for ; len(b) >= nodeRecord; b = b[nodeRecord:] {
		r := b[:nodeRecord]
		e := eventlog.Event{
			TimeUS: int64(binary.LittleEndian.Uint64(r[1:])),
			Term:   binary.LittleEndian.Uint64(r[9:]),
			Value:  int64(binary.LittleEndian.Uint64(r[17:])),
			MsgID:  binary.LittleEndian.Uint64(r[25:]),
			Node:   int16(binary.LittleEndian.Uint16(r[33:])),
			Peer:   int16(binary.LittleEndian.Uint16(r[35:])),
			Kind:   eventlog.Kind(r[37]),
			Arm:    int8(r[38]),
		}
		switch r[0] {
		case 'E':
			nf.evs = append(nf.evs, e)
		case 'L':
			nf.late = append(nf.late, e)
		case 'C':
			nf.choose = append(nf.choose, e.Value)
		case 'U':
			nf.update = append(nf.update, e.Value)
		default:
			return nodeFile{}, fmt.Errorf("%s: record tag %q; allowed: E, L, C or U (a node's events file)", path, r[0])
		}
	}
	return nf, nil
}

// An envelope on the wire: a 48-byte header (from, to: 2 bytes each; the
// message type, the append flag; 2 bytes of padding; id, sent time, heartbeat
// sequence, the leader's RTT, the policy's piggyback: 8 bytes each), then
// raft's message in protobuf.
const envelopeHeader = 48

func encodeEnvelope(e *sim.Envelope[*pb.Message]) ([]byte, error) {
	b := make([]byte, envelopeHeader, envelopeHeader+64)
	binary.LittleEndian.PutUint16(b[0:], uint16(e.From))
	binary.LittleEndian.PutUint16(b[2:], uint16(e.To))
	b[4] = byte(e.Type)
	if e.Append {
		b[5] = 1
	}
	binary.LittleEndian.PutUint64(b[8:], e.ID)
	binary.LittleEndian.PutUint64(b[16:], uint64(e.SentUS))
	binary.LittleEndian.PutUint64(b[24:], e.Seq)
	binary.LittleEndian.PutUint64(b[32:], uint64(e.RTTUS))
	binary.LittleEndian.PutUint64(b[40:], uint64(e.Value))
	return proto.MarshalOptions{Deterministic: true}.MarshalAppend(b, e.Body)
}

func decodeEnvelope(b []byte) (sim.Envelope[*pb.Message], error) {
	if len(b) < envelopeHeader {
		return sim.Envelope[*pb.Message]{}, fmt.Errorf("a frame of %d bytes; allowed: at least %d", len(b), envelopeHeader)
	}
	e := sim.Envelope[*pb.Message]{
		From:   int(binary.LittleEndian.Uint16(b[0:])),
		To:     int(binary.LittleEndian.Uint16(b[2:])),
		Type:   eventlog.MsgType(b[4]),
		Append: b[5] == 1,
		ID:     binary.LittleEndian.Uint64(b[8:]),
		SentUS: int64(binary.LittleEndian.Uint64(b[16:])),
		Seq:    binary.LittleEndian.Uint64(b[24:]),
		RTTUS:  int64(binary.LittleEndian.Uint64(b[32:])),
		Value:  int64(binary.LittleEndian.Uint64(b[40:])),
		Body:   &pb.Message{},
	}
	return e, proto.Unmarshal(b[envelopeHeader:], e.Body)
}

// tcpWire sends each message as one frame (netproxy's framing, the
// message's class first) on the connection toward its receiver.
type tcpWire struct {
	peers []chan []byte // by node: frames waiting for the sender goroutine
}

func (w *tcpWire) Send(e sim.Envelope[*pb.Message]) {
	b, err := encodeEnvelope(&e)
	if err != nil {
		return // raft's own messages always marshal
	}
	frame := append([]byte{byte(e.Class())}, b...)
	select {
	case w.peers[e.To] <- frame:
	default: // the connection is far behind: the message is lost, as in a full socket
	}
}

// sendLoop writes frames to addr, dialing when it has no connection; a
// frame that cannot be written (the peer or its proxy is down) is lost.
func sendLoop(ctx context.Context, addr string, ch <-chan []byte) {
	var c net.Conn
	var bw *bufio.Writer
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for {
		var f []byte
		select {
		case <-ctx.Done():
			return
		case f = <-ch:
		}
		if c == nil {
			var err error
			if c, err = net.DialTimeout("tcp", addr, 200*time.Millisecond); err != nil {
				c = nil
				continue
			}
			bw = bufio.NewWriterSize(c, 64<<10)
		}
		if netproxy.WriteFrame(bw, f[0], f[1:]) != nil || (len(ch) == 0 && bw.Flush() != nil) {
			c.Close()
			c = nil
		}
	}
}

// accept reads frames from every connection made to ln until ctx ends,
// dropping messages sent before bootUS.
func accept(ctx context.Context, ln net.Listener, in chan<- sim.Envelope[*pb.Message], bootUS int64) {
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	var wg sync.WaitGroup
	go func() {
		<-ctx.Done()
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			break
		}
		mu.Lock()
		conns[c] = true
		mu.Unlock()
		wg.Go(func() {
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
			}()
			r := bufio.NewReaderSize(c, 64<<10)
			for {
				_, payload, err := netproxy.ReadFrame(r)
				if err != nil {
					return
				}
				e, err := decodeEnvelope(payload)
				if err != nil {
					return // a foreign connection
				}
				if e.SentUS < bootUS {
					continue
				}
				select {
				case in <- e:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	wg.Wait()
}

// NodeFlags are what the coordinator tells a node process on its command
// line, besides the run: --node, --cluster, --dir, --listen-fd.
type NodeFlags struct {
	Node     int
	Cluster  string // the cluster file
	Dir      string
	ListenFD int // an inherited listening socket; 0: listen on the cluster file's address
}

// ServeNode runs the node process of cfg's run that f names until ctx
// ends, its status lines to status (RunNode).
func ServeNode(ctx context.Context, cfg *sim.Config, f NodeFlags, status io.Writer) error {
	n := cfg.Scenario.Nodes
	if f.Node < 0 || f.Node >= n {
		return fmt.Errorf("--node %d: allowed: 0 to %d (the scenario's nodes)", f.Node, n-1)
	}
	cf, err := ReadClusterFile(f.Cluster, n)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.Dir, 0o755); err != nil {
		return fmt.Errorf("--dir %s: %v; allowed: a writable directory", f.Dir, err)
	}
	var ln net.Listener
	if f.ListenFD > 0 {
		file := os.NewFile(uintptr(f.ListenFD), "listener")
		if ln, err = net.FileListener(file); err != nil {
			return fmt.Errorf("--listen-fd %d: %v; allowed: an inherited listening socket", f.ListenFD, err)
		}
		file.Close()
	}
	return RunNode(ctx, NodeOptions{Config: cfg, ID: f.Node, Cluster: cf, Listener: ln, Dir: f.Dir, Status: status})
}
