package metrics

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
)

// MetaRun is the key-value metadata key of an events file that holds its
// eventlog.RunInfo as JSON (written by harness.Run.WriteParquet).
const MetaRun = "ballast.run"

// ReadInfo returns the RunInfo stored in an events file's metadata.
func ReadInfo(path string) (eventlog.RunInfo, error) {
	meta, err := pq.ReadMetadata(path)
	if err != nil {
		return eventlog.RunInfo{}, err
	}
	return runInfo(path, meta)
}

// AnalyzeFile derives the analysis of the run in one events file, in one
// pass (a Stream fed from the file).
func AnalyzeFile(path string, spec Spec) (*Run, error) {
	r, err := pq.OpenEvents(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info, err := runInfo(path, r.Metadata())
	if err != nil {
		return nil, err
	}
	s, err := NewStream(info, spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %s metadata: %w", path, MetaRun, err)
	}
	if err := r.Scan(info.RunID, s.Add); err != nil {
		if strings.HasPrefix(err.Error(), path+": ") {
			return nil, err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	run, err := s.Finish()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	run.Row.Path = path
	if js, ok := r.Metadata()[eventlog.MetaLive]; ok {
		var li eventlog.LiveInfo
		if err := json.Unmarshal([]byte(js), &li); err != nil {
			return nil, fmt.Errorf("%s: %s metadata: %v; allowed: what ballast live writes (docs/schema.md)", path, eventlog.MetaLive, err)
		}
		run.Row.SetLive(&li)
	}
	return run, nil
}

// EventFiles expands files and directories into the sorted list of events
// files: a directory is walked recursively and contributes its *.parquet
// files except runs tables (*.runs.parquet, and the runs.parquet of a
// merged directory) and analysed tables
// (*.metrics.parquet, so an analysis directory inside the runs is no
// input); names starting with "." (the
// writer's temporary files) are skipped. A file named explicitly must be
// an events file. A file reached twice is listed once.
func EventFiles(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, errors.New("no events files or directories given; allowed: one or more paths")
	}
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		abs, err := filepath.Abs(p)
		if err != nil {
			abs = p
		}
		if !seen[abs] {
			seen[abs] = true
			out = append(out, p)
		}
	}
	for _, arg := range args {
		st, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w; allowed: an events file or a directory", arg, errors.Unwrap(err))
		}
		if !st.IsDir() {
			if !isEventsFile(filepath.Base(arg)) {
				return nil, fmt.Errorf("%s: not an events file; allowed: *.parquet files other than *.runs.parquet, or directories", arg)
			}
			add(arg)
			continue
		}
		err = filepath.WalkDir(arg, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && isEventsFile(e.Name()) {
				add(p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return out, nil
}

func isEventsFile(name string) bool {
	return strings.HasSuffix(name, ".parquet") && name != "runs.parquet" && !strings.HasSuffix(name, ".runs.parquet") &&
		!strings.HasSuffix(name, TableSuffix) && !strings.HasPrefix(name, ".")
}

// Key identifies a run within an analysis. The run ID alone does not: it
// depends only on the simulated inputs, so the same simulation can belong
// to two experiments, or to two variants with equal parameters (which is
// what the ablation self-check is there to catch).
func Key(r *RunRow) string {
	return strings.Join([]string{r.Experiment, r.Scenario, r.Policy, r.Variant, r.RunID}, "\x00")
}

// CompareRows orders runs by experiment, scenario, policy, variant, seed
// and run ID: the order of every output, whatever the order of the files.
func CompareRows(a, b *RunRow) int {
	return cmp.Or(
		cmp.Compare(a.Experiment, b.Experiment), cmp.Compare(a.Scenario, b.Scenario),
		cmp.Compare(a.Policy, b.Policy), cmp.Compare(a.Variant, b.Variant),
		cmp.Compare(a.Seed, b.Seed), cmp.Compare(a.RunID, b.RunID), cmp.Compare(a.Path, b.Path),
	)
}

// AnalyzeFiles derives every file's run on up to jobs goroutines (0: one
// per CPU), each file in one pass (AnalyzeFile), and returns the runs sorted by CompareRows. The same run read
// from two files (shards and their merge) is kept once; two files with the
// same run but different events are an error. Errors name the file; with
// several bad files, the first in path order is reported.
func AnalyzeFiles(paths []string, spec Spec, jobs int) ([]*Run, error) {
	if _, err := spec.Options.Check(); err != nil {
		return nil, err
	}
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	runs := make([]*Run, len(paths))
	errs := make([]error, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, len(paths)) {
		wg.Go(func() {
			for i := range next {
				runs[i], errs[i] = AnalyzeFile(paths[i], spec)
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return SortRuns(runs)
}

// SortRuns sorts runs by CompareRows and keeps each run once: the same
// run read twice (shards and their merge) must have the same events
// (EventsHash), or it is an error naming both files.
func SortRuns(runs []*Run) ([]*Run, error) {
	slices.SortFunc(runs, func(a, b *Run) int { return CompareRows(&a.Row, &b.Row) })
	out := runs[:0]
	for _, r := range runs {
		if n := len(out); n > 0 && Key(&out[n-1].Row) == Key(&r.Row) {
			prev := &out[n-1].Row
			if prev.EventsHash != r.Row.EventsHash {
				return nil, fmt.Errorf("%s and %s: run %s (%s/%s/%s seed %d) has different events in the two files; allowed: one version of each run",
					prev.Path, r.Row.Path, r.Row.RunID, r.Row.Scenario, r.Row.Policy, r.Row.Variant, r.Row.Seed)
			}
			continue // the same run again
		}
		out = append(out, r)
	}
	return out, nil
}
