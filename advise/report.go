package advise

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/ballast-bench/ballast/analysis/plot"
	"github.com/ballast-bench/ballast/analysis/stats"
)

// Validation is what the report says about how far predictions of this
// kind were checked against a real cluster (docs/advise.md), per system.
func Validation(system string) string {
	if system == "consul" {
		return ConsulValidation
	}
	return EtcdValidation
}

// ConsulValidation: the model of hashicorp/raft against the library.
const ConsulValidation = "the hashicorp/raft model against the library itself (hashicorp/raft v1.8.0, 3 servers, " +
	"an in-memory transport with 1 ms each way, timeouts of 80 ms, 80 leader kills in wall time; " +
	"policies.TestHashicorpAgainstLibrary): failover mean +2.0 %, median -1.6 %. Consul itself has not been run; " +
	"the model leaves out disk latency, CPU starvation and client load (docs/advise.md)."

// EtcdValidation: advise's prediction against real etcd.
const EtcdValidation = "etcd's defaults on a loopback LAN (3 members, 200 leader kills): this prediction's out-of-service " +
	"time, mean 1218 ms and median 1151 ms, against a real etcd v3.7.3 cluster's 1247 and 1197 ms (ballast live " +
	"--target etcd; -2.3 % and -3.8 %, TestAgreesWithRealEtcd). Other networks and settings are unvalidated on real " +
	"clusters; the model leaves out disk latency, CPU starvation and client load (docs/advise.md)."

// Markdown writes the report for an operator.
func (r *Report) Markdown(w io.Writer) error {
	var b strings.Builder
	rec, cur, rule := r.Estimates[r.Recommended], r.Estimates[r.Current], r.Estimates[r.RuleOfThumb]
	fmt.Fprintf(&b, "# %s timeouts for your network\n\n", systemName(r.System))
	fmt.Fprintf(&b, "Network: %s; %d members; objective: the smallest %s out-of-service time after a leader crash "+
		"with at most %.3g unnecessary elections per day (point estimate).\n\n", r.Network, r.Nodes, objectiveName(r.Objective), r.MaxFalsePerDay)
	fmt.Fprintf(&b, "## Recommended\n\n```\n%s\n```\n\n", rec.Flags)
	b.WriteString("| | setting | detection p50 | out of service p50 | out of service p99 | unnecessary elections / day | heartbeat msgs / s |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|\n")
	for _, x := range []struct {
		name string
		e    Estimate
	}{{"recommended", rec}, {"current", cur}, {"rule of thumb", rule}} {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %.0f |\n", x.name, x.e.Setting.Short(),
			ciMS(x.e.DetectP50), ciMS(x.e.OOSP50), ciMS(x.e.OOSP99), rate(x.e.FalsePerDay), x.e.HeartbeatMsgsPerS)
	}
	fmt.Fprintf(&b, "\nTimes in ms with 95 %% bootstrap intervals over %d failovers per setting; unnecessary elections per day "+
		"with Garwood's exact 95 %% interval, or, when none was seen, the one-sided 95 %% upper bound (< x), over the "+
		"simulated healthy time (%.3g days for the recommended setting; the best settings that met the bound were "+
		"confirmed with five times the healthy time of the others). "+
		"%s\n\n", rec.Failovers, rec.FalsePerDay.Exposure, ruleText(r.System))
	if rec.FalsePerDay.Upper > r.MaxFalsePerDay {
		fmt.Fprintf(&b, "Caution: the simulated time bounds the recommended setting's unnecessary elections only below %.3g per day, "+
			"above the %.3g asked for; a larger --budget narrows it. The model has no disk or CPU stalls (docs/advise.md).\n\n",
			rec.FalsePerDay.Upper, r.MaxFalsePerDay)
	}
	fmt.Fprintf(&b, "Checked against the real thing: %s\n\n", Validation(r.System))
	if len(r.Adaptive) > 0 {
		b.WriteString("## Adaptive policies on the same network\n\n")
		b.WriteString("What ballast's adaptive election-timeout policies (docs/policies.md) would give in place of etcd's timer, " +
			"on the recommended heartbeat; etcd has no such setting, so they are never recommended.\n\n")
		b.WriteString("| policy | failovers | detection p50 | out of service p50 | out of service p99 | unnecessary elections / day |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|\n")
		for _, e := range r.Adaptive {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |\n", e.Setting, e.Failovers, ciMS(e.DetectP50), ciMS(e.OOSP50), ciMS(e.OOSP99), rate(e.FalsePerDay))
		}
		b.WriteString("\n")
	}
	b.WriteString("## Every setting simulated\n\n")
	if r.System == "consul" {
		b.WriteString("Consul settings as raft_multiplier (hashicorp/raft's HeartbeatTimeout / ElectionTimeout / LeaderLeaseTimeout).\n\n")
	}
	b.WriteString("| setting | failovers | detection p50 | detection p99 | out of service mean | p50 | p99 | unnecessary / day | healthy days | meets | |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|:-:|---|\n")
	for _, e := range r.Estimates {
		meets := ""
		if e.Meets {
			meets = "yes"
		}
		notes := slices.Clone(e.Roles)
		if e.Confirmed {
			notes = append(notes, "confirmed")
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s | %.3g | %s | %s |\n", e.Setting.Short(), e.Failovers,
			ciMS(e.DetectP50), ciMS(e.DetectP99), ciMS(e.OOSMean), ciMS(e.OOSP50), ciMS(e.OOSP99), rate(e.FalsePerDay), e.FalsePerDay.Exposure,
			meets, strings.Join(notes, ", "))
	}
	fmt.Fprintf(&b, "\nModel: %s; seed %d, budget %g, code %s. The same inputs give the same report.\n", modelText(r.System), r.Seed, r.Budget, r.CodeVersion)
	_, err := io.WriteString(w, b.String())
	return err
}

func systemName(system string) string {
	if system == "consul" {
		return "Consul"
	}
	return "etcd"
}

func ruleText(system string) string {
	if system == "consul" {
		return "The rule of thumb is Consul's advice for production servers, raft_multiplier 1 (its default, 5, is tuned for the smallest cloud instances)."
	}
	return "The rule of thumb is etcd's defaults up to a 100 ms round trip, else a heartbeat of one round trip and an election timeout of ten."
}

func modelText(system string) string {
	if system == "consul" {
		return "hashicorp/raft's timers (policy hashicorp: heartbeat and election timeouts 1 s x raft_multiplier, leader lease 0.5 s x raft_multiplier, " +
			"a leader heartbeat every 0.15 heartbeat timeouts plus a round trip, a voter trusting its leader until its own timer fires) " +
			"with PreVote on the etcd engine in virtual time, a TCP-like stream transport"
	}
	return "the etcd engine (go.etcd.io/raft) in virtual time with etcd's tick timer, PreVote and CheckQuorum, a TCP-like stream transport"
}

func objectiveName(o string) string {
	if o == "mean" {
		return "mean"
	}
	return o
}

// ciMS prints a time and its interval, in ms.
func ciMS(ci stats.CI) string {
	if math.IsNaN(ci.Mean) {
		return "–"
	}
	return fmt.Sprintf("%s [%s, %s]", ms(ci.Mean), ms(ci.Lo), ms(ci.Hi))
}

func ms(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// rate prints a false-election rate: the estimate with its interval, or
// the one-sided bound when none was seen.
func rate(r stats.Rate) string {
	if math.IsNaN(r.Rate) {
		return "–"
	}
	if r.Count == 0 {
		return fmt.Sprintf("0 (< %.3g)", r.Upper)
	}
	return fmt.Sprintf("%.3g [%.3g, %.3g]", r.Rate, r.Lo, r.Hi)
}

type jci struct {
	Value stats.NullFloat `json:"value"`
	Lo    stats.NullFloat `json:"lo"`
	Hi    stats.NullFloat `json:"hi"`
}

func toJCI(ci stats.CI) jci {
	return jci{stats.NullFloat(ci.Mean), stats.NullFloat(ci.Lo), stats.NullFloat(ci.Hi)}
}

type jrate struct {
	Count    int64           `json:"count"`
	Days     float64         `json:"days"`
	PerDay   stats.NullFloat `json:"per_day"`
	Lo       stats.NullFloat `json:"lo"`
	Hi       stats.NullFloat `json:"hi"`
	UpperOne stats.NullFloat `json:"upper_one_sided"`
}

type jestimate struct {
	Multiplier  int64    `json:"raft_multiplier,omitempty"`
	Policy      string   `json:"policy,omitempty"`
	HeartbeatMS int64    `json:"heartbeat_ms"`
	ElectionMS  int64    `json:"election_ms"`
	Flags       string   `json:"flags"`
	Roles       []string `json:"roles,omitempty"`
	Failovers   int      `json:"failovers"`
	Unrecovered int      `json:"unrecovered"`
	DetectMean  jci      `json:"detect_mean_ms"`
	DetectP50   jci      `json:"detect_p50_ms"`
	DetectP99   jci      `json:"detect_p99_ms"`
	OOSMean     jci      `json:"out_of_service_mean_ms"`
	OOSP50      jci      `json:"out_of_service_p50_ms"`
	OOSP99      jci      `json:"out_of_service_p99_ms"`
	False       jrate    `json:"unnecessary_elections_per_day"`
	HBPerS      float64  `json:"heartbeat_msgs_per_s"`
	Meets       bool     `json:"meets_objective"`
	Confirmed   bool     `json:"confirmed"`
}

func toJEstimate(e Estimate) jestimate {
	f := e.FalsePerDay
	return jestimate{e.Setting.Multiplier, e.Setting.Adaptive, e.Setting.HeartbeatMS, e.Setting.ElectionMS, e.Flags, e.Roles, e.Failovers, e.Unrecovered,
		toJCI(e.DetectMean), toJCI(e.DetectP50), toJCI(e.DetectP99), toJCI(e.OOSMean), toJCI(e.OOSP50), toJCI(e.OOSP99),
		jrate{f.Count, f.Exposure, stats.NullFloat(f.Rate), stats.NullFloat(f.Lo), stats.NullFloat(f.Hi), stats.NullFloat(f.Upper)},
		e.HeartbeatMsgsPerS, e.Meets, e.Confirmed}
}

// JSON writes the report as JSON: every setting's figures, undefined ones
// null; recommended, current and rule_of_thumb index the estimates.
func (r *Report) JSON(w io.Writer) error {
	out := struct {
		System         string      `json:"system"`
		Network        string      `json:"network"`
		MeanRTTMS      float64     `json:"mean_rtt_ms"`
		Nodes          int         `json:"nodes"`
		Objective      string      `json:"objective"`
		MaxFalsePerDay float64     `json:"max_false_per_day"`
		Seed           uint64      `json:"seed"`
		Budget         float64     `json:"budget"`
		CodeVersion    string      `json:"code_version"`
		Validation     string      `json:"validation"`
		Recommended    int         `json:"recommended"`
		Current        int         `json:"current"`
		RuleOfThumb    int         `json:"rule_of_thumb"`
		Estimates      []jestimate `json:"estimates"`
		Adaptive       []jestimate `json:"adaptive_policies,omitempty"`
	}{r.System, r.Network, r.MeanRTTMS, r.Nodes, r.Objective, r.MaxFalsePerDay, r.Seed, r.Budget, r.CodeVersion, Validation(r.System),
		r.Recommended, r.Current, r.RuleOfThumb, nil, nil}
	for _, e := range r.Adaptive {
		out.Adaptive = append(out.Adaptive, toJEstimate(e))
	}
	for _, e := range r.Estimates {
		out.Estimates = append(out.Estimates, toJEstimate(e))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// Pareto is the figure of every setting's p99 out-of-service time against
// its unnecessary elections per day (log), the recommended, current and
// rule-of-thumb settings marked. A setting with none seen is drawn at its
// one-sided 95 % bound, in a group of its own.
func (r *Report) Pareto() (plot.Figure, error) {
	x := func(e Estimate) float64 {
		if e.FalsePerDay.Count == 0 {
			return e.FalsePerDay.Upper
		}
		return e.FalsePerDay.Rate
	}
	var seen, none plot.Points
	seen.Label, none.Label = "settings", "settings, none seen (at the 95 % bound)"
	for _, e := range r.Estimates {
		g := &seen
		if e.FalsePerDay.Count == 0 {
			g = &none
		}
		g.X, g.Y = append(g.X, x(e)), append(g.Y, e.OOSP99.Mean)
	}
	one := func(label string, i int, emphasis bool) plot.Points {
		e := r.Estimates[i]
		return plot.Points{Label: fmt.Sprintf("%s (%s)", label, e.Setting.Short()), Emphasis: emphasis,
			X: []float64{x(e)}, Y: []float64{e.OOSP99.Mean}}
	}
	return plot.Scatter(systemName(r.System)+" settings on "+r.Network, "unnecessary elections per day (log)", "p99 out of service (ms)",
		[]plot.Points{seen, none, one("recommended", r.Recommended, true), one("current", r.Current, false), one("rule of thumb", r.RuleOfThumb, false)}, true)
}
