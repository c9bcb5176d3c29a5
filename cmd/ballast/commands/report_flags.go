package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/report"
	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

// reportFlags are the flags 'ballast table' and 'ballast plot' share: where
// the analysed tables are, which cells to show, and the bootstrap.
func reportFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "metrics", Usage: "directory written by 'ballast analyze --out'", Required: true},
		&cli.StringFlag{Name: "out", Usage: "output path without extension", Required: true},
		&cli.StringFlag{Name: "experiment", Usage: "experiment to show (default: the only one)"},
		&cli.StringFlag{Name: "scenario", Usage: "scenario to show (default: the only one)"},
		&cli.StringSliceFlag{Name: "methods", Usage: "methods (policy or policy/variant) in row order (default: all, sorted)"},
		&cli.Uint64Flag{Name: "bootstrap-seed", Usage: "seed of the bootstrap resampling of the intervals (not a run seed)", Value: 1},
		&cli.IntFlag{Name: "resamples", Usage: "bootstrap resamples B", Value: stats.DefaultResamples},
	}
}

// maxResamples bounds the bootstrap: each cell's resample means are held
// in memory (8 bytes each), and intervals stop moving long before.
const maxResamples = 1_000_000

// openReport reads the analysed tables and the selection from the flags.
func openReport(cmd *cli.Command) (*report.Report, report.Selection, error) {
	var sel report.Selection
	if b := cmd.Int("resamples"); b < 1 || b > maxResamples {
		return nil, sel, usage(fmt.Errorf("--resamples %d: allowed: 1 to %d", b, maxResamples))
	}
	// The outputs are staged beside the prefix: its directory must exist.
	if dir := filepath.Dir(cmd.String("out")); dir != "." {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, sel, usage(fmt.Errorf("--out %s: directory %s does not exist; allowed: a path prefix in an existing directory", cmd.String("out"), dir))
		}
	}
	t, err := metrics.ReadTables(cmd.String("metrics"))
	if err != nil {
		return nil, sel, usage(fmt.Errorf("--metrics: %w", err))
	}
	r, err := report.New(t, report.Options{Seed: cmd.Uint64("bootstrap-seed"), Resamples: cmd.Int("resamples")})
	if err != nil {
		return nil, sel, usage(err)
	}
	sel = report.Selection{Experiment: cmd.String("experiment"), Scenario: cmd.String("scenario")}
	if cmd.IsSet("methods") {
		sel.Methods = listFlag(cmd, "methods")
	}
	return r, sel, nil
}

// commit renames staged outputs into place and says where they went.
func commit(cmd *cli.Command, files []*atomicfile.File, paths []string) error {
	if err := atomicfile.CommitAll(files...); err != nil {
		return err
	}
	fmt.Fprintf(cmd.Root().Writer, "wrote %s\n", strings.Join(paths, ", "))
	return nil
}
