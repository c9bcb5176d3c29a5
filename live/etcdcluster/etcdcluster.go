// Package etcdcluster runs a real etcd cluster on loopback for the live
// mode's etcd target (issue 15): one etcd server process per member (the
// binary 'make etcd' builds at the pinned version), started, crashed
// (SIGKILL) and restarted from its data directory through live/procs, and
// its Raft state changes read from each member's structured (JSON) log:
// election timeouts, pre-candidate, candidate, leader and follower, with
// their terms and the log's microsecond timestamps.
//
// What it measures is wall-clock: the cluster's timings are those of real
// processes on this machine, scheduling noise included.
package etcdcluster

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ballast-bench/ballast/live/procs"
)

// Options say what cluster to run.
type Options struct {
	Binary      string // the etcd binary
	Dir         string // data directories and logs go under it
	Members     int
	HeartbeatMS int  // etcd's --heartbeat-interval
	ElectionMS  int  // etcd's --election-timeout
	PreVote     bool // etcd's --pre-vote
	// Advertise, if set, are the peer URLs the members are known by (one
	// per member): the addresses of proxies that forward to PeerURL(i),
	// so that the peers' traffic crosses a modelled network.
	Advertise []string
}

// Kind is a Raft state change of a member, as its log says it.
type Kind uint8

const (
	Timeout      Kind = iota + 1 // "is starting a new election at term T"
	PreCandidate                 // "became pre-candidate at term T"
	Candidate                    // "became candidate at term T"
	Leader                       // "became leader at term T"
	Follower                     // "became follower at term T"
	// Votes: Peer is the candidate for a grant or a denial (logged by the
	// voter), the voter for a response (logged by the candidate).
	PreVoteGrant // "cast MsgPreVote for P"
	VoteGrant    // "cast MsgVote for P"
	PreVoteDeny  // "rejected MsgPreVote from P"
	VoteDeny     // "rejected MsgVote from P"
	PreVoteResp  // "received MsgPreVoteResp [rejection] from P"; Granted unless a rejection
	VoteResp     // "received MsgVoteResp [rejection] from P"
)

var kindNames = map[Kind]string{Timeout: "timeout", PreCandidate: "pre-candidate", Candidate: "candidate", Leader: "leader", Follower: "follower",
	PreVoteGrant: "prevote-grant", VoteGrant: "vote-grant", PreVoteDeny: "prevote-deny", VoteDeny: "vote-deny", PreVoteResp: "prevote-resp", VoteResp: "vote-resp"}

func (k Kind) String() string { return kindNames[k] }

// Event is one state change or vote of one member.
type Event struct {
	At      time.Time // the log line's timestamp
	Member  int
	Kind    Kind
	Term    uint64
	PeerID  string // votes: the other member's id, as logged
	Peer    int    // its member, -1 if unknown (filled by Events)
	Granted bool   // responses: granted, not a rejection
}

// raftLine matches the messages of etcd's raft logger that are state
// changes; the first group is the member's id, the last the term.
var raftLine = regexp.MustCompile(`^([0-9a-f]+) (is starting a new election|became pre-candidate|became candidate|became leader|became follower) at term (\d+)$`)

// voteLine matches a voter's grant or denial; responseLine a candidate's
// receipt of an answer.
var (
	voteLine     = regexp.MustCompile(`^([0-9a-f]+) \[logterm: \d+, index: \d+, vote: [0-9a-f]+\] (cast|rejected) (MsgPreVote|MsgVote) (?:for|from) ([0-9a-f]+) \[logterm: \d+, index: \d+\] at term (\d+)$`)
	responseLine = regexp.MustCompile(`^([0-9a-f]+) received (MsgPreVoteResp|MsgVoteResp)( rejection)? from ([0-9a-f]+) at term (\d+)$`)
)

var phraseKinds = map[string]Kind{
	"is starting a new election": Timeout, "became pre-candidate": PreCandidate,
	"became candidate": Candidate, "became leader": Leader, "became follower": Follower,
}

// logLine is the part of a line of etcd's JSON log that is read.
type logLine struct {
	Level  string `json:"level"`
	TS     string `json:"ts"`
	Logger string `json:"logger"`
	Msg    string `json:"msg"`
}

// parse reads one log line; ok is false for a line that is not a state
// change.
func parse(line []byte, member int) (ev Event, ok bool, err error) {
	var l logLine
	if json.Unmarshal(line, &l) != nil || l.Logger != "raft" {
		return ev, false, nil
	}
	ev = Event{Member: member, Peer: -1}
	var termText string
	if m := raftLine.FindStringSubmatch(l.Msg); m != nil {
		ev.Kind, termText = phraseKinds[m[2]], m[3]
	} else if m := voteLine.FindStringSubmatch(l.Msg); m != nil {
		pre := m[3] == "MsgPreVote"
		switch {
		case m[2] == "cast" && pre:
			ev.Kind = PreVoteGrant
		case m[2] == "cast":
			ev.Kind = VoteGrant
		case pre:
			ev.Kind = PreVoteDeny
		default:
			ev.Kind = VoteDeny
		}
		ev.PeerID, termText = m[4], m[5]
	} else if m := responseLine.FindStringSubmatch(l.Msg); m != nil {
		ev.Kind = VoteResp
		if m[2] == "MsgPreVoteResp" {
			ev.Kind = PreVoteResp
		}
		if m[4] == m[1] {
			return Event{}, false, nil // its own vote: counted when it became candidate
		}
		ev.Granted, ev.PeerID, termText = m[3] == "", m[4], m[5]
	} else {
		return Event{}, false, nil
	}
	at, err := time.Parse(time.RFC3339Nano, l.TS)
	if err != nil {
		return ev, false, fmt.Errorf("member %d: log timestamp %q: %w", member, l.TS, err)
	}
	term, err := strconv.ParseUint(termText, 10, 64)
	if err != nil {
		return ev, false, fmt.Errorf("member %d: term %q: %w", member, termText, err)
	}
	ev.At, ev.Term = at, term
	return ev, true, nil
}

// raftID is the member id a line of the raft logger starts its message
// with.
func raftID(line []byte) (string, bool) {
	var l logLine
	if json.Unmarshal(line, &l) != nil || l.Logger != "raft" {
		return "", false
	}
	id, _, ok := strings.Cut(l.Msg, " ")
	if !ok || strings.Trim(id, "0123456789abcdef") != "" {
		return "", false
	}
	return id, true
}

// Binary is bin/etcd at the root of the module the working directory is
// in, where 'make etcd' builds it; an error says how to get it.
func Binary() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			p := filepath.Join(d, "bin", "etcd")
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("no %s: 'make etcd' builds it", p)
			}
			return p, nil
		}
	}
	return "", fmt.Errorf("no go.mod above %s: bin/etcd is looked for at the module root", wd)
}

// Cluster is a running etcd cluster.
type Cluster struct {
	opt     Options
	clients []string // client URLs
	peers   []string // peer URLs the members listen on
	g       *procs.Group
	logs    []*os.File
	pipes   []*io.PipeWriter // each member's stderr, over its restarts

	mu     sync.Mutex
	ids    map[string]int // member id (hex, as its log writes it) -> member
	events []Event
	errs   []error
	wg     sync.WaitGroup
}

// freePort asks the kernel for a free loopback port. etcd binds its own
// ports, so the port is free when chosen and taken by etcd a moment later:
// another program could take it in between, and Start then fails with the
// member's log naming it.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Start starts every member.
func Start(opt Options) (*Cluster, error) {
	if st, err := os.Stat(opt.Binary); err != nil || st.IsDir() {
		return nil, fmt.Errorf("etcd binary %s: not found; allowed: a built etcd ('make etcd' puts it in bin/etcd)", opt.Binary)
	}
	if opt.Members < 1 || opt.HeartbeatMS < 1 || opt.ElectionMS < 5*opt.HeartbeatMS {
		return nil, fmt.Errorf("members %d, heartbeat %d ms, election %d ms: allowed: at least one member, a positive heartbeat and an election timeout of at least 5 heartbeats (etcd refuses less)",
			opt.Members, opt.HeartbeatMS, opt.ElectionMS)
	}
	if opt.Advertise != nil && len(opt.Advertise) != opt.Members {
		return nil, fmt.Errorf("advertise: %d peer URLs for %d members; allowed: one per member", len(opt.Advertise), opt.Members)
	}
	c := &Cluster{opt: opt, ids: map[string]int{}}
	peers := make([]string, opt.Members)
	var initial []string
	for i := range opt.Members {
		cp, err := freePort()
		if err != nil {
			return nil, err
		}
		pp, err := freePort()
		if err != nil {
			return nil, err
		}
		c.clients = append(c.clients, fmt.Sprintf("http://127.0.0.1:%d", cp))
		peers[i] = fmt.Sprintf("http://127.0.0.1:%d", pp)
	}
	c.peers = peers
	advertise := peers
	if opt.Advertise != nil {
		advertise = opt.Advertise
	}
	for i := range opt.Members {
		initial = append(initial, fmt.Sprintf("m%d=%s", i, advertise[i]))
	}
	var specs []procs.Spec
	for i := range opt.Members {
		logf, err := os.Create(filepath.Join(opt.Dir, fmt.Sprintf("m%d.log", i)))
		if err != nil {
			c.closeLogs()
			return nil, err
		}
		c.logs = append(c.logs, logf)
		specs = append(specs, procs.Spec{
			Path: opt.Binary,
			Args: []string{
				"--name", fmt.Sprintf("m%d", i), "--data-dir", filepath.Join(opt.Dir, fmt.Sprintf("m%d.etcd", i)),
				"--listen-client-urls", c.clients[i], "--advertise-client-urls", c.clients[i],
				"--listen-peer-urls", peers[i], "--initial-advertise-peer-urls", advertise[i],
				"--initial-cluster", strings.Join(initial, ","), "--initial-cluster-state", "new",
				"--heartbeat-interval", strconv.Itoa(opt.HeartbeatMS), "--election-timeout", strconv.Itoa(opt.ElectionMS),
				"--pre-vote=" + strconv.FormatBool(opt.PreVote),
				"--log-level", "info", "--logger", "zap", "--log-outputs", "stderr",
			},
			Stderr: c.parser(i, logf),
		})
	}
	c.g = procs.NewGroup(specs)
	for i := range opt.Members {
		if err := c.g.Start(i); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// parser returns the writer member i's stderr goes to: every line is kept
// in its log file and the state changes are parsed.
func (c *Cluster) parser(i int, logf *os.File) io.Writer {
	pr, pw := io.Pipe()
	c.pipes = append(c.pipes, pw)
	c.wg.Go(func() {
		r := bufio.NewReaderSize(pr, 64<<10)
		for {
			line, err := r.ReadBytes('\n')
			if len(line) > 0 {
				logf.Write(line)
				ev, ok, perr := parse(line, i)
				id, isRaft := raftID(line)
				c.mu.Lock()
				if isRaft {
					c.ids[id] = i
				}
				if perr != nil {
					c.errs = append(c.errs, perr)
				}
				if ok {
					c.events = append(c.events, ev)
				}
				c.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	})
	return pw
}

// Events returns the state changes and votes seen so far, in the order
// read (each member's in its log's order), each vote's Peer filled in.
func (c *Cluster) Events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]Event(nil), c.events...)
	for i := range out {
		if p, ok := c.ids[out[i].PeerID]; ok && out[i].PeerID != "" {
			out[i].Peer = p
		}
	}
	return out
}

// Term is the highest term member i's log has shown so far: its current
// term (persistent: it survives a restart).
func (c *Cluster) Term(i int) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := uint64(0)
	for _, e := range c.events {
		if e.Member == i && e.Kind <= Follower {
			t = max(t, e.Term)
		}
	}
	return t
}

// Leader is the member that most recently became leader at the highest
// term seen among the running members, and that term; -1 if none.
func (c *Cluster) Leader() (member int, term uint64) {
	member = -1
	for _, e := range c.Events() {
		if e.Kind == Leader && e.Term >= term && c.g.Alive(e.Member) {
			member, term = e.Member, e.Term
		}
	}
	return member, term
}

// WaitLeader waits up to timeout for a leader at a term above after.
func (c *Cluster) WaitLeader(after uint64, timeout time.Duration) (member int, term uint64, err error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if m, t := c.Leader(); m >= 0 && t > after {
			return m, t, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return -1, 0, fmt.Errorf("no leader above term %d within %v (logs in %s)", after, timeout, c.opt.Dir)
}

// PeerURL is the URL member i listens on for its peers.
func (c *Cluster) PeerURL(i int) string { return c.peers[i] }

// Member is the member whose log writes id (hex), once it has logged.
func (c *Cluster) Member(id string) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.ids[id]
	return i, ok
}

// Kill crashes member i (SIGKILL).
func (c *Cluster) Kill(i int) error { return c.g.Kill(i) }

// Restart starts member i again from its data directory.
func (c *Cluster) Restart(i int) error { return c.g.Start(i) }

// Pause stops member i (SIGSTOP); Resume continues it.
func (c *Cluster) Pause(i int) error { return c.g.Pause(i) }

// Resume continues member i after Pause.
func (c *Cluster) Resume(i int) error { return c.g.Resume(i) }

// Pid is member i's process id (0 when down).
func (c *Cluster) Pid(i int) int { return c.g.Pid(i) }

// Close kills every member and returns the first log line that could not
// be read, if any.
func (c *Cluster) Close() error {
	var err error
	if c.g != nil {
		err = c.g.Close()
	}
	c.closeLogs()
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Join(append([]error{err}, c.errs...)...)
}

// closeLogs ends the parsers (every process is gone: nothing writes to the
// pipes any more) and closes the log files.
func (c *Cluster) closeLogs() {
	for _, pw := range c.pipes {
		pw.Close()
	}
	c.wg.Wait()
	for _, f := range c.logs {
		f.Close()
	}
}
