package commands

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/analysis/report"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

func init() { register(tableCommand) }

func tableCommand() *cli.Command {
	return &cli.Command{
		Name:      "table",
		Usage:     "render a results table (LaTeX, Markdown, CSV) from analysed metrics",
		UsageText: "ballast table NAME --metrics DIR --out PREFIX [--experiment E] [--scenario S] [--methods m1,m2] [--base VARIANT] [--bootstrap-seed N] [--resamples B]",
		Description: "NAME is one of: " + strings.Join(report.Tables, ", ") + ".\n" +
			"  main      recovery mean/p95/p99/max and unwritable fraction [95% CI] (BALLAST Table 1)\n" +
			"  tails     worst per-seed p99, max and unwritable fraction (Table A.1)\n" +
			"  election  time to leader, split-vote rate, term churn\n" +
			"  causes    failure causes of failed elections (Table A.15)\n" +
			"  failover  detection, election and out-of-service time after leader crashes (Dynatune)\n" +
			"  safety    safety-cooldown episodes and overlap (Table A.14)\n" +
			"  overhead  policy decision and update time on live ballast nodes (Table 5)\n" +
			"  ablation  relative change vs --base, self-checked (Table 6)\n" +
			"Writes PREFIX.tex, PREFIX.md and PREFIX.csv (and PREFIX.invalid.csv for ablation),\n" +
			"all or none. Cells are means over seeds with a seeded 95% percentile bootstrap CI.",
		Flags: append(reportFlags(),
			&cli.StringFlag{Name: "base", Usage: "ablation: the base variant", Value: "base"}),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() != 1 {
				return usage(fmt.Errorf("table: want one table NAME; allowed: %s", strings.Join(report.Tables, ", ")))
			}
			name := cmd.Args().First()
			if !slices.Contains(report.Tables, name) {
				return usage(fmt.Errorf("table %q: allowed: %s", name, strings.Join(report.Tables, ", ")))
			}
			r, sel, err := openReport(cmd)
			if err != nil {
				return err
			}
			t, invalid, err := r.Table(name, sel, cmd.String("base"))
			if err != nil {
				return usage(err)
			}
			prefix := cmd.String("out")
			var files []*atomicfile.File
			var paths []string
			stage := func(path string, write func(io.Writer) error) error {
				f, err := atomicfile.Stage(path, write)
				if err != nil {
					atomicfile.AbortAll(files...)
					return err
				}
				files, paths = append(files, f), append(paths, path)
				return nil
			}
			for _, out := range []struct {
				ext   string
				write func(io.Writer) error
			}{{".tex", t.LaTeX}, {".md", t.Markdown}, {".csv", t.CSV}} {
				if err := stage(prefix+out.ext, out.write); err != nil {
					return err
				}
			}
			if name == "ablation" {
				if err := stage(prefix+".invalid.csv", func(w io.Writer) error {
					fmt.Fprintln(w, "policy,variant,identical_seeds")
					for _, iv := range invalid {
						fmt.Fprintf(w, "%s,%s,%d\n", iv.Policy, iv.Variant, iv.Seeds)
					}
					return nil
				}); err != nil {
					return err
				}
			}
			return commit(cmd, files, paths)
		},
	}
}
