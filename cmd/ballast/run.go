package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/tuning"
)

func init() { register(runCommand) }

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "sweep an experiment's scenario x policy x seed grid in parallel",
		UsageText: "ballast run EXPERIMENT [-j N] [--shard I/N] [--seed-set report|tuning] [--seeds N] [--out DIR] [--keep-going] [--dry-run]",
		Description: "EXPERIMENT is a built-in experiment name (configs/experiments/) or a .yaml file.\n" +
			"Writes one events file per run under DIR/events/ (Hive-style partitions:\n" +
			"seed_set=/scenario=/policy=/variant=/<run_id>.parquet) and one manifest entry per\n" +
			"run under DIR/manifest/. Re-running skips runs whose manifest entry and file\n" +
			"match, and redoes the rest, so an interrupted sweep can simply be started again.\n" +
			"Outputs are byte-identical for any -j and any sharding; 'ballast merge' combines\n" +
			"the shards' directories. See docs/scale-out.md.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "parallel runs", Value: defaultJobs()},
			&cli.StringFlag{Name: "shard", Usage: "run only shard I of N (0 <= I < N); env/N takes I from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID", Value: "0/1"},
			&cli.StringFlag{Name: "seed-set", Usage: "which seed set to run: report or tuning", Value: harness.SetReport},
			&cli.IntFlag{Name: "seeds", Usage: "run only the first N seeds of the set (0: all)"},
			&cli.StringFlag{Name: "out", Usage: "output directory (default artifacts/runs/EXPERIMENT)"},
			&cli.BoolFlag{Name: "keep-going", Usage: "after a failed run, finish the others instead of stopping"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print the grid size and an estimate of events and time; run nothing"},
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
			w := cmd.Root().Writer
			if cmd.Bool("dry-run") {
				return dryRun(w, e, jobs, shard, out, cmd.Int("jobs"))
			}
			opt := harness.Options{OutDir: out, Workers: cmd.Int("jobs"), Shard: shard, KeepGoing: cmd.Bool("keep-going"),
				Force: cmd.Bool("force"), ReuseOld: cmd.Bool("reuse-old"), Progress: newProgress(cmd.Root().ErrWriter)}
			sum, err := harness.Sweep(ctx, jobs, opt)
			old := ""
			switch {
			case sum.ReusedOld > 0:
				old = fmt.Sprintf(" (%d of them made by another code version, kept by --reuse-old)", sum.ReusedOld)
			case sum.Redone > 0:
				old = fmt.Sprintf(" (%d runs of another code version redone)", sum.Redone)
			}
			fmt.Fprintf(w, "experiment %s, seed set %s, shard %s: %d runs, %d already complete%s, %d ran (%d events), %d failed -> %s\n",
				e.Name, set, shard, sum.Total, sum.Skipped, old, sum.Ran, sum.Events, sum.Failed, out)
			return err
		},
	}
}

func dryRun(w io.Writer, e *harness.Experiment, jobs []*harness.Job, shard harness.Shard, out string, workers int) error {
	var n, done int
	var events int64
	for _, j := range jobs {
		if !shard.Has(j.Index) {
			continue
		}
		n++
		if harness.Complete(out, j) {
			done++
			continue
		}
		events += harness.EstimateEvents(j.Run.Info)
	}
	// 3 M events/s per core with the Parquet sink (BENCHMARKS.md).
	est := time.Duration(float64(events) / 3e6 / float64(workers) * float64(time.Second)).Round(time.Second / 10)
	fmt.Fprintf(w, "experiment %s: %d scenarios x %d policy variants x %d seeds = %d runs; shard %s has %d, %d already complete\n",
		e.Name, len(e.Scenarios), len(e.Policies), len(jobs)/max(1, len(e.Scenarios)*len(e.Policies)), len(jobs), shard, n, done)
	fmt.Fprintf(w, "estimate: about %d events, %v with %d workers (at ~3 M events/s per worker) -> %s\n", events, est, workers, out)
	return nil // a write error is Main's (checkedWriter)
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
func newProgress(w io.Writer) harness.Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{w: w}
	}
	return &harness.LineProgress{W: w, Interval: 10 * time.Second}
}

type barProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func (b *barProgress) Start(total, skipped int) {
	b.bar = progressbar.NewOptions(total-skipped, progressbar.OptionSetWriter(b.w), progressbar.OptionShowCount(),
		progressbar.OptionShowIts(), progressbar.OptionSetItsString("runs"), progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetDescription(fmt.Sprintf("sweep (%d already complete)", skipped)),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
}

func (b *barProgress) Done(bool) { b.bar.Add(1) }
func (b *barProgress) Finish()   { b.bar.Finish() }
