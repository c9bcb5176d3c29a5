package harness

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Shard selects the jobs one machine of n runs: job i goes to shard i mod n.
// Job indices come from the grid order alone, and run ids and seeds do not
// depend on n, so the shards of any n together run exactly the unsharded
// grid, each run once. The zero Shard is All.
type Shard struct {
	Index, Count int
}

// All is the trivial sharding: one shard that runs everything.
var All = Shard{0, 1}

// ShardEnv lists the environment variables that can supply the shard index
// when --shard is given as "env/N": Kubernetes Indexed Jobs and Slurm job
// arrays (use a 0-based array, e.g. --array=0-7).
var ShardEnv = []string{"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"}

// ParseShard parses "i/n" (0 <= i < n) or "env/n" (i from ShardEnv).
func ParseShard(spec string, getenv func(string) string) (Shard, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	is, ns, ok := strings.Cut(spec, "/")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 1 {
		return Shard{}, fmt.Errorf("--shard %q: allowed: I/N with 0 <= I < N, e.g. 0/4, or env/N to take I from %s", spec, strings.Join(ShardEnv, " or "))
	}
	if is == "env" {
		for _, name := range ShardEnv {
			if v := getenv(name); v != "" {
				is = v
				break
			}
		}
		if is == "env" {
			return Shard{}, fmt.Errorf("--shard %q: none of %s is set; allowed: set one, or give the index as I/N", spec, strings.Join(ShardEnv, ", "))
		}
	}
	i, err := strconv.Atoi(is)
	if err != nil || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("--shard %q: index %q is not allowed; allowed: an integer I with 0 <= I < %d", spec, is, n)
	}
	return Shard{i, n}, nil
}

// Has reports whether job index belongs to the shard.
func (s Shard) Has(index int) bool { return s.Count == 0 || index%s.Count == s.Index }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, max(s.Count, 1)) }
