package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/configs"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/sim/scenario"
)

func init() {
	register(scenariosCommand)
	register(policiesCommand)
	register(versionCommand)
}

// jsonFlag asks a listing for JSON instead of text.
var jsonFlag = &cli.BoolFlag{Name: "json", Usage: "print JSON instead of text"}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func scenariosCommand() *cli.Command {
	return &cli.Command{
		Name:      "scenarios",
		Usage:     "list the built-in scenarios, or print one scenario's YAML",
		UsageText: "ballast scenarios [NAME|FILE] [--json]",
		Flags:     []cli.Flag{jsonFlag},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			w := cmd.Root().Writer
			switch cmd.Args().Len() {
			case 0:
			case 1:
				return printScenario(w, cmd.Args().First(), cmd.Bool("json"))
			default:
				return usage(fmt.Errorf("scenarios: one NAME at most, got %d; allowed: %s", cmd.Args().Len(), strings.Join(scenario.Names(), ", ")))
			}
			all, err := scenario.Builtin()
			if err != nil {
				return err
			}
			if cmd.Bool("json") {
				type row struct {
					Name        string  `json:"name"`
					Description string  `json:"description"`
					Nodes       int     `json:"nodes"`
					DurationS   float64 `json:"duration_s"`
					File        string  `json:"file"`
				}
				rows := make([]row, len(all))
				for i, s := range all {
					rows[i] = row{s.Name, s.Description, s.Nodes, s.DurationS, path.Join("configs", "scenarios", s.Name+".yaml")}
				}
				return writeJSON(w, rows)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			for _, s := range all {
				fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Description)
			}
			return tw.Flush()
		},
	}
}

// printScenario prints a scenario's file as written (comments and
// provenance included), after checking that it loads; with asJSON, its
// decoded form.
func printScenario(w io.Writer, nameOrFile string, asJSON bool) error {
	s, err := scenario.Load(nameOrFile)
	if err != nil {
		return usage(err)
	}
	if asJSON {
		return writeJSON(w, s)
	}
	var data []byte
	if strings.HasSuffix(nameOrFile, ".yaml") || strings.ContainsRune(nameOrFile, '/') {
		data, err = os.ReadFile(nameOrFile)
	} else {
		data, err = fs.ReadFile(configs.Scenarios, path.Join("scenarios", nameOrFile+".yaml"))
	}
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

func policiesCommand() *cli.Command {
	return &cli.Command{
		Name:      "policies",
		Usage:     "list the election-timeout policies with their parameters, defaults and provenance, and the arm sets; or one policy",
		UsageText: "ballast policies [NAME] [--json]",
		Flags:     []cli.Flag{jsonFlag},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			w := cmd.Root().Writer
			names := policies.Names()
			switch cmd.Args().Len() {
			case 0:
			case 1:
				if _, err := policies.Lookup(cmd.Args().First()); err != nil {
					return usage(err)
				}
				names = []string{cmd.Args().First()}
			default:
				return usage(fmt.Errorf("policies: one NAME at most, got %d", cmd.Args().Len()))
			}
			if cmd.Bool("json") {
				return writeJSON(w, policyRows(names))
			}
			if cmd.Args().Len() == 0 {
				fmt.Fprintln(w, "Policies (set a parameter with --set name=value; provenance: paper = stated, inferred = derived from the paper, ours = our choice):")
			}
			for i, name := range names {
				ps, _ := policies.Lookup(name)
				if i > 0 || cmd.Args().Len() == 0 {
					fmt.Fprintln(w)
				}
				fmt.Fprintf(w, "%s: %s\n", ps.Name, ps.Doc)
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
			if cmd.Args().Len() == 1 {
				return nil
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

// policyRow is one policy in 'ballast policies --json'.
type policyRow struct {
	Name   string     `json:"name"`
	Doc    string     `json:"doc"`
	Params []paramRow `json:"params"`
}

type paramRow struct {
	Name       string `json:"name"`
	Default    string `json:"default"`
	Provenance string `json:"provenance"`
	Doc        string `json:"doc"`
	Allowed    string `json:"allowed"`
}

func policyRows(names []string) []policyRow {
	var out []policyRow
	for _, name := range names {
		ps, _ := policies.Lookup(name)
		r := policyRow{Name: ps.Name, Doc: ps.Doc, Params: []paramRow{}}
		for _, p := range ps.Params {
			r.Params = append(r.Params, paramRow{p.Name, p.DefaultString(), string(p.Provenance), p.Doc, p.Allowed()})
		}
		out = append(out, r)
	}
	return out
}

// Version is the build's version, as --version and 'ballast version' print
// it. The ballast binary's main sets it from its link-time stamp (the
// Makefile's -ldflags "-X main.version=..."); a program of its own may set
// it likewise. Left empty, it is the main module's version or VCS revision
// from the build information.
var Version = ""

func buildVersion() string {
	if Version != "" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	return rev + dirty
}

// versionLine is what --version and 'ballast version' print: the build's
// version and the code version every run records (harness.CodeVersion).
func versionLine() string {
	return fmt.Sprintf("ballast %s (code %s)", buildVersion(), harness.CodeVersion())
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the build's version and the code version recorded in every run",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			fmt.Fprintln(cmd.Root().Writer, versionLine())
			return nil
		},
	}
}
