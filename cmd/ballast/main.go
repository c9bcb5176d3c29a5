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

// main: the first Ctrl-C cancels what runs (runs in flight stop, complete
// ones are kept) and the command exits 130; a second one, while it winds
// down, kills the process at once.
func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	go func() {
		<-ctx.Done()
		stop() // the next interrupt is the default one: immediate exit
	}()
	code := Main(ctx, os.Stdout, os.Stderr, os.Args)
	stop()
	os.Exit(code)
}
