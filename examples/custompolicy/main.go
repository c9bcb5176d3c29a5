// Command custompolicy is the ballast command line with one more policy,
// rtt_scaled (policy.go), registered from outside ballast's policies
// package: the way a researcher adds a policy in a module of their own,
// without forking ballast (docs/extending.md). It uses only exported APIs,
// as a program in another module would.
//
//	go run ./examples/custompolicy policies rtt_scaled
//	go run ./examples/custompolicy sim --scenario wan_main --policy rtt_scaled --seed 1 --out /tmp/rtt.parquet
package main

import (
	"os"

	"github.com/ballast-bench/ballast/cmd/ballast/commands"
)

func main() { os.Exit(commands.Execute(os.Args)) }
