package fast

import (
	"slices"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/invariant"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/simtest"
)

// pauseTrace runs testdata/handbuilt.yaml's cluster (3 nodes, constant
// 10 ms links, node i's deadline 100 + 50*i ms) without its crash, with
// the pauses and crashes given in YAML, checks the invariants and returns
// the rows.
func pauseTrace(t *testing.T, durationS string, faults string) []eventlog.Event {
	t.Helper()
	s, err := scenario.Parse("pause.yaml", []byte("name: pause\ndescription: d\nnodes: 3\nduration_s: "+durationS+
		"\nraft: {heartbeat_ms: 50}\nnetwork: {default: {base_delay_ms: 10}}\n"+faults))
	if err != nil {
		t.Fatal(err)
	}
	var m eventlog.Memory
	_, err = Engine{}.Run(&sim.Config{Scenario: s, Seed: 1, Sink: &m,
		Policy: simtest.Fixed(100, 150, 200)})
	if err != nil {
		t.Fatal(err)
	}
	chk := invariant.New(s.Nodes)
	for i := range m.Events {
		chk.Emit(&m.Events[i])
	}
	if err := chk.Err(); err != nil {
		t.Fatal(err)
	}
	return m.Events
}

// window formats the rows with fromUS <= time_us <= toUS as the golden
// files do: time node kind term peer value arm msg_id.
func window(evs []eventlog.Event, fromUS, toUS int64) []string {
	var out []string
	for _, e := range evs {
		if e.TimeUS >= fromUS && e.TimeUS <= toUS {
			out = append(out, formatEvent(e))
		}
	}
	return out
}

func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPauseHandBuilt checks processing pauses against traces worked out by
// hand. Without faults the cluster runs as testdata/handbuilt.golden:
// node 0 leads term 1 from 120 ms and heartbeats at 120, 170, 220, ... ms;
// a heartbeat sent at t arrives at t+10 ms. Message ids count sends.
func TestPauseHandBuilt(t *testing.T) {
	// A paused follower handles a message only when its pause ends. Node 2
	// pauses 150-190 ms: the heartbeat sent at 170 ms (msg 10) arrives at
	// 180 ms and waits; at 190 ms node 2 handles it (one-way delay 20 ms,
	// the wait included) and answers (msg 12), which the leader sees with
	// a round trip of 30 ms. Node 1 is unaffected.
	t.Run("message waits", func(t *testing.T) {
		evs := pauseTrace(t, "0.3", "pauses: [{nodes: [2], gap: {dist: constant, value_ms: 150}, duration: {dist: constant, value_ms: 40}}]\n")
		sameRows(t, "150-200 ms", window(evs, 150_000, 200_000), []string{
			"150000 2 pause_start 1 -1 40000 -1 0",
			"170000 0 heartbeat_sent 1 1 0 -1 9",
			"170000 0 heartbeat_sent 1 2 0 -1 10",
			"180000 1 heartbeat_recv 1 0 10000 -1 9",
			"180000 1 timer_reset 1 -1 150000 -1 0",
			"180000 1 heartbeat_resp_sent 1 0 0 -1 11",
			"190000 2 pause_end 1 -1 0 -1 0",
			"190000 2 heartbeat_recv 1 0 20000 -1 10",
			"190000 2 timer_reset 1 -1 200000 -1 0",
			"190000 2 heartbeat_resp_sent 1 0 0 -1 12",
			"190000 0 heartbeat_resp_recv 1 1 20000 -1 11",
			"200000 0 heartbeat_resp_recv 1 2 30000 -1 12",
		})
	})
	// A timer that comes due in a pause fires at its end, not during it.
	// Node 0 pauses 90-130 ms; its 100 ms deadline comes due at 100 ms and
	// fires at 130 ms, when it campaigns (requests arrive at 140 ms).
	t.Run("timer fires at the end", func(t *testing.T) {
		evs := pauseTrace(t, "0.2", "pauses: [{nodes: [0], gap: {dist: constant, value_ms: 90}, duration: {dist: constant, value_ms: 40}}]\n")
		sameRows(t, "90-140 ms", window(evs, 90_000, 140_000), []string{
			"90000 0 pause_start 0 -1 40000 -1 0",
			"130000 0 pause_end 0 -1 0 -1 0",
			"130000 0 timeout 0 -1 0 -1 0",
			"130000 0 became_candidate 1 -1 0 -1 0",
			"130000 0 timer_reset 1 -1 100000 -1 0",
			"130000 0 vote_sent 1 1 0 -1 1",
			"130000 0 vote_sent 1 2 0 -1 2",
			"140000 1 vote_recv 0 0 0 -1 1",
			"140000 1 became_follower 1 -1 2 -1 0",
			"140000 1 timer_reset 1 -1 150000 -1 0",
			"140000 1 vote_granted 1 0 0 -1 3",
			"140000 1 timer_reset 1 -1 150000 -1 0",
			"140000 2 vote_recv 0 0 0 -1 2",
			"140000 2 became_follower 1 -1 2 -1 0",
			"140000 2 timer_reset 1 -1 200000 -1 0",
			"140000 2 vote_granted 1 0 0 -1 4",
			"140000 2 timer_reset 1 -1 200000 -1 0",
		})
	})
	// At a pause's end the inbox comes before expired timers. Node 1
	// pauses 200-400 ms; its deadline (last heartbeat at 180 ms + 150 ms)
	// comes due at 330 ms, and the heartbeats sent at 220, 270, 320 and
	// 370 ms (msgs 13, 16, 19, 22) wait. At 400 ms node 1 handles them in
	// arrival order, each re-arming its timer, so the expired timer no
	// longer fires: no timeout, no election.
	t.Run("inbox before timers", func(t *testing.T) {
		evs := pauseTrace(t, "0.45", "pauses: [{nodes: [1], gap: {dist: constant, value_ms: 200}, duration: {dist: constant, value_ms: 200}}]\n")
		var node1 []eventlog.Event
		for _, e := range evs {
			if e.Node == 1 && e.TimeUS >= 200_000 {
				node1 = append(node1, e)
			}
		}
		sameRows(t, "node 1 from 200 ms", window(node1, 200_000, 400_000), []string{
			"200000 1 pause_start 1 -1 200000 -1 0",
			"400000 1 pause_end 1 -1 0 -1 0",
			"400000 1 heartbeat_recv 1 0 180000 -1 13",
			"400000 1 timer_reset 1 -1 150000 -1 0",
			"400000 1 heartbeat_resp_sent 1 0 0 -1 25",
			"400000 1 heartbeat_recv 1 0 130000 -1 16",
			"400000 1 timer_reset 1 -1 150000 -1 0",
			"400000 1 heartbeat_resp_sent 1 0 0 -1 26",
			"400000 1 heartbeat_recv 1 0 80000 -1 19",
			"400000 1 timer_reset 1 -1 150000 -1 0",
			"400000 1 heartbeat_resp_sent 1 0 0 -1 27",
			"400000 1 heartbeat_recv 1 0 30000 -1 22",
			"400000 1 timer_reset 1 -1 150000 -1 0",
			"400000 1 heartbeat_resp_sent 1 0 0 -1 28",
		})
		for _, e := range evs {
			if e.Kind == eventlog.Timeout && e.TimeUS > 0 && e.Node != 0 {
				t.Errorf("unexpected timeout: %s", formatEvent(e))
			}
		}
	})
	// A crash ends a pause: the waiting heartbeat (msg 10) is lost with
	// the process (msg_dead at the crash), and there is no pause_end. Node
	// 2 pauses 150-250 ms, crashes at 200 ms and restarts at 230 ms,
	// within the old pause's span but not paused: the heartbeat sent to the
	// crashed node at 220 ms (msg 13) finds a restarted node (msg_dead),
	// and the one sent at 270 ms (msg 16) is handled when it arrives.
	t.Run("crash ends the pause", func(t *testing.T) {
		evs := pauseTrace(t, "0.3", "pauses: [{nodes: [2], gap: {dist: constant, value_ms: 150}, duration: {dist: constant, value_ms: 100}}]\n"+
			"crashes: [{node: \"2\", at_s: 0.2, restart_after_ms: 30}]\n")
		var node2 []string
		for _, e := range evs {
			if (e.Node == 2 || e.Peer == 2 && e.Kind == eventlog.MsgDead) && e.TimeUS >= 150_000 && e.TimeUS <= 280_000 {
				node2 = append(node2, formatEvent(e))
			}
		}
		sameRows(t, "node 2 and its lost messages, 150-280 ms", node2, []string{
			"150000 2 pause_start 1 -1 100000 -1 0",
			"200000 2 crash 1 -1 0 -1 0",
			"200000 0 msg_dead 1 2 5 -1 10",
			"230000 2 restart 1 -1 0 -1 0",
			"230000 2 became_follower 1 -1 1 -1 0",
			"230000 2 timer_reset 1 -1 200000 -1 0",
			"230000 0 msg_dead 1 2 5 -1 13",
			"280000 2 heartbeat_recv 1 0 10000 -1 16",
			"280000 2 timer_reset 1 -1 200000 -1 0",
			"280000 2 heartbeat_resp_sent 1 0 0 -1 18",
		})
	})
	// A pause that starts while the node is down does not happen.
	t.Run("no pause while down", func(t *testing.T) {
		evs := pauseTrace(t, "0.3", "pauses: [{nodes: [2], gap: {dist: constant, value_ms: 150}, duration: {dist: constant, value_ms: 40}}]\n"+
			"crashes: [{node: \"2\", at_s: 0.14, restart_after_ms: 30}]\n")
		for _, e := range evs {
			if e.Kind == eventlog.PauseStart || e.Kind == eventlog.PauseEnd {
				t.Errorf("a pause of a crashed node: %s", formatEvent(e))
			}
		}
	})
}
