package metrics

// arms counts the policy's decisions per arm in time bins (docs/metrics.md,
// "Arm fractions").
type arms struct {
	binUS  int64
	counts [][]int64 // [bin][arm] decisions
}

// decision processes a policy_decision row with an arm.
func (a *arms) decision(t int64, arm int) {
	bin := int(t / a.binUS)
	for len(a.counts) <= bin {
		a.counts = append(a.counts, nil)
	}
	for len(a.counts[bin]) <= arm {
		a.counts[bin] = append(a.counts[bin], 0)
	}
	a.counts[bin][arm]++
}

// finish fills in the run's arm bins, leaving out empty ones.
func (a *arms) finish(run *Run, id string) {
	for bin, counts := range a.counts {
		for arm, c := range counts {
			if c > 0 {
				run.Arms = append(run.Arms, ArmBin{RunID: id, BinUS: int64(bin) * a.binUS, BinLenUS: a.binUS, Arm: int64(arm), Decisions: c})
			}
		}
	}
}
