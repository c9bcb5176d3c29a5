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
			d, fate := nw.Transmit(from, to, ClassVote, 0)
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
	if _, fate := nw.Transmit(0, 2, ClassVote, 0); fate != Cut {
		t.Errorf("partitioned link: fate %v, want Cut", fate)
	}
	if _, fate := nw.Transmit(0, 1, ClassVote, 0); fate == Cut {
		t.Errorf("same-group link cut")
	}
}

// TestStreamRetransmission: on a stream a lost segment is sent again after
// the RTO, doubling on each further loss, so with loss p per segment the
// number of retransmissions K is geometric, P(K = k) = p^k (1 - p), and
// the delay is base + rto (2^K - 1). Messages 10,000 s apart (longer than 15 doubling RTOs) never wait for
// one another. Checked with a chi-square test over K = 0, 1, 2, 3, >= 4
// (4 degrees of freedom, 18.47 at p = 0.001).
func TestStreamRetransmission(t *testing.T) {
	const p, baseMS, rtoMS = 0.3, 10.0, 200.0
	s := &scenario.Scenario{Name: "t", Nodes: 2, DurationS: 1, Raft: scenario.Raft{HeartbeatMS: 50},
		Network: scenario.Network{Default: scenario.Link{BaseDelayMS: f64(baseMS), Loss: f64(p)},
			Transport: &scenario.Transport{Default: scenario.Stream}, RTOMS: f64(rtoMS)}}
	if fe := s.Validate(); fe != nil {
		t.Fatal(fe)
	}
	nw := NewNetwork(s, 1)
	const n = 50_000
	counts := make([]int, 5)
	for i := range n {
		d, fate := nw.Transmit(0, 1, ClassHeartbeat, int64(i)*10_000_000_000)
		if fate != Delivered {
			t.Fatalf("message %d: fate %d; a stream loses nothing before 15 retransmissions", i, fate)
		}
		k := 0
		for ; k < 20; k++ {
			if d == int64((baseMS+rtoMS*float64(int(1)<<k-1))*1000) {
				break
			}
		}
		if k == 20 {
			t.Fatalf("message %d: delay %d µs is not base + rto (2^k - 1)", i, d)
		}
		counts[min(k, 4)]++
	}
	chi := 0.0
	for k, c := range counts {
		prob := math.Pow(p, float64(k)) * (1 - p)
		if k == 4 {
			prob = math.Pow(p, 4)
		}
		want := prob * n
		chi += (float64(c) - want) * (float64(c) - want) / want
	}
	if chi > 18.47 {
		t.Errorf("retransmissions %v (K = 0..3, >= 4): chi-square %.1f > 18.47", counts, chi)
	}
}

// TestStreamHeadOfLine: a message on a stream arrives no earlier than the
// one sent before it on the same stream; other classes and links have
// streams of their own, and a datagram class overtakes freely. A link
// that loses every segment breaks the connection after 15 retransmissions.
func TestStreamHeadOfLine(t *testing.T) {
	s := &scenario.Scenario{Name: "t", Nodes: 3, DurationS: 1, Raft: scenario.Raft{HeartbeatMS: 50},
		Network: scenario.Network{Default: scenario.Link{BaseDelayMS: f64(10)},
			Links:     []scenario.LinkRule{{From: 0, To: 2, Link: scenario.Link{Loss: f64(1)}}},
			Transport: &scenario.Transport{Default: scenario.Stream, Heartbeat: scenario.Datagram}}}
	if fe := s.Validate(); fe != nil {
		t.Fatal(fe)
	}
	nw := NewNetwork(s, 1)
	nw.streamAt[(0*3+1)*NumClasses+ClassVote] = 500_000 // a vote segment retransmitted: arrives at 500 ms
	if d, _ := nw.Transmit(0, 1, ClassVote, 100_000); d != 400_000 {
		t.Errorf("a vote behind one arriving at 500 ms: delay %d µs, want 400000 (arrives at 500 ms)", d)
	}
	if d, _ := nw.Transmit(0, 1, ClassAppend, 100_000); d != 10_000 {
		t.Errorf("an append on its own stream: delay %d µs, want 10000", d)
	}
	if d, _ := nw.Transmit(0, 1, ClassHeartbeat, 100_000); d != 10_000 {
		t.Errorf("a datagram heartbeat: delay %d µs, want 10000", d)
	}
	if d, _ := nw.Transmit(1, 0, ClassVote, 100_000); d != 10_000 {
		t.Errorf("the other direction: delay %d µs, want 10000", d)
	}
	if _, fate := nw.Transmit(0, 2, ClassVote, 0); fate != Lost {
		t.Errorf("a link losing every segment: fate %d, want Lost", fate)
	}
}
