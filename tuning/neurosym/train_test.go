package neurosym

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/ballast-bench/ballast/harness"
)

func tinyOptions() Options {
	o := DefaultOptions()
	o.Epochs, o.Lanes, o.Chunk, o.MaxPerRun, o.Workers = 3, 4, 16, 3000, 2
	return o
}

// TestTrainingIsDeterministicAndLearns: training twice from the same
// experiment gives byte-identical weight files (also with other
// parallelism while recording), and the training loss falls.
func TestTrainingIsDeterministicAndLearns(t *testing.T) {
	e, err := harness.LoadExperiment(filepath.Join("testdata", "tiny.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var files [2][]byte
	for i := range files {
		opt := tinyOptions()
		opt.Workers = 1 + i
		f, err := Train(context.Background(), e, opt)
		if err != nil {
			t.Fatal(err)
		}
		if files[i], err = f.Encode(); err != nil {
			t.Fatal(err)
		}
		loss := f.Provenance.Loss
		if len(loss) != opt.Epochs+1 {
			t.Fatalf("%d loss points, want %d", len(loss), opt.Epochs+1)
		}
		first, last := loss[0], loss[len(loss)-1]
		t.Logf("loss %.4f -> %.4f (validation %.4f -> %.4f), %d training steps, coverage %v",
			first.Train, last.Train, first.Validation, last.Validation, f.Provenance.TrainSteps, f.Provenance.Coverage)
		if !(last.Train < 0.8*first.Train) || !(last.Validation < first.Validation) {
			t.Errorf("master seed %d: loss did not fall: %+v", e.Seeds.Master, loss)
		}
		if got := f.Provenance.TrainSeeds; len(got) != 2 || len(f.Provenance.ValidationSeeds) != 1 {
			t.Errorf("seeds: train %v, validation %v; want 2 and 1", got, f.Provenance.ValidationSeeds)
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("two trainings of the same experiment wrote different weights")
	}
}

// TestTargetsAreNextGaps checks the recorded data against the definition
// on a run: each step with a target is followed, in its stream, by a step
// of the same leader and term whose gap feature is log1p(exp(target)),
// and a step without one by a change of leader (or the stream's end).
func TestTargetsAreNextGaps(t *testing.T) {
	e, err := harness.LoadExperiment(filepath.Join("testdata", "tiny.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := Collect(context.Background(), e, "random", e.SeedList(harness.SetTuning)[:1], 1<<30, 1)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for si, s := range data {
		for i := range s.X {
			last := i == len(s.X)-1
			switch {
			case s.Weight[i] > 0 && last:
				t.Fatalf("stream %d: the last step %d has a target", si, i)
			case s.Weight[i] > 0:
				next := s.X[i+1]
				if next[3] != 0 {
					t.Fatalf("stream %d step %d: target but the next step is a new leader", si, i)
				}
				if d := math.Abs(math.Log1p(math.Exp(s.Target[i])) - next[1]); d > 1e-9 {
					t.Fatalf("stream %d step %d: target %v, next gap feature %v", si, i, s.Target[i], next[1])
				}
				checked++
			case !last && s.X[i+1][3] == 0:
				t.Fatalf("stream %d step %d: no target though the same leader's next heartbeat follows", si, i)
			}
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d targets checked", checked)
	}
}

func TestTrainRefusesBadInput(t *testing.T) {
	e, err := harness.LoadExperiment(filepath.Join("testdata", "tiny.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		mod  func(*Options)
	}{
		{"epochs", func(o *Options) { o.Epochs = 0 }},
		{"lr", func(o *Options) { o.LR = math.NaN() }},
		{"behaviour tunes heartbeats", func(o *Options) { o.Behaviour = "dynatune" }},
		{"unknown behaviour", func(o *Options) { o.Behaviour = "nope" }},
		{"one seed", func(o *Options) { o.MaxSeeds = 1 }},
	} {
		opt := tinyOptions()
		c.mod(&opt)
		if _, err := Train(context.Background(), e, opt); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}
