package eventlog

import "slices"

// MetaLive is the key-value metadata key of a live run's events file
// (ballast live): its LiveInfo as JSON.
const MetaLive = "ballast.live"

// LiveLateBoundUS is the bound on the harness's own lateness (the p99 of
// the injected faults', the proxies' deliveries' and the nodes' timers'
// lateness) above which a live run is flagged: beyond it the machine's
// scheduling noise is a sizeable part of what a LAN failover measures.
const LiveLateBoundUS = 5000

// LiveInfo is how a live run went: the host and the harness measuring
// itself (docs/live.md). Times in µs.
type LiveInfo struct {
	Target         string  `json:"target"` // "ballast" or "etcd"
	Cores          int     `json:"cores"`
	LoadStart      string  `json:"load_start"` // /proc/loadavg's 1, 5 and 15 minute averages
	LoadEnd        string  `json:"load_end"`
	InjectedMeanUS float64 `json:"injected_late_mean_us"`
	InjectedP99US  float64 `json:"injected_late_p99_us"`
	InjectedMaxUS  int64   `json:"injected_late_max_us"`
	NetworkMeanUS  float64 `json:"network_late_mean_us"`
	NetworkP99US   float64 `json:"network_late_p99_us"`
	NetworkMaxUS   int64   `json:"network_late_max_us"`
	TimersMeanUS   float64 `json:"timers_late_mean_us"` // live ballast nodes' timers; 0 on etcd
	TimersP99US    float64 `json:"timers_late_p99_us"`
	TimersMaxUS    int64   `json:"timers_late_max_us"`
	Chunks         int64   `json:"network_chunks"`
	Plain          int64   `json:"plain_connections"`
	Unpaired       int     `json:"unpaired_vote_receipts"`
	BoundUS        int64   `json:"lateness_bound_us"`
	Flagged        bool    `json:"flagged"` // LateP99US above BoundUS
	// The policy's calls on live ballast nodes, the BALLAST paper's Table
	// 5: each Deadline (a bandit's choose) and each ElectionDone (its
	// update), the clock's own cost subtracted; nil on etcd.
	PolicyChoose *CallTimes `json:"policy_choose,omitempty"`
	PolicyUpdate *CallTimes `json:"policy_update,omitempty"`
}

// CallTimes is the distribution of a run's calls of one kind, in ns:
// exact order statistics (the value of rank floor(p (N-1)), as
// BenchmarkPolicyOverhead reports them).
type CallTimes struct {
	N      int     `json:"n"`
	MeanNS float64 `json:"mean_ns"`
	P50NS  int64   `json:"p50_ns"`
	P95NS  int64   `json:"p95_ns"`
	P99NS  int64   `json:"p99_ns"`
	MaxNS  int64   `json:"max_ns"`
}

// NewCallTimes summarises ns (which it sorts); nil when there are none.
func NewCallTimes(ns []int64) *CallTimes {
	if len(ns) == 0 {
		return nil
	}
	slices.Sort(ns)
	var sum int64
	for _, v := range ns {
		sum += v
	}
	q := func(p float64) int64 { return ns[int(p*float64(len(ns)-1))] }
	return &CallTimes{N: len(ns), MeanNS: float64(sum) / float64(len(ns)), P50NS: q(0.5), P95NS: q(0.95), P99NS: q(0.99), MaxNS: ns[len(ns)-1]}
}

// LateP99US is the harness's worst p99 lateness: of the injected faults,
// the proxied network and the nodes' timers.
func (l *LiveInfo) LateP99US() float64 {
	return max(l.InjectedP99US, l.NetworkP99US, l.TimersP99US)
}
