package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"
	"go.yaml.in/yaml/v3"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/internal/atomicfile"
	"github.com/ballast-bench/ballast/live"
	"github.com/ballast-bench/ballast/sim"
	"github.com/ballast-bench/ballast/sim/scenario"
)

func init() {
	register(liveCommand)
	register(liveNodeCommandDef)
}

func liveCommand() *cli.Command {
	return &cli.Command{
		Name:      "live",
		Usage:     "run a scenario on real processes in wall time: live ballast nodes or a real etcd cluster",
		UsageText: "ballast live --scenario NAME|FILE --policy P [--set k=v ...] --seed N --out FILE [--target ballast|etcd] [--etcd bin/etcd]",
		Description: "--target ballast (the default) runs one ballast node process per scenario node on\n" +
			"this machine: go.etcd.io/raft driven by the real clock with the policy's hook\n" +
			"(the etcd engine's split clock in wall time), a write-ahead file per node fsynced\n" +
			"before what depends on it is sent (in --work: point it at a disk or a tmpfs), one\n" +
			"TCP connection per peer through user-space proxies that apply the scenario's\n" +
			"network (delays, loss, regimes, bursts, partitions). Any policy runs there. Its\n" +
			"runs row says engine live; the nodes' rows are their own, merged by time.\n" +
			"--target etcd runs real etcd members on this machine (127.0.0.1), their peer\n" +
			"traffic through user-space proxies that apply the scenario's network (delays,\n" +
			"regimes, bursts, partitions; every class a TCP stream), the seed's fault timeline\n" +
			"applied in wall time (crashes are SIGKILL, restarts from the member's data\n" +
			"directory, pauses SIGSTOP/SIGCONT). Writes one events file (the members' Raft\n" +
			"state changes and votes from their logs, the coordinator's fault rows) and its\n" +
			"runs row, engine etcd-server, which 'ballast analyze' reads like any run; the\n" +
			"file's metadata \"ballast.live\" holds the host (cores, load) and the harness's own\n" +
			"lateness. The timeline is seeded; the timings are measured: live results are\n" +
			"statistical. Heartbeat: the scenario's raft.heartbeat_ms; election timeout: the\n" +
			"etcd policy's election_ms. 'make etcd' builds bin/etcd. docs/live.md has more,\n" +
			"and how to run the nodes on several hosts ('ballast live-node' and a cluster file).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "scenario", Usage: "built-in scenario name or a path to a scenario .yaml file", Required: true},
			&cli.StringFlag{Name: "policy", Usage: "election-timeout policy (the etcd target: etcd, etcd's own timer)", Required: true},
			&cli.StringSliceFlag{Name: "set", Usage: "override a policy parameter or run setting, name=value"},
			&cli.Uint64Flag{Name: "seed", Usage: "run seed: fixes the injected fault timeline", Required: true},
			&cli.StringFlag{Name: "out", Usage: "events file to write (.parquet)", Required: true},
			&cli.StringFlag{Name: "target", Usage: "what runs: ballast (live ballast nodes) or etcd (real etcd members)", Value: "ballast"},
			&cli.StringFlag{Name: "etcd", Usage: "the etcd binary", Value: filepath.Join("bin", "etcd")},
			&cli.StringFlag{Name: "work", Usage: "directory for the nodes' write-ahead files, data and logs (default: a temporary one, removed after)"},
		},
		Action: runLive,
	}
}

func runLive(ctx context.Context, cmd *cli.Command) error {
	if cmd.Args().Len() > 0 {
		return usage(fmt.Errorf("live: unexpected argument %q; allowed: flags only", cmd.Args().First()))
	}
	out := cmd.String("out")
	if !strings.HasSuffix(out, ".parquet") {
		return usage(fmt.Errorf("--out %q: allowed: a file name ending in .parquet", out))
	}
	target := cmd.String("target")
	if target != "ballast" && target != "etcd" {
		return usage(fmt.Errorf("--target %q: allowed: ballast, etcd", target))
	}
	s, err := scenario.Load(cmd.String("scenario"))
	if err != nil {
		return usage(err)
	}
	electionMS := 0
	var r *harness.Run
	if target == "ballast" {
		if r, err = harness.Resolve(harness.Spec{Scenario: s, Policy: cmd.String("policy"), Set: cmd.StringSlice("set"), Seed: cmd.Uint64("seed"), Engine: "live"}); err != nil {
			return usage(err)
		}
		if err := live.CheckBallast(r.Spec.Scenario); err != nil {
			return usage(err)
		}
	} else {
		if p := cmd.String("policy"); p != "etcd" {
			return usage(fmt.Errorf("--policy %s: the etcd target runs etcd's own election timer; allowed: etcd", p))
		}
		bin := cmd.String("etcd")
		if st, err := os.Stat(bin); err != nil || st.IsDir() {
			return usage(fmt.Errorf("--etcd %s: no etcd binary there; allowed: a built etcd ('make etcd' puts it in bin/etcd)", bin))
		}
		if r, err = harness.Resolve(harness.Spec{Scenario: s, Policy: "etcd", Set: cmd.StringSlice("set"), Seed: cmd.Uint64("seed"), Engine: "etcd"}); err != nil {
			return usage(err)
		}
		for _, kv := range strings.Split(r.Info.Params, ";") {
			if v, ok := strings.CutPrefix(kv, "election_ms="); ok {
				f, _ := strconv.ParseFloat(v, 64)
				electionMS = int(f)
			}
		}
		if err := live.CheckEtcd(s, electionMS); err != nil {
			return usage(err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return usage(fmt.Errorf("--out %q: cannot create its directory: %v; allowed: a writable path", out, err))
	}
	work := cmd.String("work")
	if work == "" {
		if work, err = os.MkdirTemp("", "ballast-live-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return usage(fmt.Errorf("--work %s: %v; allowed: a writable directory", work, err))
	}
	if target == "ballast" {
		r.Engine = liveEngine{work: work, log: cmd.Root().ErrWriter}
	} else {
		// A live run is not the simulated run of the same inputs: its own
		// id and configuration (engine etcd-server), so that the two never
		// share a table cell.
		r.Info.Engine = "etcd-server"
		r.Info.RunID += "-" + r.Info.Engine
		r.Info.ConfigHash += "-" + r.Info.Engine
		r.Engine = etcdEngine{binary: cmd.String("etcd"), electionMS: electionMS, work: work, log: cmd.Root().ErrWriter}
	}
	info, err := r.WriteParquet(ctx, out)
	if err != nil {
		return err // names the run and its seed
	}
	var meta eventlog.LiveInfo
	kv, err := pq.ReadMetadata(out)
	if err == nil {
		err = json.Unmarshal([]byte(kv[eventlog.MetaLive]), &meta)
	}
	if err != nil {
		return err
	}
	what := map[string]string{"ballast": "ballast nodes", "etcd": "etcd members"}[target]
	fmt.Fprintf(cmd.Root().Writer, "live run %s: scenario %s, %s, seed %d, %d %s: %d events -> %s\n",
		info.RunID, s.Name, info.Policy, info.Seed, s.Nodes, what, info.Events, out)
	timers := ""
	if target == "ballast" {
		timers = fmt.Sprintf(", node timers p99 %.0f µs", meta.TimersP99US)
		for _, c := range []struct {
			what string
			t    *eventlog.CallTimes
		}{{"choose", meta.PolicyChoose}, {"update", meta.PolicyUpdate}} {
			if c.t != nil {
				fmt.Fprintf(cmd.Root().Writer, "policy %s: %d calls, mean %.0f ns, p50 %d, p99 %d, max %d ns\n", c.what, c.t.N, c.t.MeanNS, c.t.P50NS, c.t.P99NS, c.t.MaxNS)
			}
		}
	}
	fmt.Fprintf(cmd.Root().Writer, "harness lateness: injected faults p99 %.0f µs, network p99 %.0f µs%s (bound %d µs)%s; host: %d cores, load %s\n",
		meta.InjectedP99US, meta.NetworkP99US, timers, eventlog.LiveLateBoundUS, map[bool]string{true: " EXCEEDED: results flagged", false: ""}[meta.Flagged], meta.Cores, meta.LoadEnd)
	return nil
}

func liveMeta(target string, res *live.Result, load0, load1 string) eventlog.LiveInfo {
	zero := func(v float64) float64 { // JSON has no NaN: an empty histogram is 0
		if v != v {
			return 0
		}
		return v
	}
	inj, netw, tm := &res.Injected, &res.Network.Lateness, &res.Timers
	m := eventlog.LiveInfo{Target: target, Cores: runtime.NumCPU(), LoadStart: load0, LoadEnd: load1,
		InjectedMeanUS: zero(inj.MeanUS()), InjectedP99US: zero(inj.QuantileUS(0.99)), InjectedMaxUS: inj.MaxUS,
		NetworkMeanUS: zero(netw.MeanUS()), NetworkP99US: zero(netw.QuantileUS(0.99)), NetworkMaxUS: netw.MaxUS,
		TimersMeanUS: zero(tm.MeanUS()), TimersP99US: zero(tm.QuantileUS(0.99)), TimersMaxUS: tm.MaxUS,
		Chunks: res.Network.Delivered, Plain: res.Plain, Unpaired: res.Unpaired, BoundUS: eventlog.LiveLateBoundUS,
		PolicyChoose: eventlog.NewCallTimes(res.Choose), PolicyUpdate: eventlog.NewCallTimes(res.Update)}
	m.Flagged = m.LateP99US() > eventlog.LiveLateBoundUS
	return m
}

// loadAvg is the host's load averages, "" where /proc/loadavg is missing.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// etcdEngine runs one run on real etcd members (ballast live --target
// etcd), whose events the harness writes as any run's.
type etcdEngine struct {
	binary     string
	electionMS int
	work       string
	log        io.Writer
}

func (etcdEngine) Name() string { return "etcd-server" }

// Run refuses: the run needs its specification (RunSpec).
func (etcdEngine) Run(cfg *sim.Config) (sim.Result, error) {
	return sim.Result{}, &sim.RunError{RunID: cfg.RunID, Seed: cfg.Seed, Msg: "the etcd-server engine runs through the harness (harness.Run)"}
}

// RunSpec runs r on real etcd members.
func (e etcdEngine) RunSpec(r *harness.Run, cfg *sim.Config) (sim.Result, error) {
	ctx := cfg.Context
	if ctx == nil {
		ctx = context.Background()
	}
	load0 := loadAvg()
	res, err := live.RunEtcd(ctx, live.Options{Scenario: r.Spec.Scenario, Seed: cfg.Seed, ElectionMS: e.electionMS, EtcdBinary: e.binary, Dir: e.work, Log: e.log})
	if err != nil {
		return sim.Result{}, &sim.RunError{RunID: cfg.RunID, Seed: cfg.Seed, Msg: err.Error(), Cause: err}
	}
	return emitLive(cfg, r.Spec.Scenario, res, liveMeta("etcd", res, load0, loadAvg()))
}

// emitLive hands a live run's merged rows to the harness's sink.
func emitLive(cfg *sim.Config, s *scenario.Scenario, res *live.Result, meta eventlog.LiveInfo) (sim.Result, error) {
	if cfg.Sink != nil {
		for i := range res.Events {
			cfg.Sink.Emit(&res.Events[i])
		}
	}
	return sim.Result{Events: int64(len(res.Events)), EndUS: s.DurationUS(), Live: &meta}, nil
}

func init() { harness.Engines["live"] = liveEngine{} }

// liveEngine is the engine "live": a run on live ballast nodes, one
// process per node on this machine (live.RunBallast), whose events the
// harness writes and analyses as a simulated run's. Experiments can use
// it (engine: live) to sweep live runs several at a time; 'ballast live'
// uses it for one.
type liveEngine struct {
	work string    // the nodes' directory; "": a temporary one per run, removed after
	log  io.Writer // the coordinator's progress lines; nil: none
}

func (liveEngine) Name() string { return "live" }

// Run refuses: a live run needs its specification (RunSpec), which the
// harness hands it.
func (liveEngine) Run(cfg *sim.Config) (sim.Result, error) {
	return sim.Result{}, &sim.RunError{RunID: cfg.RunID, Seed: cfg.Seed, Msg: "the live engine runs through the harness (harness.Run), which hands it the run's specification"}
}

// RunSpec runs r on live ballast nodes. Each node process resolves the run
// again from the same scenario (written to the nodes' directory), policy,
// settings and seed, and refuses to run if it resolves to another
// configuration.
func (e liveEngine) RunSpec(r *harness.Run, cfg *sim.Config) (sim.Result, error) {
	fail := func(err error) (sim.Result, error) {
		return sim.Result{}, &sim.RunError{RunID: cfg.RunID, Seed: cfg.Seed, Msg: err.Error(), Cause: err}
	}
	s := r.Spec.Scenario
	if err := live.CheckBallast(s); err != nil {
		return fail(err)
	}
	work := e.work
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "ballast-live-"); err != nil {
			return fail(err)
		}
		defer os.RemoveAll(work)
	}
	// The scenario as the run has it (a heartbeat setting applied), in a
	// file named as the scenario, which every YAML scenario must be.
	sc := filepath.Join(work, "scenario", s.Name+".yaml")
	b, err := yaml.Marshal(s)
	if err == nil {
		if err = os.MkdirAll(filepath.Dir(sc), 0o755); err == nil {
			_, _, err = atomicfile.WriteFile(sc, b)
		}
	}
	if err != nil {
		return fail(err)
	}
	exe, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	node := []string{exe, "live-node", "--scenario", sc, "--policy", r.Spec.Policy, "--seed", strconv.FormatUint(r.Spec.Seed, 10),
		"--run-id", r.Info.RunID, "--config-hash", r.Info.ConfigHash}
	for _, kv := range r.Spec.Set {
		node = append(node, "--set", kv)
	}
	ctx := cfg.Context
	if ctx == nil {
		ctx = context.Background()
	}
	load0 := loadAvg()
	res, err := live.RunBallast(ctx, live.BallastOptions{Scenario: s, Seed: cfg.Seed, Node: node, Dir: work, Log: e.log})
	if err != nil {
		return fail(err)
	}
	return emitLive(cfg, s, res, liveMeta("ballast", res, load0, loadAvg()))
}

func liveNodeCommandDef() *cli.Command {
	return &cli.Command{
		Name:      "live-node",
		Usage:     "run one live ballast node (started by 'ballast live', or by hand on several hosts)",
		UsageText: "ballast live-node --scenario NAME|FILE --policy P [--set k=v ...] --seed N --node I --cluster FILE --dir DIR",
		Description: "Runs node I of the run until it is stopped: go.etcd.io/raft in wall time with the\n" +
			"policy's hook, its write-ahead file, restart count and events file in --dir, its\n" +
			"peers at the cluster file's addresses (docs/live.md). It prints one line per change\n" +
			"of its role or term (\"<role> <term>\"). 'ballast live' starts one per node and\n" +
			"merges their events files. docs/live.md says how nodes on several hosts would\n" +
			"share a cluster file, and what is not built for that yet.",
		Hidden: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "scenario", Usage: "built-in scenario name or a path to a scenario .yaml file", Required: true},
			&cli.StringFlag{Name: "policy", Usage: "election-timeout policy", Required: true},
			&cli.StringSliceFlag{Name: "set", Usage: "override a policy parameter or run setting, name=value"},
			&cli.Uint64Flag{Name: "seed", Usage: "run seed", Required: true},
			&cli.IntFlag{Name: "node", Usage: "this node's index in the cluster file", Required: true},
			&cli.StringFlag{Name: "cluster", Usage: "the cluster file (JSON: start_unix_ns, nodes[].listen, nodes[].peers)", Required: true},
			&cli.StringFlag{Name: "dir", Usage: "directory for the node's write-ahead file, restart count and events", Required: true},
			&cli.IntFlag{Name: "listen-fd", Usage: "an inherited listening socket (the coordinator's); 0: listen on the cluster file's address"},
			&cli.StringFlag{Name: "run-id", Usage: "the run's id, as the coordinator names it (in errors)"},
			&cli.StringFlag{Name: "config-hash", Usage: "the run's configuration hash as the coordinator resolved it: refuse to run another"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			s, err := scenario.Load(cmd.String("scenario"))
			if err != nil {
				return usage(err)
			}
			r, err := harness.Resolve(harness.Spec{Scenario: s, Policy: cmd.String("policy"), Set: cmd.StringSlice("set"), Seed: cmd.Uint64("seed"), Engine: "live"})
			if err != nil {
				return usage(err)
			}
			if h := cmd.String("config-hash"); h != "" && h != r.Info.ConfigHash {
				return usage(fmt.Errorf("--config-hash %s: this node resolves the run's configuration to %s; allowed: the coordinator's ballast and inputs", h, r.Info.ConfigHash))
			}
			id := r.Info.RunID
			if v := cmd.String("run-id"); v != "" {
				id = v
			}
			if err := live.CheckBallast(r.Spec.Scenario); err != nil {
				return usage(err)
			}
			cfg := &sim.Config{Scenario: r.Spec.Scenario, Seed: r.Spec.Seed, RunID: id, Policy: r.Factory}
			return live.ServeNode(ctx, cfg, live.NodeFlags{Node: int(cmd.Int("node")), Cluster: cmd.String("cluster"), Dir: cmd.String("dir"), ListenFD: int(cmd.Int("listen-fd"))}, cmd.Root().Writer)
		},
	}
}
