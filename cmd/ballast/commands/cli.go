// Package commands is the ballast command line: every subcommand (sim, run,
// analyze, table, plot, reproduce, ...) and Main, its entry point with
// in-memory writers and the exit code returned. The ballast binary
// (cmd/ballast) is a thin main over it; a program of one's own can be
// too, and gets the whole command line with the policies it registered
// (examples/custompolicy; docs/extending.md).
//
// Each subcommand lives in its own file and adds itself from an init
// function (register), so a command is added without touching this file.
package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/internal/configfile"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// Exit codes.
const (
	ExitOK          = 0
	ExitFailed      = 1   // a run failed
	ExitUsage       = 2   // bad flag, config or file: nothing was written
	ExitInterrupted = 130 // Ctrl-C (128 + SIGINT), as a shell reports a killed command
)

// usageError marks errors caused by bad input (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usage(err error) error { return usageError{err} }

// Main runs the command line and returns the process exit code. Errors are
// printed to stderr as one line prefixed "ballast: ". A failure to write
// the output (a full disk, a closed pipe) is an error too.
func Main(ctx context.Context, stdout, stderr io.Writer, args []string) int {
	out := &checkedWriter{w: stdout}
	err := Run(ctx, out, stderr, args)
	if err == nil && out.err != nil {
		err = fmt.Errorf("writing the output: %w", out.err)
	}
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "ballast: %v\n", err)
	var ue usageError
	var fe *configfile.FieldError
	switch {
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.As(err, &ue) || errors.As(err, &fe):
		return ExitUsage
	}
	return ExitFailed
}

// Execute runs the command line as the process: on os.Stdout and
// os.Stderr, args as os.Args gives them (the program's name first). It
// returns the exit code for os.Exit. The first Ctrl-C cancels what runs
// (runs in flight stop, complete ones are kept) and the command exits 130;
// a second one, while it winds down, kills the process at once.
func Execute(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // the next interrupt is the default one: immediate exit
	}()
	return Main(ctx, os.Stdout, os.Stderr, args)
}

// checkedWriter keeps the first write error, so that output a command
// could not write is not reported as success.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.err = err
	return n, err
}

// Run runs the command line and returns its error.
func Run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	return newApp(stdout, stderr).Run(ctx, args)
}

// onUsage turns a flag-parsing error into a one-line usage error.
func onUsage(_ context.Context, cmd *cli.Command, err error, _ bool) error {
	if cmd.Root() == cmd {
		return usage(fmt.Errorf("%w (see 'ballast --help')", err))
	}
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
		cmd.DisableSliceFlagSeparator = true // see the root's
		subs = append(subs, cmd)
	}
	slices.SortFunc(subs, func(a, b *cli.Command) int { return strings.Compare(a.Name, b.Name) })
	cli.VersionPrinter = printVersion
	return &cli.Command{
		Name:  "ballast",
		Usage: "benchmark Raft election-timeout policies reproducibly",
		Description: "ballast simulates Raft leader elections at message granularity under\n" +
			"long-tail delay, loss, bursts, partitions and crashes, logs every protocol\n" +
			"event to Parquet, and compares election-timeout policies on identical seeds.",
		Writer:    stdout,
		ErrWriter: stderr,
		Version:   strings.TrimPrefix(versionLine(), "ballast "), // printed by printVersion
		// "--set thr=40,180" is one list parameter, not two flags: a value
		// is split at commas only where a flag says so (listFlag).
		DisableSliceFlagSeparator: true,
		// 'ballast completion bash|zsh|fish' prints a completion script.
		EnableShellCompletion: true,
		OnUsageError:          onUsage,
		ExitErrHandler:        func(context.Context, *cli.Command, error) {},
		Flags: []cli.Flag{
			&cli.Int64Flag{Name: "max-events", Usage: "the most events one run may be estimated to log; a larger scenario is refused (docs/scenarios.md, Limits)", Value: scenario.DefaultLimits.Events},
		},
		Before: func(ctx context.Context, cmd *cli.Command) (context.Context, error) {
			n := cmd.Int64("max-events")
			if n < 1 {
				return ctx, usage(fmt.Errorf("--max-events %d: allowed: 1 or more", n))
			}
			// Process-wide: scenarios are validated as they are loaded.
			scenario.Caps = scenario.DefaultLimits.Scaled(n)
			return ctx, nil
		},
		// A name that is no command: one line and exit 2, not the help.
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if cmd.Args().Len() == 0 {
				return cli.ShowAppHelp(cmd)
			}
			var names []string
			for _, c := range subs {
				if !c.Hidden {
					names = append(names, c.Name)
				}
			}
			return usage(fmt.Errorf("unknown command %q; allowed: %s (see 'ballast --help')", cmd.Args().First(), strings.Join(names, ", ")))
		},
		Commands: subs,
	}
}

// listFlag is a repeatable flag whose values may also be comma-separated
// lists of names ("--only a,b --only c").
func listFlag(cmd *cli.Command, name string) []string {
	var out []string
	for _, v := range cmd.StringSlice(name) {
		for _, x := range strings.Split(v, ",") {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
	}
	return out
}

func joinNames(names []string) string {
	if len(names) == 0 {
		return "(none built in)"
	}
	return strings.Join(names, ", ")
}

// printVersion prints --version as 'ballast version' does (urfave's
// default says "ballast version VERSION").
func printVersion(cmd *cli.Command) { fmt.Fprintln(cmd.Root().Writer, versionLine()) }
