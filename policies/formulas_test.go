package policies

import (
	"github.com/ballast-bench/ballast/policies/policy"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

// deadlineRange calls Deadline n times and returns the smallest and largest
// deadline.
func deadlineRange(p policy.Policy, o *policy.Observation, n int) (int64, int64) {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for i := 0; i < n; i++ {
		d := p.Deadline(o).DeadlineUS
		lo, hi = min(lo, d), max(hi, d)
	}
	return lo, hi
}

// within checks that [lo, hi] lies in [wantLo, wantHi) and covers most of
// it (the draws are uniform).
func within(t *testing.T, what string, lo, hi, wantLo, wantHi int64) {
	t.Helper()
	if lo < wantLo || hi >= wantHi {
		t.Errorf("%s: deadlines in [%d, %d] µs, want within [%d, %d)", what, lo, hi, wantLo, wantHi)
		return
	}
	if span := wantHi - wantLo; span > 100 && (lo-wantLo > span/20 || wantHi-1-hi > span/20) {
		t.Errorf("%s: deadlines in [%d, %d] µs do not cover [%d, %d)", what, lo, hi, wantLo, wantHi)
	}
}

// TestPhiAccrualWorkedExample: mu = 50 ms, sigma = 10 ms. phi crosses
// Phi at t = mu + sigma*z(Phi), z(Phi) = Qnorm(1 - 10^-Phi):
//
//	z(2) = Qnorm(0.99)  = 2.3263478740  -> t = 50 + 23.263478740 = 73.263478740 ms
//	z(3) = Qnorm(0.999) = 3.0902323062  -> t = 50 + 30.902323062 = 80.902323062 ms
//
// (normal table values). So the deadline is uniform in [73263, 80902) µs.
// With sigma = 4 ms below the 10 ms floor, the floor is used. Before two
// heartbeats: mu = 50 ms (the interval), sigma = 12.5 ms:
// t(2) = 50 + 12.5*2.3263478740 = 79.079348425 ms,
// t(3) = 50 + 12.5*3.0902323062 = 88.627903828 ms.
func TestPhiAccrualWorkedExample(t *testing.T) {
	if z := phiZ(2); math.Abs(z-2.3263478740) > 1e-9 {
		t.Errorf("z(2) = %.10f, want 2.3263478740", z)
	}
	if z := phiZ(3); math.Abs(z-3.0902323062) > 1e-9 {
		t.Errorf("z(3) = %.10f, want 3.0902323062", z)
	}
	p := mustPolicy(t, "phi_accrual", 1, "min_jitter_ms=0")
	o := policy.Observation{Role: policy.Follower, HeartbeatUS: 50_000, InterArrivalCount: 20, InterArrivalMeanUS: 50_000, InterArrivalStdUS: 10_000}
	lo, hi := deadlineRange(p, &o, 5000)
	within(t, "mu 50 sigma 10", lo, hi, 73_263, 80_902)
	o.InterArrivalStdUS = 4_000
	lo, hi = deadlineRange(p, &o, 5000)
	within(t, "sigma floored at 10", lo, hi, 73_263, 80_902)
	o.InterArrivalCount = 1
	lo, hi = deadlineRange(p, &o, 5000)
	within(t, "first-heartbeat estimate", lo, hi, 79_079, 88_628)
	o.Role = policy.Candidate
	lo, hi = deadlineRange(p, &o, 5000)
	within(t, "candidate retry range", lo, hi, 150_000, 300_000)
}

// TestDecayedQuantileWorkedExample: decay 0.5, gaps (oldest first) 10, 40,
// 20, 30 ms. Weights by age: 30 -> 1, 20 -> 0.5, 40 -> 0.25, 10 -> 0.125;
// total 1.875. Ascending with cumulative weight: 10 (0.125), 20 (0.625),
// 30 (1.625), 40 (1.875).
//
//	p = 0.9:  target 1.6875 -> first cumulative >= it is 40
//	p = 0.5:  target 0.9375 -> 30
//	p = 0.3:  target 0.5625 -> 20
//	p = 0.05: target 0.09375 -> 10
func TestDecayedQuantileWorkedExample(t *testing.T) {
	for _, c := range []struct {
		p    float64
		want float64
	}{{0.9, 40_000}, {0.5, 30_000}, {0.3, 20_000}, {0.05, 10_000}, {1, 40_000}, {0, 10_000}} {
		g := newGapQuantile(c.p, newDecayWeights(0.5))
		for _, ms := range []int64{10, 40, 20, 30} {
			g.add(ms * 1000)
		}
		if g.qUS != c.want {
			t.Errorf("p=%v: quantile %v µs, want %v", c.p, g.qUS, c.want)
		}
	}
	// quantile_decay then draws from [mult_lo, mult_hi] times it: with the
	// p = 0.9 quantile 40 ms and mult [3, 10]: [120, 400) ms.
	p := mustPolicy(t, "quantile_decay", 1, "decay=0.5").(*quantileDecay)
	now := int64(0)
	for _, ms := range []int64{0, 10, 40, 20, 30} { // first heartbeat, then the four gaps
		now += ms * 1000
		p.OnHeartbeat(&policy.Heartbeat{NowUS: now, Leader: 1, Term: 3})
	}
	lo, hi := deadlineRange(p, &policy.Observation{HeartbeatUS: 50_000}, 5000)
	within(t, "quantile_decay", lo, hi, 120_000, 400_000)
	// A new leader's first heartbeat is not a gap; a restart forgets the
	// last arrival.
	p.OnHeartbeat(&policy.Heartbeat{NowUS: now + 5_000_000, Leader: 2, Term: 4})
	p.Restarted()
	p.OnHeartbeat(&policy.Heartbeat{NowUS: now + 9_000_000, Leader: 2, Term: 4})
	if p.g.n != 4 {
		t.Errorf("%d gaps after a leader change and a restart, want 4", p.g.n)
	}
}

// TestDecayedQuantileMatchesNaive compares with a direct computation over
// (gap, weight) pairs, across the ring's wrap-around.
func TestDecayedQuantileMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for _, decay := range []float64{1, 0.95, 0.7} {
		for _, p := range []float64{0.5, 0.9, 0.95, 0.99} {
			g := newGapQuantile(p, newDecayWeights(decay))
			var gaps []int64
			for i := 0; i < 300; i++ {
				x := int64(40_000 + r.IntN(60_000))
				if r.IntN(20) == 0 {
					x *= 3 // a lost heartbeat
				}
				g.add(x)
				gaps = append(gaps, x)
				last := gaps[max(0, len(gaps)-quantileRing):]
				type pair struct {
					x int64
					w float64
				}
				var ps []pair
				total := 0.0
				for j, x := range last {
					w := math.Pow(decay, float64(len(last)-1-j))
					ps = append(ps, pair{x, w})
					total += w
				}
				sort.SliceStable(ps, func(a, b int) bool { return ps[a].x < ps[b].x })
				want, cum := ps[len(ps)-1].x, 0.0
				for _, q := range ps {
					cum += q.w
					if cum >= p*total*(1-1e-12) {
						want = q.x
						break
					}
				}
				if g.qUS != float64(want) {
					t.Fatalf("decay %v p %v after %d gaps: %v, naive %v", decay, p, i+1, g.qUS, want)
				}
			}
		}
	}
}

// TestBackoffWorkedExample: base [150, 300) ms, factor 2, cap 4800 ms.
// After k failures the range is [150, 300) * min(2^k, 4800/300 = 16):
// k=0 [150, 300), k=1 [300, 600), k=2 [600, 1200), k=4 [2400, 4800),
// k=5 and k=1000: capped at 16x, [2400, 4800).
func TestBackoffWorkedExample(t *testing.T) {
	p := mustPolicy(t, "backoff", 1)
	for _, c := range []struct {
		k      int
		lo, hi int64
	}{{0, 150_000, 300_000}, {1, 300_000, 600_000}, {2, 600_000, 1_200_000}, {4, 2_400_000, 4_800_000},
		{5, 2_400_000, 4_800_000}, {1000, 2_400_000, 4_800_000}, {math.MaxInt, 2_400_000, 4_800_000}} {
		lo, hi := deadlineRange(p, &policy.Observation{ConsecutiveFailures: c.k}, 3000)
		within(t, "backoff", lo, hi, c.lo, c.hi)
	}
	// factor 3, cap 1000 ms: k=1 -> [450, 900), k=2 -> 9x capped at 1000/300.
	p = mustPolicy(t, "backoff", 1, "factor=3", "cap_ms=1000")
	lo, hi := deadlineRange(p, &policy.Observation{ConsecutiveFailures: 1}, 3000)
	within(t, "factor 3", lo, hi, 450_000, 900_000)
	lo, hi = deadlineRange(p, &policy.Observation{ConsecutiveFailures: 2}, 3000)
	within(t, "factor 3 capped", lo, hi, 500_000, 1_000_000)
}

// TestRTTHeuristicThresholds: thr = [50, 200] ms on the mean one-way delay.
func TestRTTHeuristicThresholds(t *testing.T) {
	p := mustPolicy(t, "rtt_heuristic", 1)
	for _, c := range []struct {
		count  int
		meanUS float64
		arm    int
	}{{0, 0, 2}, {5, 49_999, 0}, {5, 50_000, 1}, {5, 199_999, 1}, {5, 200_000, 2}, {5, 1e9, 2}} {
		d := p.Deadline(&policy.Observation{DelayCount: c.count, DelayMeanUS: c.meanUS})
		if d.Arm != c.arm {
			t.Errorf("delay %v µs (%d samples): arm %d, want %d", c.meanUS, c.count, d.Arm, c.arm)
		}
	}
}

// TestOracleMaps: regime ids index the map (arm numbers from 1); unknown
// regimes play the safe arm.
func TestOracleMaps(t *testing.T) {
	hint := mustPolicy(t, "oracle_hint", 1)
	best := mustPolicy(t, "oracle_best_per_regime", 1)
	custom := mustPolicy(t, "oracle_best_per_regime", 1, "map=3,1,2", "arms=wide5")
	for _, c := range []struct {
		p      policy.Policy
		regime int
		arm    int
	}{{hint, 0, 0}, {hint, 1, 2}, {hint, 7, 2}, {best, 0, 1}, {best, 1, 1}, {best, 2, 2},
		{custom, 0, 2}, {custom, 1, 0}, {custom, 2, 1}, {custom, 3, 4}} {
		if d := c.p.Deadline(&policy.Observation{RegimeID: c.regime}); d.Arm != c.arm {
			t.Errorf("regime %d: arm %d, want %d", c.regime, d.Arm, c.arm)
		}
	}
	ps, _ := Lookup("oracle_hint")
	p, err := ps.Resolve([]string{"map=1,4"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.New(p); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("map to a fourth arm of main3: err %v", err)
	}
}

// dynatuneFed returns a dynatune follower fed heartbeats with ids 1, 2, 4,
// 5, 7 (3 and 6 lost); the first carries no RTT (the leader had measured
// none), the others 100, 120, 80, 100 ms.
func dynatuneFed(t *testing.T, set ...string) *dynatune {
	p := mustPolicy(t, "dynatune", 1, append([]string{"min_samples=3"}, set...)...).(*dynatune)
	p.Deadline(&policy.Observation{Role: policy.Follower, Term: 2})
	rtts := []int64{-1, 100_000, 120_000, 80_000, 100_000}
	for i, seq := range []uint64{1, 2, 4, 5, 7} {
		p.OnHeartbeat(&policy.Heartbeat{NowUS: int64(seq) * 100_000, SentUS: int64(seq)*100_000 - 50_000, Seq: seq, LeaderRTTUS: rtts[i], Leader: 0, Term: 2})
	}
	return p
}

// TestDynatuneWorkedExample: RTTs 100, 120, 80, 100 ms: mean 100 ms,
// population std sqrt((0 + 400 + 400 + 0)/4) = sqrt(200) = 14.14 -> 14 ms
// (truncated). base = 100 + 3*14 = 142 ms; the timeout is uniform in
// [142, 283] ms. Ids 1, 2, 4, 5, 7: received 5 of 7 - 1 + 1 = 7, so
// L = 1 - 5/7 = 2/7. K = ceil(ln(1 - 0.99)/ln(2/7)) = ceil(-4.60517/-1.25276)
// = ceil(3.676) = 4. The piggybacked interval is floor(timeout/(K+1)) =
// floor(timeout/5) ms.
func TestDynatuneWorkedExample(t *testing.T) {
	p := dynatuneFed(t)
	if l := p.lossRate(); math.Abs(l-2.0/7) > 1e-15 {
		t.Errorf("loss rate %v, want 2/7", l)
	}
	if mean, std := p.rttStatsMS(); mean != 100 || std != 14 {
		t.Errorf("RTT mean %d ms std %d ms, want 100 and 14", mean, std)
	}
	if p.baseMS != 142 || p.k != 4 {
		t.Fatalf("base %d ms K %d, want 142 and 4", p.baseMS, p.k)
	}
	seen := map[int64]bool{}
	for i := 0; i < 5000; i++ {
		d := p.Deadline(&policy.Observation{Role: policy.Follower, Term: 2})
		ms := d.DeadlineUS / 1000
		if d.DeadlineUS%1000 != 0 || ms < 142 || ms > 283 {
			t.Fatalf("timeout %d µs, want whole ms in [142, 283]", d.DeadlineUS)
		}
		if got, want := p.ReplyValue(), ms/5*1000; got != want {
			t.Fatalf("timeout %d ms: piggybacked %d µs, want floor(%d/5) ms = %d µs", ms, got, ms, want)
		}
		seen[ms] = true
	}
	if len(seen) != 142 {
		t.Errorf("%d distinct timeouts, want all 142 of [142, 283]", len(seen))
	}

	// Fix-K: K = 10 whatever the loss.
	if p := dynatuneFed(t, "fix_k=10"); p.k != 10 {
		t.Errorf("fix_k=10: K = %d", p.k)
	}
	// README defaults: s = 2: base = 100 + 2*14 = 128 ms; p = 0.999:
	// K = ceil(ln(0.001)/ln(2/7)) = ceil(6.90776/1.25276) = ceil(5.514) = 6.
	if p := dynatuneFed(t, "defaults=readme"); p.baseMS != 128 || p.k != 6 {
		t.Errorf("readme defaults: base %d K %d, want 128 and 6", p.baseMS, p.k)
	}

	// Becoming candidate clears the lists: back to [E, 2E - 1] = [1000, 1999] ms,
	// and no piggyback.
	p.Deadline(&policy.Observation{Role: policy.Candidate, Term: 3})
	lo, hi := deadlineRange(p, &policy.Observation{Role: policy.Follower, Term: 3}, 3000)
	within(t, "after candidacy", lo, hi, 1_000_000, 2_000_000)
	if p.ReplyValue() != -1 || p.rttN != 0 || p.idN != 0 {
		t.Errorf("after candidacy: reply %d, %d RTTs, %d ids; want -1, 0, 0", p.ReplyValue(), p.rttN, p.idN)
	}
	// A follower of a newer term clears them too.
	p = dynatuneFed(t)
	p.Deadline(&policy.Observation{Role: policy.Follower, Term: 5})
	if p.baseMS != 0 || p.rttN != 0 {
		t.Error("a newer term did not clear the lists")
	}
	// Leader side: a new leader sends every h0 = 100 ms; a response's
	// value becomes that follower's interval.
	if got := p.BecameLeader(0); got != 100_000 {
		t.Errorf("BecameLeader: %d µs, want 100000", got)
	}
	if got := p.FollowerReply(1, 80_000, 28_000); got != 28_000 {
		t.Errorf("FollowerReply(value 28 ms) = %d", got)
	}
	if got := p.FollowerReply(1, 80_000, -1); got != 0 {
		t.Errorf("FollowerReply(no value) = %d, want 0 (keep)", got)
	}
}

// TestHeartbeatsNeeded: K = 1 for no loss, ceil(ln(1-p)/ln L) otherwise.
func TestHeartbeatsNeeded(t *testing.T) {
	for _, c := range []struct {
		loss, p float64
		k       int
	}{
		{0, 0.99, 1},
		{-0.1, 0.99, 1},
		{2.0 / 7, 0.99, 4}, // ceil(3.676)
		{0.3, 0.999, 6},    // ln(0.001)/ln(0.3) = 6.90776/1.20397 = 5.737
		{0.05, 0.99, 2},    // 4.60517/2.99573 = 1.537
		{0.001, 0.99, 1},   // 4.60517/6.90776 = 0.667
		{0.5, 0.99, 7},     // 4.60517/0.69315 = 6.644
		{0.9, 0.99, 44},    // 4.60517/0.10536 = 43.71
		{1, 0.99, math.MaxInt32},
	} {
		if got := heartbeatsNeeded(c.loss, c.p); got != c.k {
			t.Errorf("L=%v p=%v: K = %d, want %d", c.loss, c.p, got, c.k)
		}
	}
}

// TestDynatuneIDs: the id list is kept in send order, drops duplicates and
// keeps at most window entries.
func TestDynatuneIDs(t *testing.T) {
	p := mustPolicy(t, "dynatune", 1, "window=4").(*dynatune)
	for _, id := range []hbID{{1, 100}, {3, 300}, {2, 200}, {3, 300}, {5, 500}, {4, 400}, {6, 600}} {
		p.addID(id)
	}
	got := slices.Clone(p.ids[p.idHead : p.idHead+p.idN])
	want := []hbID{{3, 300}, {4, 400}, {5, 500}, {6, 600}}
	if !slices.Equal(got, want) {
		t.Errorf("ids %v, want %v", got, want)
	}
	// Many in-order ids exercise the slide to the front.
	for i := 7; i < 100; i++ {
		p.addID(hbID{uint64(i), int64(i) * 100})
	}
	if p.idN != 4 || p.ids[p.idHead].seq != 96 || p.lossRate() != 0 {
		t.Errorf("after 100 ids: n %d first %d loss %v", p.idN, p.ids[p.idHead].seq, p.lossRate())
	}
}

// TestDynatuneScopedWorkedExamples: dynatune_et with safety_factor 4,
// min_hb_ratio 5, clamp 2400 ms, one-way factor 2; heartbeat 50 ms.
func TestDynatuneScopedWorkedExamples(t *testing.T) {
	feed := func(p policy.Policy, rttsMS ...int64) {
		for i, r := range rttsMS {
			p.(policy.HeartbeatObserver).OnHeartbeat(&policy.Heartbeat{NowUS: int64(i) * 50_000, Seq: uint64(i + 1), LeaderRTTUS: r * 1000, Leader: 1, Term: 1, Value: -1})
		}
	}
	hb := policy.Observation{HeartbeatUS: 50_000}
	cases := []struct {
		name   string
		set    []string
		rtts   []int64
		obs    policy.Observation
		lo, hi int64
	}{
		// RTTs 100, 120, 80, 100: mean 100, std 14.142; 100 + 4*14.142 =
		// 156.57 ms < 5*50 = 250 ms: base 250 ms, deadline [250, 500).
		{"min ratio binds", nil, []int64{100, 120, 80, 100}, hb, 250_000, 500_000},
		// RTTs 280, 320 (x2): mean 300, std 20; 300 + 80 = 380 ms: [380, 760).
		{"RTT base", nil, []int64{280, 320, 280, 320}, hb, 380_000, 760_000},
		// RTTs 1800, 2200: mean 2000, std 200: 2800 ms > clamp 2400: [2400, 4800).
		{"clamped", nil, []int64{1800, 2200}, hb, 2_400_000, 4_800_000},
		// No RTT: one-way delay mean 60, std 5: 2*(60 + 4*5) = 160 ms; with
		// min_hb_ratio 1 the floor is 50: [160, 320).
		{"one-way fallback", []string{"min_hb_ratio=1"}, nil,
			policy.Observation{HeartbeatUS: 50_000, DelayCount: 20, DelayMeanUS: 60_000, DelayStdUS: 5_000}, 160_000, 320_000},
		// Nothing measured: base is its floor 5*50 = 250 ms.
		{"no samples", nil, nil, hb, 250_000, 500_000},
	}
	for _, c := range cases {
		p := mustPolicy(t, "dynatune_et", 1, append([]string{"min_jitter_ms=0"}, c.set...)...)
		feed(p, c.rtts...)
		lo, hi := deadlineRange(p, &c.obs, 5000)
		within(t, c.name, lo, hi, c.lo, c.hi)
	}

	// dynatune_joint, leader side: safety_factor 2, heartbeat_ratio 4,
	// hb in [20, 1000] ms. RTTs 200, 240, 160, 200: mean 200, std 28.284;
	// base = 200 + 2*28.284 = 256.569 ms; interval 256.569/4 = 64.142 ms.
	j := mustPolicy(t, "dynatune_joint", 1).(*dynatuneJoint)
	if v := j.BecameLeader(0); v != 0 {
		t.Errorf("BecameLeader = %d, want 0 (the scenario's interval)", v)
	}
	var iv int64
	for f, r := range []int64{200, 240, 160, 200} {
		iv = j.FollowerReply(f+1, r*1000, -1)
	}
	if iv != 64_142 || j.HeartbeatValue(1) != 64_142 {
		t.Errorf("interval %d µs (piggyback %d), want 64142", iv, j.HeartbeatValue(1))
	}
	// RTT 10 ms: 10/4 = 2.5 ms, clamped to hb_min 20 ms.
	j.BecameLeader(0)
	j.FollowerReply(1, 10_000, -1)
	if iv = j.FollowerReply(2, 10_000, -1); iv != 20_000 {
		t.Errorf("interval %d µs, want the 20 ms clamp", iv)
	}
	// Follower side: min_hb_ratio 4 applies to the interval the leader
	// piggybacks: RTTs ~10 ms give a base of about 10 ms, but the leader
	// says 100 ms, so base = 400 ms: [400, 800).
	f := mustPolicy(t, "dynatune_joint", 1, "min_jitter_ms=0").(*dynatuneJoint)
	for i := 0; i < 5; i++ {
		f.OnHeartbeat(&policy.Heartbeat{NowUS: int64(i) * 100_000, Seq: uint64(i + 1), LeaderRTTUS: 10_000, Leader: 1, Term: 1, Value: 100_000})
	}
	lo, hi := deadlineRange(f, &hb, 5000)
	within(t, "joint follower", lo, hi, 400_000, 800_000)
}

// TestDrawRangeMinimumJitter: a 1 ms-wide arm (Table A.8) stays 1 ms wide
// without the guard and widens to min_jitter_ms around its midpoint with it.
func TestDrawRangeMinimumJitter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	draw := func(lo, hi, jit float64) (int64, int64) {
		a, b := int64(math.MaxInt64), int64(0)
		for i := 0; i < 20000; i++ {
			d := drawRange(r, lo, hi, jit)
			a, b = min(a, d), max(b, d)
		}
		return a, b
	}
	lo, hi := draw(224_500, 225_500, 0)
	within(t, "no guard", lo, hi, 224_500, 225_500)
	lo, hi = draw(224_500, 225_500, 10_000)
	within(t, "10 ms guard", lo, hi, 220_000, 230_000)
	lo, hi = draw(150_000, 300_000, 10_000)
	within(t, "wide range untouched", lo, hi, 150_000, 300_000)
	lo, hi = draw(100_000, 100_000, 0)
	if lo != 100_000 || hi != 100_000 {
		t.Errorf("single value without guard: [%d, %d]", lo, hi)
	}
	for _, c := range [][3]float64{{-5, -1, 0}, {math.NaN(), 10, 0}, {1e30, 1e31, 0}, {0, 0, 0}, {500, 100, 0}} {
		if d := drawRange(r, c[0], c[1], c[2]); d < MinDeadlineUS || d > MaxDeadlineUS {
			t.Errorf("drawRange%v = %d", c, d)
		}
	}
}

// TestArmSets checks configs/arms.yaml against the values documented there.
func TestArmSets(t *testing.T) {
	want := map[string]struct {
		arms int
		safe int
	}{"main3": {3, 2}, "wide5": {5, 4}, "shifted3": {3, 2}, "fine7": {7, 6}, "align3": {3, 2},
		"blog8": {8, 7}, "blog16": {16, 15}, "rel3": {3, 2}, "rel5": {5, 4}}
	sets := ArmSets()
	if len(sets) != len(want) {
		t.Errorf("%d arm sets, want %d", len(sets), len(want))
	}
	for _, s := range sets {
		w, ok := want[s.Name]
		if !ok || len(s.Arms) != w.arms || s.Safe != w.safe {
			t.Errorf("%s: %d arms, safe %d; want %+v", s.Name, len(s.Arms), s.Safe, w)
		}
	}
	m := armSet("main3").Arms
	if m[0] != (Arm{Name: "A1", LoMS: 150, HiMS: 300}) || m[1] != (Arm{Name: "A2", LoMS: 300, HiMS: 600}) || m[2] != (Arm{Name: "A3", LoMS: 600, HiMS: 1200}) {
		t.Errorf("main3 = %v", m)
	}
	for i, a := range armSet("align3").Arms {
		if a.HiMS-a.LoMS != 1 || (a.LoMS+a.HiMS)/2 != (m[i].LoMS+m[i].HiMS)/2 {
			t.Errorf("align3 arm %v is not 1 ms around main3's midpoint", a)
		}
	}
	for _, bad := range []struct{ yaml, msg string }{
		{"sets: []", "sets: empty"},
		{"sets:\n- {name: x, kind: absolute, provenance: ours, doc: d, arms: [{name: A1, lo_ms: 300, hi_ms: 100}]}", "hi_ms: 100 is out of range"},
		{"sets:\n- {name: x, kind: relative, provenance: ours, doc: d, arms: [{name: A1, lo_ms: 1, hi_ms: 2}]}", "relative arms take factor only"},
		{"sets:\n- {name: x, kind: absolute, provenance: mine, doc: d, arms: [{name: A1, lo_ms: 1, hi_ms: 2}]}", "provenance"},
		{"sets:\n- {name: x, kind: absolute, provenance: ours, doc: d, arms: [{name: A1, lo_ms: 1, hi_ms: 2, width: 3}]}", "unknown field"},
	} {
		if _, err := parseArmSets("test.yaml", []byte(bad.yaml)); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("%q: err %v, want one containing %q", bad.yaml, err, bad.msg)
		}
	}
}

// TestArmChoicesAreTheFileSets: the arms parameter offers the file's sets
// of the right kind.
func TestArmChoicesAreTheFileSets(t *testing.T) {
	ps, _ := Lookup("bandit_safe")
	p, err := ps.Resolve([]string{"arms=fine7"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Choice("arms") != "fine7" {
		t.Error("arms=fine7 not taken")
	}
	if _, err := ps.Resolve([]string{"arms=rel3"}); err == nil {
		t.Error("bandit_safe accepted a relative set")
	}
	q, _ := Lookup("rtt_heuristic")
	if _, err := q.Resolve([]string{"arms=wide5"}); err == nil {
		t.Error("rtt_heuristic accepted a 5-arm set")
	}
}
