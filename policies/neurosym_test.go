package policies

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/policies/lstm"
	"github.com/ballast-bench/ballast/policies/policy"
)

// constantWeights is a network whose outputs are exactly (low, high)
// whatever it reads: all weights and gate biases zero give c = 0 and h = 0
// at every step, so y = d.
func constantWeights(t testing.TB, low, high float64) string {
	t.Helper()
	theta := make([]float64, NeurosymShape.NumParams())
	theta[len(theta)-2], theta[len(theta)-1] = low, high
	path := filepath.Join(t.TempDir(), "const.weights.json")
	if err := writeWeights(path, theta, []uint64{7}); err != nil {
		t.Fatal(err)
	}
	return path
}

func neurosymFor(t testing.TB, weights string, set ...string) *neurosym {
	t.Helper()
	f, _, err := Build("neurosym", append([]string{"weights=" + weights}, set...)...)
	if err != nil {
		t.Fatal(err)
	}
	return f(0, rand.New(rand.NewPCG(3, 3))).(*neurosym)
}

// follower feeds one heartbeat (leader 1, term 1, sent 40 ms before it
// arrives) and returns the follower's decision at its arrival.
func follower(p *neurosym, nowUS int64, seq uint64, failures int) policy.Decision {
	p.OnHeartbeat(&policy.Heartbeat{NowUS: nowUS, SentUS: nowUS - 40_000, Seq: seq, LeaderRTTUS: -1, Leader: 1, Term: 1})
	return p.Deadline(&policy.Observation{NowUS: nowUS, Role: policy.Follower, Term: 1, HeartbeatUS: 50_000, ConsecutiveFailures: failures, LastRTTUS: -1})
}

// TestNeurosymWorkedExamples: with a network whose 0.99-quantile output
// is a fixed log(k), the follower's range is mult × k heartbeat intervals,
// and each rule acts exactly where its definition says, with its bit set.
// Defaults: mult [2, 4], floor max(100 ms, 2 × 50 ms) = 100 ms, ceiling
// 5000 ms, quorum_min 150 ms, jitter 10 ms, retry [150, 300] ms.
func TestNeurosymWorkedExamples(t *testing.T) {
	cases := []struct {
		name     string
		k        float64 // predicted 0.99-quantile gap, in heartbeats
		set      []string
		failures int
		wantLo   float64 // ms
		wantHi   float64
		rules    uint32
	}{
		{"network in bounds", 1.5, nil, 0, 150, 300, 0},                                               // 2×75, 4×75
		{"floor", 0.5, nil, 0, 100, 110, RuleFloor | RuleJitter},                                      // 2×25=50 -> 100; hi 100 -> 110
		{"ceiling", 40, nil, 0, 4000, 5000, RuleCeiling},                                              // hi 8000 -> 5000
		{"both ends above the ceiling", 100, nil, 0, 4990, 5000, RuleCeiling},                         // lo 10000 -> 4990, hi -> 5000
		{"after a failure", 1, nil, 1, 150, 200, RuleAfterFailure},                                    // floor 150 beats lo 100
		{"floor and after failure", 0.5, nil, 2, 150, 160, RuleFloor | RuleAfterFailure | RuleJitter}, // lo 50
		{"jitter", 1, []string{"mult=2,2.1"}, 0, 100, 110, RuleJitter},                                // [100, 105) widened upwards
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := neurosymFor(t, constantWeights(t, 0, math.Log(c.k)), c.set...)
			d := follower(p, 1_000_000, 1, c.failures)
			lo, hi := p.loUS/1000, p.hiUS/1000
			if math.Abs(lo-c.wantLo) > 1e-3 || math.Abs(hi-c.wantHi) > 1e-3 { // the cell runs in float32
				t.Errorf("range [%v, %v) ms, want [%v, %v)", lo, hi, c.wantLo, c.wantHi)
			}
			if p.Rules() != c.rules {
				t.Errorf("rules %05b, want %05b", p.Rules(), c.rules)
			}
			if float64(d.DeadlineUS) < p.loUS || float64(d.DeadlineUS) >= math.Max(p.hiUS, p.loUS+1) {
				t.Errorf("deadline %d µs outside [%v, %v)", d.DeadlineUS, p.loUS, p.hiUS)
			}
		})
	}
}

// TestNeurosymFallbackAndCampaigns: before any heartbeat a follower uses
// retry_ms (fallback rule); a candidate's range doubles per failure and is
// capped by the ceiling; the after_failure floor lasts cooldown_ms after a
// timed-out election even once failures are back to 0.
func TestNeurosymFallbackAndCampaigns(t *testing.T) {
	p := neurosymFor(t, constantWeights(t, 0, 0))
	p.Deadline(&policy.Observation{NowUS: 0, Role: policy.Follower, HeartbeatUS: 50_000})
	if p.Rules() != RuleFallback || p.loUS != 150_000 || p.hiUS != 300_000 {
		t.Errorf("no heartbeat yet: range [%v, %v), rules %05b; want [150000, 300000), fallback", p.loUS, p.hiUS, p.Rules())
	}
	for f, want := range map[int][2]float64{0: {150_000, 300_000}, 1: {300_000, 600_000}, 3: {1_200_000, 2_400_000}, 6: {4_990_000, 5_000_000}, 40: {4_990_000, 5_000_000}} {
		p.Deadline(&policy.Observation{NowUS: 0, Role: policy.Candidate, HeartbeatUS: 50_000, ConsecutiveFailures: f})
		if p.loUS != want[0] || p.hiUS != want[1] {
			t.Errorf("candidate after %d failures: range [%v, %v), want %v", f, p.loUS, p.hiUS, want)
		}
	}
	// A failed election at 10 s: the floor is 150 ms until 15 s.
	p.ElectionDone(policy.ElectionResult{NowUS: 10_000_000, Outcome: policy.TimedOut})
	follower(p, 14_999_999, 1, 0)
	if p.loUS != 150_000 || p.Rules()&RuleAfterFailure == 0 {
		t.Errorf("inside the cooldown: lo %v, rules %05b; want 150000 with after_failure", p.loUS, p.Rules())
	}
	follower(p, 15_000_000, 2, 0)
	if p.loUS != 100_000 || p.Rules()&RuleAfterFailure != 0 {
		t.Errorf("after the cooldown: lo %v, rules %05b; want 100000 without after_failure", p.loUS, p.Rules())
	}
}

// FuzzNeurosymRules drives the policy with extreme weights (huge, NaN,
// infinite), parameters, heartbeats, observations, outcomes and restarts,
// and checks every decision against the rules computed independently from
// what the test fed it:
//
//	go test -run '^$' -fuzz FuzzNeurosymRules -fuzztime 60s ./policies
func FuzzNeurosymRules(f *testing.F) {
	f.Add(uint64(1), uint8(0), []byte{})
	f.Add(uint64(2), uint8(3), []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add(uint64(3), uint8(5), []byte{5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf8, 0x7f, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1})
	f.Add(uint64(4), uint8(1), []byte{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, seed uint64, scaleSel uint8, data []byte) {
		// Weights: random, scaled to an extreme, or poisoned.
		rng := rand.New(rand.NewPCG(seed, 5))
		net := lstm.New(NeurosymShape, rng)
		scale := []float64{1, 0, 1e3, 1e30, math.Inf(1), math.NaN(), -1e30}[int(scaleSel)%7]
		for i := range net.Theta {
			net.Theta[i] *= scale
		}
		if scaleSel%7 >= 4 {
			for i := range net.Theta {
				net.Theta[i] = scale // JSON cannot hold NaN or Inf: use the largest finite
				if math.IsNaN(scale) || math.IsInf(scale, 0) {
					net.Theta[i] = math.MaxFloat64 * float64(1-2*int(i%2))
				}
			}
		}
		path := filepath.Join(dir, "w.json")
		if err := writeWeights(path, net.Theta, nil); err != nil {
			t.Fatal(err)
		}
		// Parameters within their allowed ranges.
		minMS := 1 + float64(rng.IntN(500))
		jitterMS := float64(rng.IntN(50))
		maxMS := minMS + jitterMS + float64(rng.IntN(10_000))
		quorumMS := 1 + float64(rng.IntN(1000))
		ratio := float64(rng.IntN(5))
		cooldownMS := float64(rng.IntN(20_000))
		m0 := 0.01 + rng.Float64()*5
		set := []string{"weights=" + path, fmtSet("min_ms", minMS), fmtSet("max_ms", maxMS), fmtSet("min_jitter_ms", jitterMS),
			fmtSet("quorum_min_ms", quorumMS), fmtSet("min_hb_ratio", ratio), fmtSet("cooldown_ms", cooldownMS),
			"mult=" + ftoa(m0) + "," + ftoa(m0+rng.Float64()*5)}
		fac, _, err := Build("neurosym", set...)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		p := fac(0, rand.New(rand.NewPCG(seed, 6))).(*neurosym)
		r := &fuzzBytes{b: data}
		now, lastFail := int64(0), int64(-1)
		for len(r.b) > 0 {
			now += int64(r.byte()) * 7_919
			switch r.byte() % 4 {
			case 0:
				p.OnHeartbeat(&policy.Heartbeat{NowUS: now, SentUS: now - r.int64(), Seq: uint64(r.int64()), LeaderRTTUS: r.int64(),
					Leader: int(r.byte() % 3), Term: uint64(r.byte() % 4)})
			case 1:
				if o := policy.Outcome(1 + r.byte()%3); true {
					p.ElectionDone(policy.ElectionResult{NowUS: now, Outcome: o})
					if o == policy.TimedOut {
						lastFail = now
					}
				}
			case 2:
				p.Restarted()
				lastFail = -1
			}
			hbUS := []int64{50_000, 0, -5, 1, math.MaxInt64}[r.byte()%5]
			o := &policy.Observation{NowUS: now, Role: policy.Role(r.byte() % 4), Term: 1, HeartbeatUS: hbUS,
				ConsecutiveFailures: int(r.byte()%12) - 1, LoadUS: r.int64(),
				InterArrivalStdUS: math.Float64frombits(uint64(r.int64())), LastRTTUS: r.int64()}
			d := p.Deadline(o)
			// The rules, from the definitions.
			unit := float64(hbUS)
			if hbUS <= 0 {
				unit = fallbackHeartbeatUS
			}
			floor := math.Max(minMS*1000, ratio*unit)
			if o.ConsecutiveFailures > 0 || (lastFail >= 0 && float64(now-lastFail) < cooldownMS*1000) {
				floor = math.Max(floor, quorumMS*1000)
			}
			floor = math.Min(floor, (maxMS-jitterMS)*1000)
			lo, hi := p.loUS, p.hiUS
			switch {
			case !(lo >= floor-1e-6):
				t.Fatalf("seed %d: range starts at %v µs below the floor %v", seed, lo, floor)
			case !(hi <= maxMS*1000+1e-6):
				t.Fatalf("seed %d: range ends at %v µs above the ceiling %v", seed, hi, maxMS*1000)
			case !(hi-lo >= jitterMS*1000-1e-6):
				t.Fatalf("seed %d: range [%v, %v) narrower than the jitter %v ms", seed, lo, hi, jitterMS)
			case float64(d.DeadlineUS) < math.Ceil(lo) || float64(d.DeadlineUS) > math.Max(math.Floor(hi), math.Ceil(lo)):
				t.Fatalf("seed %d: deadline %d outside [%v, %v)", seed, d.DeadlineUS, lo, hi)
			case d.DeadlineUS <= 0:
				t.Fatalf("seed %d: deadline %d", seed, d.DeadlineUS)
			}
		}
	})
}

func fmtSet(name string, v float64) string { return name + "=" + ftoa(v) }

func ftoa(v float64) string { return formatList([]float64{v}) }

type fuzzBytes struct{ b []byte }

func (r *fuzzBytes) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *fuzzBytes) int64() int64 {
	var v int64
	for i := 0; i < 8; i++ {
		v |= int64(r.byte()) << (8 * i)
	}
	return v
}

// TestNeurosymWeightErrors: a missing, re-trained (hash mismatch),
// malformed or mis-shaped weights file is one clear error naming the file.
func TestNeurosymWeightErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	if err := writeWeights(good, make([]float64, NeurosymShape.NumParams()), nil); err != nil {
		t.Fatal(err)
	}
	_, p, err := Build("neurosym", "weights="+good)
	if err != nil {
		t.Fatal(err)
	}
	pinned := p.Choice("weights")
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	short := filepath.Join(dir, "short.json")
	if err := writeWeights(short, make([]float64, 10), nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, weights, want string
	}{
		{"missing", filepath.Join(dir, "none.json"), "does not exist"},
		{"other content than pinned", strings.Replace(pinned, "@", "@0", 1)[:len(pinned)], "content hash"},
		{"not json", write("bad.json", "{"), "bad.json"},
		{"unknown field", write("extra.json", `{"format":"ballast/neurosym-weights/1","extra":1}`), "unknown field"},
		{"other format", write("fmt.json", `{"format":"ballast/neurosym-weights/0"}`), "format"},
		{"wrong parameter count", short, "parameters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Build("neurosym", "weights="+c.weights)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v; want one line containing %q", err, c.want)
			}
		})
	}
	var m *MissingFileError
	if _, _, err := Build("neurosym", "weights="+filepath.Join(dir, "none.json")); !errors.As(err, &m) {
		t.Errorf("missing file: %v is not a MissingFileError", err)
	}
}

// TestNeurosymRefusesTrainingSeeds: a report run on a seed the weights
// were trained on is refused; tuning runs and other seeds are not.
func TestNeurosymRefusesTrainingSeeds(t *testing.T) {
	ps, _ := Lookup("neurosym")
	_, p, err := Build("neurosym", "weights="+TestWeights) // trained on 101 and 102
	if err != nil {
		t.Fatal(err)
	}
	if err := ps.CheckRun(p, 102, "report"); err == nil || !strings.Contains(err.Error(), "102") {
		t.Errorf("report seed 102: %v; want a refusal naming the seed", err)
	}
	for _, c := range []struct {
		seed uint64
		set  string
	}{{102, "tuning"}, {103, "report"}} {
		if err := ps.CheckRun(p, c.seed, c.set); err != nil {
			t.Errorf("%s seed %d: %v", c.set, c.seed, err)
		}
	}
}

// TestNeurosymMemoryPerNode measures what one node's policy holds: its own
// float32 copy of the weights (a real node loads one), the LSTM state and
// the policy struct. The count from the sizes must agree with the heap
// growth of building 64 such nodes, and stay under the post's 128 KB.
func TestNeurosymMemoryPerNode(t *testing.T) {
	w, err := LoadNeurosymWeights(TestWeights)
	if err != nil {
		t.Fatal(err)
	}
	counted := NeurosymBytesPerNode(w.net)
	const nodes = 64
	keep := make([]*neurosym, nodes)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range keep {
		wt := w.net.Weights32()
		keep[i] = &neurosym{cfg: &nsConfig{weights: wt}, cell: lstm.NewCell(wt), lastFailUS: -1}
	}
	runtime.ReadMemStats(&after)
	measured := float64(after.TotalAlloc-before.TotalAlloc) / nodes
	runtime.KeepAlive(keep)
	t.Logf("per node: counted %d B, measured %.0f B (heap allocated per node)", counted, measured)
	if counted >= 128*1024 {
		t.Errorf("counted %d B per node; the post claims under 128 KB", counted)
	}
	if math.Abs(measured-float64(counted)) > 0.05*float64(counted) {
		t.Errorf("measured %.0f B per node, counted %d B: more than 5 %% apart", measured, counted)
	}
}

// BenchmarkNeurosymDecision times a follower's decision on a new
// heartbeat: the feature step, one LSTM step (16,682 parameters) and the
// rules. Target: under 20 µs and 0 allocations.
func BenchmarkNeurosymDecision(b *testing.B) {
	p := neurosymFor(b, TestWeights)
	o := policy.Observation{Role: policy.Follower, Term: 1, HeartbeatUS: 50_000, LastRTTUS: -1, InterArrivalStdUS: 3000}
	hb := policy.Heartbeat{LeaderRTTUS: 90_000, Leader: 1, Term: 1}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now := int64(i+1) * 50_000
		hb.NowUS, hb.SentUS, hb.Seq = now, now-40_000, uint64(i+1)
		o.NowUS = now
		p.OnHeartbeat(&hb)
		p.Deadline(&o)
	}
}
