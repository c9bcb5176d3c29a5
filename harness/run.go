package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/ballast-bench/ballast"
	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/internal/atomicfile"
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

// EngineNames lists the engines, the default (fast) first, then etcd,
// then any registered by a program (the live mode's: commands).
func EngineNames() []string {
	names := []string{"fast", "etcd"}
	var more []string
	for n := range Engines {
		if !slices.Contains(names, n) {
			more = append(more, n)
		}
	}
	slices.Sort(more)
	return append(names, more...)
}

// RunEngine is an engine that needs the run's specification, not only its
// configuration: the live mode's, whose node processes resolve the run
// again (Run hands it the run through RunSpec, never Run).
type RunEngine interface {
	sim.Engine
	RunSpec(r *Run, cfg *sim.Config) (sim.Result, error)
}

// Spec describes one run.
type Spec struct {
	Scenario   *scenario.Scenario
	Policy     string
	Set        []string // parameter overrides, "name=value"
	Seed       uint64
	SeedSet    string
	Engine     string
	Experiment string // "" for a single run
	Variant    string // the experiment's name of the parameter variant; "" for a single run
}

// Run is a resolved Spec, ready to simulate.
type Run struct {
	Spec    Spec
	Params  policies.Params
	Factory policy.Factory
	Engine  sim.Engine
	Info    eventlog.RunInfo
}

// Resolve checks the policy, its parameters, the run settings in Set
// (HeartbeatSetting) and the engine, and computes the run's identity.
// Errors name the flag or field and what is allowed.
func Resolve(spec Spec) (*Run, error) {
	ps, err := policies.Lookup(spec.Policy)
	if err != nil {
		return nil, fmt.Errorf("--policy: %w", err)
	}
	set, heartbeat, err := splitSettings(spec.Set)
	if err != nil {
		return nil, err
	}
	factory, params, err := policies.Build(spec.Policy, set...)
	if err != nil {
		return nil, err
	}
	if ps.CheckRun != nil {
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
	if heartbeat != "" {
		// The run simulates its scenario with this interval (HeartbeatSetting).
		if spec.Scenario, err = withHeartbeat(spec.Scenario, spec.Engine, heartbeat); err != nil {
			return nil, err
		}
	}
	s := spec.Scenario
	info := eventlog.RunInfo{
		Scenario:      s.Name,
		ScenarioHash:  s.Hash(),
		Experiment:    spec.Experiment,
		Policy:        spec.Policy,
		Variant:       spec.Variant,
		Params:        params.String(),
		Seed:          spec.Seed,
		SeedSet:       spec.SeedSet,
		Engine:        spec.Engine,
		CodeVersion:   ps.CodeVersion(CodeVersion()), // an out-of-tree policy adds its own version
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

// RunID identifies one run: the config hash, the variant's name and the
// seed. Two variants with equal parameters are two runs (an ablation that
// changes nothing must still have its own rows, so the self-check can
// find it). The id does not depend on the code (a run made by other code
// is told apart by its code version: Complete), the seed set's label,
// sharding or parallelism, so the same run has the same id everywhere.
func RunID(info eventlog.RunInfo) string {
	return hash16(info.ConfigHash, info.Variant, fmt.Sprint(info.Seed))
}

func hash16(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// CodeVersion is the code identity of this binary's simulation
// (ballast.CodeID): a content hash of the sources that decide what a run
// computes. Runs record it; a run made by another is redone, or reused
// only when asked (Options.ReuseOld).
func CodeVersion() string { return ballast.CodeID() }

// Simulate runs r into sink (nil: logging off); cancelling ctx stops it.
func (r *Run) Simulate(ctx context.Context, sink eventlog.Sink) (sim.Result, error) {
	cfg := &sim.Config{Scenario: r.Spec.Scenario, Seed: r.Spec.Seed, RunID: r.Info.RunID, Policy: r.Factory, Sink: sink, Context: ctx}
	return r.protect(cfg)
}

// protect runs the engine and turns a panic into a one-line error naming
// the run; the stack goes to a file the error names.
func (r *Run) protect(cfg *sim.Config) (res sim.Result, err error) {
	defer func() {
		if p := recover(); p != nil {
			msg := fmt.Sprintf("panic: %v", p)
			path := filepath.Join(os.TempDir(), fmt.Sprintf("ballast-panic-%s-%d.txt", r.Info.RunID, os.Getpid()))
			trace := fmt.Sprintf("run %s (seed %d, scenario %s, policy %s %s)\n%s\n\n%s", r.Info.RunID, r.Spec.Seed,
				r.Info.Scenario, r.Info.Policy, r.Info.Params, msg, debug.Stack())
			if _, _, werr := atomicfile.WriteFile(path, []byte(trace)); werr == nil {
				msg += " (stack trace in " + path + ")"
			}
			err = &sim.RunError{RunID: r.Info.RunID, Seed: r.Spec.Seed, Msg: strings.ReplaceAll(msg, "\n", " ")}
		}
	}()
	if re, ok := r.Engine.(RunEngine); ok {
		return re.RunSpec(r, cfg)
	}
	return r.Engine.Run(cfg)
}

// WriteEvents simulates r and writes its events to path atomically: on any
// error no file exists at path. The run's RunInfo is stored in the file's
// metadata ("ballast.run"), so an events file describes itself.
func (r *Run) WriteEvents(ctx context.Context, path string) (eventlog.RunInfo, error) {
	w, err := r.createEvents(path)
	if err != nil {
		return r.Info, err
	}
	defer w.Abort()
	info, live, err := r.simulateInto(ctx, w)
	if err != nil {
		return info, err
	}
	_, _, err = r.closeEvents(w, info, live)
	return info, err
}

// createEvents starts r's events file at path.
func (r *Run) createEvents(path string) (*pq.Writer, error) {
	w, err := pq.Create(path, r.Info.RunID)
	if err != nil {
		return nil, fmt.Errorf("run %s (seed %d): %w", r.Info.RunID, r.Info.Seed, err)
	}
	return w, nil
}

// simulateInto simulates r into sink and returns its RunInfo with the
// number of events.
func (r *Run) simulateInto(ctx context.Context, sink eventlog.Sink) (eventlog.RunInfo, *eventlog.LiveInfo, error) {
	res, err := r.Simulate(ctx, sink)
	info := r.Info
	info.Events = res.Events
	return info, res.Live, err
}

// closeEvents stores info (and a live run's account of itself) in w's
// metadata and commits the file; it returns the file's size and SHA-256.
func (r *Run) closeEvents(w *pq.Writer, info eventlog.RunInfo, live *eventlog.LiveInfo) (int64, string, error) {
	meta, _ := json.Marshal(info)
	w.SetMetadata("ballast.run", string(meta))
	if live != nil {
		lj, _ := json.Marshal(live)
		w.SetMetadata(eventlog.MetaLive, string(lj))
	}
	if err := w.Close(); err != nil {
		return 0, "", fmt.Errorf("run %s (seed %d): writing %s: %w", info.RunID, info.Seed, w.Path(), err)
	}
	size, sum := w.Digest()
	return size, sum, nil
}

// WriteParquet is WriteEvents plus the run's one-row runs table at
// RunsPath(path); on any error neither file exists.
func (r *Run) WriteParquet(ctx context.Context, path string) (eventlog.RunInfo, error) {
	info, err := r.WriteEvents(ctx, path)
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
