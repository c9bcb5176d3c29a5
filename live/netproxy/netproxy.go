// Package netproxy is the network of ballast's live mode (issue 15): a
// user-space proxy per directed link between node processes on real
// sockets, which applies a scenario's network model to every message. This
// kernel has no netem, and the model is per message anyway: delay
// distributions, regimes, bursts, partitions and their turbulence, loss as
// the transport says (a stream retransmits: delay, not a drop). The model
// is sim.Network itself, the one the simulator uses, so that a scenario
// means the same network in both; the coordinator changes its state
// (regimes, bursts, partitions) on the scenario's timeline in wall time,
// through Shared.Do.
//
// # Frames
//
// Node processes talk through the proxies in frames: a 4-byte big-endian
// length of what follows, a class byte (sim.ClassVote, sim.ClassHeartbeat,
// sim.ClassAppend: the class decides the transport) and the payload.
// WriteFrame and ReadFrame are the two ends.
//
// # A link
//
// Node From connects to its Link's listener to reach node To; the link
// reads each frame, asks the model for its fate at the moment it arrived
// (wall microseconds since the run's start), and writes it to To's
// address when its delay has passed: frames leave in the order of their
// delivery times, so a datagram class can be reordered by jitter, and a
// stream class is not (sim.Network keeps a stream's arrivals in order). A
// lost or cut frame is counted and dropped. When To is down, frames due
// are dropped (counted) and the link dials again for the next one; when
// From restarts, it connects again and the new connection replaces the
// old. A paused (SIGSTOPped) node's kernel still accepts the bytes: they
// wait in its socket, as they would.
//
// # Measured, not assumed
//
// Wall-clock delivery is late by the machine's scheduling noise. Every
// delivered frame's lateness (the time it was written minus the time it
// was due) goes into the link's Stats, so that a run can say how faithful
// its network was, and flag itself when the noise passes a bound.
package netproxy

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ballast-bench/ballast/sim"
)

// MaxFrame bounds a frame's length (class byte and payload): a larger
// length is a broken or foreign connection, which is closed.
const MaxFrame = 64 << 20

// WriteFrame writes one frame of class with payload to w.
func WriteFrame(w io.Writer, class byte, payload []byte) error {
	if len(payload)+1 > MaxFrame {
		return fmt.Errorf("frame of %d bytes: allowed: at most %d", len(payload)+1, MaxFrame)
	}
	var hdr [5]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(payload)+1))
	hdr[4] = class
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// ReadFrame reads one frame from r. The payload is a new slice.
func ReadFrame(r *bufio.Reader) (class byte, payload []byte, err error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n < 1 || n > MaxFrame {
		return 0, nil, fmt.Errorf("frame length %d: allowed: 1 to %d", n, MaxFrame)
	}
	payload = make([]byte, n-1)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	return hdr[4], payload, nil
}

// Model decides a message's fate: sim.Network is one.
type Model interface {
	Transmit(from, to, class int, nowUS int64) (delayUS int64, fate sim.Fate)
}

// Shared is the one Model of a run, shared by its links under a lock, and
// the run's clock: microseconds since its start.
type Shared struct {
	mu    sync.Mutex
	m     Model
	start time.Time
}

// NewShared shares m among links, with the run's clock starting at start.
func NewShared(m Model, start time.Time) *Shared { return &Shared{m: m, start: start} }

// Do runs f under the model's lock: the coordinator changes the network's
// state (sim.Injector.Apply) this way, between two messages.
func (s *Shared) Do(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// Start is when the run's clock started.
func (s *Shared) Start() time.Time { return s.start }

// NowUS is the run's clock.
func (s *Shared) NowUS() int64 { return time.Since(s.start).Microseconds() }

func (s *Shared) transmit(from, to, class int) (nowUS, delayUS int64, fate sim.Fate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nowUS = s.NowUS()
	delayUS, fate = s.m.Transmit(from, to, class, nowUS)
	return nowUS, delayUS, fate
}

// Stats count a link's frames by fate and measure the lateness of the
// delivered ones.
type Stats struct {
	Frames    int64 // read from From
	Delivered int64 // written to To
	Lost      int64 // dropped by the model's loss
	Cut       int64 // dropped by a partition
	Down      int64 // due while To could not be reached
	Lateness  Histogram
}

// count counts a message read, by its fate.
func (s *Stats) count(fate sim.Fate) {
	s.Frames++
	switch fate {
	case sim.Lost:
		s.Lost++
	case sim.Cut:
		s.Cut++
	}
}

// delivered counts a message written (ok) or not, To being down.
func (s *Stats) delivered(ok bool, lateUS int64) {
	if ok {
		s.Delivered++
		s.Lateness.Add(lateUS)
	} else {
		s.Down++
	}
}

func (s *Stats) clone() Stats {
	c := *s
	c.Lateness = s.Lateness.clone()
	return c
}

// Add adds o's counts to s (a run's links summed).
func (s *Stats) Add(o *Stats) {
	s.Frames += o.Frames
	s.Delivered += o.Delivered
	s.Lost += o.Lost
	s.Cut += o.Cut
	s.Down += o.Down
	s.Lateness.Merge(&o.Lateness)
}

// Link proxies the directed link From -> To.
type Link struct {
	From, To int
	ln       net.Listener
	dest     string
	sh       *Shared
	dial     time.Duration
	sched    *schedule

	mu    sync.Mutex
	stats Stats
}

// NewLink proxies From -> To: From's node connects to ln, and frames go
// to To's node at dest.
func NewLink(from, to int, ln net.Listener, dest string, sh *Shared) *Link {
	return &Link{From: from, To: to, ln: ln, dest: dest, sh: sh, dial: 200 * time.Millisecond, sched: newSchedule(sh)}
}

// Addr is where From's node connects.
func (l *Link) Addr() string { return l.ln.Addr().String() }

// Stats returns a copy of the link's counts so far.
func (l *Link) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats.clone()
}

// Serve proxies until ctx is done, then closes the listener and every
// connection and returns when all its goroutines have.
func (l *Link) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var connMu sync.Mutex
	var in net.Conn // the current connection from From
	wg.Go(func() { l.deliver(ctx) })
	wg.Go(func() {
		<-ctx.Done()
		l.ln.Close()
		connMu.Lock()
		if in != nil {
			in.Close()
		}
		connMu.Unlock()
	})
	var err error
	for {
		c, aerr := l.ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("link %d->%d: %w", l.From, l.To, aerr)
				cancel()
			}
			break
		}
		connMu.Lock()
		if in != nil {
			in.Close() // From restarted: its new connection replaces the old
		}
		in = c
		connMu.Unlock()
		wg.Go(func() { l.read(c) })
	}
	wg.Wait()
	return err
}

// read takes frames from one connection of From until it closes.
func (l *Link) read(c net.Conn) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		class, payload, err := ReadFrame(r)
		if err != nil {
			return
		}
		nowUS, delayUS, fate := l.sh.transmit(l.From, l.To, int(class))
		l.mu.Lock()
		l.stats.count(fate)
		l.mu.Unlock()
		if fate == sim.Delivered {
			l.sched.add(frame{atUS: nowUS + delayUS, class: class, payload: payload})
		}
	}
}

// deliver writes each queued frame to To when it is due, dialing To when
// it has no connection to it.
func (l *Link) deliver(ctx context.Context) {
	var out net.Conn
	var w *bufio.Writer
	var closed *atomic.Bool
	defer func() {
		if out != nil {
			out.Close()
		}
	}()
	l.sched.run(ctx, func(f frame) {
		if out != nil && closed.Load() {
			out.Close() // To went down since the last frame
			out = nil
		}
		if out == nil {
			c, err := net.DialTimeout("tcp", l.dest, l.dial)
			if err == nil {
				out, w = c, bufio.NewWriterSize(c, 64<<10)
				closed = watch(c)
			}
		}
		ok := out != nil && WriteFrame(w, f.class, f.payload) == nil && w.Flush() == nil
		lateUS := l.sh.NowUS() - f.atUS
		if !ok && out != nil {
			out.Close()
			out = nil
		}
		l.mu.Lock()
		l.stats.delivered(ok, lateUS)
		l.mu.Unlock()
	})
}

// schedule holds one direction's messages until their delivery times and
// hands them out in that order (ties in arrival order).
type schedule struct {
	sh      *Shared
	mu      sync.Mutex
	q       frameHeap
	seq     uint64
	pending int // queued or being sent
	wake    chan struct{}
}

func newSchedule(sh *Shared) *schedule { return &schedule{sh: sh, wake: make(chan struct{}, 1)} }

// add queues f, due at f.atUS.
func (s *schedule) add(f frame) {
	s.mu.Lock()
	s.seq++
	s.pending++
	f.seq = s.seq
	heap.Push(&s.q, f)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run calls send with each message when it is due, until ctx is done.
func (s *schedule) run(ctx context.Context, send func(frame)) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		wait := time.Hour
		if len(s.q) > 0 {
			wait = time.Duration(s.q[0].atUS-s.sh.NowUS()) * time.Microsecond
		}
		if wait <= 0 {
			f := heap.Pop(&s.q).(frame)
			s.mu.Unlock()
			send(f)
			s.mu.Lock()
			s.pending--
			s.mu.Unlock()
			continue
		}
		s.mu.Unlock()
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		case <-timer.C:
		}
	}
}

// watch reads c, to which To never writes, until it ends: To closed it
// or died (the kernel closes a killed process's sockets). A write alone
// would not tell: the first write after the peer is gone still succeeds.
// A frame written in the instant To dies can still be counted delivered.
func watch(c net.Conn) *atomic.Bool {
	var closed atomic.Bool
	go func() {
		io.Copy(io.Discard, c)
		closed.Store(true)
	}()
	return &closed
}

// drain waits until every message added has been sent, or ctx is done.
func (s *schedule) drain(ctx context.Context) {
	for {
		s.mu.Lock()
		n := s.pending
		s.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Millisecond):
		}
	}
}

// frame is a message waiting for its delivery time.
type frame struct {
	atUS    int64
	seq     uint64 // arrival order: ties leave in it
	class   byte
	to      int // the receiving node (Streams: for its stats)
	payload []byte
}

// frameHeap orders frames by (atUS, seq): a container/heap.
type frameHeap []frame

func (h frameHeap) Len() int { return len(h) }
func (h frameHeap) Less(i, j int) bool {
	return h[i].atUS < h[j].atUS || h[i].atUS == h[j].atUS && h[i].seq < h[j].seq
}
func (h frameHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *frameHeap) Push(x any)   { *h = append(*h, x.(frame)) }
func (h *frameHeap) Pop() any {
	s := *h
	f := s[len(s)-1]
	*h = s[:len(s)-1]
	return f
}
