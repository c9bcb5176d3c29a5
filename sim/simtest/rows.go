package simtest

import (
	"fmt"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// StepRows formats rows as "kind term peer value", the form the engines'
// step tests compare with their hand-derived rows.
func StepRows(evs []eventlog.Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, fmt.Sprintf("%s %d %d %d", e.Kind, e.Term, e.Peer, e.Value))
	}
	return out
}

// FirstTimeoutUS is the time of node's first timeout row, -1 if none.
func FirstTimeoutUS(evs []eventlog.Event, node int) int64 {
	for _, e := range evs {
		if e.Kind == eventlog.Timeout && int(e.Node) == node {
			return e.TimeUS
		}
	}
	return -1
}

// TimerResetCase is one timer-reset rule of the engines' step tests: a
// follower of term 1 whose 100 ms timer runs from 0 refuses, at 50 ms, a
// vote request of term 2 (the candidate's log is behind). Rows are what
// the rule logs between its became_follower and vote_denied rows; the
// node's timer then fires at TimeoutUS.
type TimerResetCase struct {
	Rule      string
	Rows      []string
	TimeoutUS int64
}

// TimerResetCases: etcd's rule re-arms the timer on becoming follower of
// the new term (to 150 ms); the paper's keeps it running (100 ms).
var TimerResetCases = []TimerResetCase{
	{scenario.TimerResetEtcd, []string{"timer_reset 2 -1 100000"}, 150_000},
	{scenario.TimerResetPaper, nil, 100_000},
}

// TimerResetRows are the rows the step of a TimerResetCase logs.
func (c *TimerResetCase) TimerResetRows() []string {
	out := []string{"vote_recv 1 1 0", fmt.Sprintf("became_follower 2 -1 %d", eventlog.FollowerHigherTerm)}
	out = append(out, c.Rows...)
	return append(out, fmt.Sprintf("vote_denied 2 1 %d", eventlog.DenyLogBehind))
}
