package advise

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/ballast-bench/ballast/sim/measured"
)

// Network is the operator's network between every pair of members: a
// trace (ballast trace import: one-way delay, and loss, over time), a
// samples file (one-way delays), or a quick description. Exactly one of
// Trace, Samples and RTTMS is set.
type Network struct {
	Trace   string // a trace CSV file: t_s,delay_ms[,loss]
	Samples string // a samples file: one one-way delay in ms per line
	// The quick description: the mean round trip, its jitter and the
	// loss per message. Each one-way delay is (RTTMS - JitterMS) / 2 plus
	// an exponential draw of mean JitterMS / 2, so the mean round trip is
	// RTTMS.
	RTTMS, JitterMS, Loss float64

	// Filled by Check: the mean round trip of the network, for the rule
	// of thumb, and the files' contents.
	meanRTTMS  float64
	traceLoops bool // the trace has two rows at least, so it can repeat
}

// Check validates the description and reads its files. Errors name the
// flag (or file and line) and what is allowed.
func (n *Network) Check() error {
	set := 0
	for _, b := range []bool{n.Trace != "", n.Samples != "", n.RTTMS != 0 || n.JitterMS != 0 || n.Loss != 0} {
		if b {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("--trace, --samples, --rtt-ms: give exactly one network (%d given); allowed: a trace from 'ballast trace import', a samples file, or --rtt-ms with --jitter-ms and --loss", set)
	}
	switch {
	case n.Trace != "":
		data, err := os.ReadFile(n.Trace)
		if err != nil {
			return fmt.Errorf("--trace: %w; allowed: a trace file (ballast trace import)", err)
		}
		tr, err := measured.ReadTrace(n.Trace, data)
		if err != nil {
			return fmt.Errorf("--trace: %w", err)
		}
		n.meanRTTMS = 2 * traceMean(tr)
		n.traceLoops = len(tr.Points) >= 2
	case n.Samples != "":
		data, err := os.ReadFile(n.Samples)
		if err != nil {
			return fmt.Errorf("--samples: %w; allowed: a samples file (ballast trace import --from prometheus)", err)
		}
		s, err := measured.ReadSamples(n.Samples, data)
		if err != nil {
			return fmt.Errorf("--samples: %w", err)
		}
		sum := 0.0
		for _, v := range s {
			sum += v
		}
		n.meanRTTMS = 2 * sum / float64(len(s))
	default:
		switch {
		case !(n.RTTMS > 0) || n.RTTMS > 60_000:
			return fmt.Errorf("--rtt-ms %g: allowed: a round-trip time above 0 and at most 60000 ms", n.RTTMS)
		case !(n.JitterMS >= 0) || n.JitterMS > n.RTTMS:
			return fmt.Errorf("--jitter-ms %g: allowed: 0 to the round-trip time (%g ms)", n.JitterMS, n.RTTMS)
		case !(n.Loss >= 0) || n.Loss > 0.5:
			return fmt.Errorf("--loss %g: allowed: a probability from 0 to 0.5", n.Loss)
		}
		n.meanRTTMS = n.RTTMS
	}
	return nil
}

// traceMean is the time-weighted mean one-way delay of a trace (the last
// row weighs as much as the mean step).
func traceMean(tr *measured.Trace) float64 {
	p := tr.Points
	if len(p) == 1 {
		return p[0].DelayMS
	}
	sum, span := 0.0, 0.0
	for i := 0; i+1 < len(p); i++ {
		w := float64(p[i+1].TUS - p[i].TUS)
		sum += w * p[i].DelayMS
		span += w
	}
	step := span / float64(len(p)-1)
	return (sum + step*p[len(p)-1].DelayMS) / (span + step)
}

// MeanRTTMS is the network's mean round-trip time (after Check).
func (n *Network) MeanRTTMS() float64 { return n.meanRTTMS }

// String describes the network in one line.
func (n *Network) String() string {
	switch {
	case n.Trace != "":
		return fmt.Sprintf("trace %s (mean round trip %.3g ms), looped", filepath.Base(n.Trace), n.meanRTTMS)
	case n.Samples != "":
		return fmt.Sprintf("delay samples %s (mean round trip %.3g ms)", filepath.Base(n.Samples), n.meanRTTMS)
	}
	return fmt.Sprintf("round trip %g ms, jitter %g ms, loss %g", n.RTTMS, n.JitterMS, n.Loss)
}

// yaml is the scenario's network block, and the directory its file names
// are relative to. Every pair of members sees the same network; the
// transport is a stream (etcd's peers talk over TCP), with ballast's
// default retransmission timeout.
func (n *Network) yaml() (block, dir string) {
	var b strings.Builder
	b.WriteString("network:\n  transport: stream\n  default:\n")
	switch {
	case n.Trace != "":
		dir = filepath.Dir(n.Trace)
		fmt.Fprintf(&b, "    trace: %q\n", filepath.Base(n.Trace))
		if n.traceLoops {
			b.WriteString("    trace_end: repeat\n") // runs are longer than traces
		}
	case n.Samples != "":
		dir = filepath.Dir(n.Samples)
		fmt.Fprintf(&b, "    base_delay_ms: 0\n    jitter: {dist: empirical, file: %q}\n", filepath.Base(n.Samples))
	default:
		fmt.Fprintf(&b, "    base_delay_ms: %s\n", num((n.RTTMS-n.JitterMS)/2))
		if n.JitterMS > 0 {
			fmt.Fprintf(&b, "    jitter: {dist: exponential, mean_ms: %s}\n", num(n.JitterMS/2))
		}
		fmt.Fprintf(&b, "    loss: %s\n", num(n.Loss))
	}
	return b.String(), dir
}

// num prints a float exactly and briefly for YAML.
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%g", v)
}
