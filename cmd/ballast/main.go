// Command ballast benchmarks Raft election-timeout policies reproducibly.
// See README.md, or run 'ballast --help'.
//
// The command line lives in package commands, so that a program of one's
// own can register more policies and run the same command line
// (docs/extending.md); main only hands it the process.
package main

import (
	"os"

	"github.com/ballast-bench/ballast/cmd/ballast/commands"
)

// version is stamped at link time by the Makefile (-ldflags "-X
// main.version=..."); empty in a plain 'go build'.
var version = ""

func main() {
	commands.Version = version
	os.Exit(commands.Execute(os.Args))
}
