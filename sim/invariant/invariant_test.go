package invariant

import (
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
)

type ev = eventlog.Event

func e(t int64, node int16, k eventlog.Kind, term uint64, peer int16, value int64, msg uint64) ev {
	return ev{TimeUS: t, Node: node, Kind: k, Term: term, Peer: peer, Value: value, Arm: -1, MsgID: msg}
}

// election is a valid 3-node election of node 0 in term 1.
func election() []ev {
	return []ev{
		e(0, 0, eventlog.BecameCandidate, 1, -1, 0, 0),
		e(0, 0, eventlog.VoteSent, 1, 1, 0, 1),
		e(10, 1, eventlog.VoteRecv, 0, 0, 0, 1),
		e(10, 1, eventlog.VoteGranted, 1, 0, 0, 2),
		e(20, 0, eventlog.VoteRespRecv, 1, 1, 1, 2),
		e(20, 0, eventlog.BecameLeader, 1, -1, 0, 0),
	}
}

// TestCheckerCatchesViolations feeds hand-built traces, each breaking one
// property, and requires the checker to name it; the valid base passes.
func TestCheckerCatchesViolations(t *testing.T) {
	cases := []struct {
		name  string
		trace []ev
		want  string // "" = valid
	}{
		{"valid election", election(), ""},
		{"time goes back", append(election(), e(5, 2, eventlog.Timeout, 0, -1, 0, 0)), "time went backwards"},
		{"two leaders in a term", append(election(),
			e(30, 2, eventlog.BecameCandidate, 1, -1, 0, 0),
			e(30, 2, eventlog.VoteSent, 1, 1, 0, 3),
			e(40, 1, eventlog.VoteRecv, 1, 2, 0, 3),
			e(40, 1, eventlog.VoteGranted, 1, 2, 0, 4),
		), "already voted for 0"},
		{"leader without a majority", []ev{
			e(0, 0, eventlog.BecameCandidate, 1, -1, 0, 0),
			e(20, 0, eventlog.BecameLeader, 1, -1, 0, 0),
		}, "became leader with 1 votes"},
		{"receipt before its sending", []ev{
			e(0, 0, eventlog.VoteSent, 1, 1, 0, 1),
			e(0, 2, eventlog.VoteRecv, 0, 0, 0, 9),
		}, "never sent"},
		{"receipt at the wrong node", []ev{
			e(0, 0, eventlog.VoteSent, 1, 1, 0, 1),
			e(5, 2, eventlog.VoteRecv, 0, 0, 0, 1),
		}, "was sent 0->1, not 0->2"},
		{"delivered twice", []ev{
			e(0, 0, eventlog.HeartbeatSent, 1, 1, 0, 1),
			e(5, 1, eventlog.HeartbeatRecv, 1, 0, 5, 1),
			e(6, 1, eventlog.HeartbeatRecv, 1, 0, 6, 1),
		}, "twice"},
		{"delivered to a crashed node", []ev{
			e(0, 0, eventlog.HeartbeatSent, 1, 1, 0, 1),
			e(2, 1, eventlog.Crash, 1, -1, 0, 0),
			e(5, 1, eventlog.HeartbeatRecv, 1, 0, 5, 1),
		}, "node 1 is down"},
		{"drop at a crashed node is fine", []ev{
			e(0, 0, eventlog.HeartbeatSent, 1, 1, 0, 1),
			e(2, 1, eventlog.Crash, 1, -1, 0, 0),
			e(5, 0, eventlog.MsgDead, 1, 1, 5, 1),
			e(6, 1, eventlog.Restart, 1, -1, 0, 0),
		}, ""},
		{"a paused node handles a message only at its pause's end", []ev{
			e(0, 0, eventlog.HeartbeatSent, 1, 1, 0, 1),
			e(2, 1, eventlog.PauseStart, 1, -1, 10, 0),
			e(5, 0, eventlog.HeartbeatSent, 1, 1, 0, 2),
			e(7, 0, eventlog.MsgLost, 1, 1, 5, 2),
			e(12, 1, eventlog.PauseEnd, 1, -1, 0, 0),
			e(12, 1, eventlog.HeartbeatRecv, 1, 0, 12, 1),
		}, ""},
		{"receipt during a pause", []ev{
			e(0, 0, eventlog.HeartbeatSent, 1, 1, 0, 1),
			e(2, 1, eventlog.PauseStart, 1, -1, 10, 0),
			e(5, 1, eventlog.HeartbeatRecv, 1, 0, 5, 1),
		}, "node 1 is paused until 12 µs"},
		{"timeout during a pause", []ev{
			e(2, 1, eventlog.PauseStart, 0, -1, 10, 0),
			e(5, 1, eventlog.Timeout, 0, -1, 0, 0),
		}, "node 1 is paused"},
		{"pause ends early", []ev{
			e(2, 1, eventlog.PauseStart, 0, -1, 10, 0),
			e(5, 1, eventlog.PauseEnd, 0, -1, 0, 0),
		}, "the pause ends at 12 µs"},
		{"a sleep extends a pause: one end, at the later time", []ev{
			e(2, 1, eventlog.PauseStart, 0, -1, 10, 0),
			e(5, 1, eventlog.Sleep, 0, -1, 20, 0),
			e(25, 1, eventlog.PauseEnd, 0, -1, 0, 0),
		}, ""},
		{"a pause_start never shortens a pause", []ev{
			e(2, 1, eventlog.PauseStart, 0, -1, 10, 0),
			e(5, 1, eventlog.PauseStart, 0, -1, 5, 0),
		}, "before its pause's end at 12 µs"},
		{"pause of a crashed node", []ev{
			e(2, 1, eventlog.Crash, 0, -1, 0, 0),
			e(5, 1, eventlog.PauseStart, 0, -1, 10, 0),
		}, "node 1 is down"},
		{"a crash ends a pause, the restarted node runs", []ev{
			e(2, 1, eventlog.PauseStart, 0, -1, 10, 0),
			e(5, 1, eventlog.Crash, 0, -1, 0, 0),
			e(7, 1, eventlog.Restart, 0, -1, 0, 0),
			e(8, 1, eventlog.Timeout, 0, -1, 0, 0),
		}, ""},
		{"pause_end without a pause", []ev{
			e(2, 1, eventlog.PauseStart, 0, -1, 10, 0),
			e(5, 1, eventlog.Crash, 0, -1, 0, 0),
			e(7, 1, eventlog.Restart, 0, -1, 0, 0),
			e(12, 1, eventlog.PauseEnd, 0, -1, 0, 0),
		}, "pause_end of a node that is not paused"},
		{"term goes back across a restart", []ev{
			e(0, 1, eventlog.BecameFollower, 3, -1, 2, 0),
			e(2, 1, eventlog.Crash, 3, -1, 0, 0),
			e(6, 1, eventlog.Restart, 0, -1, 0, 0),
		}, "term went back"},
	}
	for _, c := range cases {
		chk := New(3)
		for i := range c.trace {
			chk.Emit(&c.trace[i])
		}
		err := chk.Err()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: unexpected violation: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v, want a violation mentioning %q", c.name, err, c.want)
		}
	}
}
