package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

// ManifestEntry records one completed run. A run counts as complete only if
// its manifest entry exists and its events file still has the recorded size
// and SHA-256: a file alone may be a leftover of a machine crash.
type ManifestEntry struct {
	Run    eventlog.RunInfo `json:"run"`
	Path   string           `json:"path"` // events file, relative to the output directory
	Bytes  int64            `json:"bytes"`
	SHA256 string           `json:"sha256"`
}

// ManifestPath is where a run's manifest entry lives: one small file per
// run, so shards on different machines never write the same file and their
// union is the unsharded output.
func ManifestPath(outDir, runID string) string {
	return filepath.Join(outDir, "manifest", runID+".json")
}

// Options control a sweep.
type Options struct {
	OutDir    string // the experiment's output directory, e.g. artifacts/runs/<experiment>
	Workers   int    // parallel runs (>= 1)
	Shard     Shard
	KeepGoing bool // finish the other runs after a failure instead of stopping
	// Force redoes every run, complete or not.
	Force bool
	// ReuseOld keeps complete runs that another code version made (their
	// rows say which); by default they are redone.
	ReuseOld bool
	// Progress receives progress; nil for none. It is only ever told counts,
	// never anything that reaches the outputs.
	Progress Progress
}

// Progress is told how the sweep advances.
type Progress interface {
	Start(total, skipped int)
	Done(ok bool)
	Finish()
}

// Summary says what a sweep did.
type Summary struct {
	Total   int // jobs in this shard
	Skipped int // already complete
	// ReusedOld are skipped runs that another code version made
	// (Options.ReuseOld); Redone are ones redone for that reason.
	ReusedOld, Redone int
	Ran               int
	Failed            int
	Events            int64
}

// State is what an output directory holds of a job's run.
type State uint8

const (
	Missing   State = iota // no complete run: not recorded, or its file does not match its record
	Done                   // recorded, intact, made by this code version
	OtherCode              // recorded and intact, made by another code version
)

// Status says whether the job's run is recorded and intact, and by which
// code. A run counts as complete only if its manifest entry exists and its
// events file still has the recorded size and SHA-256: a file alone may be
// a leftover of a machine crash.
func Status(outDir string, j *Job) State {
	data, err := os.ReadFile(ManifestPath(outDir, j.Run.Info.RunID))
	if err != nil {
		return Missing
	}
	var m ManifestEntry
	if json.Unmarshal(data, &m) != nil || m.Run.RunID != j.Run.Info.RunID || m.Path != j.EventsPath() {
		return Missing
	}
	size, sum, err := atomicfile.Sum(filepath.Join(outDir, m.Path))
	if err != nil || size != m.Bytes || sum != m.SHA256 {
		return Missing
	}
	if m.Run.CodeVersion != j.Run.Info.CodeVersion {
		return OtherCode
	}
	return Done
}

// Complete reports whether the job's run is recorded, intact and made by
// this code version.
func Complete(outDir string, j *Job) bool { return Status(outDir, j) == Done }

// Sweep runs the jobs of opt.Shard that are not complete yet, opt.Workers at
// a time. Each run writes its events file and then its manifest entry, both
// atomically, so a sweep killed at any point can be re-run: complete runs
// are skipped, interrupted ones redone. Errors name the run and its seed.
func Sweep(ctx context.Context, jobs []*Job, opt Options) (Summary, error) {
	var sum Summary
	unlock, err := Lock(opt.OutDir)
	if err != nil {
		return sum, err
	}
	defer unlock()
	var todo []*Job
	for _, j := range jobs {
		if !opt.Shard.Has(j.Index) {
			continue
		}
		sum.Total++
		if !opt.Force {
			switch Status(opt.OutDir, j) {
			case Done:
				sum.Skipped++
				continue
			case OtherCode:
				if opt.ReuseOld {
					sum.Skipped++
					sum.ReusedOld++
					continue
				}
				sum.Redone++
			}
		}
		todo = append(todo, j)
	}
	if len(todo) > 0 {
		// Only this process writes here (the lock): every temporary file
		// is a leftover of a killed one.
		removeStaleTemps(opt.OutDir)
	}
	if opt.Progress != nil {
		opt.Progress.Start(sum.Total, sum.Skipped)
		defer opt.Progress.Finish()
	}
	workers := max(opt.Workers, 1)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	var (
		mu     sync.Mutex
		errs   []error
		events atomic.Int64
		ran    atomic.Int64
	)
	for _, j := range todo {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			n, err := runJob(gctx, opt.OutDir, j)
			if opt.Progress != nil {
				opt.Progress.Done(err == nil)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				if opt.KeepGoing {
					return nil
				}
				return err
			}
			ran.Add(1)
			events.Add(n)
			return nil
		})
	}
	gerr := g.Wait()
	sum.Ran = int(ran.Load())
	sum.Events = events.Load()
	sum.Failed = len(errs)
	if ctx.Err() != nil {
		// Interrupted: the runs in flight were stopped, not failed.
		sum.Failed = 0
		why := ""
		if cause := context.Cause(ctx); cause != ctx.Err() {
			why = fmt.Sprintf(" (%v)", cause)
		}
		return sum, fmt.Errorf("interrupted%s after %d of %d runs (complete runs are kept: run again to resume): %w", why, sum.Skipped+sum.Ran, sum.Total, ctx.Err())
	}
	switch {
	case len(errs) == 0:
		return sum, gerr
	case len(errs) == 1:
		return sum, errs[0]
	default:
		return sum, fmt.Errorf("%d runs failed; the first: %w", len(errs), errs[0])
	}
}

// runJob writes one run's events file and then its manifest entry.
func runJob(ctx context.Context, outDir string, j *Job) (int64, error) {
	rel := j.EventsPath()
	path := filepath.Join(outDir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, runErr(j, err)
	}
	info, d, err := j.Run.writeEvents(ctx, path)
	if err != nil {
		return 0, err // already names the run and seed
	}
	if err := writeManifest(outDir, ManifestEntry{Run: info, Path: filepath.ToSlash(rel), Bytes: d.bytes, SHA256: d.sha256}); err != nil {
		return 0, runErr(j, err)
	}
	return info.Events, nil
}

func runErr(j *Job, err error) error {
	return fmt.Errorf("run %s (seed %d, scenario %s, policy %s/%s): %w", j.Run.Info.RunID, j.Run.Info.Seed,
		j.Run.Info.Scenario, j.Run.Info.Policy, j.Run.Info.Variant, err)
}

// writeManifest writes a run's manifest entry, atomically: after the
// events file, so an entry always describes a complete file.
func writeManifest(outDir string, m ManifestEntry) error {
	path := ManifestPath(outDir, m.Run.RunID)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	entry, _ := json.MarshalIndent(m, "", "  ")
	_, _, err := atomicfile.WriteFile(path, append(entry, '\n'))
	return err
}

// removeStaleTemps deletes the temporary files that killed runs left in
// the output tree (atomicfile's names only): one walk per sweep, not a
// directory listing per run.
func removeStaleTemps(outDir string) {
	filepath.WalkDir(outDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && atomicfile.IsTemp(d.Name()) {
			os.Remove(p)
		}
		return nil
	})
}

// LineProgress prints a plain line every Interval, whether runs completed
// or not (so a long run still shows the sweep is alive), and a last line
// with the elapsed time: for logs and CI, where a redrawn bar would be
// noise. A rate is shown once there is one to show (a second of work and
// a completed run), not extrapolated from the first instant.
type LineProgress struct {
	W        io.Writer
	Interval time.Duration
	mu       sync.Mutex
	total    int
	done     int
	failed   int
	start    time.Time
	stop     chan struct{}
	wg       sync.WaitGroup
}

func (p *LineProgress) Start(total, skipped int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.start = total-skipped, time.Now()
	fmt.Fprintf(p.W, "sweep: %d runs, %d already complete, %d to run\n", total, skipped, total-skipped)
	if p.total == 0 || p.Interval <= 0 {
		return
	}
	p.stop = make(chan struct{})
	p.wg.Go(func() {
		t := time.NewTicker(p.Interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				p.line("")
				p.mu.Unlock()
			}
		}
	})
}

func (p *LineProgress) Done(ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if !ok {
		p.failed++
	}
}

// line prints the state; prefix "" for a progress line.
func (p *LineProgress) line(prefix string) {
	el := time.Since(p.start)
	rate, eta := "-", "?"
	if p.done > 0 && el >= time.Second {
		r := float64(p.done) / el.Seconds()
		rate = fmt.Sprintf("%.3g", r)
		eta = time.Duration(float64(p.total-p.done) / r * float64(time.Second)).Round(time.Second).String()
	}
	if prefix == "" {
		fmt.Fprintf(p.W, "sweep: %d/%d done, %d failed, %s elapsed, %s runs/s, eta %s\n", p.done, p.total, p.failed, el.Round(time.Second), rate, eta)
		return
	}
	if p.done > 0 {
		rate = fmt.Sprintf("%.3g", float64(p.done)/el.Seconds()) // over the whole sweep: no first-instant artefact
	}
	fmt.Fprintf(p.W, "sweep: %s %d/%d runs in %s, %d failed, %s runs/s\n", prefix, p.done, p.total, el.Round(time.Millisecond), p.failed, rate)
}

func (p *LineProgress) Finish() {
	if p.stop != nil {
		close(p.stop)
		p.wg.Wait()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line("finished")
}
