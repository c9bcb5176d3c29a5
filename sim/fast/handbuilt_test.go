package fast

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
	"github.com/ballast-bench/ballast/sim/simtest"
)

func formatEvent(e eventlog.Event) string {
	return fmt.Sprintf("%d %d %s %d %d %d %d %d", e.TimeUS, e.Node, e.Kind, e.Term, e.Peer, e.Value, e.Arm, e.MsgID)
}

// TestHandBuiltTrace compares the engine with a trace worked out by hand
// (testdata/handbuilt.golden). The golden file is not generated: a
// difference means the engine or the hand derivation is wrong, and the
// derivation's comments say which Raft rule each step follows.
func TestHandBuiltTrace(t *testing.T) {
	s, err := scenario.Load("testdata/handbuilt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m eventlog.Memory
	_, err = Engine{}.Run(&sim.Config{Scenario: s, Seed: 1, Sink: &m,
		Policy: simtest.Fixed(100, 150, 200)})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/handbuilt.golden")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, line := range strings.Split(string(data), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			want = append(want, line)
		}
	}
	got := make([]string, len(m.Events))
	for i, e := range m.Events {
		got[i] = formatEvent(e)
	}
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Fatalf("row %d differs:\n got: %s\nwant: %s\n(%d rows, %d expected)", i, g, w, len(got), len(want))
		}
	}
}
