package commands

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/analysis/compare"
	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/plot"
	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

func init() { register(compareCommand) }

func compareCommand() *cli.Command {
	corrections := make([]string, len(stats.Corrections))
	for i, c := range stats.Corrections {
		corrections[i] = string(c)
	}
	return &cli.Command{
		Name:  "compare",
		Usage: "what changed between two sets of analysed runs (or two methods), with intervals and significance",
		UsageText: "ballast compare [flags] OLD NEW\n" +
			"ballast compare [flags] --policies A B DIR",
		Description: "OLD and NEW are metrics directories: written by 'ballast analyze --out', or a\n" +
			"reproduction's (artifacts/metrics, artifacts/quick/metrics: one subdirectory per\n" +
			"experiment). Every cell (experiment, scenario, method) in both is compared on each\n" +
			"--metric (default: " + strings.Join(compare.DefaultMetrics, ", ") + "):\n" +
			"old and new means over seeds with 95% bootstrap intervals, the change in percent\n" +
			"with a bootstrap interval paired over seeds (when both sides ran the same seeds;\n" +
			"else unpaired, said in the output), a permutation test, and a verdict (better,\n" +
			"worse, ~ for no significant change) after a correction for the number of tests\n" +
			"(Holm: the chance of any false verdict when nothing changed is at most --alpha).\n" +
			"Comparisons whose every seed is equal are 'identical' and not tested; text and\n" +
			"Markdown leave them out unless --all.\n" +
			"--policies A B DIR compares method B with method A in every experiment and\n" +
			"scenario of DIR that has both (methods: policy or policy/variant).\n" +
			"--failovers OLD NEW compares, per cell, the distributions of every failover\n" +
			"after a leader crash (the runs pooled): means and medians with bootstrap\n" +
			"intervals of the differences and the Kolmogorov-Smirnov distance; for a live\n" +
			"run against its simulation (docs/live.md). Text, Markdown or CSV. With more\n" +
			"than two directories, every pair in order; --plot PREFIX draws their CDFs of\n" +
			"out-of-service and detection time side by side (PREFIX.png and .pdf), named\n" +
			"by --labels.\n" +
			"Exit status 0; 1 with --fail-on worse when any comparison is significantly worse.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "policies", Usage: "compare two methods A and B within one directory (arguments A B DIR)"},
			&cli.BoolFlag{Name: "failovers", Usage: "compare the distributions of the failovers after leader crashes (every failover pooled: out of service, detection, election; means, medians, KS), e.g. a live run against a simulation"},
			&cli.StringFlag{Name: "plot", Usage: "--failovers: draw the CDFs of out-of-service and detection time of every directory to PREFIX.png and PREFIX.pdf"},
			&cli.StringSliceFlag{Name: "labels", Usage: "--failovers: the directories' names in the output and figure (comma-separated, one per directory; default: the directories)"},
			&cli.StringSliceFlag{Name: "metric", Usage: "metric to compare (catalog name or runs column; repeat or comma-separate); default: " + strings.Join(compare.DefaultMetrics, ",")},
			&cli.StringFlag{Name: "format", Usage: "output: " + strings.Join(compare.Formats, ", "), Value: "text"},
			&cli.StringFlag{Name: "out", Usage: "write the output to this file (default: standard output)"},
			&cli.BoolFlag{Name: "all", Usage: "text and Markdown: show identical comparisons too"},
			&cli.FloatFlag{Name: "alpha", Usage: "significance level of the family of tests", Value: 0.05},
			&cli.StringFlag{Name: "correction", Usage: "multiple-comparison correction: " + strings.Join(corrections, ", ") + " (bh: Benjamini-Hochberg, false discovery rate)", Value: string(stats.Holm)},
			&cli.FloatFlag{Name: "level", Usage: "confidence level of the intervals", Value: 0.95},
			&cli.Uint64Flag{Name: "bootstrap-seed", Usage: "seed of the bootstrap and of the sampled permutation tests (not a run seed)", Value: 1},
			&cli.IntFlag{Name: "resamples", Usage: "bootstrap resamples B (and sampled permutations)", Value: stats.DefaultResamples},
			&cli.StringFlag{Name: "fail-on", Usage: "exit 1 when any comparison is: worse"},
		},
		Action: runCompare,
	}
}

func runCompare(_ context.Context, cmd *cli.Command) error {
	opt, err := compareOptions(cmd)
	if err != nil {
		return usage(err)
	}
	format := cmd.String("format")
	if !slices.Contains(compare.Formats, format) {
		return usage(fmt.Errorf("--format %q: allowed: %s", format, strings.Join(compare.Formats, ", ")))
	}
	if f := cmd.String("fail-on"); f != "" && f != "worse" {
		return usage(fmt.Errorf("--fail-on %q: allowed: worse", f))
	}
	out := cmd.String("out")
	if dir := filepath.Dir(out); out != "" && dir != "." {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usage(fmt.Errorf("--out %s: directory %s does not exist; allowed: a file in an existing directory", out, dir))
		}
	}
	args := cmd.Args().Slice()
	if cmd.Bool("failovers") {
		return compareFailovers(cmd, opt, args, format, out)
	}
	var res *compare.Result
	var oldName, newName string
	if cmd.Bool("policies") {
		if len(args) != 3 {
			return usage(fmt.Errorf("compare --policies: want A B DIR, got %d arguments", len(args)))
		}
		t, err := readMetricsDir(args[2], false)
		if err != nil {
			return usage(err)
		}
		oldName, newName = args[0]+" in "+args[2], args[1]+" in "+args[2]
		if res, err = compare.Methods(t, args[0], args[1], opt); err != nil {
			return usage(err)
		}
	} else {
		if len(args) != 2 {
			return usage(fmt.Errorf("compare: want OLD NEW, got %d arguments (see 'ballast compare --help')", len(args)))
		}
		old, err := readMetricsDir(args[0], false)
		if err != nil {
			return usage(err)
		}
		new, err := readMetricsDir(args[1], false)
		if err != nil {
			return usage(err)
		}
		oldName, newName = args[0], args[1]
		if res, err = compare.Runs(old, new, opt); err != nil {
			return usage(err)
		}
	}
	var b bytes.Buffer
	if err := res.Write(&b, format, oldName, newName, cmd.Bool("all")); err != nil {
		return err
	}
	if err := writeOut(cmd, out, b.Bytes()); err != nil {
		return err
	}
	if n := res.Count(compare.Worse); n > 0 && cmd.String("fail-on") == "worse" {
		return fmt.Errorf("compare: %d comparisons significantly worse (--fail-on worse)", n)
	}
	return nil
}

// writeOut writes data to the file out, or to standard output.
func writeOut(cmd *cli.Command, out string, data []byte) error {
	if out == "" {
		_, err := cmd.Root().Writer.Write(data)
		return err
	}
	_, _, err := atomicfile.WriteFile(out, data)
	return err
}

// compareFailovers is compare --failovers DIR1 DIR2 [DIR3 ...]: every
// pair in order, and with --plot their CDFs.
func compareFailovers(cmd *cli.Command, opt compare.Options, args []string, format, out string) error {
	switch {
	case len(args) < 2:
		return usage(fmt.Errorf("compare --failovers: want OLD NEW (or more directories), got %d arguments", len(args)))
	case format == "json":
		return usage(fmt.Errorf("--format json with --failovers: allowed: text, markdown, csv"))
	case cmd.Bool("policies"):
		return usage(fmt.Errorf("--failovers with --policies: allowed: one of them"))
	}
	labels := listFlag(cmd, "labels")
	if labels == nil {
		labels = args
	} else if len(labels) != len(args) {
		return usage(fmt.Errorf("--labels: %d labels for %d directories; allowed: one per directory", len(labels), len(args)))
	}
	prefix := cmd.String("plot")
	if dir := filepath.Dir(prefix); prefix != "" && dir != "." {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usage(fmt.Errorf("--plot %s: directory %s does not exist; allowed: a prefix in an existing directory", prefix, dir))
		}
	}
	sides := make([]*metrics.Tables, len(args))
	for i, a := range args {
		t, err := readMetricsDir(a, true)
		if err != nil {
			return usage(err)
		}
		sides[i] = t
	}
	var b bytes.Buffer
	for i := range sides {
		for j := i + 1; j < len(sides); j++ {
			res, err := compare.Failovers(sides[i], sides[j], opt)
			if err != nil {
				return usage(fmt.Errorf("%s against %s: %w", labels[j], labels[i], err))
			}
			if format == "csv" && b.Len() > 0 {
				// One CSV: the header once; a pair's rows name their sides.
				var rows bytes.Buffer
				if err := res.Write(&rows, format, labels[i], labels[j]); err != nil {
					return err
				}
				_, rest, _ := bytes.Cut(rows.Bytes(), []byte("\n"))
				b.Write(rest)
				continue
			}
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			if err := res.Write(&b, format, labels[i], labels[j]); err != nil {
				return err
			}
		}
	}
	var files []*atomicfile.File
	if prefix != "" {
		fig, err := compare.FailoverCDF(sides, labels, opt)
		if err != nil {
			return usage(err)
		}
		if files, err = plot.Stage(prefix, fig); err != nil {
			return err
		}
	}
	if err := writeOut(cmd, out, b.Bytes()); err != nil {
		atomicfile.AbortAll(files...)
		return err
	}
	return atomicfile.CommitAll(files...)
}

func compareOptions(cmd *cli.Command) (compare.Options, error) {
	opt := compare.Options{
		Level: cmd.Float("level"), Alpha: cmd.Float("alpha"), Correction: stats.Correction(cmd.String("correction")),
		Seed: cmd.Uint64("bootstrap-seed"), Resamples: cmd.Int("resamples"),
	}
	if b := opt.Resamples; b < 1 || b > maxResamples {
		return opt, fmt.Errorf("--resamples %d: allowed: 1 to %d", b, maxResamples)
	}
	for _, name := range listFlag(cmd, "metric") {
		m, ok := metrics.LookupMetric(name)
		if !ok {
			return opt, fmt.Errorf("--metric %q: allowed: %s", name, strings.Join(metrics.MetricNames(), ", "))
		}
		opt.Metrics = append(opt.Metrics, m)
	}
	// 0 would mean the default to package compare: refused here.
	for _, f := range []struct {
		name string
		v    float64
	}{{"alpha", opt.Alpha}, {"level", opt.Level}} {
		if !(f.v > 0 && f.v < 1) {
			return opt, fmt.Errorf("--%s %g: allowed: between 0 and 1, exclusive", f.name, f.v)
		}
	}
	return opt, nil // the correction is checked by compare
}

// readMetricsDir reads the runs table of a metrics directory, or of each
// subdirectory that is one (a reproduction's artifacts/metrics); all its
// tables with full.
func readMetricsDir(dir string, full bool) (*metrics.Tables, error) {
	read := func(d string) (*metrics.Tables, error) {
		if full {
			return metrics.ReadTables(d)
		}
		rows, err := metrics.ReadRuns(d)
		return &metrics.Tables{Runs: rows}, err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s: not a directory; allowed: a directory written by 'ballast analyze --out' or a reproduction's metrics directory", dir)
	}
	runsFile := "runs" + metrics.TableSuffix
	if _, err := os.Stat(filepath.Join(dir, runsFile)); err == nil {
		return read(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	t := &metrics.Tables{}
	found := false
	for _, e := range entries {
		sub := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(sub, runsFile)); !e.IsDir() || err != nil {
			continue
		}
		st, err := read(sub)
		if err != nil {
			return nil, err
		}
		t.Runs, t.Failovers, found = append(t.Runs, st.Runs...), append(t.Failovers, st.Failovers...), true
	}
	if !found {
		return nil, fmt.Errorf("%s: no %s in it or in a subdirectory; allowed: a directory written by 'ballast analyze --out' or a reproduction's metrics directory", dir, runsFile)
	}
	return t, nil
}
