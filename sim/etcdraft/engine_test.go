package etcdraft

import (
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/simtest"
)

// TestCrashRestartFromStorage: the workload's entries reach raft's log
// with their payload, a crashed node restarts from its storage with its
// term (the restart row carries the crash row's term) and catches up on
// the new leader's entries, and proposals get consecutive indices.
func TestCrashRestartFromStorage(t *testing.T) {
	s := three(t, func(s *scenario.Scenario) {
		s.Raft.PreVote, s.Raft.CheckQuorum = true, true
		s.Raft.ProposalIntervalMS = 20
		s.Raft.ProposalBytes = ptr(64)
		s.DurationS = 1.5
		s.Crashes = []scenario.Crash{{Node: "0", AtS: 0.505, RestartAfterMS: ptr(300.0)}}
	})
	var m eventlog.Memory
	r, err := newRun(&sim.Config{Scenario: s, Seed: 1, RunID: "t", Sink: &m, Policy: simtest.Fixed(100, 250, 600)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(); err != nil {
		t.Fatal(err)
	}
	var crashTerm, restartTerm uint64
	lastIndex := map[uint64]int64{} // per leader term
	for _, e := range m.Events {
		switch {
		case e.Kind == eventlog.Crash:
			crashTerm = e.Term
		case e.Kind == eventlog.Restart:
			restartTerm = e.Term
		case e.Kind == eventlog.Proposal:
			if prev, ok := lastIndex[e.Term]; ok && e.Value != prev+1 {
				t.Errorf("proposal index %d after %d in term %d", e.Value, prev, e.Term)
			}
			lastIndex[e.Term] = e.Value
		}
	}
	if crashTerm != 1 || restartTerm != 1 {
		t.Errorf("crash in term %d, restart in term %d; want 1 and 1 (the term is on storage)", crashTerm, restartTerm)
	}
	if _, ok := lastIndex[2]; !ok {
		t.Fatal("no proposals in term 2")
	}
	// Node 0's log ends as node 1's (the leader of term 2), entries of
	// term 2 included, and every proposal carries 64 bytes.
	last := func(n int) (uint64, uint64) {
		st := r.nodes[n].st
		li, _ := st.LastIndex()
		lt, _ := st.Term(li)
		return li, lt
	}
	li0, lt0 := last(0)
	li1, lt1 := last(1)
	if lt1 != 2 || li0+2 < li1 || lt0 != 2 {
		t.Errorf("node 0's log ends at %d (term %d), the leader's at %d (term %d)", li0, lt0, li1, lt1)
	}
	ents, err := r.nodes[0].st.Entries(1, li0+1, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var payloads int
	for _, e := range ents {
		if n := len(e.GetData()); n != 0 && n != 64 {
			t.Errorf("entry %d has %d bytes, want 64", e.GetIndex(), n)
		} else if n == 64 {
			payloads++
		}
	}
	if payloads < 30 {
		t.Errorf("only %d proposals in node 0's log", payloads)
	}
}
