package commands

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/plot"
	"github.com/ballast-bench/ballast/analysis/report"
)

func init() { register(plotCommand) }

var plotNames = []string{"cdf", "bars", "arms", "sensitivity"}

func plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		Usage:     "draw a figure (PNG at 150 dpi and PDF) from analysed metrics",
		UsageText: "ballast plot NAME --metrics DIR --out PREFIX [--experiment E] [--scenario S] [--methods m1,m2] [--of X] [--metric M] [--param P]",
		Description: "NAME is one of:\n" +
			"  cdf          empirical CDF per method of --of: " + strings.Join(report.CDFOf, ", ") + " (ms, log x)\n" +
			"  bars         mean of --metric per method with 95% CI error bars\n" +
			"  arms         fraction of policy decisions per arm over time, one panel per method\n" +
			"  sensitivity  mean of --metric [95% CI] against parameter --param, one line per policy\n" +
			"Writes PREFIX.png (150 dpi: cdf and sensitivity 1200x600 px with the legend beside the data, bars 900x600 px, arms 1200x330 px per method, arms labelled A1 [150, 300) ms ...) and PREFIX.pdf (fonts embedded), both or none.",
		Flags: append(reportFlags(),
			&cli.StringFlag{Name: "of", Usage: "cdf: what to plot", Value: "recovery"},
			&cli.StringFlag{Name: "metric", Usage: "bars, sensitivity: the metric, a runs column as in the files (recovery_mean_us; docs/metrics.md)", Value: "unwritable_frac"},
			&cli.StringFlag{Name: "param", Usage: "sensitivity: the policy parameter on the x axis"},
			&cli.BoolFlag{Name: "linear", Usage: "cdf: linear instead of logarithmic x axis"},
		),
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() != 1 {
				return usage(fmt.Errorf("plot: want one figure NAME; allowed: %s", strings.Join(plotNames, ", ")))
			}
			name := cmd.Args().First()
			if !slices.Contains(plotNames, name) {
				return usage(fmt.Errorf("plot %q: allowed: %s", name, strings.Join(plotNames, ", ")))
			}
			if name == "sensitivity" && cmd.String("param") == "" {
				return usage(fmt.Errorf("plot sensitivity: --param is required; allowed: a numeric policy parameter"))
			}
			r, sel, err := openReport(cmd)
			if err != nil {
				return err
			}
			var fig plot.Figure
			switch name {
			case "cdf":
				series, s, err := r.CDF(sel, cmd.String("of"))
				if err != nil {
					return usage(err)
				}
				labels := map[string]string{"recovery": "recovery time (ms)", "time_to_leader": "time to leader (ms)", "out_of_service": "out-of-service time (ms)"}
				fig, err = plot.CDF(fmt.Sprintf("%s: %s", s.Scenario, labels[cmd.String("of")]), labels[cmd.String("of")], series, !cmd.Bool("linear"))
				if err != nil {
					return usage(err)
				}
			case "bars", "sensitivity":
				m, ok := metrics.LookupMetric(cmd.String("metric"))
				if !ok {
					return usage(fmt.Errorf("--metric %q: unknown metric; allowed: %s", cmd.String("metric"), strings.Join(metrics.MetricNames(), ", ")))
				}
				if name == "bars" {
					bars, s, err := r.Bars(sel, m)
					if err != nil {
						return usage(err)
					}
					if fig, err = plot.Bars(fmt.Sprintf("%s: %s, mean [95%% CI]", s.Scenario, m.Header), m.Header, bars); err != nil {
						return usage(err)
					}
				} else {
					curves, s, err := r.Sensitivity(sel, cmd.String("param"), m)
					if err != nil {
						return usage(err)
					}
					if fig, err = plot.Sensitivity(fmt.Sprintf("%s: sensitivity to %s", s.Scenario, cmd.String("param")), cmd.String("param"), m.Header, curves); err != nil {
						return usage(err)
					}
				}
			case "arms":
				panels, s, err := r.ArmFractions(sel)
				if err != nil {
					return usage(err)
				}
				if fig, err = plot.Arms(s.Scenario+": arm fractions", panels); err != nil {
					return usage(err)
				}
			}
			prefix := cmd.String("out")
			files, err := plot.Stage(prefix, fig)
			if err != nil {
				return err
			}
			return commit(cmd, files, []string{prefix + ".png", prefix + ".pdf"})
		},
	}
}
