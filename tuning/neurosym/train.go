package neurosym

import (
	"context"
	"fmt"
	"math"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/policies/lstm"
	"github.com/ballast-bench/ballast/sim/stream"
)

// Options are the training hyperparameters and the data to use.
type Options struct {
	Behaviour string  // the policy that runs the recorded clusters
	Epochs    int     // passes over the training streams
	Lanes     int     // streams trained side by side (the batch size)
	Chunk     int     // steps per truncated-BPTT chunk
	LR        float64 // Adam's learning rate
	ClipNorm  float64 // global gradient-norm clip; 0 none
	MaxSeeds  int     // use only the first MaxSeeds tuning seeds (0: all)
	MaxPerRun int     // steps recorded per run at most (split over its nodes)
	Workers   int     // parallel simulations while collecting
	// Progress, if set, hears the loss after each epoch.
	Progress func(p policies.LossPoint)
}

// DefaultOptions are the defaults of 'ballast train neurosym' (ours).
func DefaultOptions() Options {
	return Options{Behaviour: "random", MaxPerRun: 10000, Epochs: 6, Lanes: 32, Chunk: 32, LR: 3e-3, ClipNorm: 1, Workers: 1}
}

func (o Options) check() error {
	switch {
	case o.Epochs < 1:
		return fmt.Errorf("--epochs %d; allowed: >= 1", o.Epochs)
	case o.Lanes < 1:
		return fmt.Errorf("--lanes %d; allowed: >= 1", o.Lanes)
	case o.Chunk < 1:
		return fmt.Errorf("--chunk %d; allowed: >= 1", o.Chunk)
	case !(o.LR > 0) || math.IsInf(o.LR, 0):
		return fmt.Errorf("--lr %v; allowed: a number > 0", o.LR)
	case !(o.ClipNorm >= 0) || math.IsInf(o.ClipNorm, 0):
		return fmt.Errorf("--clip %v; allowed: a number >= 0", o.ClipNorm)
	case o.MaxPerRun < 1:
		return fmt.Errorf("--max-steps %d; allowed: >= 1", o.MaxPerRun)
	case o.MaxSeeds < 0:
		return fmt.Errorf("--max-seeds %d; allowed: >= 0", o.MaxSeeds)
	}
	return nil
}

// Split divides tuning seeds into training and validation: the last fifth
// (at least one) validates, the rest trains. Fewer than two seeds is an
// error: validation needs a seed of its own.
func Split(seeds []uint64) (train, validation []uint64, err error) {
	if len(seeds) < 2 {
		return nil, nil, fmt.Errorf("%d tuning seeds; allowed: at least 2 (one is held out for validation)", len(seeds))
	}
	nv := max(len(seeds)/5, 1)
	return seeds[:len(seeds)-nv], seeds[len(seeds)-nv:], nil
}

// Train records the experiment's tuning runs and trains the network.
func Train(ctx context.Context, e *harness.Experiment, opt Options) (*policies.NeurosymFile, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	trainSeeds, valSeeds, err := seedSplit(e, opt)
	if err != nil {
		return nil, err
	}
	trainData, err := Collect(ctx, e, opt.Behaviour, trainSeeds, opt.MaxPerRun, opt.Workers)
	if err != nil {
		return nil, err
	}
	valData, err := Collect(ctx, e, opt.Behaviour, valSeeds, opt.MaxPerRun, opt.Workers)
	if err != nil {
		return nil, err
	}
	if targets(trainData) == 0 || targets(valData) == 0 {
		return nil, fmt.Errorf("experiment %s: no heartbeat gaps recorded (training %d, validation %d); allowed: scenarios where leaders send heartbeats",
			e.Name, targets(trainData), targets(valData))
	}
	master := e.Seeds.Master
	net := lstm.New(policies.NeurosymShape, stream.New(master, "neurosym-init"))
	shuffle := stream.New(master, "neurosym-shuffle")
	loss := lstm.Pinball{Tau: policies.NeurosymQuantiles}
	opt2 := lstm.NewAdam(opt.LR, opt.ClipNorm)
	grad := make([]float64, net.Shape.NumParams())
	var ws lstm.Workspace
	var curve []policies.LossPoint
	record := func(epoch int, train float64) {
		val, _ := evaluate(net, valData, opt, &ws)
		p := policies.LossPoint{Epoch: epoch, Train: train, Validation: val}
		curve = append(curve, p)
		if opt.Progress != nil {
			opt.Progress(p)
		}
	}
	before, _ := evaluate(net, trainData, opt, &ws)
	record(0, before)
	for epoch := 1; epoch <= opt.Epochs; epoch++ {
		order := shuffle.Perm(len(trainData))
		lanes := layLanes(trainData, order, opt.Lanes)
		st := lstm.NewState(net.Shape, opt.Lanes)
		bt := lstm.NewBatch(net.Shape, opt.Chunk, opt.Lanes)
		var lossSum, wSum float64
		for start := 0; start < lanes.steps; start += opt.Chunk {
			lanes.fill(bt, start)
			clear(grad)
			l, w := net.Chunk(bt, st, loss, grad, &ws)
			lossSum, wSum = lossSum+l, wSum+w
			if w == 0 {
				continue
			}
			for i := range grad {
				grad[i] /= w
			}
			opt2.Step(net.Theta, grad)
		}
		record(epoch, lossSum/wSum)
	}
	_, coverage := evaluate(net, valData, opt, &ws)
	f := &policies.NeurosymFile{
		Format: policies.NeurosymFormat, Shape: net.Shape,
		Features: policies.NeurosymFeatures, Quantiles: policies.NeurosymQuantiles,
		Provenance: policies.NeurosymProvenance{
			Experiment: e.Name, Engine: e.Engine, Scenarios: scenarioNames(e), Behaviour: opt.Behaviour,
			TrainSeeds: trainSeeds, ValidationSeeds: valSeeds,
			TrainSteps: targets(trainData), ValidationSteps: targets(valData),
			Seed: master, Epochs: opt.Epochs, Lanes: opt.Lanes, Chunk: opt.Chunk, LR: opt.LR, ClipNorm: opt.ClipNorm, MaxPerRun: opt.MaxPerRun,
			Loss: curve, Coverage: coverage,
		},
		Theta: net.Theta,
	}
	return f, nil
}

// seedSplit is the training's tuning seeds (the first MaxSeeds), split
// into training and validation.
func seedSplit(e *harness.Experiment, opt Options) (train, val []uint64, err error) {
	seeds := e.SeedList(harness.SetTuning)
	if opt.MaxSeeds > 0 && opt.MaxSeeds < len(seeds) {
		seeds = seeds[:opt.MaxSeeds]
	}
	train, val, err = Split(seeds)
	if err != nil {
		return nil, nil, fmt.Errorf("experiment %s: %w; allowed: seeds.tuning >= 2", e.Name, err)
	}
	return train, val, nil
}

func scenarioNames(e *harness.Experiment) []string {
	var out []string
	for _, s := range e.ScenarioList() {
		out = append(out, s.Name)
	}
	return out
}

func targets(data []*Stream) int {
	n := 0
	for _, s := range data {
		for _, w := range s.Weight {
			if w > 0 {
				n++
			}
		}
	}
	return n
}

// evaluate returns the mean loss over data (in stream order, no training)
// and the coverage of each output: the fraction of targets at or below it.
func evaluate(net *lstm.Net, data []*Stream, opt Options, ws *lstm.Workspace) (float64, []float64) {
	order := make([]int, len(data))
	for i := range order {
		order[i] = i
	}
	lanes := layLanes(data, order, opt.Lanes)
	st := lstm.NewState(net.Shape, opt.Lanes)
	bt := lstm.NewBatch(net.Shape, opt.Chunk, opt.Lanes)
	loss := lstm.Pinball{Tau: policies.NeurosymQuantiles}
	out := net.Shape.Out
	below := make([]float64, out)
	var lossSum, wSum float64
	for start := 0; start < lanes.steps; start += opt.Chunk {
		lanes.fill(bt, start)
		l, w := net.Eval(bt, st, loss, ws)
		lossSum, wSum = lossSum+l, wSum+w
		for t := 0; t < bt.T; t++ {
			for lane := 0; lane < bt.B; lane++ {
				if bt.Weight[t*bt.B+lane] == 0 {
					continue
				}
				for k := 0; k < out; k++ {
					if bt.Target[(t*bt.B+lane)*out+k] <= ws.Output(t, lane, k) {
						below[k]++
					}
				}
			}
		}
	}
	for k := range below {
		below[k] /= wSum
	}
	return lossSum / wSum, below
}

// lanes lays streams end to end in a fixed number of lanes.
type lanes struct {
	steps int       // the longest lane; shorter ones are padded
	lane  [][]piece // per lane, its streams in order
	data  []*Stream
}

type piece struct{ stream, start int } // start: the lane step of its first step

// layLanes puts the streams, in the given order, each into the lane that
// is shortest so far (the lowest-numbered on ties).
func layLanes(data []*Stream, order []int, n int) *lanes {
	l := &lanes{lane: make([][]piece, n), data: data}
	length := make([]int, n)
	for _, si := range order {
		best := 0
		for i := 1; i < n; i++ {
			if length[i] < length[best] {
				best = i
			}
		}
		l.lane[best] = append(l.lane[best], piece{stream: si, start: length[best]})
		length[best] += len(data[si].X)
	}
	for _, n := range length {
		l.steps = max(l.steps, n)
	}
	return l
}

// fill writes lane steps [start, start+T) into bt; past a lane's end, steps
// are padding (zero input, zero weight).
func (l *lanes) fill(bt *lstm.Batch, start int) {
	in, out := policies.NeurosymInputs, policies.NeurosymShape.Out
	clear(bt.X)
	clear(bt.Target)
	clear(bt.Weight)
	clear(bt.Reset)
	for lane, pieces := range l.lane {
		for _, p := range pieces {
			s := l.data[p.stream]
			lo, hi := max(start, p.start), min(start+bt.T, p.start+len(s.X))
			for step := lo; step < hi; step++ {
				t, i := step-start, step-p.start
				idx := t*bt.B + lane
				copy(bt.X[idx*in:(idx+1)*in], s.X[i][:])
				bt.Weight[idx] = s.Weight[i]
				for k := 0; k < out; k++ {
					bt.Target[idx*out+k] = s.Target[i]
				}
				bt.Reset[idx] = i == 0
			}
		}
	}
}
