package sim

import (
	"math"
	"slices"
	"testing"

	"github.com/ballast-bench/ballast/sim/dist"
	"github.com/ballast-bench/ballast/sim/scenario"
)

func f64(v float64) *float64 { return &v }

// TestTransmitMatchesConfiguredLink: delays drawn by the network are the
// link's base plus its jitter distribution, scaled by the regime, plus the
// receiver's processing delay; loss is Bernoulli with the configured rate,
// combined with burst loss while a burst is on.
func TestTransmitMatchesConfiguredLink(t *testing.T) {
	jitter := dist.Spec{Dist: "lognormal", MedianMS: f64(10), Sigma: f64(0.5)}
	s := &scenario.Scenario{
		Name: "t", Nodes: 3, DurationS: 1, Raft: scenario.Raft{HeartbeatMS: 50},
		Network: scenario.Network{
			Default: scenario.Link{BaseDelayMS: f64(20), Jitter: &jitter, Loss: f64(0.1)},
			Regimes: []scenario.Regime{{AtS: 0, ID: 0}, {AtS: 0.5, ID: 7, DelayScale: f64(2)}},
			Bursts:  &scenario.Bursts{MeanGoodS: 1, MeanBadMS: 100, Loss: 0.5},
		},
		Processing: []scenario.Processing{{Node: 2, Delay: dist.Spec{Dist: "constant", ValueMS: f64(3)}}},
	}
	if fe := s.Validate(); fe != nil {
		t.Fatal(fe)
	}
	jd := dist.Compile(&jitter)
	const n = 100_000
	sample := func(nw *Network, from, to int) (delaysMS []float64, lossRate float64) {
		lost := 0
		for i := 0; i < n; i++ {
			d, fate := nw.Transmit(from, to)
			if fate == Lost {
				lost++
				continue
			}
			delaysMS = append(delaysMS, float64(d)/1000)
		}
		slices.Sort(delaysMS)
		return delaysMS, float64(lost) / n
	}
	check := func(name string, delays []float64, loss, wantLoss float64, want func(p float64) float64) {
		t.Helper()
		if math.Abs(loss-wantLoss) > 0.005 {
			t.Errorf("%s: loss rate %.4f, want %.4f", name, loss, wantLoss)
		}
		for _, p := range []float64{0.05, 0.5, 0.95} {
			got := delays[int(p*float64(len(delays)))]
			if w := want(p); math.Abs(got-w) > 0.02*w {
				t.Errorf("%s: p%v delay %.3f ms, want %.3f ms", name, p*100, got, w)
			}
		}
	}
	nw := NewNetwork(s, 1)
	d, loss := sample(nw, 0, 1)
	check("regime 0", d, loss, 0.1, func(p float64) float64 { return 20 + jd.QuantileMS(p) })
	d, loss = sample(nw, 0, 2)
	check("processing", d, loss, 0.1, func(p float64) float64 { return 20 + jd.QuantileMS(p) + 3 })
	nw.SetRegime(1)
	if nw.RegimeID() != 7 {
		t.Errorf("regime id %d, want 7", nw.RegimeID())
	}
	d, loss = sample(nw, 1, 0)
	check("regime 1 (scale 2)", d, loss, 0.1, func(p float64) float64 { return 2 * (20 + jd.QuantileMS(p)) })
	nw.SetBurst(true)
	_, loss = sample(nw, 1, 0)
	if want := 1 - 0.9*0.5; math.Abs(loss-want) > 0.005 {
		t.Errorf("burst loss rate %.4f, want %.4f", loss, want)
	}
	nw.SetBurst(false)
	nw.Partition([]int{0, 0, 1})
	if _, fate := nw.Transmit(0, 2); fate != Cut {
		t.Errorf("partitioned link: fate %v, want Cut", fate)
	}
	if _, fate := nw.Transmit(0, 1); fate == Cut {
		t.Errorf("same-group link cut")
	}
}
