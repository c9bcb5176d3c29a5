package metrics

import "github.com/ballast-bench/ballast/analysis/stats"

// openFailover is a leader crash still waiting for a new leader.
type openFailover struct {
	idx     int    // into failovers.list
	seen    []bool // nodes whose timeout was counted
	timeout int    // distinct nodes that timed out since the crash
}

// failovers tracks the crashes of the current leader: detection by the
// other nodes' timeouts, and the time to a new leader (docs/metrics.md,
// "Failover").
type failovers struct {
	c    *cluster
	list []Failover
	open []openFailover
}

// leaderCrashed is called when node nd crashed (or was put to sleep) at t
// while leading, before it stops leading. A failover starts only if nd was
// the current leader: no alive leader of a higher term (that one would
// make nd a stale leader, whose crash interrupts nothing).
func (f *failovers) leaderCrashed(t int64, nd int) {
	c := f.c
	if c.higherLeader(nd) {
		return
	}
	f.open = append(f.open, openFailover{idx: len(f.list), seen: make([]bool, c.n)})
	f.list = append(f.list, Failover{Leader: int64(nd), Term: int64(c.leadTerm[nd]), CrashUS: t, DetectFirstUS: -1, DetectQuorumUS: -1, ElectionUS: -1})
}

// timeout processes node nd's timeout row: a detection of every open
// failover that had not counted nd yet.
func (f *failovers) timeout(t int64, nd int) {
	for i := range f.open {
		o := &f.open[i]
		if o.seen[nd] {
			continue
		}
		o.seen[nd] = true
		o.timeout++
		fo := &f.list[o.idx]
		if o.timeout == 1 {
			fo.Detected, fo.DetectFirstUS = true, t-fo.CrashUS
		}
		if o.timeout == f.c.quorum {
			fo.QuorumDetected, fo.DetectQuorumUS = true, t-fo.CrashUS
		}
	}
}

// leaderElected is called when some node became leader at t: it ends
// every open failover.
func (f *failovers) leaderElected(t int64) {
	for _, o := range f.open {
		fo := &f.list[o.idx]
		fo.Recovered = true
		fo.OutOfServiceUS = t - fo.CrashUS
		if fo.Detected {
			fo.ElectionUS = t - (fo.CrashUS + fo.DetectFirstUS)
		}
	}
	f.open = f.open[:0]
}

// finish fills in the run's failovers and failover metrics. A detection
// that never happened is -1 (and left out of the mean): once a new leader
// is elected, later timeouts detect nothing. Out-of-service time (and
// election time, once detected) of a failover still open at the end is
// cut there and counted, like a censored unwritable interval.
func (f *failovers) finish(run *Run, end int64, id string) {
	r := &run.Row
	var det, detQ, elec, ots []float64
	for i := range f.list {
		fo := &f.list[i]
		fo.RunID = id
		if !fo.Recovered {
			r.FailoverCensored++
			fo.OutOfServiceUS = end - fo.CrashUS
			if fo.Detected {
				fo.ElectionUS = end - (fo.CrashUS + fo.DetectFirstUS)
			}
		}
		if fo.Detected {
			det = append(det, float64(fo.DetectFirstUS))
			elec = append(elec, float64(fo.ElectionUS))
		}
		if fo.QuorumDetected {
			detQ = append(detQ, float64(fo.DetectQuorumUS))
		}
		ots = append(ots, float64(fo.OutOfServiceUS))
	}
	run.Failovers = f.list
	r.LeaderCrashes = int64(len(f.list))
	r.DetectFirstMeanUS, r.DetectQuorumMeanUS = stats.Mean(det), stats.Mean(detQ)
	r.ElectionMeanUS, r.OutOfServiceMeanUS = stats.Mean(elec), stats.Mean(ots)
}
