package commands

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v3"

	"github.com/ballast-bench/ballast/advise"
	"github.com/ballast-bench/ballast/analysis/plot"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

func init() { register(adviseCommand) }

func adviseCommand() *cli.Command {
	return &cli.Command{
		Name:  "advise",
		Usage: "etcd or Consul timeouts for a measured network, with predicted failover times and false elections",
		UsageText: "ballast advise --rtt-ms R [--jitter-ms J] [--loss P] [flags]\n" +
			"ballast advise --trace TRACE.csv | --samples SAMPLES [flags]",
		Description: "Simulates an etcd (or Consul) cluster's leader failovers and healthy operation on your network\n" +
			"with the real etcd/raft library (the etcd engine, in virtual time: etcd's tick timer,\n" +
			"PreVote, CheckQuorum, TCP-like streams) for a grid of --heartbeat-interval x\n" +
			"--election-timeout settings that etcd accepts (election >= 5 heartbeats, <= 50 s),\n" +
			"plus your current setting and the rule of thumb, and recommends the setting with the\n" +
			"smallest out-of-service time after a leader crash (--objective: its p99, p50 or mean)\n" +
			"among those with at most --max-false-per-day unnecessary elections per day of\n" +
			"healthy operation. Prints predicted detection and out-of-service times with 95%\n" +
			"bootstrap intervals, unnecessary elections per day with exact Poisson intervals (a\n" +
			"one-sided bound when none was seen) and heartbeat messages per second.\n" +
			"The network: a trace from 'ballast trace import' (a ping log, RTTs), an etcd RTT\n" +
			"histogram as a samples file, or a round trip with jitter and loss. The same inputs\n" +
			"and --seed give the same report. What the model leaves out and how far it was\n" +
			"checked against real clusters: docs/advise.md.\n" +
			"--system consul: Consul's raft_multiplier 1..10 (hashicorp/raft's timers, checked\n" +
			"against the library; --current raft_multiplier=N, default 5; --settings 1,2,3).\n" +
			"Exit status: 0 ok; 2 bad input, or no setting meets the objective (the closest are\n" +
			"listed).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "trace", Usage: "a trace file (t_s,delay_ms[,loss]; ballast trace import --from ping|csv): one-way delay over time, looped"},
			&cli.StringFlag{Name: "samples", Usage: "a samples file of one-way delays in ms (ballast trace import --from prometheus)"},
			&cli.FloatFlag{Name: "rtt-ms", Usage: "mean round-trip time between members (ms)"},
			&cli.FloatFlag{Name: "jitter-ms", Usage: "with --rtt-ms: the round trip's exponential part (ms); each one-way delay is (rtt - jitter)/2 + an exponential draw of mean jitter/2"},
			&cli.FloatFlag{Name: "loss", Usage: "with --rtt-ms: the loss per message (TCP retransmits it after a timeout)"},
			&cli.IntFlag{Name: "nodes", Usage: "cluster members", Value: 3},
			&cli.StringFlag{Name: "system", Usage: "the system to advise: etcd or consul", Value: "etcd"},
			&cli.StringFlag{Name: "current", Usage: "your current setting: etcd heartbeat=MS,election=MS (default 100 and 1000), consul raft_multiplier=N (default 5)"},
			&cli.StringFlag{Name: "settings", Usage: "evaluate these settings instead of the grid: etcd HEARTBEAT/ELECTION in ms (e.g. 100/1000,200/2000), consul multipliers (e.g. 1,3,5)"},
			&cli.FloatFlag{Name: "max-false-per-day", Usage: "the most unnecessary elections per day the recommendation may have (default: one a week, 0.143)"},
			&cli.StringFlag{Name: "objective", Usage: "what to minimise of the out-of-service time: " + strings.Join(advise.Objectives, ", "), Value: "p99"},
			&cli.FloatFlag{Name: "budget", Usage: "scales the simulation per setting: 1 = 200 failovers and 200,000 heartbeat intervals of healthy time (under 2 minutes on 2 cores)", Value: 1},
			&cli.Uint64Flag{Name: "seed", Usage: "advice seed: fixes every run's seed and the intervals", Value: 1},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "simulations in parallel", Value: defaultJobs()},
			&cli.StringFlag{Name: "format", Usage: "standard output: markdown or json", Value: "markdown"},
			&cli.StringFlag{Name: "out", Usage: "also write advise.md, advise.json and the Pareto figure pareto.png and pareto.pdf (p99 out of service against unnecessary elections per day) into this directory"},
		},
		Action: runAdvise,
	}
}

func runAdvise(ctx context.Context, cmd *cli.Command) error {
	if cmd.Args().Len() > 0 {
		return usage(fmt.Errorf("advise: unexpected arguments %q; allowed: flags only (see 'ballast advise --help')", cmd.Args().Slice()))
	}
	system := cmd.String("system")
	if !slices.Contains(advise.Systems, system) {
		return usage(fmt.Errorf("--system %q: allowed: %s", system, strings.Join(advise.Systems, ", ")))
	}
	format := cmd.String("format")
	if format != "markdown" && format != "json" {
		return usage(fmt.Errorf("--format %q: allowed: markdown, json", format))
	}
	cfg := advise.Config{
		System: system,
		Network: advise.Network{Trace: cmd.String("trace"), Samples: cmd.String("samples"),
			RTTMS: cmd.Float("rtt-ms"), JitterMS: cmd.Float("jitter-ms"), Loss: cmd.Float("loss")},
		Nodes: int(cmd.Int("nodes")), MaxFalsePerDay: cmd.Float("max-false-per-day"), Objective: cmd.String("objective"),
		Budget: cmd.Float("budget"), Seed: cmd.Uint64("seed"), Jobs: int(cmd.Int("jobs")),
	}
	if cmd.IsSet("max-false-per-day") && cfg.MaxFalsePerDay <= 0 {
		return usage(fmt.Errorf("--max-false-per-day %g: allowed: above 0", cfg.MaxFalsePerDay))
	}
	if cmd.IsSet("budget") && !(cfg.Budget > 0) {
		return usage(fmt.Errorf("--budget %g: allowed: above 0, at most 100", cfg.Budget))
	}
	if cfg.Jobs < 1 {
		return usage(fmt.Errorf("--jobs %d: allowed: 1 or more", cfg.Jobs))
	}
	if v := cmd.String("current"); v != "" {
		s, err := advise.ParseSetting(system, v)
		if err != nil {
			return usage(fmt.Errorf("--current %w", err))
		}
		cfg.Current = s
	}
	if v := cmd.String("settings"); v != "" {
		for part := range strings.SplitSeq(v, ",") {
			if system == "consul" {
				s, err := advise.ParseSetting(system, "raft_multiplier="+strings.TrimSpace(part))
				if err != nil {
					return usage(fmt.Errorf("--settings %s: %w", part, err))
				}
				cfg.Candidates = append(cfg.Candidates, s)
				continue
			}
			h, e, ok := strings.Cut(strings.TrimSpace(part), "/")
			hms, herr := strconv.ParseInt(h, 10, 64)
			ems, eerr := strconv.ParseInt(e, 10, 64)
			if !ok || herr != nil || eerr != nil {
				return usage(fmt.Errorf("--settings %q: %q; allowed: HEARTBEAT/ELECTION in ms, comma-separated", v, part))
			}
			s := advise.Setting{HeartbeatMS: hms, ElectionMS: ems}
			if err := s.Check(); err != nil {
				return usage(fmt.Errorf("--settings %s: %w", part, err))
			}
			cfg.Candidates = append(cfg.Candidates, s)
		}
	}
	out := cmd.String("out")
	if out != "" {
		if st, err := os.Stat(out); err != nil || !st.IsDir() {
			return usage(fmt.Errorf("--out %s: not a directory; allowed: an existing directory", out))
		}
	}
	if err := cfg.Check(); err != nil {
		return usage(err)
	}
	cfg.Progress = newProgress(cmd.Root().ErrWriter, "advise")
	rep, err := advise.Advise(ctx, cfg)
	var none *advise.NoneMeetsError
	if errors.As(err, &none) {
		return usage(err)
	}
	if err != nil {
		return err
	}
	var md, js bytes.Buffer
	if err := rep.Markdown(&md); err != nil {
		return err
	}
	if err := rep.JSON(&js); err != nil {
		return err
	}
	if out != "" {
		mdf, err := atomicfile.Stage(filepath.Join(out, "advise.md"), func(w io.Writer) error { _, err := w.Write(md.Bytes()); return err })
		if err != nil {
			return err
		}
		jsf, err := atomicfile.Stage(filepath.Join(out, "advise.json"), func(w io.Writer) error { _, err := w.Write(js.Bytes()); return err })
		if err != nil {
			atomicfile.AbortAll(mdf)
			return err
		}
		fig, err := rep.Pareto()
		if err != nil {
			atomicfile.AbortAll(mdf, jsf)
			return err
		}
		figs, err := plot.Stage(filepath.Join(out, "pareto"), fig)
		if err != nil {
			atomicfile.AbortAll(mdf, jsf)
			return err
		}
		if err := atomicfile.CommitAll(append([]*atomicfile.File{mdf, jsf}, figs...)...); err != nil {
			return err
		}
	}
	if format == "json" {
		_, err = cmd.Root().Writer.Write(js.Bytes())
	} else {
		_, err = cmd.Root().Writer.Write(md.Bytes())
	}
	return err
}
