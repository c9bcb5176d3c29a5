package main

import (
	"context"
	"fmt"
	"strings"
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
		Usage: "list the election-timeout policies with their parameters, defaults and provenance, and the arm sets",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			w := cmd.Root().Writer
			fmt.Fprintln(w, "Policies (set a parameter with --set name=value; provenance: paper = stated, inferred = derived from the paper, ours = our choice):")
			for _, name := range policies.Names() {
				ps, _ := policies.Lookup(name)
				fmt.Fprintf(w, "\n%s: %s\n", ps.Name, ps.Doc)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				for _, p := range ps.Params {
					doc := p.Doc
					if p.Choices != nil {
						doc += "; " + p.Allowed()
					}
					fmt.Fprintf(tw, "    %s=%s\t%s\t%s\n", p.Name, p.DefaultString(), p.Provenance, doc)
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			fmt.Fprintln(w, "\nArm sets (configs/arms.yaml; * marks the safe arm, the most conservative):")
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			for _, s := range policies.ArmSets() {
				arms := make([]string, len(s.Arms))
				for i, a := range s.Arms {
					mark := ""
					if i == s.Safe {
						mark = "*"
					}
					if s.Kind == policies.Relative {
						arms[i] = fmt.Sprintf("%s%s x%g", a.Name, mark, a.Factor)
					} else {
						arms[i] = fmt.Sprintf("%s%s [%g, %g]", a.Name, mark, a.LoMS, a.HiMS)
					}
				}
				fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", s.Name, s.Kind, s.Provenance, s.Doc)
				fmt.Fprintf(tw, "    \t\t\t%s\n", strings.Join(arms, "  "))
			}
			return tw.Flush()
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
