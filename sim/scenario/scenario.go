// Package scenario defines what a simulation faces: the cluster, Raft
// settings, the network model (per-link delay, loss, regimes, correlated
// bursts), node heterogeneity, processing pauses, partitions and crashes. Scenarios are YAML
// files (configs/scenarios/) decoded strictly; every time-valued field has
// its unit in its name.
//
// Timeline turns a scenario and a seed into the injected events of a run.
// It draws only from the seed's timeline stream and its per-node pause
// streams, before the run starts, so every policy (and both engines) sees
// the same injected events for the same seed.
package scenario

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/ballast-bench/ballast/internal/configfile"
	"github.com/ballast-bench/ballast/sim/dist"
	"github.com/ballast-bench/ballast/sim/measured"
)

// Scenario is one scenario file.
type Scenario struct {
	Name        string       `yaml:"name"`
	Description string       `yaml:"description"`
	Nodes       int          `yaml:"nodes"`
	DurationS   float64      `yaml:"duration_s"`
	Raft        Raft         `yaml:"raft"`
	Network     Network      `yaml:"network"`
	Processing  []Processing `yaml:"processing,omitempty"`
	// Pauses is left out of the JSON form when empty (omitempty) so that
	// adding it kept every existing scenario's Hash, and every run ID.
	Pauses     []Pause     `yaml:"pauses,omitempty" json:",omitempty"`
	Partitions []Partition `yaml:"partitions,omitempty"`
	Crashes    []Crash     `yaml:"crashes,omitempty"`
	// The keys below model what real deployments do (docs/scenarios.md,
	// "Real deployments"). Each is left out of the JSON form when absent
	// (omitempty), so that adding it kept every existing scenario's Hash,
	// and with it every run ID.
	//
	// NodesTimerJitter: every timer of every node (election, heartbeat,
	// the protocol's own) fires late by a draw of it: OS scheduling and GC
	// delay a timer's goroutine, independently of message handling.
	NodesTimerJitter *dist.Spec `yaml:"nodes_timer_jitter,omitempty" json:",omitempty"`
	// Storage: the fsync on the election path.
	Storage *Storage `yaml:"storage,omitempty" json:",omitempty"`

	// readFile reads a file the scenario names (a trace, samples),
	// relative to the scenario file; nil: the scenario names no files.
	readFile func(name string) ([]byte, error)
}

// Storage is each node's stable storage: a node persists its term, vote
// and new log entries before the messages that depend on them leave (a
// candidate's vote requests, a vote grant, an acknowledgement of new
// entries), one fsync draw later. A node's disk syncs one write at a
// time, with group commit: writes that come while an fsync runs wait and
// share the next one. Heartbeats without entries, and pre-vote requests
// and answers (no state changes), never wait.
type Storage struct {
	// Fsync is every node's fsync latency (ms).
	Fsync *dist.Spec `yaml:"fsync"`
	// Nodes overrides it for single nodes (a slow disk).
	Nodes []NodeFsync `yaml:"nodes,omitempty" json:",omitempty"`
}

// NodeFsync is one node's fsync latency.
type NodeFsync struct {
	Node  int       `yaml:"node"`
	Fsync dist.Spec `yaml:"fsync"`
}

// FsyncSpec is node n's fsync latency (nil: no storage is modelled).
func (s *Scenario) FsyncSpec(n int) *dist.Spec {
	if s.Storage == nil {
		return nil
	}
	for i := range s.Storage.Nodes {
		if s.Storage.Nodes[i].Node == n {
			return &s.Storage.Nodes[i].Fsync
		}
	}
	return s.Storage.Fsync
}

// Raft holds protocol settings shared by all policies.
type Raft struct {
	HeartbeatMS float64 `yaml:"heartbeat_ms"`
	PreVote     bool    `yaml:"pre_vote"`
	CheckQuorum bool    `yaml:"check_quorum"`
	// LeaseMS is the untuned election timeout that CheckQuorum uses: a
	// leader steps down when a quorum was not active within it, and a
	// follower that heard its leader within it ignores (pre-)vote requests.
	// Default 150 ms, the lower end of standard Raft's range.
	LeaseMS *float64 `yaml:"lease_ms,omitempty"`
	// ProposalIntervalMS: the leader appends one log entry every this many
	// ms (0: none besides the no-op each new leader appends). Followers that
	// miss appends fall behind and cannot win elections.
	ProposalIntervalMS float64 `yaml:"proposal_interval_ms,omitempty"`
	// ProposalBytes is the payload size of each workload proposal
	// (default DefaultProposalBytes). The etcd engine proposes real entries
	// of this size through raft; the fast model has no payloads and ignores
	// it. Neither engine models bandwidth, so the size never changes a delay.
	//
	// The two etcd-engine fields are left out of the JSON form when unset
	// (omitempty) so that adding them kept every existing scenario's Hash,
	// and with it every run ID, unchanged.
	ProposalBytes *int `yaml:"proposal_bytes,omitempty" json:",omitempty"`
	// VoteLease says how a non-leader's CheckQuorum vote lease ages on the
	// etcd engine (it only matters with check_quorum): VoteLeaseFixed (the
	// default, what etcd does: the lease ends lease_ms after raft last
	// zeroed the node's election clock) or VoteLeaseOwnTimer (the node keeps
	// trusting its leader until its own election timer fires). The fast
	// model always uses a fixed lease from the last leader contact and
	// ignores this field.
	VoteLease string `yaml:"vote_lease,omitempty" json:",omitempty"`
	// TimerReset says when a node resets its election timer: TimerResetEtcd
	// (the default) or TimerResetPaper (docs/scenarios.md).
	TimerReset string `yaml:"timer_reset,omitempty" json:",omitempty"`
}

// The timer_reset values.
const (
	// TimerResetEtcd: on becoming follower, pre-candidate or candidate
	// (any term or state change), on granting a vote, and on an append or
	// heartbeat from the current leader (etcd/raft's reset()).
	TimerResetEtcd = "etcd"
	// TimerResetPaper: only on an append or heartbeat from the current
	// leader, on granting a vote and on starting an election (Raft paper,
	// Figure 2; LogCabin); stepping down keeps the running timer, and a
	// leader stepping down, which has none, arms one.
	TimerResetPaper = "paper"
)

// PaperTimerReset reports whether the scenario uses the paper's rule.
func (s *Scenario) PaperTimerReset() bool { return s.Raft.TimerReset == TimerResetPaper }

// The vote_lease values.
const (
	VoteLeaseFixed    = "fixed"
	VoteLeaseOwnTimer = "own_timer"
)

// DefaultProposalBytes is the workload's payload size when a scenario sets
// none: the BALLAST prototype's "256 B payload" (section A.5).
const DefaultProposalBytes = 256

// maxProposalBytes bounds proposal_bytes: raft carries each entry in memory
// for the whole run, and the network has no bandwidth to make size matter.
const maxProposalBytes = 1 << 20

// VoteLeaseMode is Raft.VoteLease with its default applied.
func (s *Scenario) VoteLeaseMode() string {
	if s.Raft.VoteLease == "" {
		return VoteLeaseFixed
	}
	return s.Raft.VoteLease
}

// ProposalPayloadBytes is Raft.ProposalBytes with its default applied.
func (s *Scenario) ProposalPayloadBytes() int {
	if s.Raft.ProposalBytes == nil {
		return DefaultProposalBytes
	}
	return *s.Raft.ProposalBytes
}

// Network is the link model.
type Network struct {
	// Regions optionally names each node's region; RegionPairs then sets
	// link parameters per pair of regions.
	Regions     []string     `yaml:"regions,omitempty"`
	Default     Link         `yaml:"default"`
	RegionPairs []RegionPair `yaml:"region_pairs,omitempty"`
	Links       []LinkRule   `yaml:"links,omitempty"`
	Regimes     []Regime     `yaml:"regimes,omitempty"`
	Bursts      *Bursts      `yaml:"bursts,omitempty"`
	// Transport says which message classes travel as datagrams (today's
	// model: each message independently delayed or lost) and which on a
	// stream (TCP); RTOMS is the stream's first retransmission timeout.
	// Both are left out of the JSON form when absent, so that every
	// existing scenario keeps its hash.
	Transport *Transport `yaml:"transport,omitempty" json:",omitempty"`
	RTOMS     *float64   `yaml:"rto_ms,omitempty" json:",omitempty"`
}

// The transports.
const (
	Datagram = "datagram"
	Stream   = "stream"
)

// DefaultRTOMS is a stream's first retransmission timeout: Linux's minimum
// RTO (TCP_RTO_MIN, 200 ms), which a loss on a LAN or WAN path with a
// short round trip always gets.
const DefaultRTOMS = 200

// Transport is a transport per message class; YAML accepts one word for
// every class ("transport: stream") or a map with a default and
// per-class overrides ("transport: {default: stream, heartbeat: datagram}").
// Classes: vote (pre-votes, votes and their answers), heartbeat
// (heartbeats and their answers; in the fast model also the appends,
// which ride on its heartbeats), append (the etcd engine's MsgApp and its
// answers).
type Transport struct {
	Default   string `yaml:"default,omitempty" json:",omitempty"`
	Vote      string `yaml:"vote,omitempty" json:",omitempty"`
	Heartbeat string `yaml:"heartbeat,omitempty" json:",omitempty"`
	Append    string `yaml:"append,omitempty" json:",omitempty"`
}

// UnmarshalYAML accepts a word or a map of the classes.
func (t *Transport) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		t.Default = n.Value
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &configfile.FieldError{Line: n.Line, Column: n.Column, Msg: "not a transport; allowed: datagram, stream, or a map {default, vote, heartbeat, append} of them"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var dst *string
		switch k.Value {
		case "default":
			dst = &t.Default
		case "vote":
			dst = &t.Vote
		case "heartbeat":
			dst = &t.Heartbeat
		case "append":
			dst = &t.Append
		default:
			return &configfile.FieldError{Line: k.Line, Column: k.Column, Msg: fmt.Sprintf("unknown message class %q; allowed: default, vote, heartbeat, append", k.Value)}
		}
		if v.Kind != yaml.ScalarNode {
			return &configfile.FieldError{Line: v.Line, Column: v.Column, Msg: "not a transport; allowed: datagram, stream"}
		}
		*dst = v.Value
	}
	return nil
}

// Streams reports, for the vote, heartbeat and append classes, whether
// each travels on a stream.
func (s *Scenario) Streams() (vote, heartbeat, appendClass bool) {
	t := s.Network.Transport
	if t == nil {
		return false, false, false
	}
	is := func(class string) bool {
		if class == "" {
			class = t.Default
		}
		return class == Stream
	}
	return is(t.Vote), is(t.Heartbeat), is(t.Append)
}

// RTOUS is the stream's first retransmission timeout in µs.
func (s *Scenario) RTOUS() int64 {
	if s.Network.RTOMS != nil {
		return msToUS(*s.Network.RTOMS)
	}
	return DefaultRTOMS * 1000
}

// Link parameters: one-way delay = base_delay_ms + a draw of jitter; each
// message is lost with probability loss. Absent fields inherit from the
// layer below (default < region pair < link rule).
type Link struct {
	BaseDelayMS *float64   `yaml:"base_delay_ms,omitempty"`
	Jitter      *dist.Spec `yaml:"jitter,omitempty"`
	Loss        *float64   `yaml:"loss,omitempty"`
	// Trace: a measured one-way delay (and loss) over time, a trace file
	// of package sim/measured named relative to the scenario file, in
	// place of base_delay_ms (and of loss, if it has a loss column), read
	// step-wise; jitter still adds to it and a regime's delay_scale scales
	// it. TraceEnd says what holds past its last row: TraceHold (the
	// default) or TraceRepeat (it loops, its last row's time the period).
	// TraceSHA pins the file's content in the scenario's identity. The
	// fields stay out of the JSON form when absent.
	Trace    string          `yaml:"trace,omitempty" json:",omitempty"`
	TraceEnd string          `yaml:"trace_end,omitempty" json:",omitempty"`
	TraceSHA string          `yaml:"-" json:",omitempty"`
	Measured *measured.Trace `yaml:"-" json:"-"`
}

// The trace_end values.
const (
	TraceHold   = "hold"
	TraceRepeat = "repeat"
)

// RegionPair sets link parameters between two regions, both directions.
type RegionPair struct {
	Regions [2]string `yaml:"regions"`
	Link    `yaml:",inline"`
}

// LinkRule sets parameters of one directed link.
type LinkRule struct {
	From int `yaml:"from"`
	To   int `yaml:"to"`
	Link `yaml:",inline"`
}

// Regime is one piece of a piecewise link schedule, in force from AtS until
// the next regime. Its fields override the default layer; DelayScale then
// multiplies every link's delay. Oracle policies may read the regime ID.
type Regime struct {
	AtS        float64  `yaml:"at_s"`
	ID         int      `yaml:"id"`
	DelayScale *float64 `yaml:"delay_scale,omitempty"`
	Link       `yaml:",inline"`
}

// Bursts is a two-state Gilbert-Elliott process over time: good periods
// last Exp(mean_good_s), bad ones Exp(mean_bad_ms). In a bad period the
// chosen links (all by default) lose each message with probability loss, in
// addition to their own loss, and add a draw of extra_delay.
type Bursts struct {
	MeanGoodS  float64    `yaml:"mean_good_s"`
	MeanBadMS  float64    `yaml:"mean_bad_ms"`
	Loss       float64    `yaml:"loss"`
	ExtraDelay *dist.Spec `yaml:"extra_delay,omitempty"`
	Links      [][2]int   `yaml:"links,omitempty"`
}

// Processing adds a per-message handling delay at one node (heterogeneity:
// slow followers, noisy neighbours).
type Processing struct {
	Node  int       `yaml:"node"`
	Delay dist.Spec `yaml:"delay"`
}

// Pause is a process of processing pauses (GC-like stalls) on each of the
// listed nodes (every node when Nodes is left out), drawn independently per
// node: the first pause starts one Gap draw after the run starts, lasts one
// Duration draw, and each further pause starts one Gap draw after the end
// of the previous one. Both are delay distributions in ms (package
// sim/dist). During a pause the node handles no message and fires no timer;
// what arrives waits in its inbox until the pause ends (docs/scenarios.md
// gives the exact rules, docs/engines.md how each engine realises them).
// A node is in at most one entry, so its pauses never overlap.
type Pause struct {
	Nodes    []int      `yaml:"nodes,omitempty"`
	Gap      *dist.Spec `yaml:"gap"`
	Duration *dist.Spec `yaml:"duration"`
}

// PausedNodes returns the nodes p pauses: Nodes, or every node of an
// n-node cluster if it is left out.
func (p *Pause) PausedNodes(n int) []int {
	if p.Nodes != nil {
		return p.Nodes
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return all
}

// Partition cuts the cluster into groups for an interval. Exactly one of
// Groups, Isolate or IsolateLeader says who is cut off; nodes in no group
// form one more group together.
type Partition struct {
	AtS           float64     `yaml:"at_s"`
	DurationS     float64     `yaml:"duration_s"`
	Groups        [][]int     `yaml:"groups,omitempty"`
	Isolate       []int       `yaml:"isolate,omitempty"`
	IsolateLeader bool        `yaml:"isolate_leader,omitempty"`
	Repeat        *Repeat     `yaml:"repeat,omitempty"`
	Turbulence    *Turbulence `yaml:"turbulence,omitempty"`
}

// Turbulence follows a partition's heal: for DurationMS every link adds a
// draw of ExtraDelay and loses messages with probability Loss.
type Turbulence struct {
	DurationMS float64    `yaml:"duration_ms"`
	ExtraDelay *dist.Spec `yaml:"extra_delay,omitempty"`
	Loss       float64    `yaml:"loss,omitempty"`
}

// Crash stops a node (its term, vote and log survive) and optionally
// restarts it. Node is a node index or "leader" (the node leading when the
// crash fires; none is crashed if there is no leader then).
type Crash struct {
	Node           string   `yaml:"node"`
	AtS            float64  `yaml:"at_s"`
	RestartAfterMS *float64 `yaml:"restart_after_ms,omitempty"`
	// Phase "heartbeat" shifts each crash by a uniform draw in [0, heartbeat)
	// so crashes do not align with the leader's heartbeat schedule.
	Phase  string  `yaml:"phase,omitempty"`
	Repeat *Repeat `yaml:"repeat,omitempty"`
	// Mode CrashSleep pauses the node instead (the pause semantics of
	// docs/scenarios.md: it handles nothing, its inbox is kept and handled
	// on waking) until restart_after_ms, or the run's end without it: a
	// container put to sleep, as Dynatune's failed leader was.
	Mode string `yaml:"mode,omitempty" json:",omitempty"`
	// LaggingFollowers K: the crashed leader's last entry reached only
	// N-1-K followers. At the crash it makes one more proposal and sends
	// it to every follower, but the appends to K of them (a uniform draw
	// among the other nodes, from the run's lagging stream) are lost:
	// those K are one entry behind and cannot win while an up-to-date
	// node is alive. Uncommitted allows a K that leaves the entry on no
	// majority.
	LaggingFollowers int  `yaml:"lagging_followers,omitempty" json:",omitempty"`
	Uncommitted      bool `yaml:"uncommitted,omitempty" json:",omitempty"`
}

// The crash modes.
const (
	CrashStop  = "crash" // the default: the process dies, its volatile state is lost
	CrashSleep = "sleep"
)

// Repeat fires an injected event Count times, EveryS apart.
type Repeat struct {
	Count  int     `yaml:"count"`
	EveryS float64 `yaml:"every_s"`
}

// DefaultLeaseMS is the CheckQuorum lease when a scenario sets none (ours:
// the lower end of standard Raft's 150-300 ms range).
const DefaultLeaseMS = 150

// LeaderTarget is the Crash.Node value that targets the current leader.
const LeaderTarget = "leader"

// CrashNode parses a Crash.Node: the node index, or -1 for the leader.
func (c *Crash) CrashNode() int {
	if c.Node == LeaderTarget {
		return -1
	}
	n, _ := strconv.Atoi(c.Node)
	return n
}

// Hash is a content hash of the scenario (hex SHA-256 of its canonical JSON
// form, first 16 characters): equal scenarios hash equal whatever their
// formatting or comments.
func (s *Scenario) Hash() string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // only plain data: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:16]
}

// LeaseUS is the CheckQuorum lease in µs.
func (s *Scenario) LeaseUS() int64 {
	if s.Raft.LeaseMS != nil {
		return msToUS(*s.Raft.LeaseMS)
	}
	return DefaultLeaseMS * 1000
}

// DurationUS is the run length in µs.
func (s *Scenario) DurationUS() int64 { return int64(math.Round(s.DurationS * 1e6)) }

// HeartbeatUS is the base heartbeat interval in µs.
func (s *Scenario) HeartbeatUS() int64 { return msToUS(s.Raft.HeartbeatMS) }

func msToUS(ms float64) int64 { return int64(math.Round(ms * 1000)) }

// Validate implements configfile.Validator. It first reads the files the
// scenario names (traces, samples), so that they are checked with it.
func (s *Scenario) Validate() *configfile.FieldError {
	if fe := s.readFiles(); fe != nil {
		return fe
	}
	e := configfile.Errorf
	if s.Name == "" {
		return e("name", "missing; allowed: a short identifier such as wan_main")
	}
	if s.Nodes < 1 || s.Nodes > 1000 {
		return e("nodes", "%d is not allowed; allowed: an integer in [1, 1000]", s.Nodes)
	}
	if !finite(s.DurationS) || s.DurationS <= 0 || s.DurationS > maxDurationS {
		return e("duration_s", "%v is not allowed; allowed: seconds in (0, 1000000]", s.DurationS)
	}
	if fe := interval("raft.heartbeat_ms", s.Raft.HeartbeatMS, false); fe != nil {
		return fe
	}
	if s.Raft.LeaseMS != nil {
		if fe := interval("raft.lease_ms", *s.Raft.LeaseMS, false); fe != nil {
			return fe
		}
	}
	if fe := interval("raft.proposal_interval_ms", s.Raft.ProposalIntervalMS, true); fe != nil {
		return fe
	}
	if b := s.Raft.ProposalBytes; b != nil && (*b < 0 || *b > maxProposalBytes) {
		return e("raft.proposal_bytes", "%d is not allowed; allowed: bytes in [0, %d]", *b, maxProposalBytes)
	}
	switch s.Raft.VoteLease {
	case "", VoteLeaseFixed, VoteLeaseOwnTimer:
	default:
		return e("raft.vote_lease", "%q is not allowed; allowed: %s (default), %s", s.Raft.VoteLease, VoteLeaseFixed, VoteLeaseOwnTimer)
	}
	switch s.Raft.TimerReset {
	case "", TimerResetEtcd, TimerResetPaper:
	default:
		return e("raft.timer_reset", "%q is not allowed; allowed: %s (default), %s", s.Raft.TimerReset, TimerResetEtcd, TimerResetPaper)
	}
	if s.NodesTimerJitter != nil {
		if fe := s.NodesTimerJitter.Validate("nodes_timer_jitter"); fe != nil {
			return fe
		}
	}
	if fe := s.validateStorage(); fe != nil {
		return fe
	}
	if fe := s.validateNetwork(); fe != nil {
		return fe
	}
	procSeen := map[int]int{}
	for i := range s.Processing {
		p := &s.Processing[i]
		path := fmt.Sprintf("processing[%d]", i)
		if fe := s.node(path+".node", p.Node); fe != nil {
			return fe
		}
		if j, dup := procSeen[p.Node]; dup {
			return e(path+".node", "node %d already has a processing delay at processing[%d]; allowed: one entry per node (use a mixture for several delay sources)", p.Node, j)
		}
		procSeen[p.Node] = i
		if fe := p.Delay.Validate(path + ".delay"); fe != nil {
			return fe
		}
	}
	if fe := s.validatePauses(); fe != nil {
		return fe
	}
	if fe := s.validatePartitions(); fe != nil {
		return fe
	}
	for _, l := range []struct {
		path string
		n    int
	}{{"crashes", len(s.Crashes)}, {"partitions", len(s.Partitions)}, {"network.regimes", len(s.Network.Regimes)}, {"network.links", len(s.Network.Links)}} {
		if l.n > maxEntries {
			return e(l.path, "%d entries; allowed: at most %d (use repeat for periodic faults)", l.n, maxEntries)
		}
	}
	for i := range s.Crashes {
		c := &s.Crashes[i]
		path := fmt.Sprintf("crashes[%d]", i)
		if c.Node != LeaderTarget {
			n, err := strconv.Atoi(c.Node)
			if err != nil {
				return e(path+".node", "%q is not allowed; allowed: a node index in [0, %d] or %q", c.Node, s.Nodes-1, LeaderTarget)
			}
			if fe := s.node(path+".node", n); fe != nil {
				return fe
			}
		}
		if fe := s.time(path+".at_s", c.AtS); fe != nil {
			return fe
		}
		if c.RestartAfterMS != nil && (!finite(*c.RestartAfterMS) || *c.RestartAfterMS < minIntervalMS || *c.RestartAfterMS > maxAfterMS) {
			return e(path+".restart_after_ms", "%v is not allowed; allowed: milliseconds in [%v, %v], or leave it out to keep the node down", *c.RestartAfterMS, minIntervalMS, float64(maxAfterMS))
		}
		if k := c.LaggingFollowers; k != 0 {
			q := s.Nodes/2 + 1
			switch {
			case k < 0 || k > s.Nodes-1:
				return e(path+".lagging_followers", "%d is not allowed; allowed: followers in [0, %d] (nodes - 1)", k, s.Nodes-1)
			case k > s.Nodes-q && !c.Uncommitted:
				return e(path+".lagging_followers", "%d leaves the leader's last entry on %d of %d nodes, short of a majority (%d), so it was never committed; allowed: at most %d, or set uncommitted: true", k, s.Nodes-k, s.Nodes, q, s.Nodes-q)
			}
		}
		if c.Uncommitted && c.LaggingFollowers == 0 {
			return e(path+".uncommitted", "is set without lagging_followers; allowed: uncommitted: true only with lagging_followers > 0")
		}
		switch c.Mode {
		case "", CrashStop, CrashSleep:
		default:
			return e(path+".mode", "%q is not allowed; allowed: %s (default), %s", c.Mode, CrashStop, CrashSleep)
		}
		if c.Phase != "" && c.Phase != "heartbeat" {
			return e(path+".phase", "%q is not allowed; allowed: heartbeat, or leave it out", c.Phase)
		}
		if fe := s.validateRepeat(path+".repeat", c.Repeat); fe != nil {
			return fe
		}
	}
	return s.checkLimits()
}

func (s *Scenario) validateNetwork() *configfile.FieldError {
	e := configfile.Errorf
	n := &s.Network
	if n.Regions != nil && len(n.Regions) != s.Nodes {
		return e("network.regions", "has %d entries; allowed: exactly one region name per node (%d)", len(n.Regions), s.Nodes)
	}
	if n.Default.BaseDelayMS == nil && n.Default.Trace == "" {
		return e("network.default.base_delay_ms", "missing; allowed: milliseconds >= 0, or a trace")
	}
	if fe := validateLink("network.default", &n.Default); fe != nil {
		return fe
	}
	known := map[string]bool{}
	for _, r := range n.Regions {
		known[r] = true
	}
	for i := range n.RegionPairs {
		rp := &n.RegionPairs[i]
		path := fmt.Sprintf("network.region_pairs[%d]", i)
		for j, r := range rp.Regions {
			if !known[r] {
				return e(fmt.Sprintf("%s.regions[%d]", path, j), "unknown region %q; allowed: a name listed in network.regions", r)
			}
		}
		if fe := validateLink(path, &rp.Link); fe != nil {
			return fe
		}
	}
	for i := range n.Links {
		l := &n.Links[i]
		path := fmt.Sprintf("network.links[%d]", i)
		if fe := s.node(path+".from", l.From); fe != nil {
			return fe
		}
		if fe := s.node(path+".to", l.To); fe != nil {
			return fe
		}
		if l.From == l.To {
			return e(path+".to", "%d equals from; allowed: a different node", l.To)
		}
		if fe := validateLink(path, &l.Link); fe != nil {
			return fe
		}
	}
	prevS := -1.0
	for i := range n.Regimes {
		r := &n.Regimes[i]
		path := fmt.Sprintf("network.regimes[%d]", i)
		if r.Trace != "" || r.TraceEnd != "" {
			return e(path+".trace", "a regime cannot change the trace; allowed: a trace on network.default, a region pair or a link")
		}
		if fe := s.time(path+".at_s", r.AtS); fe != nil {
			return fe
		}
		if r.AtS <= prevS {
			return e(path+".at_s", "%v is not after the previous regime's %v; allowed: strictly increasing times", r.AtS, prevS)
		}
		prevS = r.AtS
		if r.ID < 0 || r.ID > 1000 {
			return e(path+".id", "%d is not allowed; allowed: an integer in [0, 1000]", r.ID)
		}
		if r.DelayScale != nil && (!finite(*r.DelayScale) || *r.DelayScale <= 0) {
			return e(path+".delay_scale", "%v is not allowed; allowed: a factor > 0", *r.DelayScale)
		}
		if fe := validateLink(path, &r.Link); fe != nil {
			return fe
		}
	}
	if t := n.Transport; t != nil {
		for _, c := range []struct{ path, v string }{{"default", t.Default}, {"vote", t.Vote}, {"heartbeat", t.Heartbeat}, {"append", t.Append}} {
			switch c.v {
			case "", Datagram, Stream:
			default:
				return e("network.transport."+c.path, "%q is not allowed; allowed: %s (default), %s", c.v, Datagram, Stream)
			}
		}
	}
	if n.RTOMS != nil {
		if fe := interval("network.rto_ms", *n.RTOMS, false); fe != nil {
			return fe
		}
	}
	if b := n.Bursts; b != nil {
		if !finite(b.MeanGoodS) || b.MeanGoodS < 1/usPerS || b.MeanGoodS > maxDurationS {
			return e("network.bursts.mean_good_s", "%v is not allowed; allowed: seconds in [0.000001, 1000000]", b.MeanGoodS)
		}
		if !finite(b.MeanBadMS) || b.MeanBadMS < minIntervalMS || b.MeanBadMS > maxAfterMS {
			return e("network.bursts.mean_bad_ms", "%v is not allowed; allowed: milliseconds in [%v, %v]", b.MeanBadMS, minIntervalMS, float64(maxAfterMS))
		}
		if fe := probability("network.bursts.loss", b.Loss); fe != nil {
			return fe
		}
		if b.ExtraDelay != nil {
			if fe := b.ExtraDelay.Validate("network.bursts.extra_delay"); fe != nil {
				return fe
			}
		}
		for i, l := range b.Links {
			path := fmt.Sprintf("network.bursts.links[%d]", i)
			if fe := s.node(path+"[0]", l[0]); fe != nil {
				return fe
			}
			if fe := s.node(path+"[1]", l[1]); fe != nil {
				return fe
			}
		}
	}
	return nil
}

func validateLink(path string, l *Link) *configfile.FieldError {
	if l.BaseDelayMS != nil && (!finite(*l.BaseDelayMS) || *l.BaseDelayMS < 0) {
		return configfile.Errorf(path+".base_delay_ms", "%v is not allowed; allowed: milliseconds >= 0", *l.BaseDelayMS)
	}
	if l.Trace != "" {
		if l.BaseDelayMS != nil {
			return configfile.Errorf(path+".trace", "is set with base_delay_ms; allowed: one of them (the trace is the base delay over time)")
		}
		if l.Measured == nil {
			return configfile.Errorf(path+".trace", "%s was not read; allowed: a trace file named relative to the scenario file", l.Trace)
		}
		if l.Loss != nil && l.Measured.HasLoss {
			return configfile.Errorf(path+".loss", "is set with a trace that has a loss column; allowed: one of them")
		}
	}
	switch l.TraceEnd {
	case "", TraceHold:
	case TraceRepeat:
		if l.Measured != nil && len(l.Measured.Points) < 2 {
			return configfile.Errorf(path+".trace_end", "repeat with a trace of one row; allowed: a trace of two rows or more (its last row's time is the period)")
		}
	default:
		return configfile.Errorf(path+".trace_end", "%q is not allowed; allowed: %s (default), %s", l.TraceEnd, TraceHold, TraceRepeat)
	}
	if l.TraceEnd != "" && l.Trace == "" {
		return configfile.Errorf(path+".trace_end", "is set without a trace; allowed: trace_end only with trace")
	}
	if l.Jitter != nil {
		if fe := l.Jitter.Validate(path + ".jitter"); fe != nil {
			return fe
		}
	}
	if l.Loss != nil {
		return probability(path+".loss", *l.Loss)
	}
	return nil
}

func (s *Scenario) validateStorage() *configfile.FieldError {
	st := s.Storage
	if st == nil {
		return nil
	}
	if st.Fsync == nil {
		return configfile.Errorf("storage.fsync", "missing; allowed: a distribution of the fsync latency, e.g. {dist: lognormal, median_ms: 2, sigma: 0.5}")
	}
	if fe := st.Fsync.Validate("storage.fsync"); fe != nil {
		return fe
	}
	seen := map[int]int{}
	for i := range st.Nodes {
		path := fmt.Sprintf("storage.nodes[%d]", i)
		if fe := s.node(path+".node", st.Nodes[i].Node); fe != nil {
			return fe
		}
		if j, dup := seen[st.Nodes[i].Node]; dup {
			return configfile.Errorf(path+".node", "node %d already has its fsync at storage.nodes[%d]; allowed: one entry per node", st.Nodes[i].Node, j)
		}
		seen[st.Nodes[i].Node] = i
		if fe := st.Nodes[i].Fsync.Validate(path + ".fsync"); fe != nil {
			return fe
		}
	}
	return nil
}

func (s *Scenario) validatePauses() *configfile.FieldError {
	e := configfile.Errorf
	seen := map[int]string{}
	for i := range s.Pauses {
		p := &s.Pauses[i]
		path := fmt.Sprintf("pauses[%d]", i)
		if p.Nodes != nil && len(p.Nodes) == 0 {
			return e(path+".nodes", "empty; allowed: one or more node indices, or leave nodes out to pause every node")
		}
		for k, n := range p.PausedNodes(s.Nodes) {
			where := path
			if p.Nodes != nil {
				where = fmt.Sprintf("%s.nodes[%d]", path, k)
				if fe := s.node(where, n); fe != nil {
					return fe
				}
			}
			if prev, dup := seen[n]; dup {
				return e(where, "node %d already pauses at %s; allowed: each node in at most one pauses entry (its pauses must not overlap)", n, prev)
			}
			seen[n] = where
		}
		if p.Gap == nil {
			return e(path+".gap", "missing; allowed: a distribution of the time from the end of one pause to the start of the next, e.g. {dist: exponential, mean_ms: 2000}")
		}
		if fe := p.Gap.Validate(path + ".gap"); fe != nil {
			return fe
		}
		if p.Duration == nil {
			return e(path+".duration", "missing; allowed: a distribution of the pause length, e.g. {dist: uniform, min_ms: 10, max_ms: 100}")
		}
		if fe := p.Duration.Validate(path + ".duration"); fe != nil {
			return fe
		}
		if dur := dist.Compile(p.Duration); !(dur.MeanMS() > 0) {
			return e(path+".duration", "has mean 0 ms: no pause would last; allowed: a distribution with a mean > 0 ms")
		}
	}
	return nil
}

func (s *Scenario) validatePartitions() *configfile.FieldError {
	e := configfile.Errorf
	for i := range s.Partitions {
		p := &s.Partitions[i]
		path := fmt.Sprintf("partitions[%d]", i)
		if fe := s.time(path+".at_s", p.AtS); fe != nil {
			return fe
		}
		if !finite(p.DurationS) || p.DurationS < 1/usPerS || p.DurationS > maxDurationS {
			return e(path+".duration_s", "%v is not allowed; allowed: seconds in [0.000001, 1000000]", p.DurationS)
		}
		if p.Isolate != nil && len(p.Isolate) == 0 {
			return e(path+".isolate", "empty: it would cut nobody off; allowed: one or more node indices")
		}
		if p.Groups != nil && len(p.Groups) == 0 {
			return e(path+".groups", "empty: it would cut nobody off; allowed: one or more groups of node indices")
		}
		ways := 0
		if p.Groups != nil {
			ways++
		}
		if p.Isolate != nil {
			ways++
		}
		if p.IsolateLeader {
			ways++
		}
		if ways != 1 {
			return e(path, "says who is cut off %d ways; allowed: exactly one of groups, isolate, isolate_leader", ways)
		}
		seen := map[int]string{}
		check := func(where string, n int) *configfile.FieldError {
			if fe := s.node(where, n); fe != nil {
				return fe
			}
			if prev, dup := seen[n]; dup {
				return e(where, "node %d is already listed at %s; allowed: each node in at most one group", n, prev)
			}
			seen[n] = where
			return nil
		}
		for g, group := range p.Groups {
			if len(group) == 0 {
				return e(fmt.Sprintf("%s.groups[%d]", path, g), "empty; allowed: one or more node indices")
			}
			for k, n := range group {
				if fe := check(fmt.Sprintf("%s.groups[%d][%d]", path, g, k), n); fe != nil {
					return fe
				}
			}
		}
		for k, n := range p.Isolate {
			if fe := check(fmt.Sprintf("%s.isolate[%d]", path, k), n); fe != nil {
				return fe
			}
		}
		if fe := s.validateRepeat(path+".repeat", p.Repeat); fe != nil {
			return fe
		}
		if p.Repeat != nil && p.Repeat.Count > 1 && p.Repeat.EveryS <= p.DurationS {
			return e(path+".repeat.every_s", "%v is not after the partition's own duration %v; allowed: every_s > duration_s so repeats do not overlap", p.Repeat.EveryS, p.DurationS)
		}
		if t := p.Turbulence; t != nil {
			if !finite(t.DurationMS) || t.DurationMS < minIntervalMS || t.DurationMS > maxAfterMS {
				return e(path+".turbulence.duration_ms", "%v is not allowed; allowed: milliseconds in [%v, %v]", t.DurationMS, minIntervalMS, float64(maxAfterMS))
			}
			if t.ExtraDelay != nil {
				if fe := t.ExtraDelay.Validate(path + ".turbulence.extra_delay"); fe != nil {
					return fe
				}
			}
			if fe := probability(path+".turbulence.loss", t.Loss); fe != nil {
				return fe
			}
		}
	}
	return s.validateNoOverlap()
}

// validateNoOverlap rejects partitions whose occurrences overlap in time:
// the network holds one partition at a time.
func (s *Scenario) validateNoOverlap() *configfile.FieldError {
	type span struct {
		start, end float64
		idx        int
	}
	var spans []span
	for i := range s.Partitions {
		p := &s.Partitions[i]
		for k := 0; k < repeats(p.Repeat); k++ {
			start := p.AtS + float64(k)*every(p.Repeat)
			if start >= s.DurationS {
				break
			}
			spans = append(spans, span{start, start + p.DurationS, i})
		}
	}
	sort.Slice(spans, func(a, b int) bool { return spans[a].start < spans[b].start })
	for k := 1; k < len(spans); k++ {
		if spans[k].start < spans[k-1].end {
			return configfile.Errorf(fmt.Sprintf("partitions[%d].at_s", spans[k].idx),
				"a partition starting at %v s overlaps partitions[%d], which lasts until %v s; allowed: partitions that do not overlap in time",
				spans[k].start, spans[k-1].idx, spans[k-1].end)
		}
	}
	return nil
}

func (s *Scenario) validateRepeat(path string, r *Repeat) *configfile.FieldError {
	if r == nil {
		return nil
	}
	if r.Count < 1 || r.Count > 1_000_000 {
		return configfile.Errorf(path+".count", "%d is not allowed; allowed: an integer in [1, 1000000]", r.Count)
	}
	if !finite(r.EveryS) || r.EveryS < 1/usPerS || r.EveryS > maxDurationS {
		return configfile.Errorf(path+".every_s", "%v is not allowed; allowed: seconds in [0.000001, %v]", r.EveryS, float64(maxDurationS))
	}
	return nil
}

func (s *Scenario) node(path string, n int) *configfile.FieldError {
	if n < 0 || n >= s.Nodes {
		return configfile.Errorf(path, "node %d does not exist; allowed: a node index in [0, %d]", n, s.Nodes-1)
	}
	return nil
}

// time checks a point in time: bounded like a run's duration, so that
// every time in µs fits. An event at or after the run's end never fires
// (a run cut short keeps its later events).
func (s *Scenario) time(path string, atS float64) *configfile.FieldError {
	if !finite(atS) || atS < 0 || atS > maxDurationS {
		return configfile.Errorf(path, "%v is not allowed; allowed: seconds in [0, %v]", atS, float64(maxDurationS))
	}
	return nil
}

func probability(path string, p float64) *configfile.FieldError {
	if !finite(p) || p < 0 || p > 1 {
		return configfile.Errorf(path, "%v is out of range; allowed: a probability in [0, 1]", p)
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
