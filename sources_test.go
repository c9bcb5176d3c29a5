package ballast

import (
	"io/fs"
	"regexp"
	"testing"
	"testing/fstest"
)

func TestTrainingCodeID(t *testing.T) {
	if id := TrainingCodeID(); !regexp.MustCompile(`^train-[0-9a-f]{12}$`).MatchString(id) || id != TrainingCodeID() {
		t.Fatalf("TrainingCodeID %q", id)
	}
	if n, _ := fs.Glob(trainingSources, "tuning/neurosym/*.go"); len(n) == 0 {
		t.Fatal("no training sources embedded")
	}
}

func TestCodeID(t *testing.T) {
	if id := CodeID(); !regexp.MustCompile(`^sim-[0-9a-f]{12}$`).MatchString(id) || id != CodeID() {
		t.Fatalf("CodeID %q", id)
	}
	base := fstest.MapFS{
		"sim/host.go":        {Data: []byte("package sim")},
		"sim/host_test.go":   {Data: []byte("package sim // a test")},
		"policies/policy.go": {Data: []byte("package policies")},
		"configs/arms.yaml":  {Data: []byte("arms: []")},
	}
	id := identity("sim-", base, []string{"go1.26"})
	change := func(name, data string) string {
		m := fstest.MapFS{}
		for k, v := range base {
			m[k] = v
		}
		m[name] = &fstest.MapFile{Data: []byte(data)}
		return identity("sim-", m, []string{"go1.26"})
	}
	if change("sim/host.go", "package sim; const x = 1") == id {
		t.Error("a changed source kept the identity")
	}
	if change("sim/host.go", "// Package sim.\npackage  sim\n") != id {
		t.Error("a comment or layout change changed the identity")
	}
	if change("sim/host.go", "package sim2") == id || change("sim/host.go", "package sim\nconst s = `a b`") == change("sim/host.go", "package sim\nconst s = `a  b`") {
		t.Error("a changed identifier or string kept the identity")
	}
	if change("configs/arms.yaml", "arms: [1]") == id {
		t.Error("a changed arm set kept the identity")
	}
	if change("sim/host_test.go", "package sim // another test") != id {
		t.Error("a changed test changed the identity")
	}
	if identity("sim-", base, []string{"go1.27"}) == id {
		t.Error("another Go version kept the identity")
	}
}
