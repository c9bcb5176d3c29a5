// Package testseed gives randomized tests their master seed: from the
// -seed flag when replaying, else from the clock, so that every run of the
// test suite explores new points. The seed is logged first, with the
// command that replays the test, and tests put it in every failure.
package testseed

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var seed = flag.Uint64("seed", 0, "master seed of the randomized tests (0: from the clock); a failure prints the seed to replay it")

// Master returns the test's master seed and logs it with the command that
// replays the test. A test that draws from it must be deterministic given
// the seed.
func Master(t testing.TB) uint64 {
	t.Helper()
	s := *seed
	if s == 0 {
		s = uint64(time.Now().UnixNano())>>1 | 1
	}
	t.Logf("master seed %d; replay: %s", s, Replay(t, s))
	return s
}

// Rand is a generator seeded by Master.
func Rand(t testing.TB) *rand.Rand {
	t.Helper()
	s := Master(t)
	return rand.New(rand.NewPCG(s, s^0x9e3779b97f4a7c15))
}

// Replay is the command that reruns test t with master seed s, from the
// repository root.
func Replay(t testing.TB, s uint64) string {
	name := t.Name()
	if i := strings.IndexByte(name, '/'); i >= 0 {
		name = name[:i]
	}
	return fmt.Sprintf("go test ./%s -run '^%s$' -seed %d -count 1 -v", pkgDir(), name, s)
}

// pkgDir is the test's package directory relative to the module root (the
// nearest parent directory holding go.mod).
func pkgDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			rel, err := filepath.Rel(d, wd)
			if err != nil {
				return "."
			}
			return filepath.ToSlash(rel)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "."
		}
		d = parent
	}
}
