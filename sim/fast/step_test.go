package fast

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// stepRows returns the rows logged since mark as "kind term peer value".
func stepRows(m *eventlog.Memory, mark int) []string {
	var out []string
	for _, e := range m.Events[mark:] {
		out = append(out, fmt.Sprintf("%s %d %d %d", e.Kind, e.Term, e.Peer, e.Value))
	}
	return out
}

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
		Policy: func(node int, _ *rand.Rand) policy.Policy { return perNode{node} }})
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
		if got := stepRows(&m, mark); !slices.Equal(got, st.want) {
			t.Fatalf("%s:\n got %q\nwant %q", st.what, got, st.want)
		}
	}
}
