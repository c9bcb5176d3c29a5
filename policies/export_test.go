package policies

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/ballast-bench/ballast/policies/lstm"
)

// TestWeights is a neurosym weights file for tests (an untrained network
// from a fixed seed), written by TestMain; Build needs a file, and the
// policy's default lives under configs/tuned/, which tests do not have.
var TestWeights string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "policies-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	TestWeights = filepath.Join(dir, "neurosym.weights.json")
	net := lstm.New(NeurosymShape, rand.New(rand.NewPCG(1, 2)))
	if err := writeWeights(TestWeights, net.Theta, []uint64{101, 102}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// writeWeights writes a weights file holding theta, trained (it says) on
// seeds.
func writeWeights(path string, theta []float64, seeds []uint64) error {
	f := &NeurosymFile{Format: NeurosymFormat, Shape: NeurosymShape, Features: NeurosymFeatures,
		Quantiles: NeurosymQuantiles, Provenance: NeurosymProvenance{Experiment: "test", TrainSeeds: seeds}, Theta: theta}
	b, err := f.Encode()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// WithTestWeights adds the test weights to a neurosym parameter set.
func WithTestWeights(name string, set []string) []string {
	if name == "neurosym" {
		return append([]string{"weights=" + TestWeights}, set...)
	}
	return set
}
