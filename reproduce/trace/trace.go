// Package trace derives, from one run's raw events, the time series and
// per-failure values the Dynatune figures plot and analysis/metrics does
// not compute: the quorum-th smallest election deadline over time (Figure
// 6), heartbeats sent per time bin (Figure 7's CPU proxy and heartbeat
// interval), the regime in force, the election deadlines in force when a
// leader failure is first detected (Figure 4's "timeout at detection"), and
// the periods without a leader (Dynatune's out-of-service time: "the
// service could not process any requests owing to the absence of a
// leader"). Like the metrics, everything comes from the event log alone.
package trace

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math"
	"slices"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/eventlog"
)

// Run is one run's series, binned by BinUS from time 0.
type Run struct {
	RunID      string
	Nodes      int
	DurationUS int64
	BinUS      int64
	// Per bin:
	Regime     []int64 // regime id in force at the bin's start (-1: none switched in yet)
	Heartbeats []int64 // heartbeat_sent rows in the bin (every leader, every follower)
	// KthDeadlineUS is, at the bin's end, the k-th smallest current
	// election deadline among live non-leaders, k = floor(N/2)+1: with
	// PreVote and leases an election proceeds only once a quorum has timed
	// out, so this is the timeout that decides when a failure is acted on
	// (Dynatune watches "the third smallest among the five servers"). A
	// node's current deadline is the value of its latest timer_reset. NaN
	// when fewer than k nodes have one.
	KthDeadlineUS []float64
	// DetectDeadlineUS has one entry per crash of the current leader: the
	// deadline of the first node whose timer fired after the crash, as
	// drawn at its latest timer_reset; -1 when a new leader came first.
	// (The current leader is the node that last logged became_leader and
	// has not since stepped down or crashed.)
	DetectDeadlineUS []int64
	// DetectMeanDeadlineUS has one entry per crash of the current leader
	// too: at the first timeout after the crash, the mean current deadline
	// of the live non-leaders (NaN when a new leader came first).
	DetectMeanDeadlineUS []float64
	// Leaderless are the periods, after the first leader, in which no live
	// node is leader; a period still open at the end is cut there.
	Leaderless []Period
}

// Period is a half-open interval [StartUS, EndUS).
type Period struct{ StartUS, EndUS int64 }

// Bins is the number of bins of a run of durationUS.
func Bins(durationUS, binUS int64) int {
	return int((durationUS + binUS - 1) / binUS)
}

// Also is the trace's consumer for the metrics pass over each run's events
// (metrics.Spec.Also): the series are derived in the same pass as the
// metrics, and the run's Also holds them (Of decodes them).
func Also(binUS int64) *metrics.Also {
	return &metrics.Also{
		Name: fmt.Sprintf("trace v1, bin %d us", binUS),
		New: func(info eventlog.RunInfo) (metrics.Consumer, error) {
			if binUS <= 0 {
				return nil, fmt.Errorf("trace: bin %d µs; allowed: > 0", binUS)
			}
			return newDeriver(info, binUS), nil
		},
	}
}

// Of returns the series a metrics pass with Also derived for run.
func Of(run *metrics.Run) (*Run, error) {
	r := &Run{}
	if err := gob.NewDecoder(bytes.NewReader(run.Also)).Decode(r); err != nil {
		return nil, fmt.Errorf("run %s: no trace in its analysis: %w", run.Row.RunID, err)
	}
	return r, nil
}

// Deriver is the streaming state of one run.
type Deriver struct {
	r        *Run
	k        int
	deadline []int64 // latest drawn deadline per node; -1: none yet
	leader   []bool
	alive    []bool
	sleeping []bool // put to sleep (not alive for the deadlines) until its pause_end
	asleep   []bool // a leader put to sleep that has not stepped down
	current  int    // the current leader, -1 if none
	pending  bool
	leaders  int   // live nodes in the leader role
	elected  bool  // some node has been leader
	noLeader int64 // start of the open leaderless period, -1 if none
	bin      int   // the bin whose end the next sample is taken at
	regime   int64
	scratch  []int64
	done     bool
}

func newDeriver(info eventlog.RunInfo, binUS int64) *Deriver {
	n := int(info.Nodes)
	nb := Bins(info.DurationUS, binUS)
	r := &Run{RunID: info.RunID, Nodes: n, DurationUS: info.DurationUS, BinUS: binUS,
		Regime: make([]int64, nb), Heartbeats: make([]int64, nb), KthDeadlineUS: make([]float64, nb)}
	d := &Deriver{r: r, k: n/2 + 1, deadline: make([]int64, n), leader: make([]bool, n), alive: make([]bool, n), sleeping: make([]bool, n), asleep: make([]bool, n), current: -1, regime: -1, noLeader: -1}
	for i := range n {
		d.deadline[i] = -1
		d.alive[i] = true
	}
	return d
}

// sampleUntil records the state at the end of every bin that ends at or
// before t (events at exactly a bin's end belong to the next bin).
func (d *Deriver) sampleUntil(t int64) {
	for d.bin < len(d.r.Regime) && int64(d.bin+1)*d.r.BinUS <= t {
		d.r.KthDeadlineUS[d.bin] = d.kth()
		d.bin++
		if d.bin < len(d.r.Regime) {
			d.r.Regime[d.bin] = d.regime
		}
	}
}

func (d *Deriver) kth() float64 {
	d.scratch = d.scratch[:0]
	for i, v := range d.deadline {
		if v >= 0 && d.alive[i] && !d.leader[i] {
			d.scratch = append(d.scratch, v)
		}
	}
	if len(d.scratch) < d.k {
		return math.NaN()
	}
	slices.Sort(d.scratch)
	return float64(d.scratch[d.k-1])
}

// Result implements metrics.Consumer: the series, gob-encoded (Of).
func (d *Deriver) Result() ([]byte, error) {
	var b bytes.Buffer
	err := gob.NewEncoder(&b).Encode(d.finish())
	return b.Bytes(), err
}

// Add implements metrics.Consumer.
func (d *Deriver) Add(ev *eventlog.Event) error {
	d.add(ev)
	return nil
}

func (d *Deriver) add(ev *eventlog.Event) {
	d.sampleUntil(ev.TimeUS)
	n := int(ev.Node)
	switch ev.Kind {
	case eventlog.RegimeSwitch:
		d.regime = ev.Value
		if d.bin < len(d.r.Regime) && ev.TimeUS == int64(d.bin)*d.r.BinUS {
			d.r.Regime[d.bin] = d.regime // a switch at the bin's start
		}
	case eventlog.HeartbeatSent:
		if b := int(ev.TimeUS / d.r.BinUS); b < len(d.r.Heartbeats) {
			d.r.Heartbeats[b]++
		}
	case eventlog.TimerReset:
		d.deadline[n] = ev.Value
	case eventlog.Timeout:
		if d.pending {
			d.r.DetectDeadlineUS = append(d.r.DetectDeadlineUS, d.deadline[n])
			d.r.DetectMeanDeadlineUS = append(d.r.DetectMeanDeadlineUS, d.meanDeadline())
			d.pending = false
		}
	case eventlog.BecameLeader:
		if d.pending {
			d.r.DetectDeadlineUS = append(d.r.DetectDeadlineUS, -1)
			d.r.DetectMeanDeadlineUS = append(d.r.DetectMeanDeadlineUS, math.NaN())
			d.pending = false
		}
		if !d.leader[n] {
			d.leaders++
		}
		d.leader[n] = true
		d.current = n
		d.elected = true
		if d.noLeader >= 0 {
			d.r.Leaderless = append(d.r.Leaderless, Period{d.noLeader, ev.TimeUS})
			d.noLeader = -1
		}
	case eventlog.BecameFollower, eventlog.BecamePreCandidate, eventlog.BecameCandidate:
		d.asleep[n] = false
		d.stepDown(n, ev.TimeUS)
	case eventlog.Crash, eventlog.Sleep:
		// A node put to sleep is down, as a crashed one, until it wakes.
		sleep := ev.Kind == eventlog.Sleep
		if n == d.current {
			d.pending = true
			d.asleep[n] = sleep
		}
		d.stepDown(n, ev.TimeUS)
		d.alive[n], d.sleeping[n] = false, sleep
	case eventlog.PauseEnd:
		if d.sleeping[n] {
			d.sleeping[n], d.alive[n] = false, true
		}
		if d.asleep[n] {
			// It woke still leading and nobody was elected meanwhile (a
			// leader elected while it slept is newer: it steps down): the
			// failure ends without a detection, as when a leader is
			// elected before any timeout.
			d.asleep[n] = false
			if d.leaders == 0 {
				d.add(&eventlog.Event{TimeUS: ev.TimeUS, Node: ev.Node, Kind: eventlog.BecameLeader})
			}
		}
	case eventlog.Restart:
		d.alive[n] = true
	}
}

func (d *Deriver) stepDown(n int, t int64) {
	if d.leader[n] {
		d.leaders--
		if d.leaders == 0 && d.elected {
			d.noLeader = t
		}
	}
	d.leader[n] = false
	if d.current == n {
		d.current = -1
	}
}

// meanDeadline is the mean current deadline of the live non-leaders that
// have one.
func (d *Deriver) meanDeadline() float64 {
	var sum float64
	n := 0
	for i, v := range d.deadline {
		if v >= 0 && d.alive[i] && !d.leader[i] {
			sum += float64(v)
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// finish closes the series at the run's end (once).
func (d *Deriver) finish() *Run {
	if d.done {
		return d.r
	}
	d.done = true
	d.sampleUntil(math.MaxInt64)
	if d.noLeader >= 0 && d.noLeader < d.r.DurationUS {
		d.r.Leaderless = append(d.r.Leaderless, Period{d.noLeader, d.r.DurationUS})
	}
	return d.r
}
