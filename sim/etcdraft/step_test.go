package etcdraft

import (
	"fmt"
	"slices"
	"testing"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
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
	r, err := newRun(&sim.Config{Scenario: s, Seed: 1, RunID: "step", Sink: &m, Policy: fixed{[]int64{100, 150, 200}}.factory()})
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
		var got []string
		for _, e := range m.Events[mark:] {
			got = append(got, fmt.Sprintf("%s %d %d %d", e.Kind, e.Term, e.Peer, e.Value))
		}
		if !slices.Equal(got, st.want) {
			t.Fatalf("%s:\n got %q\nwant %q", st.what, got, st.want)
		}
	}
}
