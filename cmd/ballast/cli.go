package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/internal/configfile"
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

// onUsage turns a flag-parsing error into a one-line usage error.
func onUsage(_ context.Context, cmd *cli.Command, err error, _ bool) error {
	return usage(fmt.Errorf("%s: %w (see 'ballast %s --help')", cmd.Name, err, cmd.Name))
}

// commands are the subcommands, in the order 'ballast --help' lists them.
// Each command lives in its own file and adds itself with register from an
// init function, so commands can be added without touching this file.
var commands []func() *cli.Command

func register(c func() *cli.Command) { commands = append(commands, c) }

func newApp(stdout, stderr io.Writer) *cli.Command {
	var subs []*cli.Command
	for _, c := range commands {
		cmd := c()
		if cmd.OnUsageError == nil {
			cmd.OnUsageError = onUsage
		}
		subs = append(subs, cmd)
	}
	slices.SortFunc(subs, func(a, b *cli.Command) int { return strings.Compare(a.Name, b.Name) })
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
		Commands: subs,
	}
}

func joinNames(names []string) string {
	if len(names) == 0 {
		return "(none built in)"
	}
	return strings.Join(names, ", ")
}
