package eventlog

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
}

// LateP99US is the harness's worst p99 lateness: of the injected faults,
// the proxied network and the nodes' timers.
func (l *LiveInfo) LateP99US() float64 {
	return max(l.InjectedP99US, l.NetworkP99US, l.TimersP99US)
}
