package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/sim/scenario"
)

func init() {
	register(scenariosCommand)
	register(policiesCommand)
	register(versionCommand)
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
