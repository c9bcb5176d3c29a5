package commands_test

import (
	"context"
	"fmt"
	"os"

	"github.com/ballast-bench/ballast/cmd/ballast/commands"
)

// ExampleMain runs the command line in-process, as the ballast binary and
// a program with policies of its own (examples/custompolicy) do; a
// program's main hands it the process with Execute. Output goes to the
// writers given; the exit code is returned (commands.ExitOK, ExitFailed,
// ExitUsage, ExitInterrupted), and an error is one line on stderr.
func ExampleMain() {
	code := commands.Main(context.Background(), os.Stdout, os.Stdout, []string{"ballast", "policies", "random"})
	fmt.Println("exit code:", code)
	code = commands.Main(context.Background(), os.Stdout, os.Stdout, []string{"ballast", "policies", "random", "--bogus"})
	fmt.Println("exit code:", code)
	// Output:
	// random: standard Raft: a uniform deadline in a fixed range (default 150-300 ms)
	//     min_ms=150  ours  lower end of the randomised timeout range
	//     max_ms=300  ours  upper end (exclusive) of the randomised timeout range
	// exit code: 0
	// ballast: policies: flag provided but not defined: -bogus (see 'ballast policies --help')
	// exit code: 2
}
