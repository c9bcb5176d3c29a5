package policies

import (
	"github.com/ballast-bench/ballast/policies/policy"
	"math"
	"math/rand/v2"
	"testing"
)

func TestRandomDrawsUniformlyInRange(t *testing.T) {
	ps, err := Lookup("random")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ps.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ps.New(p)
	if err != nil {
		t.Fatal(err)
	}
	pol := f(0, rand.New(rand.NewPCG(1, 2)))
	const n = 100_000
	sum := 0.0
	for i := 0; i < n; i++ {
		d := pol.Deadline(&policy.Observation{})
		if d.DeadlineUS < 150_000 || d.DeadlineUS >= 300_000 || d.Arm != -1 {
			t.Fatalf("deadline %+v outside [150, 300) ms", d)
		}
		sum += float64(d.DeadlineUS)
	}
	if mean := sum / n; math.Abs(mean-225_000) > 1000 {
		t.Errorf("mean deadline %.0f µs, want 225000", mean)
	}
	// Reproducible from the node's stream.
	a, b := f(0, rand.New(rand.NewPCG(5, 5))), f(0, rand.New(rand.NewPCG(5, 5)))
	for i := 0; i < 100; i++ {
		if a.Deadline(&policy.Observation{}) != b.Deadline(&policy.Observation{}) {
			t.Fatal("same stream, different deadlines")
		}
	}
}

func TestResolve(t *testing.T) {
	ps, _ := Lookup("static")
	p, err := ps.Resolve([]string{"max_ms=[2000]", "min_ms=700"})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.String(); got != "max_ms=2000;min_ms=700" {
		t.Errorf("canonical params %q", got)
	}
	for _, bad := range [][]string{{"min_ms"}, {"nope=1"}, {"min_ms=1,2"}, {"min_ms=-3"}, {"min_ms=NaN"}} {
		if _, err := ps.Resolve(bad); err == nil {
			t.Errorf("Resolve(%q) accepted", bad)
		}
	}
	if _, err := Lookup("nope"); err == nil {
		t.Error("unknown policy accepted")
	}
}

// TestObserverMatchesNaiveStatistics feeds heartbeats and compares the
// windowed statistics with a direct computation over the last samples.
func TestObserverMatchesNaiveStatistics(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	o := policy.NewObserver()
	var arrivals, delays []int64
	now := int64(0)
	for i := 0; i < 57; i++ {
		now += 40_000 + r.Int64N(30_000)
		delay := 5_000 + r.Int64N(50_000)
		o.Heartbeat(now, now-delay, int64(i))
		arrivals = append(arrivals, now)
		delays = append(delays, delay)
	}
	var obs policy.Observation
	obs.NowUS = now + 1234
	o.Fill(&obs)
	naive := func(xs []int64) (float64, float64) {
		xs = xs[len(xs)-policy.HeartbeatWindow:]
		m := 0.0
		for _, x := range xs {
			m += float64(x)
		}
		m /= float64(len(xs))
		v := 0.0
		for _, x := range xs {
			v += (float64(x) - m) * (float64(x) - m)
		}
		return m, math.Sqrt(v / float64(len(xs)))
	}
	var gaps []int64
	for i := 1; i < len(arrivals); i++ {
		gaps = append(gaps, arrivals[i]-arrivals[i-1])
	}
	m, sd := naive(gaps)
	if obs.InterArrivalCount != policy.HeartbeatWindow || math.Abs(obs.InterArrivalMeanUS-m) > 1e-6 || math.Abs(obs.InterArrivalStdUS-sd) > 1e-6 {
		t.Errorf("inter-arrival %d %.3f %.3f, want %d %.3f %.3f", obs.InterArrivalCount, obs.InterArrivalMeanUS, obs.InterArrivalStdUS, policy.HeartbeatWindow, m, sd)
	}
	m, sd = naive(delays)
	if math.Abs(obs.DelayMeanUS-m) > 1e-6 || math.Abs(obs.DelayStdUS-sd) > 1e-6 {
		t.Errorf("delay %.3f %.3f, want %.3f %.3f", obs.DelayMeanUS, obs.DelayStdUS, m, sd)
	}
	if obs.SinceHeartbeatUS != 1234 || obs.LastRTTUS != 56 || obs.LastDelayUS != delays[len(delays)-1] {
		t.Errorf("since %d, last rtt %d, last delay %d", obs.SinceHeartbeatUS, obs.LastRTTUS, obs.LastDelayUS)
	}
	o.Restarted()
	o.Fill(&obs)
	if obs.SinceHeartbeatUS != -1 || obs.InterArrivalCount != policy.HeartbeatWindow {
		t.Errorf("after restart: since %d (want -1), window %d (kept)", obs.SinceHeartbeatUS, obs.InterArrivalCount)
	}
}
