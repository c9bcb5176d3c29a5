package metrics

import "fmt"

// QuorumAgrees checks the deriver's quorum bookkeeping against the
// direct computation it replaced (an independent reference): for every
// node as leader, at the last event's time, the need-th largest expiry
// among the followers that support it in its newest term, counted by a
// scan of every follower.
func (d *Deriver) QuorumAgrees() error {
	w, c, t := &d.writability, &d.c, d.lastUS
	for l := range c.n {
		got, gotOK := w.quorumUntil(l, t)
		want, wantOK := quorumUntilScan(w, l, t)
		if got != want || gotOK != wantOK {
			return fmt.Errorf("row %d (time %d µs): leader %d's quorum lasts until %d (%v); a scan of the followers says %d (%v)", c.rows, t, l, got, gotOK, want, wantOK)
		}
	}
	return nil
}

// quorumUntilScan is the quorum's end by a scan of every follower and a
// sort of their expiries.
func quorumUntilScan(w *writability, l int, t int64) (int64, bool) {
	c := w.c
	if l < 0 || !c.alive[l] || !c.leading[l] {
		return 0, false
	}
	need := c.quorum - 1
	if need == 0 {
		return 1<<63 - 1, true
	}
	var us []int64
	for f := range c.n {
		if f != l && int(w.supLeader[f]) == l && w.supTerm[f] == c.leadTerm[l] && w.supUntil[f] > t {
			us = append(us, w.supUntil[f])
		}
	}
	if len(us) < need {
		return 0, false
	}
	for i := range us { // descending
		for j := i + 1; j < len(us); j++ {
			if us[j] > us[i] {
				us[i], us[j] = us[j], us[i]
			}
		}
	}
	return us[need-1], true
}
