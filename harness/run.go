package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/policies"
	"github.com/ballast-bench/ballast/policies/policy"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/etcdraft"
	"github.com/ballast-bench/ballast/sim/fast"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// Engines lists the election engines by name.
var Engines = map[string]sim.Engine{
	"fast": fast.Engine{},
	"etcd": etcdraft.Engine{},
}

// EngineNames lists the engines, the default (fast) first.
func EngineNames() []string { return []string{"fast", "etcd"} }

// Spec describes one run.
type Spec struct {
	Scenario *scenario.Scenario
	Policy   string
	Set      []string // parameter overrides, "name=value"
	Seed     uint64
	SeedSet  string
	Engine   string
}

// Run is a resolved Spec, ready to simulate.
type Run struct {
	Spec    Spec
	Params  policies.Params
	Factory policy.Factory
	Engine  sim.Engine
	Info    eventlog.RunInfo
}

// Resolve checks the policy, its parameters and the engine and computes the
// run's identity. Errors name the flag or field and what is allowed.
func Resolve(spec Spec) (*Run, error) {
	if _, err := policies.Lookup(spec.Policy); err != nil {
		return nil, fmt.Errorf("--policy: %w", err)
	}
	factory, params, err := policies.Build(spec.Policy, spec.Set...)
	if err != nil {
		return nil, err
	}
	if ps, _ := policies.Lookup(spec.Policy); ps.CheckRun != nil {
		if err := ps.CheckRun(params, spec.Seed, spec.SeedSet); err != nil {
			return nil, fmt.Errorf("seed %d (%s): %w", spec.Seed, spec.SeedSet, err)
		}
	}
	if spec.Engine == "" {
		spec.Engine = "fast"
	}
	eng, ok := Engines[spec.Engine]
	if !ok {
		return nil, fmt.Errorf("--engine %q: unknown engine; allowed: %s", spec.Engine, strings.Join(EngineNames(), ", "))
	}
	s := spec.Scenario
	info := eventlog.RunInfo{
		Scenario:      s.Name,
		ScenarioHash:  s.Hash(),
		Policy:        spec.Policy,
		Params:        params.String(),
		Seed:          spec.Seed,
		SeedSet:       spec.SeedSet,
		Engine:        spec.Engine,
		CodeVersion:   CodeVersion(),
		SchemaVersion: eventlog.SchemaVersion,
		Nodes:         int64(s.Nodes),
		DurationUS:    s.DurationUS(),
		HeartbeatUS:   s.HeartbeatUS(),
	}
	info.ConfigHash = ConfigHash(info)
	info.RunID = RunID(info)
	return &Run{Spec: spec, Params: params, Factory: factory, Engine: eng, Info: info}, nil
}

// ConfigHash identifies what was simulated regardless of the seed: scenario
// content, policy and parameters, engine and schema version.
func ConfigHash(info eventlog.RunInfo) string {
	return hash16(info.ScenarioHash, info.Policy, info.Params, info.Engine, fmt.Sprint(info.SchemaVersion))
}

// RunID identifies one run: the config hash and the seed. It does not
// depend on the code version, the seed set's label, sharding or
// parallelism, so the same run has the same id everywhere.
func RunID(info eventlog.RunInfo) string {
	return hash16(info.ConfigHash, fmt.Sprint(info.Seed))
}

func hash16(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

var codeVersion = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return v + "+" + rev + dirty
	}
	return v
})

// CodeVersion is the module version and VCS revision of this binary.
func CodeVersion() string { return codeVersion() }

// Simulate runs r into sink (nil: logging off).
func (r *Run) Simulate(sink eventlog.Sink) (sim.Result, error) {
	cfg := &sim.Config{Scenario: r.Spec.Scenario, Seed: r.Spec.Seed, RunID: r.Info.RunID, Policy: r.Factory, Sink: sink}
	return r.protect(cfg)
}

// protect runs the engine and turns a panic into an error naming the run.
func (r *Run) protect(cfg *sim.Config) (res sim.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &sim.RunError{RunID: r.Info.RunID, Seed: r.Spec.Seed, Msg: fmt.Sprintf("panic: %v\n%s", p, debug.Stack())}
		}
	}()
	return r.Engine.Run(cfg)
}

// WriteEvents simulates r and writes its events to path atomically: on any
// error no file exists at path. The run's RunInfo is stored in the file's
// metadata ("ballast.run"), so an events file describes itself.
func (r *Run) WriteEvents(path string) (eventlog.RunInfo, error) {
	info, _, err := r.writeEvents(path)
	return info, err
}

// writeEvents is WriteEvents that also returns the file's size and SHA-256.
func (r *Run) writeEvents(path string) (eventlog.RunInfo, digest, error) {
	w, err := pq.Create(path, r.Info.RunID)
	if err != nil {
		return r.Info, digest{}, fmt.Errorf("run %s (seed %d): %w", r.Info.RunID, r.Info.Seed, err)
	}
	res, err := r.Simulate(w)
	if err != nil {
		w.Abort()
		return r.Info, digest{}, err
	}
	info := r.Info
	info.Events = res.Events
	meta, _ := json.Marshal(info)
	w.SetMetadata("ballast.run", string(meta))
	if err := w.Close(); err != nil {
		return info, digest{}, fmt.Errorf("run %s (seed %d): writing %s: %w", info.RunID, info.Seed, path, err)
	}
	var d digest
	d.bytes, d.sha256 = w.Digest()
	return info, d, nil
}

type digest struct {
	bytes  int64
	sha256 string
}

// WriteParquet is WriteEvents plus the run's one-row runs table at
// RunsPath(path); on any error neither file exists.
func (r *Run) WriteParquet(path string) (eventlog.RunInfo, error) {
	info, err := r.WriteEvents(path)
	if err != nil {
		return info, err
	}
	if err := pq.WriteRuns(RunsPath(path), []eventlog.RunInfo{info}); err != nil {
		os.Remove(path) // the events file alone would look like a complete run
		return info, fmt.Errorf("run %s (seed %d): %w", info.RunID, info.Seed, err)
	}
	return info, nil
}

// RunsPath is where a single run's runs table goes: beside its events file,
// "x.parquet" -> "x.runs.parquet".
func RunsPath(eventsPath string) string {
	return strings.TrimSuffix(eventsPath, ".parquet") + ".runs.parquet"
}
