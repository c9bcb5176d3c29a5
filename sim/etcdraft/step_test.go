package etcdraft

import (
	"fmt"
	"slices"
	"testing"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/simtest"
)

// TestStepVoteOncePerTerm drives node 0 of testdata/three.yaml through
// raft's RequestVote handling with Host.Step, one request at a time. Raft
// paper, section 5.2: "each server will vote for at most one candidate in
// a given term, on a first-come-first-served basis"; Figure 2: "If RPC
// request or response contains term T > currentTerm: set currentTerm = T,
// convert to follower". The rows are raft's own decisions as the engine
// logs them; node 0's policy always answers 100 ms. Unlike the election
// model, raft resets its election clock once per step (one timer_reset),
// and ignores a vote request of a stale term without an answer.
func TestStepVoteOncePerTerm(t *testing.T) {
	s := three(t, func(s *scenario.Scenario) { s.Crashes = nil })
	var m eventlog.Memory
	r, err := newRun(&sim.Config{Scenario: s, Seed: 1, RunID: "step", Sink: &m, Policy: simtest.Fixed(100, 150, 200)})
	if err != nil {
		t.Fatal(err)
	}
	r.Boot()
	vote := func(from int, term uint64) sim.Envelope[*pb.Message] {
		msg := &pb.Message{Type: pb.MsgVote.Enum(), From: new(uint64(from + 1)), To: new(uint64(1)),
			Term: new(term), LogTerm: new(uint64(0)), Index: new(uint64(0))}
		return sim.Envelope[*pb.Message]{Body: msg, From: from, To: 0, Type: eventlog.MsgVote, SentUS: r.NowUS, RTTUS: -1, Value: -1}
	}
	higher := fmt.Sprintf("became_follower %%d -1 %d", eventlog.FollowerHigherTerm)
	steps := []struct {
		what string
		req  sim.Envelope[*pb.Message]
		want []string
	}{
		{"first request of term 1: node 0 moves to term 1 and grants it", vote(1, 1), []string{
			"vote_recv 0 1 0",
			fmt.Sprintf(higher, 1),
			"timer_reset 1 -1 100000",
			"vote_granted 1 1 0",
		}},
		{"a second candidate in term 1 is refused: already voted", vote(2, 1), []string{
			"vote_recv 1 2 0",
			fmt.Sprintf("vote_denied 1 2 %d", eventlog.DenyAlreadyVoted),
		}},
		{"the candidate already voted for asks again: granted again", vote(1, 1), []string{
			"vote_recv 1 1 0",
			"timer_reset 1 -1 100000",
			"vote_granted 1 1 0",
		}},
		{"term 2: a new term, a new vote", vote(2, 2), []string{
			"vote_recv 1 2 0",
			fmt.Sprintf(higher, 2),
			"timer_reset 2 -1 100000",
			"vote_granted 2 2 0",
		}},
		{"a vote request of stale term 1 is ignored", vote(1, 1), []string{
			"vote_recv 2 1 0",
		}},
	}
	for _, st := range steps {
		mark := len(m.Events)
		if err := r.Step(st.req); err != nil {
			t.Fatalf("%s: %v", st.what, err)
		}
		if got := simtest.StepRows(m.Events[mark:]); !slices.Equal(got, st.want) {
			t.Fatalf("%s:\n got %q\nwant %q", st.what, got, st.want)
		}
	}
}

// TestStepTimerResetRules: node 0 (term 1, one entry of term 1 in its
// storage; its policy answers 100 ms, so its timer fires at 100 ms) gets,
// at 50 ms, a vote request of term 2 from a candidate whose log is empty.
// raft moves it to term 2 and refuses (the candidate's log is behind:
// Raft paper section 5.4.1). Under etcd's rule becoming follower of the
// new term re-arms the policy timer (to 150 ms); under the paper's
// (Figure 2) the timer keeps running and fires at 100 ms, although raft
// zeroed its own clock: the split clock lets the engine follow either.
func TestStepTimerResetRules(t *testing.T) {
	for _, c := range simtest.TimerResetCases {
		s := three(t, func(s *scenario.Scenario) { s.Crashes = nil; s.Raft.TimerReset = c.Rule })
		var m eventlog.Memory
		r, err := newRun(&sim.Config{Scenario: s, Seed: 1, RunID: "step", Sink: &m, Policy: simtest.Fixed(100, 150, 200)})
		if err != nil {
			t.Fatal(err)
		}
		st := r.nodes[0].st
		if err := st.Append([]*pb.Entry{{Term: new(uint64(1)), Index: new(uint64(1))}}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetHardState(&pb.HardState{Term: new(uint64(1)), Vote: new(uint64(0)), Commit: new(uint64(0))}); err != nil {
			t.Fatal(err)
		}
		r.Boot()
		r.NowUS = 50_000
		mark := len(m.Events)
		req := &pb.Message{Type: pb.MsgVote.Enum(), From: new(uint64(2)), To: new(uint64(1)),
			Term: new(uint64(2)), LogTerm: new(uint64(0)), Index: new(uint64(0))}
		if err := r.Step(sim.Envelope[*pb.Message]{Body: req, From: 1, To: 0, Type: eventlog.MsgVote, SentUS: r.NowUS, RTTUS: -1, Value: -1}); err != nil {
			t.Fatal(err)
		}
		want := c.TimerResetRows()
		if got := simtest.StepRows(m.Events[mark:]); !slices.Equal(got, want) {
			t.Fatalf("%s rule:\n got %q\nwant %q", c.Rule, got, want)
		}
		if _, err := r.Until(160_000); err != nil {
			t.Fatal(err)
		}
		if fired := simtest.FirstTimeoutUS(m.Events, 0); fired != c.TimeoutUS {
			t.Errorf("%s rule: node 0 timed out at %d µs; want %d µs", c.Rule, fired, c.TimeoutUS)
		}
	}
}
