package policies

import (
	"math/rand/v2"
	"testing"

	"github.com/ballast-bench/ballast/policies/policy"
)

// TestEtcdTimerWorkedExample follows one node of the etcd timer through a
// term, by hand. Tick H = 100 ms, election_ms = 300: E = 3. The node's
// phase is 30 ms (its ticks at 30, 130, 230, ... ms) and its timeout 4
// ticks (set by hand; raft draws it from [3, 6)).
func TestEtcdTimerWorkedExample(t *testing.T) {
	p := &etcdTimer{electionUS: 300_000, rng: rand.New(rand.NewPCG(1, 2)),
		started: true, phaseUS: 30_000, tickUS: 100_000, timeout: 4, role: policy.Follower, term: 1}
	steps := []struct {
		what   string
		nowUS  int64
		role   policy.Role
		term   uint64
		wantUS int64 // -1: a new timeout was drawn; checked against its range
	}{
		// A heartbeat at 1250 ms: the last tick was at 1230 ms, so the
		// node has 20 ms of the current tick behind it; the 4th tick
		// after 1230 ms is 1630 ms: 380 ms from now.
		{"heartbeat between ticks", 1_250_000, policy.Follower, 1, 380_000},
		// A heartbeat exactly on a tick (1330 ms): a full 4 ticks.
		{"heartbeat on a tick", 1_330_000, policy.Follower, 1, 400_000},
		// The timer fired at the tick 1730 ms; raft zeroed the counter at
		// that tick and becoming pre-candidate keeps the timeout: 4 ticks.
		{"pre-candidate at a tick", 1_730_000, policy.PreCandidate, 1, 400_000},
		// Becoming candidate (term 2) redraws the timeout.
		{"candidate, new term", 1_790_000, policy.Candidate, 2, -1},
	}
	for _, st := range steps {
		d := p.Deadline(&policy.Observation{NowUS: st.nowUS, Role: st.role, Term: st.term, HeartbeatUS: 100_000})
		if st.wantUS >= 0 {
			if d.DeadlineUS != st.wantUS || p.timeout != 4 {
				t.Fatalf("%s: deadline %d µs, timeout %d ticks; want %d µs, 4 ticks", st.what, d.DeadlineUS, p.timeout, st.wantUS)
			}
			continue
		}
		// 60 ms into the tick that began at 1730 ms.
		if p.timeout < 3 || p.timeout >= 6 || d.DeadlineUS != p.timeout*100_000-60_000 {
			t.Fatalf("%s: deadline %d µs with a timeout of %d ticks; want a timeout in [3, 6) and deadline = timeout*100 ms - 60 ms", st.what, d.DeadlineUS, p.timeout)
		}
	}
	// A restart draws a new phase and timeout at the next reset.
	p.Restarted()
	d := p.Deadline(&policy.Observation{NowUS: 5_000_000, Role: policy.Follower, Term: 2, HeartbeatUS: 100_000})
	since := (5_000_000 - p.phaseUS) % 100_000
	if !p.started || d.DeadlineUS != p.timeout*100_000-since {
		t.Fatalf("after a restart: deadline %d µs, phase %d µs, timeout %d ticks", d.DeadlineUS, p.phaseUS, p.timeout)
	}
}

// TestEtcdTimerTicks: E is etcd's integer division election_ms /
// heartbeat, at least 2 (raft refuses ElectionTick <= HeartbeatTick).
func TestEtcdTimerTicks(t *testing.T) {
	for _, c := range []struct {
		electionMS, hbMS float64
		e                int64
	}{{1000, 100, 10}, {1050, 100, 10}, {999, 100, 9}, {150, 100, 2}, {50, 100, 2}} {
		p := &etcdTimer{electionUS: msToUS(c.electionMS), rng: rand.New(rand.NewPCG(3, 4))}
		for range 200 {
			p.Deadline(&policy.Observation{NowUS: 0, Role: policy.Candidate, Term: uint64(p.term + 1), HeartbeatUS: int64(c.hbMS * 1000)})
			if p.timeout < c.e || p.timeout >= 2*c.e {
				t.Fatalf("election_ms %v, heartbeat %v ms: timeout %d ticks; want [%d, %d)", c.electionMS, c.hbMS, p.timeout, c.e, 2*c.e)
			}
		}
	}
}
