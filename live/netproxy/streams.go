package netproxy

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ballast-bench/ballast/sim"
)

// Streams proxies the TCP connections made to one node whose peers talk
// HTTP over TCP (etcd's peer port: rafthttp): it listens where the node's
// peers think it is, and forwards each connection to the node. Nothing
// frames the messages there, so the unit is what one read returns (a
// chunk of the byte stream, at most 32 KiB), and every chunk travels in
// the one class given, which must be a stream in the scenario: a chunk
// cannot be dropped from a TCP stream, so the model's loss becomes
// retransmission delay, and a cut (a partition) or a broken stream (15
// losses in a row) closes the connection, as a real one would end up.
//
// A connection's sender is read from the first request's header named
// Header (rafthttp's X-Server-From: the sender's member id), mapped to its
// node by Who: the requests are the link sender -> To, the responses To
// -> sender (rafthttp's streams carry To's messages in the response
// body). A connection without the header (a version probe) is copied
// both ways untouched.
type Streams struct {
	To     int
	Class  int
	Header string
	Who    func(value string) (node int, ok bool)
	ln     net.Listener
	dest   string
	sh     *Shared

	mu    sync.Mutex
	stats map[[2]int]*Stats
	plain int64 // connections copied untouched
}

// NewStreams proxies the connections to node to at dest, accepted on ln.
func NewStreams(to, class int, ln net.Listener, dest string, sh *Shared, header string, who func(string) (int, bool)) *Streams {
	return &Streams{To: to, Class: class, Header: header, Who: who, ln: ln, dest: dest, sh: sh, stats: map[[2]int]*Stats{}}
}

// Addr is where the node's peers connect.
func (s *Streams) Addr() string { return s.ln.Addr().String() }

// Stats returns the counts of the directed link from -> to so far.
func (s *Streams) Stats(from, to int) Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.stats[[2]int{from, to}]; st != nil {
		return st.clone()
	}
	return Stats{}
}

// Plain is the number of connections copied untouched (no sender header).
func (s *Streams) Plain() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.plain
}

func (s *Streams) update(from, to int, f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats[[2]int{from, to}]
	if st == nil {
		st = &Stats{}
		s.stats[[2]int{from, to}] = st
	}
	f(st)
}

// Serve proxies until ctx is done, then closes the listener and every
// connection and returns when all its goroutines have.
func (s *Streams) Serve(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		<-ctx.Done()
		s.ln.Close()
	})
	var err error
	for {
		c, aerr := s.ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("streams to %d: %w", s.To, aerr)
				cancel()
			}
			break
		}
		wg.Go(func() { s.handle(ctx, c) })
	}
	wg.Wait()
	return err
}

// maxHead bounds the request head read to find the sender.
const maxHead = 16 << 10

// handle proxies one connection until either side ends it or ctx is done.
// Until a request names its sender, requests without a body (rafthttp's
// probes share keep-alive connections with its pipeline) and whatever
// comes back are copied untouched; from the first request that names its
// sender, both directions cross the model.
func (s *Streams) handle(ctx context.Context, in net.Conn) {
	defer in.Close()
	out, err := net.DialTimeout("tcp", s.dest, 200*time.Millisecond)
	if err != nil {
		return // the node is down: its peer sees the connection end
	}
	defer out.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-ctx.Done()
		in.Close()
		out.Close()
	}()
	var from atomic.Int64
	from.Store(-1)
	var wg sync.WaitGroup
	wg.Go(func() { s.pump(ctx, cancel, out, in, s.To, from.Load) })
	br := bufio.NewReaderSize(in, 64<<10)
	f, ok := s.sender(br, out)
	if !ok {
		s.mu.Lock()
		s.plain++
		s.mu.Unlock()
		io.Copy(out, br)
		cancel()
		wg.Wait()
		return
	}
	from.Store(int64(f))
	s.pump(ctx, cancel, br, out, f, func() int64 { return int64(s.To) })
	wg.Wait()
}

// sender reads request heads until one names the sender, and returns its
// node, leaving that request unread. The requests before it, which must
// have no body, are copied to out as they are.
func (s *Streams) sender(br *bufio.Reader, out io.Writer) (int, bool) {
	for {
		head, ok := peekHead(br)
		if !ok {
			return 0, false
		}
		body := false
		for _, line := range strings.Split(string(head), "\r\n")[1:] {
			name, value, found := strings.Cut(line, ":")
			if !found {
				continue
			}
			name, value = strings.TrimSpace(name), strings.TrimSpace(value)
			switch {
			case strings.EqualFold(name, s.Header):
				return s.Who(value)
			case strings.EqualFold(name, "Transfer-Encoding"), strings.EqualFold(name, "Content-Length") && value != "0":
				body = true
			}
		}
		if body {
			return 0, false
		}
		n := len(head) + 4
		b, _ := br.Peek(n)
		if _, err := out.Write(b); err != nil {
			return 0, false
		}
		br.Discard(n)
	}
}

// peekHead returns the next request's head (up to its blank line),
// without consuming it.
func peekHead(br *bufio.Reader) ([]byte, bool) {
	for {
		b, err := br.Peek(max(br.Buffered(), 1)) // what has come (at least a byte)
		if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
			return b[:i], true
		}
		if err != nil || len(b) >= maxHead {
			return nil, false
		}
		if _, err := br.Peek(len(b) + 1); err != nil { // wait for more
			return nil, false
		}
	}
}

// pump carries the chunks read from r to w, each when the model's delay
// for the link from -> peer() has passed; while peer() is negative (the
// sender not yet known) chunks are written at once, untouched. A cut or a
// broken stream ends the connection (cancel).
func (s *Streams) pump(ctx context.Context, cancel context.CancelFunc, r io.Reader, w io.Writer, from int, peer func() int64) {
	sched := newSchedule(s.sh)
	var wg sync.WaitGroup
	wg.Go(func() {
		sched.run(ctx, func(f frame) {
			_, err := w.Write(f.payload)
			lateUS := s.sh.NowUS() - f.atUS
			s.update(from, f.to, func(st *Stats) { st.delivered(err == nil, lateUS) })
			if err != nil {
				cancel()
			}
		})
	})
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			to := int(peer())
			if to < 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					cancel()
					break
				}
			} else {
				nowUS, delayUS, fate := s.sh.transmit(from, to, s.Class)
				s.update(from, to, func(st *Stats) { st.count(fate) })
				if fate != sim.Delivered {
					cancel()
					break
				}
				sched.add(frame{atUS: nowUS + delayUS, class: byte(s.Class), to: to, payload: bytes.Clone(buf[:n])})
			}
		}
		if err != nil {
			// The sender finished: what is queued still goes out, then the
			// connection ends. ctx ends the wait early.
			sched.drain(ctx)
			cancel()
			break
		}
	}
	wg.Wait()
}
