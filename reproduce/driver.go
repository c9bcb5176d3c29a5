package reproduce

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/report"
	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/reproduce/published"
	"github.com/ballast-bench/ballast/reproduce/trace"
	"github.com/ballast-bench/ballast/tuning"
	"github.com/ballast-bench/ballast/tuning/neurosym"
)

// Options control a reproduction.
type Options struct {
	Quick bool     // fewer seeds and shorter long runs (catalog.go says which)
	Only  []string // artifact IDs or experiment names to build; nil: everything
	// Out is the output root: runs/, metrics/, tables/, figures/,
	// REPORT.md (default DefaultOut, or DefaultQuickOut with Quick).
	Out string
	// TunedDir is where tuned parameters are written and read (default
	// configs/tuned, where 'ballast tune' writes, or Out/tuned with Quick,
	// so a quick run never overwrites the full run's choices).
	TunedDir string
	// PublishedDir holds the reference numbers (default published.Dir).
	PublishedDir string
	Jobs         int // parallel runs and analyses (default: one per CPU)
	// NoRun skips tuning and sweeping: every run must already be complete
	// (the merge job of the sweep workflow analyses shards it merged).
	NoRun bool
	// Force redoes every run; ReuseOld keeps complete runs made by another
	// code version (the tables then list every code version of their runs).
	Force, ReuseOld bool
	// KeepEvents, when set, overrides every experiment's keep_events
	// (harness.KeepAll, KeepReport, KeepNone): which runs keep their
	// events files. The tables come from the analyses the sweeps store
	// either way.
	KeepEvents string
	Log        io.Writer // progress lines (nil: none); never part of an output
}

// Default output roots.
const (
	DefaultOut      = "artifacts"
	DefaultQuickOut = "artifacts/quick"
)

// Bootstrap settings of every table (docs/metrics.md): seed 1, B = 10,000.
var bootstrap = report.Options{Seed: 1, Resamples: stats.DefaultResamples}

func (o *Options) defaults() {
	if o.Out == "" {
		o.Out = DefaultOut
		if o.Quick {
			o.Out = DefaultQuickOut
		}
	}
	if o.TunedDir == "" {
		o.TunedDir = filepath.Join("configs", "tuned")
		if o.Quick {
			o.TunedDir = filepath.Join(o.Out, "tuned")
		}
	}
	if o.PublishedDir == "" {
		o.PublishedDir = published.Dir
	}
	if o.Jobs <= 0 {
		o.Jobs = runtime.NumCPU()
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

func (o *Options) mode() string {
	if o.Quick {
		return "quick"
	}
	return "full"
}

// Select resolves Only into the artifacts to build, in catalog order, and
// the experiments they need. A name is an artifact ID or an experiment: an
// artifact is selected when it is named, or when every experiment it reads
// is named (so naming one experiment never needs another's runs, which is
// what the sweep workflow's merge job relies on). An unknown name, or a
// selection of no artifact, is an error naming what is allowed.
func Select(only []string) ([]*Artifact, []*Experiment, error) {
	var arts []*Artifact
	want := map[string]bool{}
	for _, n := range only {
		for _, part := range strings.Split(n, ",") {
			if part = strings.TrimSpace(part); part != "" {
				want[part] = true
			}
		}
	}
	known := map[string]bool{}
	for _, a := range Catalog {
		known[a.ID] = true
		for _, e := range a.Experiments {
			known[e] = true
		}
		all := !slices.ContainsFunc(a.Experiments, func(e string) bool { return !want[e] })
		if len(want) == 0 || want[a.ID] || all {
			arts = append(arts, a)
		}
	}
	var names []string
	for n := range want {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if !known[n] {
			return nil, nil, fmt.Errorf("--only %q: no such artifact or experiment; allowed: %s", n, strings.Join(Names(), ", "))
		}
	}
	if len(arts) == 0 {
		return nil, nil, fmt.Errorf("--only %s: selects no artifact (each of their tables and figures also needs another experiment); allowed: an artifact ID, or all the experiments of an artifact (see --list)", strings.Join(names, ","))
	}
	var exps []*Experiment
	for _, x := range Experiments {
		if slices.ContainsFunc(arts, func(a *Artifact) bool { return slices.Contains(a.Experiments, x.Name) }) {
			exps = append(exps, x)
		}
	}
	return arts, exps, nil
}

// Names lists the artifact IDs and experiment names --only accepts.
func Names() []string {
	var n []string
	for _, a := range Catalog {
		n = append(n, a.ID)
	}
	for _, x := range Experiments {
		n = append(n, x.Name)
	}
	return n
}

// Summary says what a reproduction wrote.
type Summary struct {
	Artifacts int
	Files     []string // every output written, relative to Out
	Report    string   // REPORT.md's path, "" when not written (--only)
}

// Run reproduces the selected artifacts: for each experiment they need,
// tune (if the catalog says so), sweep the report seeds and analyse them;
// then build every artifact and write all outputs together.
func Run(ctx context.Context, opt Options) (*Summary, error) {
	opt.defaults()
	// One reproduction writes an output root at a time (its runs
	// directories are locked by each sweep too).
	unlock, err := harness.Lock(opt.Out)
	if err != nil {
		return nil, err
	}
	defer unlock()
	env, results, err := build(ctx, &opt)
	if err != nil {
		return nil, err
	}
	return write(&opt, env, results, len(opt.Only) == 0)
}

// build runs and analyses the experiments and builds the artifacts, in
// memory.
func build(ctx context.Context, opt *Options) (*Env, []*built, error) {
	arts, exps, err := Select(opt.Only)
	if err != nil {
		return nil, nil, err
	}
	// Read every published file first: a bad one stops the run before any
	// simulation.
	pubs := map[string]*published.File{}
	for _, a := range arts {
		for _, p := range a.Published {
			if pubs[p] != nil {
				continue
			}
			f, err := published.Load(opt.PublishedDir, p)
			if err != nil {
				return nil, nil, err
			}
			pubs[p] = f
		}
	}
	env := &Env{opt: opt, exps: map[string]*expData{}, pubs: pubs}
	// Training is a serial phase (one network, step after step): with more
	// than one job it starts now, beside the other experiments' sweeps, so
	// that the cores stay busy; its experiment waits for it. It depends on
	// nothing else. With one job it runs in its turn.
	gctx, cancel := context.WithCancel(ctx)
	var training sync.WaitGroup
	defer training.Wait() // no training outlives a failed reproduction
	defer cancel()
	trained := map[string]chan error{}
	if !opt.NoRun && opt.Jobs > 1 {
		for _, x := range exps {
			if !x.Train {
				continue
			}
			e, _, _, err := load(opt, x)
			if err != nil {
				return nil, nil, err
			}
			done := make(chan error, 1)
			trained[x.Name] = done
			training.Go(func() { done <- trainWeights(gctx, opt, x, e) })
		}
	}
	for i, x := range exps {
		start := time.Now()
		fmt.Fprintf(opt.Log, "[%d/%d] %s\n", i+1, len(exps), x.Name)
		d, err := prepare(ctx, opt, x, trained[x.Name])
		if err != nil {
			return nil, nil, err
		}
		env.exps[x.Name] = d
		fmt.Fprintf(opt.Log, "[%d/%d] %s: %d report runs, done in %s\n", i+1, len(exps), x.Name, len(d.tables.Runs), time.Since(start).Round(100*time.Millisecond))
	}
	var results []*built
	for _, a := range arts {
		res, err := a.Build(env.forArtifact(a))
		if err != nil {
			return nil, nil, fmt.Errorf("%s (%s %s): %w", a.ID, a.Doc, a.Label, err)
		}
		results = append(results, &built{art: a, res: res})
	}
	return env, results, nil
}

// expData is one experiment, swept and analysed.
type expData struct {
	spec        *Experiment
	e           *harness.Experiment
	file        string   // the experiment file (the derived one in quick mode)
	truncated   []string // quick mode: "scenario cut to N s" notes
	seeds       []uint64 // the report seeds run
	tuned       *tuning.Tuned
	tunedPath   string
	weightsPath string // Train: the neurosym weights the runs used
	tables      *metrics.Tables
	report      *report.Report
	traces      map[string]*trace.Run // by run id (experiments with a trace bin)
	versions    []string              // code versions of the runs
}

// load reads experiment x as the reproduction runs it: in quick mode, the
// derived file with its long scenarios cut (notes say which).
func load(opt *Options, x *Experiment) (e *harness.Experiment, file string, notes []string, err error) {
	nameOrFile, file := x.Name, filepath.Join("configs", "experiments", x.Name+".yaml")
	if opt.Quick && x.QuickMaxDurationS > 0 {
		if nameOrFile, notes, err = quickConfigs(filepath.Join(opt.Out, "configs"), x); err != nil {
			return nil, "", nil, err
		}
		file = nameOrFile
	}
	e, err = harness.LoadExperiment(nameOrFile)
	return e, file, notes, err
}

// prepare tunes, sweeps and analyses one experiment. An experiment that
// trains waits for its training on trained if it was started early, and
// trains first otherwise.
func prepare(ctx context.Context, opt *Options, x *Experiment, trained <-chan error) (*expData, error) {
	d := &expData{spec: x}
	e, file, notes, err := load(opt, x)
	if err != nil {
		return nil, err
	}
	d.e, d.file, d.truncated = e, file, notes
	// With the default root this is artifacts/runs/NAME, where 'ballast
	// run' and 'ballast tune' write too: their runs are reused.
	runs := filepath.Join(opt.Out, "runs", x.Name)
	reportSeeds, tuningSeeds := 0, 0
	if opt.Quick {
		reportSeeds, tuningSeeds = x.QuickReport, x.QuickTuning
	}
	if x.Train {
		switch {
		case opt.NoRun: // the weights must be there
		case trained == nil:
			err = trainWeights(ctx, opt, x, e)
		default:
			err = <-trained
		}
		if err != nil {
			return nil, err
		}
		useWeights(opt, x, d, e)
	}
	keep := cmp.Or(opt.KeepEvents, e.KeepEvents)
	spec := x.Spec()
	if e.Tunable() {
		d.tunedPath = filepath.Join(opt.TunedDir, x.Name+".yaml")
		if !opt.NoRun {
			t, err := tuning.Tune(ctx, e, tuning.Options{OutDir: runs, Workers: opt.Jobs, MaxSeeds: tuningSeeds,
				Progress: progress(opt.Log), KeepEvents: harness.Keeps(keep, harness.SetTuning)})
			if err != nil {
				return nil, err
			}
			if err := tuning.Write(d.tunedPath, t); err != nil {
				return nil, err
			}
		}
		t, err := tuning.Load(d.tunedPath)
		if err != nil {
			return nil, err
		}
		if t == nil {
			return nil, fmt.Errorf("%s: no tuned parameters for experiment %s; allowed: run without --no-run, or 'ballast tune %s' first", d.tunedPath, x.Name, x.Name)
		}
		d.tuned = t
		t.Apply(e, d.tunedPath)
	}
	jobs, err := e.Grid(harness.SetReport, reportSeeds)
	if err != nil {
		return nil, err
	}
	// Each run is analysed as it is simulated (one pass, the metrics and
	// the traces where the experiment's figures need them); the tables
	// read the stored analyses.
	outputs := harness.Outputs{Analysis: &spec, DropEvents: !harness.Keeps(keep, harness.SetReport)}
	if opt.NoRun {
		// A run is usable with its stored analysis of this spec, or with
		// its events file to analyse.
		analysed := harness.Outputs{Analysis: &spec, DropEvents: true}
		for _, j := range jobs {
			if !harness.Complete(runs, j, analysed) && !harness.Complete(runs, j, harness.Outputs{}) {
				return nil, fmt.Errorf("%s: run %s (scenario %s, %s/%s, seed %d) is missing or incomplete; allowed with --no-run: a runs directory where every report run is complete",
					runs, j.Run.Info.RunID, j.Run.Info.Scenario, j.Run.Info.Policy, j.Run.Info.Variant, j.Run.Info.Seed)
			}
		}
	} else if sum, err := harness.Sweep(ctx, jobs, harness.Options{OutDir: runs, Workers: opt.Jobs, Shard: harness.All,
		Outputs: outputs, Force: opt.Force, ReuseOld: opt.ReuseOld, Progress: progress(opt.Log)}); err != nil {
		return nil, err
	} else if sum.Redone > 0 {
		fmt.Fprintf(opt.Log, "%s: %d runs made by another code version were redone\n", x.Name, sum.Redone)
	}
	seen := map[uint64]bool{}
	for _, j := range jobs {
		if !seen[j.Run.Info.Seed] {
			seen[j.Run.Info.Seed] = true
			d.seeds = append(d.seeds, j.Run.Info.Seed)
		}
	}
	an, err := harness.Analyses(runs, jobs, spec, opt.Jobs)
	if err != nil {
		return nil, err
	}
	if x.TraceBinS > 0 {
		d.traces = map[string]*trace.Run{}
		for _, r := range an {
			if d.traces[r.Row.RunID], err = trace.Of(r); err != nil {
				return nil, err
			}
		}
	}
	d.tables = metrics.Collect(an)
	if err := d.tables.Write(filepath.Join(opt.Out, "metrics", x.Name)); err != nil {
		return nil, err
	}
	if d.report, err = report.New(d.tables, bootstrap); err != nil {
		return nil, err
	}
	// Runs of another code version are here only with --reuse-old or
	// --no-run; the tables' comments list every version, and so does the
	// log.
	stale := 0
	for _, r := range d.tables.Runs {
		d.versions = append(d.versions, r.CodeVersion)
		if r.CodeVersion != harness.CodeVersion() {
			stale++
		}
	}
	slices.Sort(d.versions)
	d.versions = slices.Compact(d.versions)
	if stale > 0 {
		fmt.Fprintf(opt.Log, "note: %d of %d runs of %s were made by code version %s, this binary is %s (kept by --reuse-old or --no-run)\n",
			stale, len(d.tables.Runs), x.Name, strings.Join(d.versions, ", "), harness.CodeVersion())
	}
	return d, nil
}

// progress reports sweeps as plain lines (the log is often a file or CI).
func progress(w io.Writer) harness.Progress {
	if w == io.Discard {
		return nil
	}
	return &harness.LineProgress{W: w, Interval: 30 * time.Second}
}

// mkdirs creates the output folders.
func mkdirs(out string) error {
	for _, d := range []string{"tables", "figures"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// weightsPath is where experiment x's neurosym weights are written.
func weightsPath(opt *Options, x *Experiment) string {
	return filepath.Join(opt.TunedDir, x.Name+".weights.json")
}

// trainWeights trains the neurosym weights of experiment x (loaded as e)
// on its tuning seeds and writes them, unless the weights there are what
// this training would write (neurosym.UpToDate: the same training code,
// options and recorded runs).
func trainWeights(ctx context.Context, opt *Options, x *Experiment, e *harness.Experiment) error {
	o := neurosym.DefaultOptions()
	o.Workers = opt.Jobs
	if opt.Quick {
		o.MaxSeeds, o.Epochs, o.MaxPerRun = x.QuickTuning, 2, 2000
	}
	id, err := neurosym.Identity(e, o)
	if err != nil {
		return err
	}
	path := weightsPath(opt, x)
	if neurosym.UpToDate(path, id) {
		fmt.Fprintf(opt.Log, "neurosym weights of %s up to date (%s), not retrained\n", x.Name, neurosym.IdentityPath(path))
		return nil
	}
	fmt.Fprintf(opt.Log, "training neurosym on %s\n", x.Name)
	f, err := neurosym.Train(ctx, e, o)
	if err != nil {
		return err
	}
	if err := neurosym.Write(path, f); err != nil {
		return err
	}
	return neurosym.WriteIdentity(path, id)
}

// useWeights points every neurosym variant of e at experiment x's weights
// (written by trainWeights, or already there with NoRun).
func useWeights(opt *Options, x *Experiment, d *expData, e *harness.Experiment) {
	d.weightsPath = weightsPath(opt, x)
	for i := range e.Policies {
		if pv := &e.Policies[i]; pv.Policy == "neurosym" {
			if pv.Set == nil {
				pv.Set = map[string]any{}
			}
			pv.Set["weights"] = d.weightsPath
		}
	}
}
