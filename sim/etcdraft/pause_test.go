package etcdraft

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim/dist"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/simtest"
)

func constMS(ms float64) *dist.Spec { return &dist.Spec{Dist: "constant", ValueMS: &ms} }

// pauseOnce pauses node for lengthMS from atMS (the next pause would start
// after the run's end).
func pauseOnce(node int, atMS, lengthMS float64) scenario.Pause {
	return scenario.Pause{Nodes: []int{node}, Gap: constMS(atMS), Duration: constMS(lengthMS)}
}

// rowsOf formats node's rows in [fromMS, toMS] (time node kind term peer
// value), and, with drops, the drops of messages sent to it.
func rowsOf(evs []eventlog.Event, node int16, fromMS, toMS int64, drops bool) []string {
	var out []string
	for _, e := range evs {
		mine := e.Node == node || drops && e.Peer == node && e.Kind == eventlog.MsgDead
		if mine && e.TimeUS >= fromMS*1000 && e.TimeUS <= toMS*1000 {
			out = append(out, fmt.Sprintf("%d %d %s %d %d %d", e.TimeUS/1000, e.Node, e.Kind, e.Term, e.Peer, e.Value))
		}
	}
	return out
}

func wantRows(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPauseHandBuilt checks processing pauses on real raft against times
// worked out by hand on testdata/three.yaml (10 ms links, no PreVote, no
// CheckQuorum) with deadlines 100, 250 and 600 ms: node 0 leads term 1
// from 120 ms (TestFirstElection); its MsgApps leave at 120 and 140 ms,
// its heartbeats on its ticks at 170, 220, 270, ... ms, each arriving
// 10 ms later. Rows are "ms node kind term peer value".
func TestPauseHandBuilt(t *testing.T) {
	deadlines := simtest.Fixed(100, 250, 600)
	run := func(durationS float64, pauses []scenario.Pause, crashes []scenario.Crash) []eventlog.Event {
		t.Helper()
		return checked(t, three(t, func(s *scenario.Scenario) {
			s.DurationS, s.Pauses, s.Crashes = durationS, pauses, crashes
		}), deadlines)
	}
	// A paused follower handles a message only when its pause ends: node 2
	// pauses 160-190 ms; the heartbeat sent at 170 ms arrives at 180 ms
	// and is handled at 190 ms (delay 20 ms, the wait included); the leader
	// sees a round trip of 30 ms.
	t.Run("message waits", func(t *testing.T) {
		evs := run(0.3, []scenario.Pause{pauseOnce(2, 160, 30)}, nil)
		wantRows(t, "node 2, 150-200 ms", rowsOf(evs, 2, 150, 200, false),
			"150 2 heartbeat_recv 1 0 10000",
			"150 2 timer_reset 1 -1 600000",
			"150 2 heartbeat_resp_sent 1 0 0",
			"160 2 pause_start 1 -1 30000",
			"190 2 pause_end 1 -1 0",
			"190 2 heartbeat_recv 1 0 20000",
			"190 2 timer_reset 1 -1 600000",
			"190 2 heartbeat_resp_sent 1 0 0")
		var rtt []string
		for _, e := range evs {
			if e.Kind == eventlog.HeartbeatRespRecv && e.Peer == 2 && e.TimeUS > 150_000 && e.TimeUS <= 250_000 {
				rtt = append(rtt, fmt.Sprintf("%d %d", e.TimeUS/1000, e.Value/1000))
			}
		}
		wantRows(t, "leader's round trips to node 2", rtt, "160 20", "200 30", "240 20")
	})
	// A timer that comes due in a pause fires at its end: node 0 pauses
	// 90-130 ms; its 100 ms deadline fires at 130 ms, when it campaigns;
	// its requests arrive at 140 ms and it leads from 150 ms.
	t.Run("timer fires at the end", func(t *testing.T) {
		evs := run(0.2, []scenario.Pause{pauseOnce(0, 90, 40)}, nil)
		wantRows(t, "node 0, 0-150 ms", rowsOf(evs, 0, 1, 150, false),
			"90 0 pause_start 0 -1 40000",
			"130 0 pause_end 0 -1 0",
			"130 0 timeout 0 -1 0",
			"130 0 became_candidate 1 -1 0",
			"130 0 timer_reset 1 -1 100000",
			"130 0 vote_sent 1 1 0",
			"130 0 vote_sent 1 2 0",
			"150 0 vote_resp_recv 1 1 1",
			"150 0 became_leader 1 -1 0",
			"150 0 heartbeat_sent 1 1 0",
			"150 0 heartbeat_sent 1 2 0",
			"150 0 vote_resp_recv 1 2 1")
	})
	// At a pause's end the inbox comes before expired timers: node 1
	// pauses 200-500 ms; its deadline (last heartbeat at 180 ms + 250 ms)
	// comes due at 430 ms while the heartbeats sent at 220, ..., 470 ms
	// wait. At 500 ms raft steps them in arrival order, each re-arming the
	// timer, so it no longer fires: no timeout, node 0 stays the leader.
	t.Run("inbox before timers", func(t *testing.T) {
		evs := run(0.6, []scenario.Pause{pauseOnce(1, 200, 300)}, nil)
		want := []string{"200 1 pause_start 1 -1 300000", "500 1 pause_end 1 -1 0"}
		for sent := 220; sent < 500; sent += 50 {
			want = append(want, fmt.Sprintf("500 1 heartbeat_recv 1 0 %d", (500-sent)*1000),
				"500 1 timer_reset 1 -1 250000", "500 1 heartbeat_resp_sent 1 0 0")
		}
		wantRows(t, "node 1, 200-500 ms", rowsOf(evs, 1, 200, 500, false), want...)
		if got := leaders(evs); !slices.Equal(got, []string{"0@120/1"}) {
			t.Errorf("leaders %v, want node 0 alone", got)
		}
	})
	// A paused leader's ticks do not queue up: node 0 pauses 300-400 ms;
	// its ticks due at 320 and 370 ms give one tick at 400 ms (heartbeats
	// then), and it ticks every 50 ms from there.
	t.Run("leader tick after a pause", func(t *testing.T) {
		evs := run(0.5, []scenario.Pause{pauseOnce(0, 300, 100)}, nil)
		var sent []int64
		for _, e := range evs {
			if e.Kind == eventlog.HeartbeatSent && e.Node == 0 && e.Peer == 1 && e.TimeUS >= 250_000 {
				sent = append(sent, e.TimeUS/1000)
			}
		}
		if want := []int64{270, 400, 450}; !slices.Equal(sent, want) {
			t.Errorf("heartbeats to node 1 at %v ms, want %v", sent, want)
		}
	})
	// A crash ends a pause: node 2 pauses 160-260 ms and crashes at 200 ms
	// with the heartbeat of 170 ms waiting (msg_dead at the crash, no
	// pause_end). It restarts at 230 ms, not paused: the heartbeat sent to
	// the crashed node at 220 ms finds a restarted node (msg_dead), the one
	// of 270 ms is handled when it arrives.
	t.Run("crash ends the pause", func(t *testing.T) {
		evs := run(0.3, []scenario.Pause{pauseOnce(2, 160, 100)},
			[]scenario.Crash{{Node: "2", AtS: 0.2, RestartAfterMS: ptr(30.0)}})
		wantRows(t, "node 2 and messages lost to it, 160-280 ms", rowsOf(evs, 2, 160, 280, true),
			"160 2 pause_start 1 -1 100000",
			"200 2 crash 1 -1 0",
			"200 0 msg_dead 1 2 5",
			"230 2 restart 1 -1 0",
			"230 2 became_follower 1 -1 1",
			"230 2 timer_reset 1 -1 600000",
			"230 0 msg_dead 1 2 5",
			"280 2 heartbeat_recv 1 0 10000",
			"280 2 timer_reset 1 -1 600000",
			"280 2 heartbeat_resp_sent 1 0 0")
	})
}
