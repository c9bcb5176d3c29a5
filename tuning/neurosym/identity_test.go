package neurosym

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ballast-bench/ballast/harness"
)

// TestIdentityNamesWhatTrainingComputes: the identity changes with every
// option that shapes the weights, the master seed and the runs recorded,
// and not with the parallelism.
func TestIdentityNamesWhatTrainingComputes(t *testing.T) {
	load := func() *harness.Experiment {
		e, err := harness.LoadExperiment(filepath.Join("testdata", "tiny.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	id := func(e *harness.Experiment, o Options) string {
		s, err := Identity(e, o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	base := id(load(), tinyOptions())
	if again := id(load(), tinyOptions()); again != base {
		t.Fatalf("identity not stable: %s, %s", base, again)
	}
	o := tinyOptions()
	o.Workers = 7
	if id(load(), o) != base {
		t.Error("the parallelism changed the identity")
	}
	for name, change := range map[string]func(*Options){
		"epochs":      func(o *Options) { o.Epochs++ },
		"lanes":       func(o *Options) { o.Lanes++ },
		"chunk":       func(o *Options) { o.Chunk++ },
		"lr":          func(o *Options) { o.LR *= 2 },
		"clip":        func(o *Options) { o.ClipNorm = 0 },
		"max per run": func(o *Options) { o.MaxPerRun++ },
		"behaviour":   func(o *Options) { o.Behaviour = "static" },
		"seeds":       func(o *Options) { o.MaxSeeds = 2 },
	} {
		o := tinyOptions()
		change(&o)
		if id(load(), o) == base {
			t.Errorf("changing the %s kept the identity", name)
		}
	}
	e := load()
	e.Seeds.Master++
	if id(e, tinyOptions()) == base {
		t.Error("another master seed kept the identity")
	}
}

// TestUpToDate: weights written with their identity are up to date for
// that identity only, and not once the weights or their loss curve change.
func TestUpToDate(t *testing.T) {
	e, err := harness.LoadExperiment(filepath.Join("testdata", "tiny.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	o := tinyOptions()
	o.Epochs = 1
	f, err := Train(context.Background(), e, o)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tiny.weights.json")
	id, err := Identity(e, o)
	if err != nil {
		t.Fatal(err)
	}
	if UpToDate(path, id) {
		t.Fatal("up to date before anything was written")
	}
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	if UpToDate(path, id) {
		t.Fatal("up to date without an identity file")
	}
	if err := WriteIdentity(path, id); err != nil {
		t.Fatal(err)
	}
	if !UpToDate(path, id) {
		t.Fatal("not up to date after Write and WriteIdentity")
	}
	if UpToDate(path, id+"0") {
		t.Error("up to date for another identity")
	}
	if err := os.Remove(LossPlotPrefix(path) + ".pdf"); err != nil {
		t.Fatal(err)
	}
	if UpToDate(path, id) {
		t.Error("up to date without its loss curve")
	}
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, ' '), 0o644); err != nil {
		t.Fatal(err)
	}
	if UpToDate(path, id) {
		t.Error("up to date after the weights were edited")
	}
}
