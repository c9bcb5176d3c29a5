package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/reproduce"
	"github.com/ballast-bench/ballast/tuning"
)

// keepEventsFlag overrides an experiment's keep_events.
var keepEventsFlag = &cli.StringFlag{Name: "keep-events", Usage: "which runs keep their events files: all, report (not the tuning runs) or none (only the analyses); default: the experiment's keep_events, else all"}

// keepEvents is the --keep-events value, else e's keep_events.
func keepEvents(cmd *cli.Command, e *harness.Experiment) (string, error) {
	keep := cmd.String("keep-events")
	if keep == "" {
		return e.KeepEvents, nil
	}
	if err := harness.CheckKeep(keep); err != nil {
		return "", usage(fmt.Errorf("--keep-events %w", err))
	}
	return keep, nil
}

func init() { register(runCommand) }

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "sweep an experiment's scenario x policy x seed grid in parallel",
		UsageText: "ballast run EXPERIMENT [-j N] [--shard I/N] [--seed-set report|tuning] [--seeds N] [--out DIR] [--keep-events all|report|none] [--keep-going] [--dry-run]",
		Description: "EXPERIMENT is a built-in experiment name (configs/experiments/) or a .yaml file.\n" +
			"Writes one events file per run under DIR/events/ (Hive-style partitions:\n" +
			"seed_set=/scenario=/policy=/variant=/<run_id>.parquet) unless the experiment's\n" +
			"keep_events (or --keep-events) drops it, the run's analysis, derived as it is\n" +
			"simulated, under DIR/analysis/, and one manifest entry per run under\n" +
			"DIR/manifest/. Re-running skips runs whose manifest entry and files match, and\n" +
			"redoes the rest, so an interrupted sweep can simply be started again; a dropped\n" +
			"events file comes back byte for byte with --keep-events all.\n" +
			"Outputs are byte-identical for any -j and any sharding; 'ballast merge' combines\n" +
			"the shards' directories. See docs/scale-out.md.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "parallel runs", Value: defaultJobs()},
			&cli.StringFlag{Name: "shard", Usage: "run only shard I of N (0 <= I < N); env/N takes I from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID", Value: "0/1"},
			&cli.StringFlag{Name: "seed-set", Usage: "which seed set to run: report or tuning", Value: harness.SetReport},
			&cli.IntFlag{Name: "seeds", Usage: "run only the first N seeds of the set (0: all)"},
			&cli.StringFlag{Name: "out", Usage: "output directory (default artifacts/runs/EXPERIMENT)"},
			keepEventsFlag,
			&cli.BoolFlag{Name: "keep-going", Usage: "after a failed run, finish the others instead of stopping"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print the grid size and an estimate of events and time, measured by simulating the start of each scenario x policy variant; run nothing"},
			jsonFlag,
			&cli.StringFlag{Name: "tuned", Usage: "tuned parameters for the experiment's tune: variants (default configs/tuned/EXPERIMENT.yaml, written by 'ballast tune')"},
			&cli.BoolFlag{Name: "force", Usage: "redo every run, complete or not"},
			&cli.BoolFlag{Name: "reuse-old", Usage: "keep complete runs made by another code version (by default they are redone; their rows say which code made them)"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() != 1 {
				return usage(fmt.Errorf("run: want one EXPERIMENT argument, got %d; allowed: %s, or a .yaml file", cmd.Args().Len(), joinNames(harness.ExperimentNames())))
			}
			e, err := harness.LoadExperiment(cmd.Args().First())
			if err != nil {
				return usage(err)
			}
			shard, err := harness.ParseShard(cmd.String("shard"), nil)
			if err != nil {
				return usage(err)
			}
			set := cmd.String("seed-set")
			if set != harness.SetReport && set != harness.SetTuning {
				return usage(fmt.Errorf("--seed-set %q: allowed: report, tuning", set))
			}
			if cmd.Int("jobs") < 1 {
				return usage(fmt.Errorf("--jobs %d: allowed: 1 or more", cmd.Int("jobs")))
			}
			if cmd.Int("seeds") < 0 {
				return usage(fmt.Errorf("--seeds %d: allowed: 0 (all) or more", cmd.Int("seeds")))
			}
			tunedPath := cmd.String("tuned")
			if tunedPath == "" {
				tunedPath = tuning.Path(e.Name)
			} else if _, err := os.Stat(tunedPath); err != nil {
				return usage(fmt.Errorf("--tuned %s: %w; allowed: a tuned file written by 'ballast tune'", tunedPath, unwrapPath(err)))
			}
			tuned, err := tuning.Load(tunedPath)
			if err != nil {
				return usage(err)
			}
			tuned.Apply(e, tunedPath)
			jobs, err := e.Grid(set, cmd.Int("seeds"))
			if err != nil {
				return usage(err)
			}
			out := cmd.String("out")
			if out == "" {
				out = filepath.Join("artifacts", "runs", e.Name)
			}
			if err := outDir("--out", out); err != nil {
				return err
			}
			if cmd.Bool("force") && cmd.Bool("reuse-old") {
				return usage(fmt.Errorf("--force and --reuse-old: allowed: one of them"))
			}
			keep, err := keepEvents(cmd, e)
			if err != nil {
				return err
			}
			// The analysis the reproduction (report runs) or the tuning
			// reads, so that both can use this sweep's runs.
			spec := metrics.Spec{}
			if set == harness.SetReport {
				spec = reproduce.AnalysisSpec(e.Name)
			}
			outputs := harness.Outputs{Analysis: &spec, DropEvents: !harness.Keeps(keep, set)}
			w := cmd.Root().Writer
			if cmd.Bool("dry-run") {
				return dryRun(ctx, w, e, jobs, shard, out, outputs, cmd.Int("jobs"), cmd.Bool("json"))
			}
			opt := harness.Options{OutDir: out, Workers: cmd.Int("jobs"), Shard: shard, Outputs: outputs, KeepGoing: cmd.Bool("keep-going"),
				Force: cmd.Bool("force"), ReuseOld: cmd.Bool("reuse-old"), Progress: newProgress(cmd.Root().ErrWriter, "sweep")}
			start := time.Now()
			sum, err := harness.Sweep(ctx, jobs, opt)
			if err == nil {
				// The directory's runs table, as merge writes one.
				_, err = harness.WriteRunsTable(out)
			}
			old := ""
			switch {
			case sum.ReusedOld > 0:
				old = fmt.Sprintf(" (%d of them made by another code version, kept by --reuse-old)", sum.ReusedOld)
			case sum.Redone > 0:
				old = fmt.Sprintf(" (%d runs of another code version redone)", sum.Redone)
			}
			fmt.Fprintf(w, "experiment %s, seed set %s, shard %s: %d runs, %d already complete%s, %d ran (%d events) in %s, %d failed -> %s\n",
				e.Name, set, shard, sum.Total, sum.Skipped, old, sum.Ran, sum.Events, time.Since(start).Round(time.Millisecond), sum.Failed, out)
			return err
		},
	}
}

// dryRun prints the grid and an estimate of its events and time. The
// estimate is measured, not guessed: each scenario x policy variant of the
// shard's remaining runs is simulated here twice, for its first 2 and 20
// simulated seconds, events written to Parquet as a sweep writes them.
// Their events per simulated second scale to the whole run; the two wall
// times give a per-run cost and a per-event cost (a line through the two
// points); the runs' times are summed and divided among the workers.
func dryRun(ctx context.Context, w io.Writer, e *harness.Experiment, jobs []*harness.Job, shard harness.Shard, out string, outputs harness.Outputs, workers int, asJSON bool) error {
	rates := map[string]cost{}
	tmp, err := os.MkdirTemp("", "ballast-dry-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var n, done int
	var events, seconds float64
	warm := false
	for _, j := range jobs {
		if !shard.Has(j.Index) {
			continue
		}
		n++
		if harness.Complete(out, j, outputs) {
			done++
			continue
		}
		info := &j.Run.Info
		key := strings.Join([]string{info.Scenario, info.Policy, info.Variant, info.Params, info.Engine}, "\x00")
		c, ok := rates[key]
		if !ok {
			if !warm {
				// The first simulation of a process also warms its
				// caches and buffer pools, which a sweep pays once.
				if _, err := calibrate(ctx, j.Run, tmp); err != nil {
					return err
				}
				warm = true
			}
			if c, err = calibrate(ctx, j.Run, tmp); err != nil {
				return err
			}
			rates[key] = c
		}
		ev := c.eventsPerS * float64(info.DurationUS) / 1e6
		events += ev
		seconds += c.perRunS + ev*c.perEventS
	}
	est := time.Duration(seconds / float64(workers) * float64(time.Second)).Round(time.Second / 10)
	seeds := len(jobs) / max(1, len(e.Scenarios)*len(e.Policies))
	if asJSON {
		return writeJSON(w, struct {
			Experiment   string  `json:"experiment"`
			Scenarios    int     `json:"scenarios"`
			Variants     int     `json:"policy_variants"`
			Seeds        int     `json:"seeds"`
			Runs         int     `json:"runs"`
			Shard        string  `json:"shard"`
			ShardRuns    int     `json:"shard_runs"`
			Complete     int     `json:"complete"`
			Events       int64   `json:"estimated_events"`
			Seconds      float64 `json:"estimated_seconds"`
			Workers      int     `json:"workers"`
			Calibrations int     `json:"calibrations"`
			OutputDir    string  `json:"out"`
		}{e.Name, len(e.Scenarios), len(e.Policies), seeds, len(jobs), shard.String(), n, done, int64(events),
			est.Seconds(), workers, len(rates), out})
	}
	fmt.Fprintf(w, "experiment %s: %d scenarios x %d policy variants x %d seeds = %d runs; shard %s has %d, %d already complete\n",
		e.Name, len(e.Scenarios), len(e.Policies), seeds, len(jobs), shard, n, done)
	fmt.Fprintf(w, "estimate: about %.3g events, %v with %d workers (measured by simulating the first 2 and 20 s of each of %d scenario x policy variants here) -> %s\n",
		events, est, workers, len(rates), out)
	return nil
}

// cost is what a dry run measured of one scenario x policy variant.
type cost struct {
	eventsPerS float64 // events per simulated second
	perRunS    float64 // wall seconds per run (files, setup)
	perEventS  float64 // wall seconds per event
}

// calibrate simulates the first 2 and 20 seconds of run r (or its whole
// length, if shorter) into Parquet files under dir.
func calibrate(ctx context.Context, r *harness.Run, dir string) (cost, error) {
	var ev, wall [2]float64
	var simS float64
	for i, prefixS := range []float64{2, 20} {
		s := *r.Spec.Scenario
		s.DurationS = min(s.DurationS, prefixS)
		simS = s.DurationS
		spec := r.Spec
		spec.Scenario = &s
		short, err := harness.Resolve(spec)
		if err != nil {
			return cost{}, err
		}
		start := time.Now()
		info, err := short.WriteEvents(ctx, filepath.Join(dir, fmt.Sprintf("calibration-%d.parquet", i)))
		if err != nil {
			return cost{}, err
		}
		ev[i], wall[i] = float64(info.Events), time.Since(start).Seconds()
	}
	c := cost{eventsPerS: ev[1] / simS, perEventS: wall[1] / max(ev[1], 1)}
	if ev[1] > ev[0] && wall[1] > wall[0] {
		c.perEventS = (wall[1] - wall[0]) / (ev[1] - ev[0])
		c.perRunS = max(0, wall[0]-c.perEventS*ev[0])
	}
	return c, nil
}

// outDir checks an output directory flag: a directory, or nothing yet.
func outDir(flag, dir string) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return usage(fmt.Errorf("%s %s: a file; allowed: a directory (it is created if missing)", flag, dir))
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func defaultJobs() int { return runtime.NumCPU() }

// newProgress draws a bar on a terminal and prints plain periodic lines
// otherwise (logs, CI).
func newProgress(w io.Writer, label string) harness.Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{w: w, label: label}
	}
	return &harness.LineProgress{W: w, Interval: 10 * time.Second, Label: label}
}

type barProgress struct {
	w     io.Writer
	label string
	bar   *progressbar.ProgressBar
	start time.Time
}

// Start draws a bar with counts, elapsed time and an ETA (no rate: the
// bar's first rate, from the first instant, was absurd).
func (b *barProgress) Start(total, skipped int) {
	b.start = time.Now()
	b.bar = progressbar.NewOptions(total-skipped, progressbar.OptionSetWriter(b.w), progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true), progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetDescription(fmt.Sprintf("%s (%d already complete)", b.label, skipped)),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
}

func (b *barProgress) Done(bool) { b.bar.Add(1) }

func (b *barProgress) Finish() {
	b.bar.Finish()
	fmt.Fprintf(b.w, "%s: finished in %s\n", b.label, time.Since(b.start).Round(time.Millisecond))
}
