package commands

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/harness"
)

func init() { register(analyzeCommand) }

func analyzeCommand() *cli.Command {
	return &cli.Command{
		Name:      "analyze",
		Usage:     "derive per-run metrics from events files",
		UsageText: "ballast analyze RUNS... --out DIR [--grace 3] [--warmup first-writable|none] [--arm-bin 1s] [-j N]",
		Description: "RUNS are events files and directories (walked recursively; *.runs.parquet and\n" +
			"*.metrics.parquet are skipped). In a sweep directory (one with manifest/), runs\n" +
			"whose events files the sweep did not keep (keep_events) are taken from their\n" +
			"stored analyses, which must be of the same options. Runs are identified and grouped by their\n" +
			"ballast.run metadata, never by path; the same run read twice is kept once,\n" +
			"so shards and their merge give the same result. Writes to DIR, as\n" +
			"NAME.metrics.parquet and NAME.csv: runs (one row per run, every metric),\n" +
			"intervals (unwritable intervals), elections (attempts and failure causes),\n" +
			"failovers (leader crashes), safety (safe-mode episodes), arms (arm choices\n" +
			"per time bin). Definitions: docs/metrics.md. Files appear only when all\n" +
			"were written. Exit status: 0 ok, 1 failed, 2 bad flags or input files.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "directory for the analysed tables", Required: true},
			&cli.Float64Flag{Name: "grace", Usage: "writability grace window, in heartbeat intervals of each run", Value: metrics.DefaultGraceHeartbeats},
			&cli.StringFlag{Name: "warmup", Usage: "warm-up excluded from availability metrics: first-writable or none", Value: metrics.WarmupFirstWritable},
			&cli.DurationFlag{Name: "arm-bin", Usage: "time bin of arm fractions", Value: time.Duration(metrics.DefaultArmBinUS) * time.Microsecond},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "files analysed in parallel", Value: defaultJobs()},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			opt := metrics.Options{GraceHeartbeats: cmd.Float64("grace"), Warmup: cmd.String("warmup"), ArmBinUS: cmd.Duration("arm-bin").Microseconds()}
			if cmd.Float64("grace") <= 0 {
				return usage(fmt.Errorf("--grace %v: allowed: a positive number of heartbeat intervals", cmd.Float64("grace")))
			}
			if cmd.Duration("arm-bin") < time.Microsecond {
				return usage(fmt.Errorf("--arm-bin %v: allowed: a duration of at least 1µs", cmd.Duration("arm-bin")))
			}
			if _, err := opt.Check(); err != nil {
				return usage(fmt.Errorf("--%w", err))
			}
			if cmd.Int("jobs") < 1 {
				return usage(fmt.Errorf("--jobs %d: allowed: 1 or more", cmd.Int("jobs")))
			}
			files, err := metrics.EventFiles(cmd.Args().Slice())
			if err != nil {
				return usage(err)
			}
			spec := metrics.Spec{Options: opt}
			// Runs whose events a sweep did not keep: their stored
			// analyses, from the manifests of sweep directories named.
			var stored []*metrics.Run
			for _, arg := range cmd.Args().Slice() {
				if st, err := os.Stat(filepath.Join(arg, "manifest")); err == nil && st.IsDir() {
					runs, err := harness.StoredOnly(arg, spec)
					if err != nil {
						return usage(err)
					}
					stored = append(stored, runs...)
				}
			}
			if len(files) == 0 && len(stored) == 0 {
				return usage(fmt.Errorf("%s: no events files found; allowed: directories holding *.parquet events files, or sweep directories with stored analyses", strings.Join(cmd.Args().Slice(), ", ")))
			}
			runs, err := metrics.AnalyzeFiles(files, spec, cmd.Int("jobs"))
			if err != nil {
				return usage(err) // a bad input file: nothing is written
			}
			if runs, err = metrics.SortRuns(append(runs, stored...)); err != nil {
				return usage(err)
			}
			t := metrics.Collect(runs)
			if err := t.Write(cmd.String("out")); err != nil {
				return err
			}
			var events int64
			for _, r := range t.Runs {
				events += r.Events
			}
			from := fmt.Sprintf("%d files", len(files))
			if len(stored) > 0 {
				from += fmt.Sprintf(" and %d stored analyses of runs whose events were not kept", len(stored))
			}
			fmt.Fprintf(cmd.Root().Writer, "analysed %d runs (%d events) from %s -> %s\n", len(t.Runs), events, from, cmd.String("out"))
			return nil
		},
	}
}
