package commands

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/reproduce"
)

func init() { register(reproduceCommand) }

func reproduceCommand() *cli.Command {
	return &cli.Command{
		Name:      "reproduce",
		Usage:     "regenerate every table and figure of the papers and compare them with the published numbers",
		UsageText: "ballast reproduce [--quick] [--only NAME[,NAME...]] [-j N] [--out DIR] [--no-run] [--list]",
		Description: "Tunes, sweeps and analyses every experiment the papers' tables and figures need\n" +
			"(reproduce/catalog.go), then writes DIR/tables/ (LaTeX, Markdown, CSV), DIR/figures/\n" +
			"(PNG, PDF, CSV), DIR/metrics/ and DIR/REPORT.md with the published numbers beside\n" +
			"ours (configs/published/). Runs go to DIR/runs/ and are resumed; tuned parameters\n" +
			"to configs/tuned/ (quick mode: DIR/tuned/). Tables and figures appear all together or\n" +
			"not at all. --quick: fewer seeds and shorter long runs, DIR defaults to\n" +
			"artifacts/quick. --only builds the named artifacts, and those whose experiments are\n" +
			"all named, and writes no REPORT.md. --no-run analyses runs that already exist\n" +
			"(e.g. merged shards) and fails if one is missing. Each run is analysed as it is\n" +
			"simulated; its events file is kept as the experiment's keep_events says (the\n" +
			"report runs' except for the long Dynatune schedules), or as --keep-events says\n" +
			"for every experiment. Run it from the repository root.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quick", Usage: "fewer seeds and shorter long runs (make reproduce-quick, CI)"},
			&cli.StringSliceFlag{Name: "only", Usage: "artifact IDs or experiment names (see --list)"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "parallel runs and analyses", Value: defaultJobs()},
			&cli.StringFlag{Name: "out", Usage: "output root (default artifacts, or artifacts/quick with --quick)"},
			&cli.BoolFlag{Name: "no-run", Usage: "do not tune or sweep: analyse the runs already under DIR/runs"},
			&cli.BoolFlag{Name: "list", Usage: "list the artifacts and experiments and exit"},
			jsonFlag,
			&cli.BoolFlag{Name: "force", Usage: "redo every run, complete or not"},
			&cli.BoolFlag{Name: "reuse-old", Usage: "keep complete runs made by another code version (by default they are redone); the tables list every code version of their runs"},
			keepEventsFlag,
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			w := cmd.Root().Writer
			if cmd.Args().Len() != 0 {
				return usage(fmt.Errorf("reproduce: takes no arguments, got %q; allowed: flags only (see --help)", strings.Join(cmd.Args().Slice(), " ")))
			}
			if cmd.Bool("list") {
				return listArtifacts(w, cmd.Bool("json"))
			}
			if cmd.Int("jobs") < 1 {
				return usage(fmt.Errorf("--jobs %d: allowed: 1 or more", cmd.Int("jobs")))
			}
			if _, _, err := reproduce.Select(listFlag(cmd, "only")); err != nil {
				return usage(err)
			}
			if cmd.Bool("force") && cmd.Bool("reuse-old") {
				return usage(fmt.Errorf("--force and --reuse-old: allowed: one of them"))
			}
			if err := harness.CheckKeep(cmd.String("keep-events")); err != nil {
				return usage(fmt.Errorf("--keep-events %w", err))
			}
			if out := cmd.String("out"); out != "" {
				if err := outDir("--out", out); err != nil {
					return err
				}
			}
			sum, err := reproduce.Run(ctx, reproduce.Options{Quick: cmd.Bool("quick"), Only: listFlag(cmd, "only"), Out: cmd.String("out"),
				Jobs: cmd.Int("jobs"), NoRun: cmd.Bool("no-run"), Force: cmd.Bool("force"), ReuseOld: cmd.Bool("reuse-old"), KeepEvents: cmd.String("keep-events"), Log: cmd.Root().ErrWriter})
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "reproduced %d artifacts: %d files", sum.Artifacts, len(sum.Files))
			if sum.Report != "" {
				fmt.Fprintf(w, "; report %s", sum.Report)
			}
			fmt.Fprintln(w)
			return nil
		},
	}
}

// listArtifacts prints the catalog: each artifact with its source, label
// and experiments, and what --only EXPERIMENT builds (the sweep workflow
// asks).
func listArtifacts(w io.Writer, asJSON bool) error {
	type artifact struct {
		ID          string   `json:"id"`
		Source      string   `json:"source"`
		Label       string   `json:"label"`
		Title       string   `json:"title"`
		Experiments []string `json:"experiments"`
	}
	type experiment struct {
		Name   string   `json:"name"`
		Builds []string `json:"builds"` // artifacts --only NAME builds alone
	}
	var arts []artifact
	for _, a := range reproduce.Catalog {
		arts = append(arts, artifact{a.ID, a.Doc, a.Label, a.Title, a.Experiments})
	}
	var exps []experiment
	for _, x := range reproduce.Experiments {
		e := experiment{Name: x.Name, Builds: []string{}}
		if sel, _, err := reproduce.Select([]string{x.Name}); err == nil {
			for _, a := range sel {
				e.Builds = append(e.Builds, a.ID)
			}
		}
		exps = append(exps, e)
	}
	if asJSON {
		return writeJSON(w, struct {
			Artifacts   []artifact   `json:"artifacts"`
			Experiments []experiment `json:"experiments"`
		}{arts, exps})
	}
	for _, a := range arts {
		fmt.Fprintf(w, "%-20s %-8s %-24s %s\n", a.ID, a.Source, a.Label, strings.Join(a.Experiments, ","))
	}
	for _, e := range exps {
		ids := "(nothing alone)"
		if len(e.Builds) > 0 {
			ids = strings.Join(e.Builds, " ")
		}
		fmt.Fprintf(w, "experiment %s -> %s\n", e.Name, ids)
	}
	return nil
}
