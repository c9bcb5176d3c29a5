package etcdraft

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/invariant"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/simtest"
)

// The tests in this file check the engine against times worked out by
// hand from Raft's rules on testdata/three.yaml (constant 10 ms links, so
// a request and its answer take 20 ms) with policies of fixed deadlines.

func three(t *testing.T, edit func(*scenario.Scenario)) *scenario.Scenario {
	t.Helper()
	s, err := scenario.Load("testdata/three.yaml")
	if err != nil {
		t.Fatal(err)
	}
	edit(s)
	return s
}

// checked runs s and checks the run with the independent invariant checker.
func checked(t *testing.T, s *scenario.Scenario, f policy.Factory) []eventlog.Event {
	t.Helper()
	evs := runEvents(t, Engine{}, s, f, 1)
	chk := invariant.New(s.Nodes)
	for i := range evs {
		chk.Emit(&evs[i])
	}
	if err := chk.Err(); err != nil {
		t.Fatal(err)
	}
	return evs
}

// leaders lists "node@ms/term" for every became_leader row.
func leaders(evs []eventlog.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Kind == eventlog.BecameLeader {
			out = append(out, leaderStr(e))
		}
	}
	return out
}

func leaderStr(e eventlog.Event) string {
	return strings.Join([]string{itoa(int64(e.Node)), "@", itoa(e.TimeUS / 1000), "/", itoa(int64(e.Term))}, "")
}

func itoa(v int64) string {
	if v < 0 {
		return "-" + itoa(-v)
	}
	if v < 10 {
		return string(rune('0' + v))
	}
	return itoa(v/10) + string(rune('0'+v%10))
}

// TestFirstElection: node 0 (deadline 100 ms) times out first. Without
// PreVote it is candidate at 100 ms, its requests arrive at 110 ms and the
// first grant at 120 ms makes it leader of term 1; PreVote adds one round
// (pre-vote 100-120 ms, vote 120-140 ms). The leader ticks every 50 ms from
// its win and crashes at 505 ms. Without PreVote its last heartbeat left at
// 470 ms and arrived at 480 ms: node 1 (deadline 250 ms) times out at 730
// ms and wins at 750 ms. With PreVote the last one left at 490 ms: node 1
// times out at 750 ms and wins two rounds later, at 790 ms. Its requests to
// the crashed node 0 end in msg_dead.
func TestFirstElection(t *testing.T) {
	cases := []struct {
		preVote bool
		want    []string
	}{
		{false, []string{"0@120/1", "1@750/2"}},
		{true, []string{"0@140/1", "1@790/2"}},
	}
	for _, c := range cases {
		s := three(t, func(s *scenario.Scenario) {
			s.Raft.PreVote = c.preVote
			s.DurationS = 1
			s.Crashes = []scenario.Crash{{Node: "0", AtS: 0.505}}
		})
		evs := checked(t, s, simtest.Fixed(100, 250, 600))
		if got := leaders(evs); !slices.Equal(got, c.want) {
			t.Errorf("prevote %v: leaders %v, want %v", c.preVote, got, c.want)
		}
		// The leader's heartbeats: raft's tick every 50 ms from the win.
		var sent []int64
		for _, e := range evs {
			if e.Kind == eventlog.HeartbeatSent && e.Node == 0 && e.Peer == 1 && e.TimeUS < 505_000 {
				sent = append(sent, e.TimeUS/1000)
			}
		}
		win := int64(120)
		if c.preVote {
			win = 140
		}
		// At the win the MsgApp with the new leader's entry, at win+20
		// the empty MsgApp with the new commit index, then heartbeats.
		want := []int64{win, win + 20}
		for at := win + 50; at < 505; at += 50 {
			want = append(want, at)
		}
		if !slices.Equal(sent, want) {
			t.Errorf("prevote %v: AppendEntries to node 1 at %v ms, want %v", c.preVote, sent, want)
		}
	}
}

// TestVoteLeaseModes pins how the vote lease ages (vote_lease) on a leader
// crash under CheckQuorum and PreVote. Deadlines: node 0 100 ms (leader of
// term 1 at 140 ms), node 1 250 ms, node 2 600 ms; node 0 crashes at
// 505 ms; the followers last heard it at 500 ms.
//
// fixed (etcd): the followers' leases end at 500+150 ms. Node 1 times out
// at 750 ms, node 2 grants its pre-vote at 760 ms, node 1 is candidate at
// 770 ms and leader of term 2 at 790 ms.
//
// own_timer: node 2 trusts its dead leader until its own timer fires at
// 1100 ms; it ignores node 1's pre-votes of 750 and 1000 ms (rows
// prevote_denied with reason in_lease and no message). At 1100 ms it
// campaigns; node 1, a pre-candidate without leader, grants at 1110 ms;
// node 2 is candidate at 1120 ms and leader of term 2 at 1140 ms.
func TestVoteLeaseModes(t *testing.T) {
	cases := []struct {
		lease       string
		want        []string
		inLeaseDeny int
	}{
		{scenario.VoteLeaseFixed, []string{"0@140/1", "1@790/2"}, 0},
		{scenario.VoteLeaseOwnTimer, []string{"0@140/1", "2@1140/2"}, 2},
	}
	for _, c := range cases {
		s := three(t, func(s *scenario.Scenario) {
			s.Raft.PreVote, s.Raft.CheckQuorum, s.Raft.VoteLease = true, true, c.lease
			s.DurationS = 1.5
			s.Crashes = []scenario.Crash{{Node: "0", AtS: 0.505}}
		})
		evs := checked(t, s, simtest.Fixed(100, 250, 600))
		if got := leaders(evs); !slices.Equal(got, c.want) {
			t.Errorf("%s: leaders %v, want %v", c.lease, got, c.want)
		}
		deny := 0
		for _, e := range evs {
			if e.Kind == eventlog.PreVoteDenied && e.Value == int64(eventlog.DenyInLease) {
				deny++
				if e.Node != 2 || e.Peer != 1 || e.MsgID != 0 {
					t.Errorf("%s: in-lease denial %+v, want node 2 ignoring node 1 without a message", c.lease, e)
				}
			}
		}
		if deny != c.inLeaseDeny {
			t.Errorf("%s: %d in-lease denials, want %d", c.lease, deny, c.inLeaseDeny)
		}
	}
}

// disrupt: node 0 has deadline 100 ms and leads from the start; node 1
// gets a 20 ms deadline once the run is past 400 ms, shorter than the
// 50 ms between heartbeats, so it campaigns while its leader is healthy.
type disrupt struct{ node int }

func (p disrupt) Deadline(o *policy.Observation) policy.Decision {
	us := int64(1000_000)
	switch {
	case p.node == 0:
		us = 100_000
	case p.node == 1 && o.NowUS >= 400_000 && o.Role == policy.Follower:
		us = 20_000
	}
	return policy.Decision{DeadlineUS: us, Arm: -1}
}
func (disrupt) ElectionDone(policy.ElectionResult) {}

// TestCheckQuorumLease: a follower that campaigns while the leader is
// healthy. Node 0 leads from 140 ms (PreVote), its heartbeats arrive at
// 400, 450, ... ms; node 1 times out at 420 ms. With PreVote and
// CheckQuorum (etcd's recommended setting) the leader and node 2 ignore its
// pre-votes in lease, and node 0 stays the only leader. Without CheckQuorum
// nothing protects the leader: both grant the pre-vote (a future term, an
// up-to-date log) at 430 ms, node 1 is candidate of term 2 at 440 ms, the
// leader becomes its follower and grants at 450 ms, and node 1 leads term 2
// at 460 ms.
func TestCheckQuorumLease(t *testing.T) {
	cases := []struct {
		checkQuorum bool
		wantLeaders []string
		wantInLease bool
	}{
		{true, []string{"0@140/1"}, true},
		{false, []string{"0@140/1", "1@460/2"}, false},
	}
	for _, c := range cases {
		s := three(t, func(s *scenario.Scenario) {
			s.Raft.PreVote, s.Raft.CheckQuorum = true, c.checkQuorum
			s.DurationS = 0.6
		})
		evs := checked(t, s, func(node int, _ *rand.Rand) policy.Policy { return disrupt{node} })
		got := leaders(evs)
		inLease := map[int16]bool{}
		for _, e := range evs {
			if e.Kind == eventlog.PreVoteDenied && e.Value == int64(eventlog.DenyInLease) {
				inLease[e.Node] = true
			}
		}
		if !slices.Equal(got, c.wantLeaders) {
			t.Errorf("check_quorum %v: leaders %v, want %v", c.checkQuorum, got, c.wantLeaders)
		}
		if c.wantInLease != (inLease[0] && inLease[2]) || (!c.wantInLease && len(inLease) > 0) {
			t.Errorf("check_quorum %v: in-lease denials by %v", c.checkQuorum, inLease)
		}
	}
}

// TestBadLease: with CheckQuorum raft needs ElectionTick >= 2, so a lease
// under 1.5 heartbeats is refused with one line naming the field; without
// CheckQuorum the lease is unused and the run goes ahead.
func TestBadLease(t *testing.T) {
	cases := []struct {
		checkQuorum bool
		leaseMS     float64
		wantErr     string
	}{
		{true, 60, "raft.lease_ms 60 is under 1.5 heartbeat intervals (50 ms); the etcd engine needs ElectionTick = lease_ms/heartbeat_ms >= 2 with check_quorum"},
		{false, 60, ""},
		{true, 75, ""},
	}
	for _, c := range cases {
		s := three(t, func(s *scenario.Scenario) {
			s.Raft.CheckQuorum, s.Raft.LeaseMS = c.checkQuorum, &c.leaseMS
			s.DurationS = 0.3
		})
		_, err := Engine{}.Run(&sim.Config{Scenario: s, Seed: 1, RunID: "r1", Policy: simtest.Fixed(100, 250, 600)})
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("lease %v cq %v: %v", c.leaseMS, c.checkQuorum, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "\n")):
			t.Errorf("lease %v cq %v: error %v; want one line containing %q", c.leaseMS, c.checkQuorum, err, c.wantErr)
		}
	}
}
