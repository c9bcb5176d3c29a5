package harness

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a strings.Builder safe for the progress ticker.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLineProgress: lines come every interval even while no run completes
// (a long run shows the sweep alive), no rate is shown before there is
// one, and the last line says how long the sweep took.
func TestLineProgress(t *testing.T) {
	var out syncBuffer
	p := &LineProgress{W: &out, Interval: 20 * time.Millisecond}
	p.Start(5, 1)
	time.Sleep(70 * time.Millisecond)
	p.Done(true)
	p.Finish()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 3 || lines[0] != "sweep: 5 runs, 1 already complete, 4 to run" {
		t.Fatalf("lines %q", lines)
	}
	if !strings.Contains(lines[1], "0/4 done, 0 failed") || !strings.Contains(lines[1], "- runs/s, eta ?") || !strings.Contains(lines[1], "elapsed") {
		t.Errorf("a heartbeat line before any run completed: %q", lines[1])
	}
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "sweep: finished 1/4 runs in ") || strings.Contains(last, "- runs/s") {
		t.Errorf("last line %q", last)
	}
}
