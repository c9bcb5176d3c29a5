package policies

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ballast-bench/ballast/policies/lstm"
)

// NeurosymFormat names the weights file format and its version.
const NeurosymFormat = "ballast/neurosym-weights/1"

// NeurosymFile is a trained neurosym network with its provenance: the
// JSON file 'ballast train neurosym' writes and the policy loads.
type NeurosymFile struct {
	Format     string             `json:"format"`
	Shape      lstm.Shape         `json:"shape"`
	Features   []string           `json:"features"`
	Quantiles  []float64          `json:"quantiles"`
	Provenance NeurosymProvenance `json:"provenance"`
	Theta      []float64          `json:"theta"`
}

// NeurosymProvenance says how the weights were made.
type NeurosymProvenance struct {
	Experiment string   `json:"experiment"`
	Engine     string   `json:"engine"`
	Scenarios  []string `json:"scenarios"`
	// Behaviour is the policy that ran the clusters whose heartbeats were
	// recorded.
	Behaviour       string   `json:"behaviour"`
	TrainSeeds      []uint64 `json:"train_seeds"`
	ValidationSeeds []uint64 `json:"validation_seeds"`
	TrainSteps      int      `json:"train_steps"`
	ValidationSteps int      `json:"validation_steps"`
	// Hyperparameters.
	Seed      uint64  `json:"seed"`
	Epochs    int     `json:"epochs"`
	Lanes     int     `json:"lanes"`
	Chunk     int     `json:"chunk"`
	LR        float64 `json:"lr"`
	ClipNorm  float64 `json:"clip_norm"`
	MaxPerRun int     `json:"max_steps_per_run"`
	// Loss per epoch (mean pinball loss; epoch 0 is before training).
	Loss []LossPoint `json:"loss"`
	// Coverage is, on the validation steps, the fraction of targets at or
	// below each output: a calibrated network has Quantiles here.
	Coverage []float64 `json:"coverage"`
}

// LossPoint is the training and validation loss after an epoch.
type LossPoint struct {
	Epoch      int     `json:"epoch"`
	Train      float64 `json:"train"`
	Validation float64 `json:"validation"`
}

// Encode is the file's canonical bytes: the same weights give the same
// bytes, so their hash pins them.
func (f *NeurosymFile) Encode() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", " ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// check refuses a file this code cannot run: another format, shape,
// feature list or quantiles, or the wrong number of parameters.
func (f *NeurosymFile) check() error {
	switch {
	case f.Format != NeurosymFormat:
		return fmt.Errorf("format %q; allowed: %q (retrain with 'ballast train neurosym')", f.Format, NeurosymFormat)
	case f.Shape != NeurosymShape:
		return fmt.Errorf("network shape %+v; allowed: %+v (retrain)", f.Shape, NeurosymShape)
	case !slices.Equal(f.Features, NeurosymFeatures):
		return fmt.Errorf("features %v; allowed: %v (retrain)", f.Features, NeurosymFeatures)
	case !slices.Equal(f.Quantiles, NeurosymQuantiles):
		return fmt.Errorf("quantiles %v; allowed: %v (retrain)", f.Quantiles, NeurosymQuantiles)
	case len(f.Theta) != f.Shape.NumParams():
		return fmt.Errorf("%d parameters; allowed: %d for shape %+v", len(f.Theta), f.Shape.NumParams(), f.Shape)
	}
	return nil
}

// NeurosymWeights are a loaded weights file and its network.
type NeurosymWeights struct {
	file *NeurosymFile
	net  *lstm.Net
}

// Net is the trained network (float64; read-only).
func (w *NeurosymWeights) Net() *lstm.Net { return w.net }

// File is the weights file as read.
func (w *NeurosymWeights) File() *NeurosymFile { return w.file }

func (w *NeurosymWeights) trainedSeeds() []uint64 {
	s := append(slices.Clone(w.file.Provenance.TrainSeeds), w.file.Provenance.ValidationSeeds...)
	slices.Sort(s)
	return s
}

// weightsCache holds decoded weights by content hash: every run of a sweep
// builds its policy, and decoding the JSON each time would be waste. Keyed
// by content, so a retrained file is never served stale.
var weightsCache = struct {
	sync.Mutex
	m map[string]*NeurosymWeights
}{m: map[string]*NeurosymWeights{}}

// LoadNeurosymWeights reads a weights file ("path" or "path@sha"; a given
// sha must match) and checks it fits this code. A pinned value whose
// weights are already decoded is served from memory: Build pins the value
// after reading the file, and every run of a sweep builds its policy, so
// reading the file again for New and CheckRun would be work done twice.
func LoadNeurosymWeights(val string) (*NeurosymWeights, error) {
	path, want, _ := strings.Cut(val, "@")
	if want != "" {
		weightsCache.Lock()
		w, ok := weightsCache.m[want]
		weightsCache.Unlock()
		if ok {
			return w, nil
		}
	}
	b, sha, err := ReadPinned(path)
	if err != nil {
		return nil, err
	}
	if want != "" && want != sha {
		return nil, fmt.Errorf("weights %s have content hash %s, but %s was asked for; allowed: the file the run was made with (retrain or re-pin)", path, sha, want)
	}
	weightsCache.Lock()
	defer weightsCache.Unlock()
	if w, ok := weightsCache.m[sha]; ok {
		return w, nil
	}
	var f NeurosymFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("weights %s: %v; allowed: a file written by 'ballast train neurosym'", path, err)
	}
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("weights %s: %v", path, err)
	}
	w := &NeurosymWeights{file: &f, net: &lstm.Net{Shape: f.Shape, Theta: f.Theta}}
	weightsCache.m[sha] = w
	return w, nil
}
