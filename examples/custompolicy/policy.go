package main

import (
	"crypto/sha256"
	_ "embed" // the policy's own source, for its version
	"encoding/hex"
	"math"
	"math/rand/v2"

	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/policies/policy"
)

// rttScaled waits k times the last round trip the leader measured to this
// node (piggybacked on its heartbeats), never less than a floor, plus a
// uniform extra of up to jitter times that so that nodes do not fire
// together. Before any round trip was measured it waits the floor. Like
// ballast's own policies it never waits more than an hour
// (policies.MaxDeadlineUS), whatever round trip it is told.
type rttScaled struct {
	k, floorUS, jitter float64
	rng                *rand.Rand // the node's own stream: runs stay reproducible
}

func (p *rttScaled) Deadline(obs *policy.Observation) policy.Decision {
	base := p.floorUS
	if obs.LastRTTUS >= 0 {
		base = max(base, p.k*float64(obs.LastRTTUS))
	}
	d := min(base*(1+p.jitter*p.rng.Float64()), policies.MaxDeadlineUS)
	return policy.Decision{DeadlineUS: int64(math.Round(d)), Arm: -1} // Arm -1: no discrete arm
}

// ElectionDone: rtt_scaled does not learn from its elections.
func (p *rttScaled) ElectionDone(policy.ElectionResult) {}

// source is this file. Its hash is the policy's Version: ballast's code
// version covers only ballast's own sources, so this is what tells runs of
// an edited rtt_scaled from runs of the old one (a sweep redoes them).
//
//go:embed policy.go
var source []byte

// spec is rtt_scaled's registration: its parameters with their defaults,
// ranges and provenance ("ours": chosen here, from no paper).
var spec = &policies.Spec{
	Name: "rtt_scaled",
	Doc:  "an example out-of-tree policy: k times the last measured round trip, at least floor_ms, plus jitter",
	Params: []policies.Param{
		{Name: "k", Default: []float64{10}, Provenance: policies.Ours, Doc: "the deadline in round trips", Min: 1, Max: 1000},
		{Name: "floor_ms", Default: []float64{150}, Provenance: policies.Ours, Doc: "the shortest deadline, and the deadline before any round trip was measured (standard Raft's lower end)", Min: 1, Max: 3_600_000},
		{Name: "jitter", Default: []float64{0.5}, Provenance: policies.Ours, Doc: "uniform extra, as a fraction of the deadline", Min: 0, Max: 10},
	},
	New: func(p policies.Params) (policy.Factory, error) {
		k, floorUS, jitter := p.Scalar("k"), p.Scalar("floor_ms")*1000, p.Scalar("jitter")
		return func(_ int, rng *rand.Rand) policy.Policy {
			return &rttScaled{k: k, floorUS: floorUS, jitter: jitter, rng: rng}
		}, nil
	},
	Version: version(source),
}

// version is the first 12 hex digits of the SHA-256 of src.
func version(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])[:12]
}

func init() { policies.Register(spec) }
