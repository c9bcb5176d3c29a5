package commands

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/harness"
)

func init() { register(mergeCommand) }

func mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "combine the output directories of sharded sweeps into one dataset",
		UsageText: "ballast merge SHARD_DIR... --out DIR",
		Description: "Copies every run's events file and manifest entry from the SHARD_DIRs into DIR,\n" +
			"checking each file against the SHA-256 in its manifest entry, and writes\n" +
			"DIR/runs.parquet, the runs table of all runs sorted by run id. A run found in\n" +
			"several inputs must be identical in all of them.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "merged output directory", Required: true},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() == 0 {
				return usage(fmt.Errorf("merge: no input directories; allowed: one or more output directories of 'ballast run'"))
			}
			n, err := harness.Merge(cmd.String("out"), cmd.Args().Slice())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.Root().Writer, "merged %d runs from %d directories -> %s\n", n, cmd.Args().Len(), cmd.String("out"))
			return nil
		},
	}
}
