// Package cli is the ballast command line. cmd/ballast's main only calls
// Main; everything here is testable with in-memory writers.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/internal/configfile"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// Exit codes.
const (
	ExitOK     = 0
	ExitFailed = 1 // a run failed
	ExitUsage  = 2 // bad flag, config or file: nothing was written
)

// usageError marks errors caused by bad input (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usage(err error) error { return usageError{err} }

// Main runs the command line and returns the process exit code. Errors are
// printed to stderr as one line prefixed "ballast: ".
func Main(ctx context.Context, stdout, stderr io.Writer, args []string) int {
	err := Run(ctx, stdout, stderr, args)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "ballast: %v\n", err)
	var ue usageError
	var fe *configfile.FieldError
	if errors.As(err, &ue) || errors.As(err, &fe) {
		return ExitUsage
	}
	return ExitFailed
}

// Run runs the command line and returns its error.
func Run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	return newApp(stdout, stderr).Run(ctx, args)
}

func newApp(stdout, stderr io.Writer) *cli.Command {
	onUsage := func(_ context.Context, cmd *cli.Command, err error, _ bool) error {
		return usage(fmt.Errorf("%s: %w (see 'ballast %s --help')", cmd.Name, err, cmd.Name))
	}
	return &cli.Command{
		Name:  "ballast",
		Usage: "benchmark Raft election-timeout policies reproducibly",
		Description: "ballast simulates Raft leader elections at message granularity under\n" +
			"long-tail delay, loss, bursts, partitions and crashes, logs every protocol\n" +
			"event to Parquet, and compares election-timeout policies on identical seeds.",
		Writer:         stdout,
		ErrWriter:      stderr,
		HideVersion:    true,
		OnUsageError:   onUsage,
		ExitErrHandler: func(context.Context, *cli.Command, error) {},
		CommandNotFound: func(_ context.Context, cmd *cli.Command, name string) {
			fmt.Fprintf(stderr, "ballast: unknown command %q; see 'ballast --help'\n", name)
		},
		Commands: []*cli.Command{
			simCommand(onUsage),
			scenariosCommand(),
			policiesCommand(),
			versionCommand(),
		},
	}
}

func simCommand(onUsage cli.OnUsageErrorFunc) *cli.Command {
	return &cli.Command{
		Name:      "sim",
		Usage:     "run one simulation and write its events to Parquet",
		UsageText: "ballast sim --scenario NAME|FILE --policy NAME [--set key=value ...] --seed N --out FILE [--engine fast]",
		Description: "Runs one scenario with one policy and seed. Writes the events to FILE and the\n" +
			"run's row of the runs table to FILE with .parquet replaced by .runs.parquet\n" +
			"(schema: docs/schema.md). Both are written atomically: on error, neither exists.\n" +
			"Exit status: 0 ok, 1 the run failed, 2 bad flags or config.",
		OnUsageError: onUsage,
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
			info, err := r.WriteParquet(out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.Root().Writer, "run %s: scenario %s, policy %s, seed %d, engine %s: %d events -> %s\n",
				info.RunID, info.Scenario, info.Policy, info.Seed, info.Engine, info.Events, out)
			return nil
		},
	}
}

func scenariosCommand() *cli.Command {
	return &cli.Command{
		Name:  "scenarios",
		Usage: "list the built-in scenarios with a one-line description",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			all, err := scenario.Builtin()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.Root().Writer, 0, 4, 2, ' ', 0)
			for _, s := range all {
				fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Description)
			}
			return tw.Flush()
		},
	}
}

func policiesCommand() *cli.Command {
	return &cli.Command{
		Name:  "policies",
		Usage: "list the election-timeout policies with their parameters and defaults",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			w := cmd.Root().Writer
			for _, name := range policies.Names() {
				ps, _ := policies.Lookup(name)
				fmt.Fprintf(w, "%s\t%s\n", ps.Name, ps.Doc)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				for _, p := range ps.Params {
					fmt.Fprintf(tw, "    %s=%s\t(%s)\t%s\n", p.Name, p.DefaultString(), p.Provenance, p.Doc)
				}
				tw.Flush()
			}
			return nil
		},
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the code version recorded in every runs table",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			fmt.Fprintln(cmd.Root().Writer, harness.CodeVersion())
			return nil
		},
	}
}
