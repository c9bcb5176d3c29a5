// Command ballast benchmarks Raft election-timeout policies reproducibly.
// See README.md, or run 'ballast --help'.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/ballast-bench/ballast/harness/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Main(ctx, os.Stdout, os.Stderr, os.Args)
	stop()
	os.Exit(code)
}
