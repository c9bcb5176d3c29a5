package neurosym

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	ballast "github.com/ballast-bench/ballast"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/internal/atomicfile"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// recordedRun is the run whose heartbeats Collect records: scenario s of
// experiment e under the behaviour policy, on a tuning seed.
func recordedRun(e *harness.Experiment, s *scenario.Scenario, behaviour string, seed uint64) (*harness.Run, error) {
	r, err := harness.Resolve(harness.Spec{Scenario: s, Policy: behaviour, Seed: seed, SeedSet: harness.SetTuning, Engine: e.Engine})
	if err != nil {
		return nil, fmt.Errorf("experiment %s, scenario %s, seed %d: %w", e.Name, s.Name, seed, err)
	}
	return r, nil
}

// Identity names what Train(e, opt) computes: the training's code
// (ballast.TrainingCodeID, which covers the simulation and the network
// too), every option that shapes the result (Workers and Progress do
// not), the experiment's master seed (the network's initialisation and
// the shuffles) and the identity of every run recorded, training and
// validation (scenario content, behaviour policy and its parameters,
// engine, seed: harness.RunID). Two trainings with the same identity
// write the same weights, byte for byte (Train is deterministic whatever
// Workers), so make reproduce keeps weights whose identity file says so
// (UpToDate).
func Identity(e *harness.Experiment, opt Options) (string, error) {
	if err := opt.check(); err != nil {
		return "", err
	}
	trainSeeds, valSeeds, err := seedSplit(e, opt)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "ballast neurosym training\ncode %s\nbehaviour %q\nepochs %d\nlanes %d\nchunk %d\nlr %v\nclip %v\nmax_per_run %d\nmaster %d\n",
		ballast.TrainingCodeID(), opt.Behaviour, opt.Epochs, opt.Lanes, opt.Chunk, opt.LR, opt.ClipNorm, opt.MaxPerRun, e.Seeds.Master)
	for _, set := range []struct {
		name  string
		seeds []uint64
	}{{"train", trainSeeds}, {"validation", valSeeds}} {
		for _, s := range e.ScenarioList() {
			for _, seed := range set.seeds {
				r, err := recordedRun(e, s, opt.Behaviour, seed)
				if err != nil {
					return "", err
				}
				fmt.Fprintf(h, "%s %s\n", set.name, harness.RunID(r.Info))
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// IdentityPath is the file beside the weights at weightsPath that records
// the training's identity and the weights' content hash.
func IdentityPath(weightsPath string) string {
	return strings.TrimSuffix(weightsPath, ".weights.json") + ".training"
}

// WriteIdentity records, after Write, that the weights at weightsPath
// came from the training named id.
func WriteIdentity(weightsPath, id string) error {
	_, sha, err := policies.ReadPinned(weightsPath)
	if err != nil {
		return err
	}
	_, _, err = atomicfile.WriteFile(IdentityPath(weightsPath), fmt.Appendf(nil, "training %s\nweights %s\n", id, sha))
	return err
}

// UpToDate reports whether the weights at weightsPath, and their loss
// curve, are what a training named id would write: its identity file
// names id and the weights' present content (a weights file edited or
// replaced since is not).
func UpToDate(weightsPath, id string) bool {
	f, err := os.Open(IdentityPath(weightsPath))
	if err != nil {
		return false
	}
	defer f.Close()
	rec := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), " "); ok {
			rec[k] = v
		}
	}
	if rec["training"] != id {
		return false
	}
	_, sha, err := policies.ReadPinned(weightsPath)
	if err != nil || rec["weights"] != sha {
		return false
	}
	for _, ext := range []string{".png", ".pdf"} {
		if _, err := os.Stat(LossPlotPrefix(weightsPath) + ext); err != nil {
			return false
		}
	}
	return true
}
