package harness

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

// Analyses returns the analysis of every job's run in outDir by spec,
// sorted and deduplicated as metrics.AnalyzeFiles does: each run's stored
// analysis when its manifest records one of spec's key, else the analysis
// of its events file. A run with neither is an error naming it; so is a
// stored analysis that does not match its recorded digest. workers reads
// run in parallel (0: one per CPU).
func Analyses(outDir string, jobs []*Job, spec metrics.Spec, workers int) ([]*metrics.Run, error) {
	key, err := spec.Key()
	if err != nil {
		return nil, err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	runs := make([]*metrics.Run, len(jobs))
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Go(func() {
			for i := range next {
				runs[i], errs[i] = analysis(outDir, jobs[i], spec, key)
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return metrics.SortRuns(runs)
}

// analysis is one job's run's analysis (Analyses).
func analysis(outDir string, j *Job, spec metrics.Spec, key string) (*metrics.Run, error) {
	events := filepath.Join(outDir, j.EventsPath())
	m, ok := readEntry(outDir, j)
	if ok && m.Analysis != nil && m.Analysis.Key == key {
		path := filepath.Join(outDir, m.Analysis.Path)
		if data, err := atomicfile.ReadFile(path, m.Analysis.Bytes, m.Analysis.SHA256); err == nil {
			run, err := metrics.DecodeRun(data)
			if err != nil {
				return nil, runErr(j, fmt.Errorf("%s: %w", path, err))
			}
			if m.Path != "" {
				run.Row.Path = events
			}
			return run, nil
		}
	}
	if ok && m.Path == "" {
		return nil, runErr(j, fmt.Errorf("%s: neither an intact stored analysis (%s) nor the events file; allowed: run the sweep again to redo the run", outDir, key))
	}
	return metrics.AnalyzeFile(events, spec)
}

// StoredOnly returns the stored analyses of the runs in the sweep output
// directory dir (one with a manifest/) whose events files the sweep did
// not keep: those runs have no events file for metrics.EventFiles to find.
// A stored analysis must be of spec; one of another spec is an error that
// names the run and says how to get its events back.
func StoredOnly(dir string, spec metrics.Spec) ([]*metrics.Run, error) {
	key, err := spec.Key()
	if err != nil {
		return nil, err
	}
	entries, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	var runs []*metrics.Run
	for _, m := range entries {
		if m.Path != "" {
			continue
		}
		a := m.Analysis
		if a == nil || a.Key != key {
			stored := "none"
			if a != nil {
				stored = a.Key
			}
			return nil, fmt.Errorf("%s: run %s (seed %d, %s/%s/%s): its events file was not kept, and its stored analysis (%s) is not the one asked for (%s); allowed: the options it was stored with, or its events file back with 'ballast run %s --keep-events all'",
				dir, m.Run.RunID, m.Run.Seed, m.Run.Scenario, m.Run.Policy, m.Run.Variant, stored, key, m.Run.Experiment)
		}
		path := filepath.Join(dir, a.Path)
		data, err := atomicfile.ReadFile(path, a.Bytes, a.SHA256)
		if err != nil {
			return nil, fmt.Errorf("run %s (seed %d): %w; re-run the sweep to redo it", m.Run.RunID, m.Run.Seed, err)
		}
		run, err := metrics.DecodeRun(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		runs = append(runs, run)
	}
	return runs, nil
}
