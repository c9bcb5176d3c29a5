// Package neurosym trains the neurosym policy's LSTM (policies/neurosym.go)
// offline, from heartbeats recorded in simulated runs of an experiment's
// scenarios on its tuning seeds, deterministically from the experiment's
// master seed: 'ballast train neurosym EXPERIMENT'.
//
// Data. Each run's followers are recorded step by step exactly as the
// policy will see them (policies.Features): one step per heartbeat. The
// target of a step is log(next gap / heartbeat interval), the time until
// the next heartbeat of the same leader and term arrived; a step after
// which none arrived (the leader crashed, was cut off or was replaced) has
// no target, so the network learns the gaps of a live leader and the
// timeout catches everything else. A stream is one node's steps from its
// start or restart; the network's state starts at zero with each stream,
// as the policy's does.
//
// Training. Streams are laid end to end in lanes (reshuffled every epoch),
// processed in chunks by truncated backpropagation through time with the
// state carried across chunks, as inference carries it, and Adam with
// gradient clipping; the loss is the pinball loss at the quantiles the
// policy uses. The last fifth of the tuning seeds is held out for
// validation. Everything is float64 and single-threaded in order, so
// training twice gives identical weights.
package neurosym

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"golang.org/x/sync/errgroup"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
)

// Stream is one node's recorded steps, from its start or a restart.
type Stream struct {
	X      [][policies.NeurosymInputs]float64
	Target []float64 // log(next gap / heartbeat interval); valid where Weight > 0
	Weight []float64
}

// recorder runs a behaviour policy and records the neurosym policy's
// input steps at the same moments the policy would take them.
type recorder struct {
	inner    policy.Policy
	hbObs    policy.HeartbeatObserver
	restart  policy.Restarter
	feat     policies.Features
	x        [policies.NeurosymInputs]float64
	streams  []*Stream
	lastAtUS int64
	left     int // steps still to record (long runs are capped)
}

func newRecorder(inner policy.Policy, maxSteps int) *recorder {
	r := &recorder{inner: inner, streams: []*Stream{{}}, left: maxSteps}
	r.hbObs, _ = inner.(policy.HeartbeatObserver)
	r.restart, _ = inner.(policy.Restarter)
	return r
}

func (r *recorder) Deadline(o *policy.Observation) policy.Decision {
	if r.feat.Next(o, r.x[:]) && r.left > 0 {
		r.left--
		s := r.streams[len(r.streams)-1]
		atUS, _, _ := r.feat.Step()
		if n := len(s.X); n > 0 && r.x[3] == 0 { // the same leader and term as the step before
			gapUS := max(atUS-r.lastAtUS, 1)
			unit := float64(o.HeartbeatUS)
			s.Target[n-1] = math.Log(float64(gapUS) / unit)
			s.Weight[n-1] = 1
		}
		s.X = append(s.X, r.x)
		s.Target = append(s.Target, 0)
		s.Weight = append(s.Weight, 0)
		r.lastAtUS = atUS
	}
	return r.inner.Deadline(o)
}

func (r *recorder) ElectionDone(res policy.ElectionResult) { r.inner.ElectionDone(res) }

func (r *recorder) OnHeartbeat(hb *policy.Heartbeat) {
	r.feat.Heartbeat(hb)
	if r.hbObs != nil {
		r.hbObs.OnHeartbeat(hb)
	}
}

// Restarted starts a new stream: the policy's memory is gone.
func (r *recorder) Restarted() {
	r.feat = policies.Features{}
	r.streams = append(r.streams, &Stream{})
	if r.restart != nil {
		r.restart.Restarted()
	}
}

// Collect simulates every scenario of e with the behaviour policy on each
// seed and returns the recorded streams, in (scenario, seed, node, stream)
// order whatever the parallelism. Each node records at most maxPerRun/N
// steps, its first ones, so that scenarios thousands of seconds long do not
// outweigh the rest. The behaviour policy must not tune heartbeats or have
// rules of its own: the recorder would hide them.
func Collect(ctx context.Context, e *harness.Experiment, behaviour string, seeds []uint64, maxPerRun, workers int) ([]*Stream, error) {
	f, _, err := policies.Build(behaviour)
	if err != nil {
		return nil, err
	}
	p := f(0, rand.New(rand.NewPCG(0, 0)))
	_, tuner := p.(policy.HeartbeatTuner)
	_, rules := p.(policy.Explainer)
	if tuner || rules {
		return nil, fmt.Errorf("behaviour policy %s tunes heartbeats or has rules; allowed: a policy that only chooses deadlines (random, static, backoff, ...)", behaviour)
	}
	type job struct {
		run  *harness.Run
		recs []*recorder
	}
	var jobs []*job
	for _, s := range e.ScenarioList() {
		for _, seed := range seeds {
			r, err := recordedRun(e, s, behaviour, seed)
			if err != nil {
				return nil, err
			}
			jobs = append(jobs, &job{run: r, recs: make([]*recorder, s.Nodes)})
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(workers, 1))
	for _, j := range jobs {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			r := j.run
			inner := r.Factory
			cfg := &sim.Config{Scenario: r.Spec.Scenario, Seed: r.Spec.Seed, RunID: harness.RunID(r.Info),
				Policy: func(node int, rng *rand.Rand) policy.Policy {
					rec := newRecorder(inner(node, rng), maxPerRun/r.Spec.Scenario.Nodes)
					j.recs[node] = rec
					return rec
				}}
			if _, err := r.Engine.Run(cfg); err != nil {
				return fmt.Errorf("collecting scenario %s, seed %d, run %s: %w", r.Spec.Scenario.Name, r.Spec.Seed, cfg.RunID, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []*Stream
	for _, j := range jobs {
		for _, rec := range j.recs {
			if rec == nil {
				continue
			}
			for _, s := range rec.streams {
				if len(s.X) > 0 {
					out = append(out, s)
				}
			}
		}
	}
	return out, nil
}
