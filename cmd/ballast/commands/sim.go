package commands

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/sim/scenario"
)

func init() { register(simCommand) }

func simCommand() *cli.Command {
	return &cli.Command{
		Name:      "sim",
		Usage:     "run one simulation and write its events to Parquet",
		UsageText: "ballast sim --scenario NAME|FILE --policy NAME [--set key=value ...] --seed N --out FILE [--engine fast]",
		Description: "Runs one scenario with one policy and seed. Writes the events to FILE and the\n" +
			"run's row of the runs table to FILE with .parquet replaced by .runs.parquet\n" +
			"(schema: docs/schema.md). Both are written atomically: on error, neither exists.\n" +
			"Exit status: 0 ok, 1 the run failed, 2 bad flags or config.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "scenario", Usage: "built-in scenario name (see 'ballast scenarios') or a path to a scenario .yaml file", Required: true},
			&cli.StringFlag{Name: "policy", Usage: "election-timeout policy (see 'ballast policies')", Required: true},
			&cli.StringSliceFlag{Name: "set", Usage: "override a policy parameter, name=value (repeatable; lists as v1,v2)"},
			&cli.Uint64Flag{Name: "seed", Usage: "run seed: fixes the injected timeline and every random draw", Required: true},
			&cli.StringFlag{Name: "out", Usage: "events file to write (.parquet)", Required: true},
			&cli.StringFlag{Name: "engine", Usage: "election engine: " + strings.Join(harness.EngineNames(), ", "), Value: "fast"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() > 0 {
				return usage(fmt.Errorf("sim: unexpected argument %q; allowed: flags only", cmd.Args().First()))
			}
			out := cmd.String("out")
			if !strings.HasSuffix(out, ".parquet") {
				return usage(fmt.Errorf("--out %q: allowed: a file name ending in .parquet", out))
			}
			if seed := cmd.Uint64("seed"); seed > math.MaxInt64 {
				return usage(fmt.Errorf("--seed %d: allowed: a seed below 2^63 (the runs table stores seeds as int64)", seed))
			}
			seen := map[string]bool{}
			for _, kv := range cmd.StringSlice("set") {
				name, _, _ := strings.Cut(kv, "=")
				if seen[name] {
					return usage(fmt.Errorf("--set %s: the parameter is set twice; allowed: each parameter once", name))
				}
				seen[name] = true
			}
			s, err := scenario.Load(cmd.String("scenario"))
			if err != nil {
				return usage(err)
			}
			r, err := harness.Resolve(harness.Spec{
				Scenario: s, Policy: cmd.String("policy"), Set: cmd.StringSlice("set"),
				Seed: cmd.Uint64("seed"), Engine: cmd.String("engine"),
			})
			if err != nil {
				return usage(err)
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return usage(fmt.Errorf("--out %q: cannot create its directory: %v; allowed: a writable path", out, err))
			}
			info, err := r.WriteParquet(ctx, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.Root().Writer, "run %s: scenario %s, policy %s, seed %d, engine %s: %d events -> %s\n",
				info.RunID, info.Scenario, info.Policy, info.Seed, info.Engine, info.Events, out)
			return nil
		},
	}
}
