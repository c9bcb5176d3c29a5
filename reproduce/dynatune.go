package reproduce

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/plot"
	"github.com/ballast-bench/ballast/analysis/report"
	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/analysis/table"
	"github.com/ballast-bench/ballast/reproduce/agree"
	"github.com/ballast-bench/ballast/reproduce/trace"
)

// The Dynatune methods: Raft is etcd's own timer with its default E =
// 1000 ms, ticks of the 100 ms heartbeat drawn from [E, 2E) (etcd/raft),
// Raft-Low a tenth of it (etcd/raft_low).
const (
	raft     = "etcd/raft"
	raftLow  = "etcd/raft_low"
	dynatune = "dynatune"
	fixK     = "dynatune/fix_k"
)

// runsOf returns the runs of a method in a scenario, by seed order.
func (d *expData) runsOf(scenario, method string) []*metrics.RunRow {
	c, err := d.cell(scenario, method)
	if err != nil {
		return nil
	}
	return c.Runs
}

// detectDeadlineMS is, per run, the mean over leader crashes of the
// deadline (ms) the first node to time out had drawn (first), and of the
// mean current deadline of the live followers at that moment (mean).
func (d *expData) detectDeadlineMS() (first, mean map[string]float64) {
	first, mean = map[string]float64{}, map[string]float64{}
	for id, tr := range d.traces {
		var f, m []float64
		for i, x := range tr.DetectDeadlineUS {
			if x >= 0 {
				f = append(f, float64(x)/1000)
				m = append(m, tr.DetectMeanDeadlineUS[i]/1000)
			}
		}
		first[id], mean[id] = stats.Mean(f), stats.Mean(m)
	}
	return first, mean
}

// failover builds Dynatune Figures 4 and 8: detection, election and
// out-of-service time after leader crashes, Raft against Dynatune.
func failover(exp, scenario, pubName string, electionCols bool) func(*Env) (*Result, error) {
	return func(env *Env) (*Result, error) {
		d := env.exp(exp)
		tfirst, tmean := d.detectDeadlineMS()
		cols := []col{
			{Key: "leader_crashes", Header: "Leader crashes per run", Get: func(r *metrics.RunRow) float64 { return float64(r.LeaderCrashes) }, Agg: meanVal, Format: table.Sig4},
			{Metric: "detect_first", Agg: meanCI, Format: table.Sig4},
			{Metric: "detect_quorum", Agg: meanCI, Format: table.Sig4},
			{Metric: "election", Agg: meanCI, Format: table.Sig4},
			{Metric: "out_of_service", Agg: meanCI, Format: table.Sig4},
			{Key: "timeout_at_detection_ms", Header: "Timeout at detection (ms)", Get: runValue(tmean), Agg: meanCI, Format: table.Sig4},
			{Key: "first_detector_timeout_ms", Header: "First detector's timeout (ms)", Get: runValue(tfirst), Agg: meanCI, Format: table.Sig4},
			{Metric: "split_vote_rate", Agg: meanCI, Format: table.Frac4},
			{Key: "failover_censored", Header: "Censored failovers", Get: func(r *metrics.RunRow) float64 { return float64(r.FailoverCensored) }, Agg: meanVal, Format: table.Sig4},
		}
		t, err := env.metricTable(exp, scenario, "Failover after leader crashes: mean over seeds of the per-run means [95% CI]",
			[]row{{Method: raft, Label: "Raft (E = 1000 ms)"}, {Method: dynatune, Label: "Dynatune"}}, cols)
		if err != nil {
			return nil, err
		}
		t.Notes = append(t.Notes, "Detection: crash to the first follower's timeout; detection, quorum: until a majority has timed out; election: first timeout to the new leader; out of service: crash to the new leader (docs/metrics.md). Timeout at detection: the mean election timeout in force at the live followers when the first one fires (the paper's lost symbol read as the randomized election timeout, docs/notes/dynatune.md); first detector's timeout: the one that fired (reproduce/trace).")
		// Figure: CDFs of detection and out-of-service time, pooled.
		methods := []string{raft, dynatune}
		labels := map[string]string{raft: "Raft", dynatune: "Dynatune"}
		det := make([]plot.Series, len(methods))
		owner := map[string]int{}
		for i, m := range methods {
			det[i].Label, det[i].Method, det[i].Emphasis = labels[m], m, m == dynatune
			for _, r := range d.runsOf(scenario, m) {
				owner[r.RunID] = i + 1
			}
		}
		for _, f := range d.tables.Failovers {
			if i := owner[f.RunID]; i > 0 && f.Detected {
				det[i-1].Values = append(det[i-1].Values, float64(f.DetectFirstUS)/1000)
			}
		}
		for i := range det {
			slices.Sort(det[i].Values)
		}
		ots, _, err := d.report.CDF(report.Selection{Experiment: d.e.Name, Scenario: scenario, Methods: methods}, "out_of_service")
		if err != nil {
			return nil, err
		}
		for i, m := range methods {
			ots[i].Label, ots[i].Method, ots[i].Emphasis = labels[m], m, m == dynatune
		}
		f1, err := plot.CDF(scenario+": detection time", "detection time (ms)", det, true)
		if err != nil {
			return nil, err
		}
		f2, err := plot.CDF(scenario+": out-of-service time", "out-of-service time (ms)", ots, true)
		if err != nil {
			return nil, err
		}
		data := quantileData(env, []string{exp}, []string{scenario}, append(relabel(det, "detection "), relabel(ots, "out_of_service ")...))
		fig := Figure{Name: env.art.ID, F: plot.Stack(f1, f2), Data: data,
			Caption: fmt.Sprintf("Dynatune %s: CDFs of detection and out-of-service time over every leader failure of every seed, log x.", env.art.Label)}

		pub := env.pub(pubName)
		pubCol := map[string]func(string) float64{
			"detection_mean_ms":            func(m string) float64 { return d.mean(scenario, m, "detect_first") },
			"ots_mean_ms":                  func(m string) float64 { return d.mean(scenario, m, "out_of_service") },
			"election_ms":                  func(m string) float64 { return d.mean(scenario, m, "election") },
			"timeout_at_detection_mean_ms": func(m string) float64 { return meanOf(d.runsOf(scenario, m), runValue(tmean)) },
		}
		method := map[string]string{"raft": raft, "dynatune": dynatune}
		cols2 := []string{"detection_mean_ms", "ots_mean_ms"}
		if electionCols {
			cols2 = append(cols2, "timeout_at_detection_mean_ms", "election_ms")
		}
		c := compare(cmpSpec{title: "Published " + pub.Source.Figure + " vs ours", pub: pub, rows: []string{"raft", "dynatune"}, cols: cols2, ref: "raft",
			ours:  func(r, k string) float64 { return pubCol[k](method[r]) },
			notes: []string{"The printed reductions (detection -80 %/-81 %, OTS -45 %/-33 %) are the effects of the Dynatune rows above."}})
		res := &Result{Tables: []Table{{Name: env.art.ID, T: t}}, Figures: []Figure{fig}, Compare: []*Comparison{c}}
		if electionCols {
			sr, sd := d.mean(scenario, raft, "split_vote_rate"), d.mean(scenario, dynatune, "split_vote_rate")
			res.Claims = append(res.Claims, Claim{
				Source: "IV-E: Dynatune's longer election phase \"occurred because Dynatune sets a smaller [timeout], which narrows the randomization range and leads to multiple servers starting elections simultaneously\"",
				Check:  "Dynatune's mean split-vote rate (failed election attempts) is higher than Raft's",
				Ours:   fmt.Sprintf("Dynatune %s, Raft %s", sig4(sd), sig4(sr)),
				Holds:  sd > sr,
			})
		}
		return res, nil
	}
}

func relabel(s []plot.Series, prefix string) []plot.Series {
	out := make([]plot.Series, len(s))
	for i := range s {
		out[i] = plot.Series{Label: prefix + s[i].Label, Values: s[i].Values}
	}
	return out
}

// meanOf is the mean over runs of a per-run value (NaN values skipped).
func meanOf(runs []*metrics.RunRow, get func(*metrics.RunRow) float64) float64 {
	var v []float64
	for _, r := range runs {
		v = append(v, get(r))
	}
	return stats.Mean(stats.Defined(v))
}

// otsStats are per-run facts about the out-of-service periods of a run
// without injected failures: the periods without a leader (trace), which
// is how the Dynatune paper defines out of service.
type otsStats struct {
	totalS                                                        float64
	firstStartS, firstLenS, laterMaxS, longestStartS, longestEndS float64
	spikeFrac                                                     float64 // leaderless share of [60, 120) s
}

func leaderlessStats(tr *trace.Run) otsStats {
	s := otsStats{0, math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), 0}
	var longest int64 = -1
	for i, p := range tr.Leaderless {
		l := p.EndUS - p.StartUS
		s.totalS += float64(l) / 1e6
		if i == 0 {
			s.firstStartS, s.firstLenS = float64(p.StartUS)/1e6, float64(l)/1e6
		} else if math.IsNaN(s.laterMaxS) || float64(l)/1e6 > s.laterMaxS {
			s.laterMaxS = float64(l) / 1e6
		}
		if l > longest {
			longest = l
			s.longestStartS, s.longestEndS = float64(p.StartUS)/1e6, float64(p.EndUS)/1e6
		}
		if lo, hi := max(p.StartUS, 60_000_000), min(p.EndUS, 120_000_000); hi > lo {
			s.spikeFrac += float64(hi-lo) / 60e6
		}
	}
	return s
}

// kthStats are per-run facts about the quorum-th smallest deadline.
func kthMeanMS(tr *trace.Run) float64 {
	var v []float64
	for _, x := range tr.KthDeadlineUS {
		if !math.IsNaN(x) {
			v = append(v, x/1000)
		}
	}
	return stats.Mean(v)
}

// kthRTTRho is the rank correlation, over a run's bins, of the RTT in force
// (the regime id) and the quorum-th smallest deadline.
func kthRTTRho(tr *trace.Run) float64 {
	var x, y []float64
	for b, v := range tr.KthDeadlineUS {
		if tr.Regime[b] >= 0 {
			x, y = append(x, float64(tr.Regime[b])), append(y, v)
		}
	}
	return agree.Spearman(x, y)
}

func buildFigure6(env *Env) (*Result, error) {
	type sel struct {
		exp, scenario, method, label string
	}
	rows := []sel{
		{"dynatune_fig6", "dynatune_rtt_gradual", raft, "Raft, gradual"},
		{"dynatune_fig6", "dynatune_rtt_gradual", dynatune, "Dynatune, gradual"},
		{"dynatune_fig6_raftlow", "dynatune_rtt_gradual_raftlow", raftLow, "Raft-Low, gradual"},
		{"dynatune_fig6", "dynatune_rtt_sudden", raft, "Raft, sudden"},
		{"dynatune_fig6", "dynatune_rtt_sudden", dynatune, "Dynatune, sudden"},
		{"dynatune_fig6_raftlow", "dynatune_rtt_sudden_raftlow", raftLow, "Raft-Low, sudden"},
	}
	kth, rho := map[string]float64{}, map[string]float64{}
	ots := map[string]otsStats{}
	for _, e := range []string{"dynatune_fig6", "dynatune_fig6_raftlow"} {
		d := env.exp(e)
		for id, tr := range d.traces {
			kth[id], rho[id], ots[id] = kthMeanMS(tr), kthRTTRho(tr), leaderlessStats(tr)
		}
	}
	get := func(f func(otsStats) float64) func(*metrics.RunRow) float64 {
		return func(r *metrics.RunRow) float64 { return f(ots[r.RunID]) }
	}
	cols := []col{
		{Key: "kth_deadline_ms", Header: "Quorum-th timeout (ms)", Get: runValue(kth), Agg: meanCI, Format: table.Sig4},
		{Key: "leaderless_s", Header: "Out of service (s)", Get: get(func(s otsStats) float64 { return s.totalS }), Agg: meanCI, Format: table.Sig4},
		{Key: "unwritable_s", Header: "Unwritable (s)", Get: func(r *metrics.RunRow) float64 { return float64(r.UnwritableUS) / 1e6 }, Agg: meanCI, Format: table.Sig4},
		{Key: "leader_changes", Header: "Leader changes", Get: func(r *metrics.RunRow) float64 { return float64(r.Won - 1) }, Agg: meanCI, Format: table.Sig4},
		{Key: "first_ots_start_s", Header: "First OTS at (s)", Get: get(func(s otsStats) float64 { return s.firstStartS }), Agg: meanVal, Format: table.Sig4},
		{Key: "longest_ots_s", Header: "Longest OTS (s)", Get: get(func(s otsStats) float64 { return s.longestEndS - s.longestStartS }), Agg: meanVal, Format: table.Sig4},
	}
	var trows []row
	for _, r := range rows {
		trows = append(trows, row{Exp: r.exp, Scenario: r.scenario, Method: r.method, Label: r.label})
	}
	t, err := env.metricTable("dynatune_fig6", "", "RTT fluctuations without failures: the quorum-th (3rd of 5) smallest election timeout and the out-of-service (leaderless) periods, mean over seeds [95% CI]", trows, cols)
	if err != nil {
		return nil, err
	}
	t.Notes = append(t.Notes, "Out of service (OTS): time without a live leader after the first one, the paper's definition (no failure is injected, so every such period follows an unnecessary election). Unwritable: our writability metric (docs/metrics.md), whose grace window is 3 base heartbeat intervals (300 ms): when Dynatune tunes its heartbeat interval above that (RTT 500 ms), a healthy leader counts as unwritable between heartbeats. Leader changes: elections won after the first. The first/longest OTS columns average over the seeds that had one.")

	// The figure: one panel per pattern, the first report seed's run of
	// each method (the paper plots one run), with the RTT schedule.
	panel := func(title, gradual string, ms []sel) (plot.Figure, []plot.Line, error) {
		var ls []plot.Line
		for i, s := range ms {
			d := env.exp(s.exp)
			runs := d.runsOf(s.scenario, s.method)
			if len(runs) == 0 {
				return plot.Figure{}, nil, fmt.Errorf("no runs of %s in %s", s.method, s.scenario)
			}
			tr := d.traces[runs[0].RunID]
			var x, y, rtt []float64
			for b := range tr.KthDeadlineUS {
				x = append(x, float64(int64(b+1)*tr.BinUS)/1e6)
				y = append(y, tr.KthDeadlineUS[b]/1000)
				rtt = append(rtt, float64(tr.Regime[b]))
			}
			if i == 0 {
				ls = append(ls, plot.Line{Label: "RTT (ms)", Method: "rtt", X: x, Y: rtt})
			}
			ls = append(ls, plot.Line{Label: s.label, Method: s.method, Emphasis: s.method == dynatune, X: x, Y: y})
		}
		f, err := plot.Lines(title, "elapsed time (s)", "ms (log)", ls, true)
		return f, ls, err
	}
	fa, la, err := panel("(a) gradual: RTT 50 -> 200 -> 50 ms", "gradual", rows[:3])
	if err != nil {
		return nil, err
	}
	fb, lb, err := panel("(b) sudden: RTT 50 -> 500 -> 50 ms", "sudden", rows[3:])
	if err != nil {
		return nil, err
	}
	data := &table.Table{Caption: "figure data", Comments: env.provenance([]string{"dynatune_fig6", "dynatune_fig6_raftlow"}, []string{"dynatune_rtt_gradual", "dynatune_rtt_sudden", "dynatune_rtt_gradual_raftlow", "dynatune_rtt_sudden_raftlow"})}
	data.Columns = []table.Column{{Header: "Panel", Key: "panel", Format: table.Text}, {Header: "Series", Key: "series", Format: table.Text},
		{Header: "t", Key: "time_s", Format: table.Sig4}, {Header: "ms", Key: "value_ms", Format: table.Sig4}}
	for _, p := range []struct {
		name string
		ls   []plot.Line
	}{{"a", la}, {"b", lb}} {
		for _, l := range p.ls {
			for j := range l.X {
				data.Rows = append(data.Rows, []table.Value{{Text: p.name}, {Text: l.Label}, {V: l.X[j]}, {V: l.Y[j]}})
			}
		}
	}
	fig := Figure{Name: env.art.ID, F: plot.Stack(fa, fb), Data: data,
		Caption: "Dynatune Figure 6: the quorum-th smallest election timeout over time in the first report seed's run of Raft, Dynatune and Raft-Low, with the RTT schedule, log y."}

	// Comparison with the few numbers the text states, and its claims.
	pub := env.pub("dynatune_fig6_rtt")
	v := func(i int, get func(*metrics.RunRow) float64) float64 {
		return meanOf(env.exp(rows[i].exp).runsOf(rows[i].scenario, rows[i].method), get)
	}
	oget := func(f func(otsStats) float64) func(*metrics.RunRow) float64 { return get(f) }
	ours := map[string]map[string]float64{
		"raft_gradual": {"timeout3_ms": v(0, runValue(kth))},
		"raft_sudden":  {"timeout3_ms": v(3, runValue(kth))},
		"raft_low_gradual": {
			"first_ots_at_s":       v(2, oget(func(s otsStats) float64 { return s.firstStartS })),
			"first_ots_duration_s": v(2, oget(func(s otsStats) float64 { return s.firstLenS })),
			"later_ots_duration_s": v(2, oget(func(s otsStats) float64 { return s.laterMaxS })),
		},
		"raft_low_sudden": {
			"no_leader_from_s":  v(5, oget(func(s otsStats) float64 { return s.longestStartS })),
			"no_leader_until_s": v(5, oget(func(s otsStats) float64 { return s.longestEndS })),
		},
	}
	c := compare(cmpSpec{title: "Published Figure 6 (numbers stated in the text) vs ours", pub: pub,
		rows: []string{"raft_gradual", "raft_sudden", "raft_low_gradual", "raft_low_sudden"},
		cols: []string{"timeout3_ms", "first_ots_at_s", "first_ots_duration_s", "later_ots_duration_s", "no_leader_from_s", "no_leader_until_s"},
		ours: func(r, k string) float64 {
			if x, ok := ours[r][k]; ok {
				return x
			}
			return math.NaN()
		},
		notes: []string{"Raft-Low's OTS: ours are the first leaderless period's start and length, the longest later one, and the longest period's start and end (means over the seeds that had one; n/a: none had)."}})
	// Out of service as the paper defines it: time without a leader.
	unw := func(i int) float64 { return v(i, oget(func(s otsStats) float64 { return s.totalS })) }
	chg := func(i int) float64 { return v(i, func(r *metrics.RunRow) float64 { return float64(r.Won - 1) }) }
	spike := v(5, oget(func(s otsStats) float64 { return s.spikeFrac }))
	drho := v(1, runValue(rho))
	claims := []Claim{
		{Source: "IV-C1 (a): Raft's large timeout \"prevents unnecessary elections due to false detections\"",
			Check: "Raft has no leader change and no out-of-service time in the gradual pattern",
			Ours:  fmt.Sprintf("%s leader changes, %s s out of service (means)", sig4(chg(0)), sig4(unw(0))), Holds: chg(0) == 0 && unw(0) == 0},
		{Source: "IV-C1 (a): \"Dynatune's [timeout] adapted in real-time to fluctuations in the RTT\"",
			Check: "the rank correlation over time of the RTT and Dynatune's quorum-th timeout is at least 0.7 (mean over seeds)",
			Ours:  "rho = " + sig4(drho), Holds: drho >= 0.7},
		{Source: "IV-C1 (a): with Raft-Low \"as the RTT gradually increased, unnecessary elections were triggered, leading to OTS even though the leader was not faulty\"",
			Check: "Raft-Low has out-of-service time in the gradual pattern",
			Ours:  fmt.Sprintf("%s s out of service, %s leader changes (means)", sig4(unw(2)), sig4(chg(2))), Holds: unw(2) > 0},
		{Source: "IV-C1 (b): Raft's conservative timeout \"allows it to provide stable service even when a sudden increase in the RTT occurs\"",
			Check: "Raft has no out-of-service time in the sudden pattern",
			Ours:  sig4(unw(3)) + " s (mean)", Holds: unw(3) == 0},
		{Source: "IV-C1 (b): Dynatune: \"although Dynatune experienced a false detection, an election did not occur, and consequently, there was no OTS\"",
			Check: "Dynatune has no leader change and no out-of-service time in the sudden pattern",
			Ours:  fmt.Sprintf("%s leader changes, %s s out of service (means)", sig4(chg(4)), sig4(unw(4))), Holds: chg(4) == 0 && unw(4) == 0},
		{Source: "IV-C1 (b): Raft-Low: \"between 60 and 120 seconds of elapsed time [...] repeated elections and a failure to elect a leader\"",
			Check: "Raft-Low is out of service for at least 90% of [60, 120) s",
			Ours:  fmt.Sprintf("%s of the minute (mean)", sig4(spike)), Holds: spike >= 0.9},
	}
	return &Result{Tables: []Table{{Name: env.art.ID, T: t}}, Figures: []Figure{fig}, Compare: []*Comparison{c}, Claims: claims}, nil
}

// hbStats are a run's heartbeat figures per loss level: rate (heartbeats
// the leader sends per second) and interval (mean per-follower interval).
type hbStats struct {
	rate                         float64 // whole run
	rate0, rate30, ival0, ival30 float64
}

func heartbeatStats(tr *trace.Run) hbStats {
	binS := float64(tr.BinUS) / 1e6
	var total int64
	count, bins := map[int64]int64{}, map[int64]int64{}
	for b, n := range tr.Heartbeats {
		total += n
		count[tr.Regime[b]] += n
		bins[tr.Regime[b]]++
	}
	rate := func(reg int64) float64 {
		if bins[reg] == 0 {
			return math.NaN()
		}
		return float64(count[reg]) / (float64(bins[reg]) * binS)
	}
	ival := func(reg int64) float64 {
		r := rate(reg)
		if r == 0 || math.IsNaN(r) {
			return math.NaN()
		}
		return float64(tr.Nodes-1) / r * 1000
	}
	return hbStats{rate: float64(total) / (float64(len(tr.Heartbeats)) * binS), rate0: rate(0), rate30: rate(30), ival0: ival(0), ival30: ival(30)}
}

func buildFigure7(env *Env) (*Result, error) {
	const exp = "dynatune_fig7"
	d := env.exp(exp)
	scen := []struct {
		name string
		n    int
	}{{"dynatune_loss_n5", 5}, {"dynatune_loss_n17", 17}, {"dynatune_loss_n65", 65}}
	methods := []struct{ m, label string }{{fixK, "Fix-K (K = 10)"}, {dynatune, "Dynatune"}}
	hb := map[string]hbStats{}
	for id, tr := range d.traces {
		hb[id] = heartbeatStats(tr)
	}
	g := func(f func(hbStats) float64) func(*metrics.RunRow) float64 {
		return func(r *metrics.RunRow) float64 { return f(hb[r.RunID]) }
	}
	cols := []col{
		{Key: "leader_hb_per_s", Header: "Leader heartbeats/s", Get: g(func(s hbStats) float64 { return s.rate }), Agg: meanCI, Format: table.Sig4},
		{Key: "leader_hb_per_s_loss0", Header: "at 0% loss", Get: g(func(s hbStats) float64 { return s.rate0 }), Agg: meanCI, Format: table.Sig4},
		{Key: "leader_hb_per_s_loss30", Header: "at 30% loss", Get: g(func(s hbStats) float64 { return s.rate30 }), Agg: meanCI, Format: table.Sig4},
		{Key: "hb_interval_ms_loss0", Header: "Interval at 0% (ms)", Get: g(func(s hbStats) float64 { return s.ival0 }), Agg: meanCI, Format: table.Sig4},
		{Key: "hb_interval_ms_loss30", Header: "Interval at 30% (ms)", Get: g(func(s hbStats) float64 { return s.ival30 }), Agg: meanCI, Format: table.Sig4},
		{Key: "unnecessary_elections", Header: "Unnecessary elections", Get: func(r *metrics.RunRow) float64 { return float64(r.Won - 1) }, Agg: meanCI, Format: table.Sig4},
	}
	var rows []row
	for _, s := range scen {
		for _, m := range methods {
			rows = append(rows, row{Scenario: s.name, Method: m.m, Label: fmt.Sprintf("N = %d, %s", s.n, m.label)})
		}
	}
	t, err := env.metricTable(exp, "", "Loss 0 -> 30 -> 0 % at RTT 200 ms: the leader's heartbeat rate (our proxy for its CPU), the per-follower heartbeat interval, and unnecessary elections, mean over seeds [95% CI]", rows, cols)
	if err != nil {
		return nil, err
	}
	t.Notes = append(t.Notes, "Heartbeat rate: heartbeat_sent rows per second (all followers); interval: (N - 1) / rate. Unnecessary elections: elections won after the first (no failure is injected). The loss levels are the regimes 0 % (the first and last 3 minutes) and 30 % (the peak).")

	// Figures: per N, the interval (a) and the rate (b) over time, each
	// method's mean over seeds per 10 s bin.
	series := func(scenario string, m string, f func(tr *trace.Run, b int) float64) plot.Line {
		var x, y []float64
		runs := d.runsOf(scenario, m)
		for _, r := range runs {
			tr := d.traces[r.RunID]
			for b := range tr.Heartbeats {
				if b >= len(y) {
					x, y = append(x, float64(int64(b+1)*tr.BinUS)/1e6), append(y, 0)
				}
				y[b] += f(tr, b) / float64(len(runs))
			}
		}
		return plot.Line{Method: m, Emphasis: m == dynatune, X: x, Y: y}
	}
	rate := func(tr *trace.Run, b int) float64 { return float64(tr.Heartbeats[b]) / (float64(tr.BinUS) / 1e6) }
	ival := func(tr *trace.Run, b int) float64 {
		if tr.Heartbeats[b] == 0 {
			return math.NaN()
		}
		return float64(tr.Nodes-1) * float64(tr.BinUS) / 1000 / float64(tr.Heartbeats[b])
	}
	data := &table.Table{Caption: "figure data", Comments: env.provenance([]string{exp}, []string{"dynatune_loss_n5", "dynatune_loss_n17", "dynatune_loss_n65"})}
	data.Columns = []table.Column{{Header: "Figure", Key: "figure", Format: table.Text}, {Header: "N", Key: "nodes", Format: table.Int}, {Header: "Series", Key: "series", Format: table.Text},
		{Header: "t", Key: "time_s", Format: table.Sig4}, {Header: "value", Key: "value", Format: table.Sig4}}
	var figA, figB []plot.Figure
	for _, s := range scen {
		var la, lb []plot.Line
		for _, m := range methods {
			a, b := series(s.name, m.m, ival), series(s.name, m.m, rate)
			a.Label, b.Label = m.label, m.label
			la, lb = append(la, a), append(lb, b)
			for j := range a.X {
				data.Rows = append(data.Rows, []table.Value{{Text: "7a_interval_ms"}, {V: float64(s.n)}, {Text: m.label}, {V: a.X[j]}, {V: a.Y[j]}},
					[]table.Value{{Text: "7b_leader_hb_per_s"}, {V: float64(s.n)}, {Text: m.label}, {V: b.X[j]}, {V: b.Y[j]}})
			}
		}
		fa, err := plot.Lines(fmt.Sprintf("N = %d: heartbeat interval per follower", s.n), "elapsed time (s); loss 0 -> 30 -> 0 % in 5 % steps of 180 s", "interval (ms)", la, false)
		if err != nil {
			return nil, err
		}
		fb, err := plot.Lines(fmt.Sprintf("N = %d: heartbeats sent by the leader", s.n), "elapsed time (s); loss 0 -> 30 -> 0 % in 5 % steps of 180 s", "heartbeats/s (log)", lb, true)
		if err != nil {
			return nil, err
		}
		figA, figB = append(figA, fa), append(figB, fb)
	}
	figs := []Figure{
		{Name: env.art.ID + "a", F: plot.Stack(figA...), Data: data, Caption: "Dynatune Figure 7(a): the mean heartbeat interval per follower over time, Fix-K and Dynatune, mean over seeds per 10 s bin."},
		{Name: env.art.ID + "b", F: plot.Stack(figB...), Caption: "Dynatune Figure 7(b), our CPU proxy: heartbeats the leader sends per second, mean over seeds per 10 s bin, log y (data in dynatune_figure7a.csv)."},
	}

	pub := env.pub("dynatune_fig7_loss")
	unn := func(m string) float64 {
		worst := 0.0
		for _, s := range scen {
			worst = math.Max(worst, meanOf(d.runsOf(s.name, m), func(r *metrics.RunRow) float64 { return float64(r.Won - 1) }))
		}
		return worst
	}
	c := compare(cmpSpec{title: "Published Figure 7 (statements of the text) vs ours", pub: pub, rows: []string{"fix_k", "dynatune"}, cols: []string{"unnecessary_elections"},
		ours:  func(r, k string) float64 { return unn(map[string]string{"fix_k": fixK, "dynatune": dynatune}[r]) },
		notes: []string{"Ours: the largest, over N = 5, 17, 65, of the mean number of elections won after the first."}})
	v := func(s, m string, f func(hbStats) float64) float64 { return meanOf(d.runsOf(s, m), g(f)) }
	all := func(ok func(s string) bool) bool {
		for _, s := range scen {
			if !ok(s.name) {
				return false
			}
		}
		return true
	}
	each := func(f func(s string) string) string {
		var out []string
		for _, s := range scen {
			out = append(out, "N="+strconv.Itoa(s.n)+": "+f(s.name))
		}
		return strings.Join(out, "; ")
	}
	r := func(s hbStats) float64 { return s.rate }
	r0 := func(s hbStats) float64 { return s.rate0 }
	r30 := func(s hbStats) float64 { return s.rate30 }
	i0 := func(s hbStats) float64 { return s.ival0 }
	i30 := func(s hbStats) float64 { return s.ival30 }
	claims := []Claim{
		{Source: "IV-C2: \"in all server configurations, no unnecessary elections occurred because of the complete loss of heartbeats in either Fix-K or Dynatune\"",
			Check: "no run of either method at any N has an election after the first",
			Ours:  fmt.Sprintf("worst mean: Fix-K %s, Dynatune %s", sig4(unn(fixK)), sig4(unn(dynatune))),
			Holds: unn(fixK) == 0 && unn(dynatune) == 0},
		{Source: "IV-C2: \"The Fix-K's leader consistently used more CPU resources than the Dynatune's leader\"",
			Check: "at every N, Fix-K's leader sends more heartbeats per second than Dynatune's (whole run)",
			Ours:  each(func(s string) string { return sig4(v(s, fixK, r)) + " vs " + sig4(v(s, dynatune, r)) }),
			Holds: all(func(s string) bool { return v(s, fixK, r) > v(s, dynatune, r) })},
		{Source: "IV-C2: \"Dynatune used less than half of these resources under normal conditions\"",
			Check: "at every N, at 0% loss, Dynatune's leader sends less than half of Fix-K's heartbeats per second",
			Ours:  each(func(s string) string { return sig4(v(s, dynatune, r0)) + " vs " + sig4(v(s, fixK, r0)) }),
			Holds: all(func(s string) bool { return v(s, dynatune, r0) < 0.5*v(s, fixK, r0) })},
		{Source: "IV-C2: Dynatune \"conserved resources during low packet loss and increased heartbeats during high packet loss\"",
			Check: "at every N, Dynatune's leader sends more heartbeats per second at 30% loss than at 0%",
			Ours:  each(func(s string) string { return sig4(v(s, dynatune, r30)) + " vs " + sig4(v(s, dynatune, r0)) }),
			Holds: all(func(s string) bool { return v(s, dynatune, r30) > v(s, dynatune, r0) })},
		{Source: "IV-C2: \"Dynatune adjusted [the heartbeat interval] downward as the packet loss rate increased\"",
			Check: "at every N, Dynatune's mean heartbeat interval is shorter at 30% loss than at 0%",
			Ours:  each(func(s string) string { return sig4(v(s, dynatune, i30)) + " vs " + sig4(v(s, dynatune, i0)) + " ms" }),
			Holds: all(func(s string) bool { return v(s, dynatune, i30) < v(s, dynatune, i0) })},
	}
	return &Result{Tables: []Table{{Name: env.art.ID, T: t}}, Figures: figs, Compare: []*Comparison{c}, Claims: claims}, nil
}
