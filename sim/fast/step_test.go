package fast

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/simtest"
)

// TestStepVoteOncePerTerm drives node 0 of the hand-built cluster through
// RequestVote with Host.Step, one request at a time. Raft paper, section
// 5.2: "each server will vote for at most one candidate in a given term,
// on a first-come-first-served basis"; Figure 2: "If RPC request or
// response contains term T > currentTerm: set currentTerm = T, convert to
// follower", and a request with a term below currentTerm is refused.
// Node 0's policy always answers 100 ms.
func TestStepVoteOncePerTerm(t *testing.T) {
	s, err := scenario.Load("testdata/handbuilt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := *s
	c.Crashes = nil
	var m eventlog.Memory
	r := newRun(&sim.Config{Scenario: &c, Seed: 1, Sink: &m,
		Policy: simtest.Fixed(100, 150, 200)})
	r.Boot()
	vote := func(from int, term uint64) sim.Envelope[msg] {
		return sim.Envelope[msg]{Body: msg{term: term}, From: from, To: 0, Type: eventlog.MsgVote, RTTUS: -1, Value: -1}
	}
	steps := []struct {
		what string
		req  sim.Envelope[msg]
		want []string
	}{
		{"first request of term 1: node 0 moves to term 1 and grants it", vote(1, 1), []string{
			"vote_recv 0 1 0",
			fmt.Sprintf("became_follower 1 -1 %d", eventlog.FollowerHigherTerm),
			"timer_reset 1 -1 100000",
			"vote_granted 1 1 0",
			"timer_reset 1 -1 100000", // granting a vote resets the timer
		}},
		{"a second candidate in term 1 is refused: already voted", vote(2, 1), []string{
			"vote_recv 1 2 0",
			fmt.Sprintf("vote_denied 1 2 %d", eventlog.DenyAlreadyVoted),
		}},
		{"the candidate already voted for asks again: granted again", vote(1, 1), []string{
			"vote_recv 1 1 0",
			"vote_granted 1 1 0",
			"timer_reset 1 -1 100000",
		}},
		{"term 2: a new term, a new vote", vote(2, 2), []string{
			"vote_recv 1 2 0",
			fmt.Sprintf("became_follower 2 -1 %d", eventlog.FollowerHigherTerm),
			"timer_reset 2 -1 100000",
			"vote_granted 2 2 0",
			"timer_reset 2 -1 100000",
		}},
		{"a request of stale term 1 is refused with the newer term", vote(1, 1), []string{
			"vote_recv 2 1 0",
			fmt.Sprintf("vote_denied 2 1 %d", eventlog.DenyStaleTerm),
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
// log; its policy answers 100 ms, so its timer fires at 100 ms) gets, at
// 50 ms, a vote request of term 2 from a candidate whose log is empty.
// It moves to term 2 and refuses the vote (the candidate's log is behind:
// Raft paper section 5.4.1). Under etcd's rule becoming follower of the
// new term resets the timer (to 150 ms); under the paper's (Figure 2:
// only a current leader's append, a granted vote or starting an election
// reset it) the timer keeps running and fires at 100 ms.
func TestStepTimerResetRules(t *testing.T) {
	for _, c := range simtest.TimerResetCases {
		s, err := scenario.Load("testdata/handbuilt.yaml")
		if err != nil {
			t.Fatal(err)
		}
		sc := *s
		sc.Crashes = nil
		sc.Raft.TimerReset = c.Rule
		var m eventlog.Memory
		r := newRun(&sim.Config{Scenario: &sc, Seed: 1, Sink: &m,
			Policy: simtest.Fixed(100, 150, 200)})
		r.nodes[0].Term, r.nodes[0].lastLogTerm, r.nodes[0].lastLogIndex = 1, 1, 1
		r.Boot()
		r.NowUS = 50_000
		mark := len(m.Events)
		if err := r.Step(sim.Envelope[msg]{Body: msg{term: 2}, From: 1, To: 0, Type: eventlog.MsgVote, RTTUS: -1, Value: -1}); err != nil {
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
