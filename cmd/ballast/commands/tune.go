package commands

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/tuning"
)

func init() { register(tuneCommand) }

func tuneCommand() *cli.Command {
	return &cli.Command{
		Name:      "tune",
		Usage:     "grid-search the experiment's tune: parameters per scenario on its tuning seeds",
		UsageText: "ballast tune EXPERIMENT [-j N] [--seeds N] [--out DIR] [--tuned FILE]",
		Description: "Runs every grid point of every tune: entry on the tuning seeds (resumably, under\n" +
			"DIR/events/seed_set=tuning/ unless keep_events or --keep-events drops them; the\n" +
			"analyses go to DIR/analysis/), scores each by the means over seeds of the\n" +
			"experiment's objective (default: unwritable_frac, then recovery_mean_us; the\n" +
			"same metric code as the tables), and writes the choices with every grid point's\n" +
			"scores to configs/tuned/EXPERIMENT.yaml, which 'ballast run' then uses.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "parallel runs", Value: defaultJobs()},
			&cli.IntFlag{Name: "seeds", Usage: "use only the first N tuning seeds (0: all)"},
			&cli.StringFlag{Name: "out", Usage: "runs directory (default artifacts/runs/EXPERIMENT)"},
			&cli.StringFlag{Name: "tuned", Usage: "where to write the choices (default configs/tuned/EXPERIMENT.yaml)"},
			keepEventsFlag,
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() != 1 {
				return usage(fmt.Errorf("tune: want one EXPERIMENT argument, got %d; allowed: %s, or a .yaml file", cmd.Args().Len(), joinNames(harness.ExperimentNames())))
			}
			e, err := harness.LoadExperiment(cmd.Args().First())
			if err != nil {
				return usage(err)
			}
			if !e.Tunable() {
				return usage(fmt.Errorf("tune: experiment %s declares no tune: grid; allowed: an experiment with tune: {param: [values...]} on a policy entry", e.Name))
			}
			if cmd.Int("jobs") < 1 || cmd.Int("seeds") < 0 {
				return usage(fmt.Errorf("tune: --jobs must be >= 1 and --seeds >= 0"))
			}
			out := cmd.String("out")
			if out == "" {
				out = filepath.Join("artifacts", "runs", e.Name)
			}
			path := cmd.String("tuned")
			if path == "" {
				path = tuning.Path(e.Name)
			}
			keep, err := keepEvents(cmd, e)
			if err != nil {
				return err
			}
			t, err := tuning.Tune(ctx, e, tuning.Options{OutDir: out, Workers: cmd.Int("jobs"), MaxSeeds: cmd.Int("seeds"),
				Progress: newProgress(cmd.Root().ErrWriter, "sweep"), KeepEvents: harness.Keeps(keep, harness.SetTuning)})
			if err != nil {
				return err
			}
			if err := tuning.Write(path, t); err != nil {
				return err
			}
			w := cmd.Root().Writer
			for _, c := range t.Choices {
				fmt.Fprintf(w, "%s: %s/%s -> %v (%d candidates)\n", c.Scenario, c.Policy, c.Variant, c.Chosen, len(c.Candidates))
			}
			fmt.Fprintf(w, "tuned %d choices on %d tuning seeds -> %s\n", len(t.Choices), len(t.TuningSeeds), path)
			return nil
		},
	}
}
