// Package metrics derives ballast's per-run metrics from the raw events of
// one run, in a single streaming pass and from the event log alone (BALLAST
// paper, section 5: no policy-specific instrumentation). The definitions,
// and every rule chosen where the papers are silent, are in
// docs/metrics.md; the comments here say how they are computed.
//
// All times are integers in microseconds (suffix US); per-run aggregates of
// times are float64 microseconds. A metric that is undefined for a run (the
// mean recovery time of a run without unwritable intervals) is NaN.
package metrics

import "github.com/ballast-bench/ballast/eventlog"

// The row types below are the tables that 'ballast analyze' writes; their
// `col` tags are the column names in the Parquet and CSV files.

// RunRow is one run: its identity (the fields of eventlog.RunInfo), the
// analysis settings, and every per-run metric. Each column's comment (its
// line comment, else the one above it) is its one-line definition in
// docs/metrics.md, which TestMetricsDoc generates.
type RunRow struct {
	RunID        string `col:"run_id"`        // the run's ID, derived from its simulated inputs
	Experiment   string `col:"experiment"`    // experiment file name ("" for a single 'ballast sim' run)
	Scenario     string `col:"scenario"`      // scenario name
	ScenarioHash string `col:"scenario_hash"` // hash of the scenario's canonical content
	Policy       string `col:"policy"`        // election-timeout policy
	Variant      string `col:"variant"`       // the experiment's name for the policy's parameter variant ("" = defaults)
	Params       string `col:"params"`        // the policy's resolved parameters, canonical "k=v" list joined by ";"
	Seed         int64  `col:"seed"`          // simulation seed
	SeedSet      string `col:"seed_set"`      // seed set the seed came from ("" for a single run)
	Engine       string `col:"engine"`        // "fast" or "etcd" (simulated), "live" or "etcd-server" (a live run)
	ConfigHash   string `col:"config_hash"`   // hash over scenario content, policy, params, engine and schema version
	CodeVersion  string `col:"code_version"`  // the simulation code's identity (sim-..., a content hash of its sources; runs of other code are redone)
	Nodes        int64  `col:"nodes"`         // cluster size N
	DurationUS   int64  `col:"duration_us"`   // simulated run length
	HeartbeatUS  int64  `col:"heartbeat_us"`  // the run's base heartbeat interval: its scenario's, or its variant's raft.heartbeat_ms
	Events       int64  `col:"events"`        // rows in the run's events file
	// Equal hashes mean identical traces: what the ablation self-check
	// compares.
	EventsHash string `col:"events_hash"` // xxh3-128 hash of the events (every column but run_id, in order)
	// The harness measuring itself, in a live run (docs/live.md): the
	// worst p99 lateness of its injected faults, proxied network and node
	// timers, and whether it passed the live mode's bound.
	HarnessLateP99US float64 `col:"harness_late_p99_us"` // live runs: the worst p99 lateness of the harness (injected faults, proxied network, node timers; NULL: a simulated run, in virtual time)
	HarnessFlagged   bool    `col:"harness_flagged"`     // harness_late_p99_us above 5,000 µs: the machine's scheduling noise is a sizeable part of what was measured
	// The policy's calls on live ballast nodes (BALLAST Table 5), timed in
	// the nodes' processes, the clock's own cost subtracted.
	PolicyChooseMeanUS float64 `col:"policy_choose_mean_us"` // live ballast nodes: mean wall time of the policy's decisions (Deadline; a bandit's choose; NULL: not measured, as in virtual time)
	PolicyChooseP99US  float64 `col:"policy_choose_p99_us"`  // live ballast nodes: 99th percentile of the policy's decision times
	PolicyUpdateMeanUS float64 `col:"policy_update_mean_us"` // live ballast nodes: mean wall time of the policy's updates (ElectionDone; a bandit's reward update)
	PolicyUpdateP99US  float64 `col:"policy_update_p99_us"`  // live ballast nodes: 99th percentile of the policy's update times
	// Path is the events file the run was read from; not written out, so
	// that reading shards or their merge gives identical tables.
	Path string `col:"-"`

	// Analysis settings.
	GraceUS    int64  `col:"grace_us"`    // writability grace window
	WarmupRule string `col:"warmup_rule"` // "first-writable" or "none"
	WarmupUS   int64  `col:"warmup_us"`   // excluded warm-up [0, warmup_us)
	MeasuredUS int64  `col:"measured_us"` // duration_us - warmup_us

	// Availability: maximal unwritable intervals after the warm-up.
	Intervals      int64   `col:"intervals"`        // unwritable intervals after the warm-up, censored included
	Censored       int64   `col:"censored"`         // of the intervals, those still open at the run's end (cut there)
	NeverWritable  bool    `col:"never_writable"`   // no writable instant in the whole run
	UnwritableUS   int64   `col:"unwritable_us"`    // total length of the intervals
	UnwritableFrac float64 `col:"unwritable_frac"`  // unwritable_us / measured_us
	RecoveryMeanUS float64 `col:"recovery_mean_us"` // mean interval length (NULL: no interval)
	RecoveryP50US  float64 `col:"recovery_p50_us"`  // median interval length (quantiles: definition 7, stats.Quantile)
	RecoveryP95US  float64 `col:"recovery_p95_us"`  // 95th percentile of the interval lengths
	RecoveryP99US  float64 `col:"recovery_p99_us"`  // 99th percentile of the interval lengths
	RecoveryMaxUS  float64 `col:"recovery_max_us"`  // longest interval

	// Election process, over the whole run.
	Attempts           int64   `col:"attempts"`               // election attempts that ended (won+failed+stepped_down+crashed)
	Won                int64   `col:"won"`                    // ended with became_leader
	Failed             int64   `col:"failed"`                 // ended with election_failed
	SteppedDown        int64   `col:"stepped_down"`           // ended with became_follower
	Crashed            int64   `col:"crashed"`                // ended by the candidate's crash
	OpenAttempts       int64   `col:"open_attempts"`          // still running at the run's end (not in attempts)
	SplitVoteRate      float64 `col:"split_vote_rate"`        // failed / attempts
	TimeToLeaderMeanUS float64 `col:"time_to_leader_mean_us"` // mean became_candidate -> became_leader of the won attempts
	TimeToLeaderP95US  float64 `col:"time_to_leader_p95_us"`  // 95th percentile of the won attempts' time to leader
	TermsStarted       int64   `col:"terms_started"`          // distinct terms of became_candidate rows
	TermChurnPerMin    float64 `col:"term_churn_per_min"`     // terms_started per simulated minute
	// An attempt started while the system was writable is unnecessary: a
	// leader had majority support, so the timeout was a false suspicion
	// (the neuro-symbolic post's "unnecessary leader elections").
	Unnecessary       int64   `col:"unnecessary_elections"` // attempts started while the system was writable
	UnnecessaryPerMin float64 `col:"unnecessary_per_min"`   // unnecessary_elections per simulated minute

	// Failure causes of the failed attempts.
	FailedNoQuorum   int64   `col:"failed_no_quorum"`  // failed with fewer than a quorum of nodes alive
	FailedLowReach   int64   `col:"failed_low_reach"`  // failed with its last phase's requests reaching too few peers for a majority
	FailedContention int64   `col:"failed_contention"` // failed although a majority was reachable
	NoQuorumFrac     float64 `col:"no_quorum_frac"`    // failed_no_quorum / failed (NULL: none failed)
	LowReachFrac     float64 `col:"low_reach_frac"`    // failed_low_reach / failed
	ContentionFrac   float64 `col:"contention_frac"`   // failed_contention / failed

	// Failover after leader crashes (Dynatune, section IV).
	LeaderCrashes      int64   `col:"leader_crashes"`         // crashes of the current leader
	FailoverCensored   int64   `col:"failover_censored"`      // failovers with no new leader before the run's end
	DetectFirstMeanUS  float64 `col:"detect_first_mean_us"`   // mean crash -> first timeout of another node
	DetectQuorumMeanUS float64 `col:"detect_quorum_mean_us"`  // mean crash -> a quorum of nodes have timed out
	ElectionMeanUS     float64 `col:"election_mean_us"`       // mean first timeout -> new leader
	OutOfServiceMeanUS float64 `col:"out_of_service_mean_us"` // mean crash -> new leader

	// Safety cooldown (forced-safe mode, BALLAST Table A.14).
	SafetyEpisodes     int64   `col:"safety_episodes"`      // stays of a node in forced-safe mode
	SafetyCensored     int64   `col:"safety_censored"`      // episodes still open at the run's end (cut there)
	SafetyMeanUS       float64 `col:"safety_mean_us"`       // mean episode length
	SafetyOverlap2Frac float64 `col:"safety_overlap2_frac"` // time with >= 2 nodes in safe mode / duration_us
	SafetyOverlap3Frac float64 `col:"safety_overlap3_frac"` // time with >= 3 nodes in safe mode / duration_us
}

// Interval is one maximal unwritable interval [StartUS, EndUS).
type Interval struct {
	RunID      string `col:"run_id"`      // the run (runs.run_id)
	StartUS    int64  `col:"start_us"`    // the system stopped being writable (or the warm-up ended)
	EndUS      int64  `col:"end_us"`      // it was writable again, or the run's end
	RecoveryUS int64  `col:"recovery_us"` // end_us - start_us
	Censored   bool   `col:"censored"`    // still open at the run's end, cut there
}

// Attempt outcomes.
const (
	OutcomeWon         = "won"
	OutcomeFailed      = "failed"
	OutcomeSteppedDown = "stepped_down"
	OutcomeCrashed     = "crashed"
	OutcomeOpen        = "open" // still running at the end of the run
)

// Failure causes of a failed attempt.
const (
	CauseNoQuorum   = "no_quorum_alive"
	CauseLowReach   = "low_reachability"
	CauseContention = "contention"
)

// Election is one election attempt of one node: from the timeout that
// starts it (its became_precandidate or became_candidate row) to its end.
type Election struct {
	RunID   string `col:"run_id"`                    // the run (runs.run_id)
	Node    int64  `col:"node"`                      // the node, 0-based
	StartUS int64  `col:"start_us"`                  // the timeout that started it
	EndUS   int64  `col:"end_us"`                    // its end; the run's end for an open attempt
	Outcome string `col:"outcome"`                   // won, failed, stepped_down, crashed or open
	Term    int64  `col:"term"`                      // the node's term at the end
	Phase   string `col:"phase"`                     // "prevote" or "vote": the phase it ended in
	CandUS  int64  `col:"candidate_us,null=-1"`      // its became_candidate time; -1 (NULL in files) if it never got there
	TTLUS   int64  `col:"time_to_leader_us,null=-1"` // became_candidate -> became_leader; -1 (NULL) unless won
	Reached int64  `col:"reached"`                   // distinct peers that received a request of the last phase
	Alive   int64  `col:"alive,null=-1"`             // nodes alive when it failed; -1 (NULL) unless failed
	Cause   string `col:"cause"`                     // failure cause: no_quorum_alive, low_reachability or contention ("" unless failed)
}

// Failover is one crash of the current leader.
type Failover struct {
	RunID          string `col:"run_id"`                   // the run (runs.run_id)
	Leader         int64  `col:"leader"`                   // the crashed (or sleeping) leader, 0-based
	Term           int64  `col:"term"`                     // the term it led
	CrashUS        int64  `col:"crash_us"`                 // when it crashed (or was put to sleep)
	DetectFirstUS  int64  `col:"detect_first_us,null=-1"`  // crash -> first timeout of another node; -1 (NULL) if none before the new leader
	DetectQuorumUS int64  `col:"detect_quorum_us,null=-1"` // crash -> a quorum of nodes have timed out; -1 (NULL) if they did not
	ElectionUS     int64  `col:"election_us,null=-1"`      // first timeout -> new leader; -1 (NULL) if not detected
	OutOfServiceUS int64  `col:"out_of_service_us"`        // crash -> next became_leader of any node; cut at the run's end if none
	Detected       bool   `col:"detected"`                 // some node timed out before the new leader
	QuorumDetected bool   `col:"quorum_detected"`          // a quorum of nodes timed out before the new leader
	Recovered      bool   `col:"recovered"`                // a new leader before the run's end; false: censored
}

// SafetyEpisode is one stay of one node in forced-safe mode.
type SafetyEpisode struct {
	RunID      string `col:"run_id"`      // the run (runs.run_id)
	Node       int64  `col:"node"`        // the node, 0-based
	StartUS    int64  `col:"start_us"`    // its safety_enter row
	EndUS      int64  `col:"end_us"`      // its safety_exit row, or the run's end
	DurationUS int64  `col:"duration_us"` // end_us - start_us
	Censored   bool   `col:"censored"`    // still open at the run's end, cut there
}

// ArmBin counts one arm's policy decisions in one time bin of one run.
type ArmBin struct {
	RunID     string `col:"run_id"`       // the run (runs.run_id)
	BinUS     int64  `col:"bin_start_us"` // the bin's start
	BinLenUS  int64  `col:"bin_us"`       // the bin's length
	Arm       int64  `col:"arm"`          // the arm, 0-based (arm 0 is A1 in docs/policies.md)
	Decisions int64  `col:"decisions"`    // policy_decision rows of any node with this arm in the bin
}

// Run is everything derived from one run's events.
type Run struct {
	Row       RunRow
	Intervals []Interval
	Elections []Election
	Failovers []Failover
	Safety    []SafetyEpisode
	Arms      []ArmBin
	// Also is the result of the extra consumer fed in the same pass
	// (Spec.Also), or nil.
	Also []byte
}

// SetLive records a live run's harness lateness and flag, and its
// policy's call times where the nodes measured them (li: its ballast.live
// metadata).
func (r *RunRow) SetLive(li *eventlog.LiveInfo) {
	r.HarnessLateP99US, r.HarnessFlagged = li.LateP99US(), li.Flagged
	if c := li.PolicyChoose; c != nil {
		r.PolicyChooseMeanUS, r.PolicyChooseP99US = c.MeanNS/1000, float64(c.P99NS)/1000
	}
	if c := li.PolicyUpdate; c != nil {
		r.PolicyUpdateMeanUS, r.PolicyUpdateP99US = c.MeanNS/1000, float64(c.P99NS)/1000
	}
}
