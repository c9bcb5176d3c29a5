// Command ballast benchmarks Raft election-timeout policies reproducibly.
// See README.md, or run 'ballast --help'.
//
// Each subcommand lives in its own file and registers itself from an init
// function; Main is the testable entry point (in-memory writers, exit code
// returned), and main only wires it to the process.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := Main(ctx, os.Stdout, os.Stderr, os.Args)
	stop()
	os.Exit(code)
}
