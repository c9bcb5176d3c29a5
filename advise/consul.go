package advise

import (
	"fmt"
	"strconv"
	"strings"
)

// Consul's Raft is github.com/hashicorp/raft. Consul scales the library's
// DefaultConfig timings by its raft_multiplier (the "performance" block:
// default 5, tuned for the smallest cloud instances; 1 is Consul's
// recommendation for production servers): HeartbeatTimeout and
// ElectionTimeout 1000 ms x m, LeaderLeaseTimeout 500 ms x m. The model
// (policy `hashicorp`, docs/policies.md) is checked against the library
// itself by policies.TestHashicorpAgainstLibrary.
const (
	consulBaseTimeoutMS = 1000
	consulBaseLeaseMS   = 500
	consulMaxMultiplier = 10
	consulDefault       = 5
	consulProduction    = 1
)

// ConsulSetting is raft_multiplier m.
func ConsulSetting(m int64) Setting {
	return Setting{HeartbeatMS: consulBaseTimeoutMS * m, ElectionMS: consulBaseTimeoutMS * m, Multiplier: m}
}

// ConsulDefaults is Consul's default raft_multiplier.
var ConsulDefaults = ConsulSetting(consulDefault)

func (s Setting) checkConsul() error {
	if s.Multiplier < 1 || s.Multiplier > consulMaxMultiplier {
		return fmt.Errorf("raft_multiplier %d; allowed: 1 to %d", s.Multiplier, consulMaxMultiplier)
	}
	if s != ConsulSetting(s.Multiplier) {
		return fmt.Errorf("raft_multiplier %d with timeouts %d/%d ms; allowed: the timeouts Consul derives from it", s.Multiplier, s.HeartbeatMS, s.ElectionMS)
	}
	return nil
}

// parseConsul reads "raft_multiplier=5".
func parseConsul(v string) (Setting, error) {
	k, val, ok := strings.Cut(strings.TrimSpace(v), "=")
	m, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
	if !ok || err != nil || strings.TrimSpace(k) != "raft_multiplier" {
		return Setting{}, fmt.Errorf("%q: allowed: raft_multiplier=N", v)
	}
	s := Setting{Multiplier: m}
	if m >= 1 && m <= consulMaxMultiplier {
		s = ConsulSetting(m)
	}
	return s, s.Check()
}

// Systems are the systems advise knows.
var Systems = []string{"etcd", "consul"}

// grid is the system's candidate settings.
func grid(system string, meanRTTMS float64) []Setting {
	if system == "consul" {
		var out []Setting
		for m := int64(1); m <= consulMaxMultiplier; m++ {
			out = append(out, ConsulSetting(m))
		}
		return out
	}
	return Grid(meanRTTMS)
}

// ruleOfThumb is what the system's documentation tells an operator: for
// Consul, raft_multiplier 1 on production servers.
func ruleOfThumb(system string, meanRTTMS float64) Setting {
	if system == "consul" {
		return ConsulSetting(consulProduction)
	}
	return RuleOfThumb(meanRTTMS)
}

func defaults(system string) Setting {
	if system == "consul" {
		return ConsulDefaults
	}
	return EtcdDefaults
}

// model is how a setting is simulated: the leader's mean heartbeat
// interval, the scenario's raft block, and the timer policy with its
// parameters. etcd: its heartbeat, PreVote and CheckQuorum with etcd's
// lease (the election timeout), the `etcd` tick timer. Consul: a leader
// heartbeats each follower after randomTimeout(T/10) and waits for the
// answer (hashicorp/raft replication.go): a cycle of 0.15 T plus a round
// trip; PreVote (hashicorp/raft v1.7+); a voter trusts its leader until its
// own timer finds the contact too old (vote_lease own_timer); the leader
// lease is LeaderLeaseTimeout; the `hashicorp` timer policy.
func (s Setting) model(rttMS float64) (heartbeatMS float64, raft, policy string, set []string) {
	if s.Multiplier != 0 {
		heartbeatMS = 0.15*float64(s.HeartbeatMS) + rttMS
		raft = fmt.Sprintf("raft:\n  heartbeat_ms: %s\n  pre_vote: true\n  check_quorum: true\n  lease_ms: %d\n  vote_lease: own_timer\n",
			num(heartbeatMS), consulBaseLeaseMS*s.Multiplier)
		return heartbeatMS, raft, "hashicorp", []string{
			"heartbeat_timeout_ms=" + strconv.FormatInt(s.HeartbeatMS, 10), "election_timeout_ms=" + strconv.FormatInt(s.ElectionMS, 10)}
	}
	heartbeatMS = float64(s.HeartbeatMS)
	raft = fmt.Sprintf("raft:\n  heartbeat_ms: %d\n  pre_vote: true\n  check_quorum: true\n  lease_ms: %d\n", s.HeartbeatMS, s.ElectionMS)
	if s.Adaptive != "" {
		return heartbeatMS, raft, s.Adaptive, nil
	}
	return heartbeatMS, raft, "etcd", []string{"election_ms=" + strconv.FormatInt(s.ElectionMS, 10)}
}

// settingSyntax is how a system's setting is written on the command line.
func settingSyntax(system string) string {
	if system == "consul" {
		return "raft_multiplier=N (--current) or N (--settings)"
	}
	return "heartbeat=MS,election=MS (--current) or HEARTBEAT/ELECTION (--settings)"
}
