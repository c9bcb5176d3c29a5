package policies

import (
	"math/rand/v2"
	"testing"

	"github.com/ballast-bench/ballast/policies/policy"
)

// TestHashicorpTimerWorkedExample follows one follower by hand: T = 100
// ms. It enters the follower state at 0 with its timer drawn (set by hand
// to fire at 150 ms) and hears its leader at 20, 70 and 120 ms, then
// nothing. hashicorp/raft's timer fires at 150 ms: the last contact (120
// ms) is 30 ms old, under T, so it re-arms (by hand: +130 ms, at 280 ms)
// and carries on; at 280 ms the contact is 160 ms old: candidate.
func TestHashicorpTimerWorkedExample(t *testing.T) {
	p := &hashicorpTimer{heartbeatUS: 100_000, electionUS: 100_000, rng: rand.New(rand.NewPCG(1, 2)),
		started: true, role: policy.Follower, term: 1, nextUS: 150_000}
	follower := func(nowUS int64) int64 {
		return p.Deadline(&policy.Observation{NowUS: nowUS, Role: policy.Follower, Term: 1}).DeadlineUS
	}
	// Contacts at 20 and 70 ms: the 150 ms firing is 130 and 80 ms after
	// them; at 20 ms it is T or more after the contact, so it is the
	// deadline; at 70 ms it is not, and the timer steps on by a draw.
	if d := follower(20_000); d != 130_000 {
		t.Fatalf("contact at 20 ms: deadline %d µs, want 130000 (the 150 ms firing)", d)
	}
	d := follower(70_000)
	if p.nextUS < 150_000+100_000 || p.nextUS >= 150_000+200_000 || d != p.nextUS-70_000 {
		t.Fatalf("contact at 70 ms: next firing %d µs, deadline %d µs; want a firing in [250, 350) ms and the deadline to it", p.nextUS, d)
	}
	// Set the second firing by hand and hear the leader at 120 ms: 280
	// ms is 160 ms after it: that firing times out.
	p.nextUS = 280_000
	if d := follower(120_000); d != 160_000 {
		t.Fatalf("contact at 120 ms: deadline %d µs, want 160000", d)
	}
	// Becoming pre-candidate draws the election timer in [E, 2E); the real
	// election (candidate) draws it again; a reset in the same round keeps
	// it.
	d = p.Deadline(&policy.Observation{NowUS: 280_000, Role: policy.PreCandidate, Term: 1}).DeadlineUS
	if d < 100_000 || d >= 200_000 {
		t.Fatalf("pre-candidate: deadline %d µs, want [100, 200) ms", d)
	}
	at := p.atUS
	if d := p.Deadline(&policy.Observation{NowUS: 290_000, Role: policy.PreCandidate, Term: 1}).DeadlineUS; d != at-290_000 {
		t.Fatalf("a reset in the same round: deadline %d µs, want the timer kept (%d)", d, at-290_000)
	}
	d = p.Deadline(&policy.Observation{NowUS: 300_000, Role: policy.Candidate, Term: 2}).DeadlineUS
	if d < 100_000 || d >= 200_000 {
		t.Fatalf("candidate: deadline %d µs, want [100, 200) ms", d)
	}
	// Stepping down: a new heartbeat timer from now, in [T, 2T) (a
	// contact at the same instant keeps it: it is at least T away).
	d = p.Deadline(&policy.Observation{NowUS: 400_000, Role: policy.Follower, Term: 2}).DeadlineUS
	if d < 100_000 || d >= 200_000 || p.nextUS != 400_000+d {
		t.Fatalf("follower again: deadline %d µs, want [100, 200) ms", d)
	}
}

// TestHashicorpTimerTimeout: with contacts every h << T, the time from the
// last contact to the timeout is T plus the wait from then to the timer's
// next firing. The firings form a renewal process of steps X uniform in
// [T, 2T), long under way by then, so that wait is the residual life,
// mean E[X^2] / 2E[X] = (7T^2/3) / 3T = 7T/9: the timeout lies in [T, 3T)
// with mean 16T/9 (177.8 ms for T = 100 ms).
func TestHashicorpTimerTimeout(t *testing.T) {
	p := &hashicorpTimer{heartbeatUS: 100_000, electionUS: 100_000, rng: rand.New(rand.NewPCG(5, 6))}
	var sum float64
	const n = 20_000
	for i := range n {
		now := int64(i) * 1_000_000
		p.Restarted()
		p.Deadline(&policy.Observation{NowUS: now, Role: policy.Follower, Term: 1})
		last := now
		for c := now + 15_000; c < now+800_000; c += 15_000 { // the renewal process well under way
			p.Deadline(&policy.Observation{NowUS: c, Role: policy.Follower, Term: 1})
			last = c
		}
		gap := p.atUS - last
		if gap < 100_000 || gap >= 300_000 {
			t.Fatalf("timeout %d µs after the last contact; want [T, 3T)", gap)
		}
		sum += float64(gap)
	}
	if mean, want := sum/n, 16.0/9*100_000; mean < 0.99*want || mean > 1.01*want {
		t.Errorf("mean timeout after the last contact %.0f µs; want 16T/9 = %.0f within 1 %%", mean, want)
	}
}
