package harness

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/configs"
	"github.com/ballast-bench/ballast/internal/configfile"
)

// FuzzExperimentFile mutates experiment files (the built-in ones are the
// seed corpus): every input is either refused with one line naming the
// file, or accepted with a grid within MaxGridRuns that can be built (or
// refused by name: a tuned variant without its choices). Never a hang, a
// panic or an unbounded allocation. make test runs the seed corpus; make
// fuzz runs it for minutes.
func FuzzExperimentFile(f *testing.F) {
	fs.WalkDir(configs.Experiments, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".yaml") {
			data, _ := fs.ReadFile(configs.Experiments, p)
			f.Add(data)
		}
		return nil
	})
	f.Add([]byte("name: x\nscenarios: [lan, lan]\npolicies: [{policy: random, set: {min_ms: true}}]\nseeds: {master: 1, report: 1.5}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseExperiment("fuzz.yaml", data)
		if err != nil {
			var fe *configfile.FieldError
			if !errors.As(err, &fe) || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("refusal is not one line naming the file: %q", err)
			}
			return
		}
		for _, set := range []string{SetReport, SetTuning} {
			jobs, err := e.Grid(set, 0)
			if err != nil {
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("grid error of more than one line: %q", err)
				}
				continue
			}
			if len(jobs) > MaxGridRuns {
				t.Fatalf("%d runs in the %s grid; the limit is %d", len(jobs), set, MaxGridRuns)
			}
		}
	})
}
