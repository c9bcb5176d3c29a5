// Package measured holds the file formats of measured networks and the
// importers that produce them.
//
// A samples file is one delay in milliseconds per line; a scenario's
// `dist: empirical` draws uniformly among its samples. A trace file is a
// CSV of one-way delay (and optionally loss) over time,
//
//	t_s,delay_ms,loss
//	0,12.5,0.001
//	30,40,0.02
//
// read step-wise: the row in force at t is the last one whose t_s <= t. In
// both, blank lines and lines starting with '#' are comments. Files are
// named in scenarios relative to the scenario file and pinned by a hash
// of their content (Hash) in the scenario's identity, so a changed file
// changes every run id that uses it.
//
// The importers (ballast trace import) turn what operators have into these
// formats: a `ping -D` log, a CSV of round-trip samples and etcd's
// etcd_network_peer_round_trip_time_seconds histogram. Round trips are
// halved to one-way delays, which assumes symmetric paths; the outputs say
// so in their header.
package measured

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Limits on what a file may hold: every accepted file loads in bounded
// memory and time.
const (
	MaxFileBytes = 16 << 20
	MaxRows      = 1_000_000
	maxDelayMS   = 3_600_000 // one hour
	maxTimeS     = 1_000_000 // a run's longest duration
)

// Hash is the content hash that pins a file in a scenario's identity: the
// first 12 hex digits of its SHA-256.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:12]
}

// LineError is a problem at one line of a file.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// lines calls f with every line that is not blank or a comment.
func lines(name string, data []byte, f func(n int, line string) error) error {
	if len(data) > MaxFileBytes {
		return &LineError{name, 0, fmt.Sprintf("%d bytes; allowed: at most %d", len(data), MaxFileBytes)}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := f(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &LineError{name, 0, err.Error()}
	}
	return nil
}

func number(name string, n int, what, s string, lo, hi float64) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || v < lo || v > hi {
		return 0, &LineError{name, n, fmt.Sprintf("%s %q is not allowed; allowed: a number in [%v, %v]", what, s, lo, hi)}
	}
	return v, nil
}

// ReadSamples reads a samples file: one delay in ms per line.
func ReadSamples(name string, data []byte) ([]float64, error) {
	var out []float64
	err := lines(name, data, func(n int, line string) error {
		if len(out) == MaxRows {
			return &LineError{name, n, fmt.Sprintf("more than %d samples; allowed: at most %d", MaxRows, MaxRows)}
		}
		v, err := number(name, n, "delay_ms", line, 0, maxDelayMS)
		if err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &LineError{name, 1, "no samples; allowed: one delay in ms per line"}
	}
	return out, nil
}

// Point is one row of a trace.
type Point struct {
	TUS     int64
	DelayMS float64
	Loss    float64 // -1 when the trace has no loss column
}

// Trace is a trace file's rows, in time order, the first at t = 0.
type Trace struct {
	Points  []Point
	HasLoss bool
}

// ReadTrace reads a trace file: a header "t_s,delay_ms" or
// "t_s,delay_ms,loss", then rows with strictly increasing t_s from 0,
// delays >= 0 ms and losses in [0, 1].
func ReadTrace(name string, data []byte) (*Trace, error) {
	t := &Trace{}
	header := false
	err := lines(name, data, func(n int, line string) error {
		cols := strings.Split(line, ",")
		if !header {
			switch strings.ReplaceAll(line, " ", "") {
			case "t_s,delay_ms":
			case "t_s,delay_ms,loss":
				t.HasLoss = true
			default:
				return &LineError{name, n, fmt.Sprintf("header %q; allowed: t_s,delay_ms or t_s,delay_ms,loss", line)}
			}
			header = true
			return nil
		}
		want := 2
		if t.HasLoss {
			want = 3
		}
		if len(cols) != want {
			return &LineError{name, n, fmt.Sprintf("%d columns; allowed: %d, as the header says", len(cols), want)}
		}
		if len(t.Points) == MaxRows {
			return &LineError{name, n, fmt.Sprintf("more than %d rows; allowed: at most %d", MaxRows, MaxRows)}
		}
		ts, err := number(name, n, "t_s", cols[0], 0, maxTimeS)
		if err != nil {
			return err
		}
		p := Point{TUS: int64(math.Round(ts * 1e6)), Loss: -1}
		if len(t.Points) == 0 && p.TUS != 0 {
			return &LineError{name, n, fmt.Sprintf("the first row is at t_s %v; allowed: 0 (a trace says what holds from the start)", ts)}
		}
		if k := len(t.Points); k > 0 && p.TUS <= t.Points[k-1].TUS {
			return &LineError{name, n, fmt.Sprintf("t_s %v is not after the row before (%v); allowed: strictly increasing times", ts, float64(t.Points[k-1].TUS)/1e6)}
		}
		if p.DelayMS, err = number(name, n, "delay_ms", cols[1], 0, maxDelayMS); err != nil {
			return err
		}
		if t.HasLoss {
			if p.Loss, err = number(name, n, "loss", cols[2], 0, 1); err != nil {
				return err
			}
		}
		t.Points = append(t.Points, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(t.Points) == 0 {
		return nil, &LineError{name, 1, "no rows; allowed: a header, then rows t_s,delay_ms[,loss] from t_s 0"}
	}
	return t, nil
}

// At is the row in force at tUS: the last one at or before it. With
// repeat the trace loops with a period of its last row's time (which
// then only marks the end); otherwise the last row holds past the end.
func (t *Trace) At(tUS int64, repeat bool) *Point {
	ps := t.Points
	if repeat && len(ps) > 1 {
		tUS %= ps[len(ps)-1].TUS
	}
	i := sort.Search(len(ps), func(i int) bool { return ps[i].TUS > tUS }) - 1
	return &ps[max(i, 0)]
}
