package advise

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/analysis/stats"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// Setting is an etcd member's two timing flags, or a Consul server's
// raft_multiplier (Multiplier > 0; consul.go).
type Setting struct {
	HeartbeatMS int64 // etcd: --heartbeat-interval; Consul: hashicorp/raft's HeartbeatTimeout
	ElectionMS  int64 // etcd: --election-timeout; Consul: hashicorp/raft's ElectionTimeout
	Multiplier  int64 // Consul's raft_multiplier; 0 for etcd
	// Adaptive names a ballast policy that replaces the system's own
	// timer (the report's comparison with adaptive policies); "": none.
	Adaptive string
}

// EtcdDefaults is etcd's default setting (its tuning guide and flags).
var EtcdDefaults = Setting{HeartbeatMS: 100, ElectionMS: 1000}

// etcd's own limits on the flags (etcdserver's config check and
// etcdmain's flag help): the election timeout must be at least five
// heartbeats and at most 50 s.
const (
	minTicksPerElection = 5
	maxElectionMS       = 50_000
)

// Check reports whether etcd (or Consul) would start with s, naming the
// flag.
func (s Setting) Check() error {
	if s.Multiplier != 0 {
		return s.checkConsul()
	}
	switch {
	case s.HeartbeatMS <= 0:
		return fmt.Errorf("heartbeat %d ms; allowed: at least 1 ms", s.HeartbeatMS)
	case s.ElectionMS < minTicksPerElection*s.HeartbeatMS:
		return fmt.Errorf("election timeout %d ms is under %d heartbeats (%d ms), which etcd refuses; allowed: election >= %d x heartbeat",
			s.ElectionMS, minTicksPerElection, minTicksPerElection*s.HeartbeatMS, minTicksPerElection)
	case s.ElectionMS > maxElectionMS:
		return fmt.Errorf("election timeout %d ms; allowed: at most %d ms (etcd's limit)", s.ElectionMS, maxElectionMS)
	}
	return nil
}

// Flags is the setting as etcd's command-line flags, or Consul's server
// configuration.
func (s Setting) Flags() string {
	if s.Adaptive != "" {
		return "(ballast policy " + s.Adaptive + ": not a setting of the system)"
	}
	if s.Multiplier != 0 {
		return fmt.Sprintf("performance { raft_multiplier = %d }", s.Multiplier)
	}
	return fmt.Sprintf("--heartbeat-interval=%d --election-timeout=%d", s.HeartbeatMS, s.ElectionMS)
}

func (s Setting) String() string {
	if s.Adaptive != "" {
		return fmt.Sprintf("%s (%d ms heartbeats)", s.Adaptive, s.HeartbeatMS)
	}
	if s.Multiplier != 0 {
		return fmt.Sprintf("raft_multiplier %d", s.Multiplier)
	}
	return fmt.Sprintf("heartbeat %d ms, election %d ms", s.HeartbeatMS, s.ElectionMS)
}

// Short is the setting in a table cell.
func (s Setting) Short() string {
	if s.Adaptive != "" {
		return s.String()
	}
	if s.Multiplier != 0 {
		return fmt.Sprintf("raft_multiplier %d (%d/%d/%d ms)", s.Multiplier, s.HeartbeatMS, s.ElectionMS, consulBaseLeaseMS*s.Multiplier)
	}
	return fmt.Sprintf("%d / %d ms", s.HeartbeatMS, s.ElectionMS)
}

// ParseSetting reads "heartbeat=100,election=1000" (etcd) or
// "raft_multiplier=5" (consul): the --current flag.
func ParseSetting(system, v string) (Setting, error) {
	if system == "consul" {
		return parseConsul(v)
	}
	var s Setting
	for part := range strings.SplitSeq(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), "ms"), 10, 64)
		if !ok || err != nil {
			return s, fmt.Errorf("%q: allowed: heartbeat=MS,election=MS", v)
		}
		switch strings.TrimSpace(k) {
		case "heartbeat":
			s.HeartbeatMS = n
		case "election":
			s.ElectionMS = n
		default:
			return s, fmt.Errorf("%q: unknown key %q; allowed: heartbeat=MS,election=MS", v, k)
		}
	}
	if s.HeartbeatMS == 0 || s.ElectionMS == 0 {
		return s, fmt.Errorf("%q: allowed: both heartbeat=MS and election=MS", v)
	}
	return s, s.Check()
}

// heartbeatLadder are the heartbeat intervals the grid draws from (ms).
var heartbeatLadder = []int64{10, 20, 25, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000}

// electionTicks are the grid's election timeouts, in heartbeats: from
// etcd's minimum (5) to 50.
var electionTicks = []int64{5, 7, 10, 15, 20, 30, 50}

// Grid is the candidate settings for a network of the given mean round
// trip: heartbeats from half to twice the round trip (etcd's guide:
// "around ... 0.5-1.5x the round-trip time"), widened to include 50-100
// ms on fast networks, each with election timeouts of 5 to 50 heartbeats
// up to etcd's 50 s limit.
func Grid(meanRTTMS float64) []Setting {
	lo, hi := max(10, 0.5*meanRTTMS), max(100, 2*meanRTTMS)
	if meanRTTMS < 50 {
		lo = min(lo, 50)
	}
	var out []Setting
	for _, h := range heartbeatLadder {
		if float64(h) < lo || float64(h) > hi {
			continue
		}
		for _, k := range electionTicks {
			if s := (Setting{HeartbeatMS: h, ElectionMS: k * h}); s.ElectionMS <= maxElectionMS {
				out = append(out, s)
			}
		}
	}
	return out
}

// RuleOfThumb is what operators are told today: etcd's defaults where
// they "should work well" (a local network: a mean round trip up to
// etcd's 100 ms heartbeat), else a heartbeat of the mean round trip and
// an election timeout of ten round trips ("the heartbeat interval ...
// around the maximum of average round-trip time"; "election timeouts
// must be at least 10 times the round-trip time"), whole ms, at least
// five heartbeats.
func RuleOfThumb(meanRTTMS float64) Setting {
	if meanRTTMS <= float64(EtcdDefaults.HeartbeatMS) {
		return EtcdDefaults
	}
	h := int64(math.Ceil(meanRTTMS))
	e := max(int64(math.Ceil(10*meanRTTMS)), minTicksPerElection*h)
	return Setting{HeartbeatMS: h, ElectionMS: min(e, maxElectionMS)}
}

// AdaptivePolicies are the adaptive policies the report compares with
// (BALLAST's safe bandit, Dynatune), each with its defaults.
var AdaptivePolicies = []string{"bandit_safe", "dynatune"}

// Objectives are the statistics of the out-of-service time a
// recommendation can minimise.
var Objectives = []string{"p99", "p50", "mean"}

// Config is one question.
type Config struct {
	System  string // one of Systems; "": etcd
	Network Network
	Nodes   int     // cluster size
	Current Setting // the operator's setting; zero: the system's defaults
	// MaxFalsePerDay bounds the unnecessary elections per day of a
	// recommendation (its point estimate); 0: one a week.
	MaxFalsePerDay float64
	Objective      string  // one of Objectives; "": p99
	Budget         float64 // scales every candidate's simulation; 0: 1
	Seed           uint64
	Jobs           int
	// Candidates replaces the grid (tests; current and rule of thumb are
	// added to it either way).
	Candidates []Setting
	Progress   harness.Progress // nil: none
	// NoAdaptive leaves out the comparison with adaptive policies.
	NoAdaptive bool
}

// Per candidate at budget 1: failovers (over failoverSeeds runs) and
// heartbeat intervals of healthy time (over healthySeeds runs), the
// latter at most maxHealthyDays per run.
const (
	failoversPerBudget  = 200
	failoverSeeds       = 4
	healthyBeatsPerSeed = 100_000
	healthySeeds        = 2
	maxHealthyS         = 7 * 86400
	// The confirmation of the best settings: confirmSeeds more healthy
	// runs each (five times the first stretch), for the confirmTop best
	// unconfirmed settings that meet the bound, at most confirmRounds
	// times.
	confirmSeeds       = 8
	confirmTop         = 3
	confirmRounds      = 4
	bootstrapResamples = 2000
)

// Estimate is what a setting is predicted to cost on the network.
type Estimate struct {
	Setting Setting
	Flags   string
	Roles   []string // recommended, current, rule of thumb
	// Failovers after a leader crash; Unrecovered of them had no new
	// leader before their run ended (counted at their cut-off).
	Failovers   int
	Unrecovered int
	// Detection (the kill to the first timeout) and out-of-service time
	// (the kill to the next leader), ms, with 95 % bootstrap intervals.
	DetectMean stats.CI
	DetectP50  stats.CI
	DetectP99  stats.CI
	OOSMean    stats.CI
	OOSP50     stats.CI
	OOSP99     stats.CI
	// FalsePerDay are the unnecessary elections per day of healthy
	// operation, with Garwood's 95 % interval and one-sided bound.
	FalsePerDay stats.Rate
	// HeartbeatMsgsPerS is the leader's heartbeats and their responses,
	// cluster-wide: 2 (N-1) per heartbeat interval.
	HeartbeatMsgsPerS float64
	Meets             bool
	// Confirmed settings were among the best that met the bound and got
	// confirmSeeds more healthy runs.
	Confirmed bool
}

// Report is the answer.
type Report struct {
	System         string
	Network        string
	MeanRTTMS      float64
	Nodes          int
	Objective      string
	MaxFalsePerDay float64
	Seed           uint64
	Budget         float64
	Estimates      []Estimate
	// Adaptive are ballast's adaptive policies in place of the timer on
	// the recommended setting's heartbeat (etcd only): what they would
	// give on the same network, for comparison.
	Adaptive    []Estimate
	Recommended int // index into Estimates
	Current     int
	RuleOfThumb int
	CodeVersion string
}

// NoneMeetsError is returned when no candidate meets the objective's
// bound on false elections; Closest are the candidates nearest to it.
type NoneMeetsError struct {
	MaxFalsePerDay float64
	Closest        []Estimate
}

func (e *NoneMeetsError) Error() string {
	parts := make([]string, len(e.Closest))
	for i, c := range e.Closest {
		parts[i] = fmt.Sprintf("%s (%.3g/day, p99 out of service %.0f ms)", c.Setting, c.FalsePerDay.Rate, c.OOSP99.Mean)
	}
	return fmt.Sprintf("--max-false-per-day %g: no setting meets it; closest: %s; allowed: a larger bound, or a larger --budget to narrow the estimates",
		e.MaxFalsePerDay, strings.Join(parts, "; "))
}

// Check validates c and fills its defaults.
func (c *Config) Check() error {
	if c.System == "" {
		c.System = "etcd"
	}
	if !slices.Contains(Systems, c.System) {
		return fmt.Errorf("--system %q: allowed: %s", c.System, strings.Join(Systems, ", "))
	}
	if err := c.Network.Check(); err != nil {
		return err
	}
	switch {
	case c.Nodes < 3 || c.Nodes > 15:
		return fmt.Errorf("--nodes %d: allowed: 3 to 15 members", c.Nodes)
	case c.MaxFalsePerDay < 0 || math.IsNaN(c.MaxFalsePerDay):
		return fmt.Errorf("--max-false-per-day %g: allowed: 0 or more", c.MaxFalsePerDay)
	case c.Budget < 0 || c.Budget > 100 || math.IsNaN(c.Budget):
		return fmt.Errorf("--budget %g: allowed: above 0, at most 100", c.Budget)
	}
	if c.Objective == "" {
		c.Objective = "p99"
	}
	if !slices.Contains(Objectives, c.Objective) {
		return fmt.Errorf("--objective %q: allowed: %s", c.Objective, strings.Join(Objectives, ", "))
	}
	if c.MaxFalsePerDay == 0 {
		c.MaxFalsePerDay = 1.0 / 7
	}
	if c.Budget == 0 {
		c.Budget = 1
	}
	if c.Current == (Setting{}) {
		c.Current = defaults(c.System)
	}
	if err := c.Current.Check(); err != nil {
		return fmt.Errorf("--current: %w", err)
	}
	for _, s := range append([]Setting{c.Current}, c.Candidates...) {
		if (s.Multiplier != 0) != (c.System == "consul") {
			return fmt.Errorf("--current, --settings: %s is not a %s setting; allowed: %s", s, c.System, settingSyntax(c.System))
		}
	}
	if c.Jobs < 1 {
		c.Jobs = 1
	}
	return nil
}

// job is one simulation: a candidate's failover or healthy run.
type job struct {
	cand    int
	healthy bool
	seed    uint64
	sc      *scenario.Scenario
}

// result is what a job's analysis contributes.
type result struct {
	detectMS, oosMS []float64
	unrecovered     int
	unnecessary     int64
	seconds         float64
}

// Advise simulates every candidate and recommends one. Every candidate
// gets its failover runs and a first stretch of healthy time; then the
// few best that meet the bound on false elections get confirmSeeds more
// healthy runs each, round after round, until the best that still meet
// it have all been confirmed (at most confirmRounds rounds): the budget
// goes where the recommendation is decided.
func Advise(ctx context.Context, c Config) (*Report, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	rtt := c.Network.MeanRTTMS()
	cands := c.Candidates
	if cands == nil {
		cands = grid(c.System, rtt)
	}
	cands = slices.Clone(cands)
	rule := ruleOfThumb(c.System, rtt)
	for _, s := range []Setting{c.Current, rule} {
		if !slices.Contains(cands, s) {
			cands = append(cands, s)
		}
	}
	slices.SortFunc(cands, func(a, b Setting) int {
		if a.HeartbeatMS != b.HeartbeatMS {
			return int(a.HeartbeatMS - b.HeartbeatMS)
		}
		return int(a.ElectionMS - b.ElectionMS)
	})
	scs := make([][2]*scenario.Scenario, len(cands)) // failover, healthy
	var jobs []job
	for ci, s := range cands {
		var err error
		if scs[ci], err = c.scenarios(s, rtt); err != nil {
			return nil, err
		}
		jobs = append(jobs, seeded(ci, false, scs[ci][0], c.Seed, 0, failoverSeeds)...)
		jobs = append(jobs, seeded(ci, true, scs[ci][1], c.Seed, 0, healthySeeds)...)
	}
	acc := make([]result, len(cands))
	if err := c.run(ctx, cands, jobs, acc); err != nil {
		return nil, err
	}
	ests := make([]Estimate, len(cands))
	update := func() {
		for ci, s := range cands {
			ests[ci] = estimate(s, acc[ci], c)
		}
	}
	update()
	confirmed := make([]bool, len(cands))
	for range confirmRounds {
		var pick []int
		ranked := c.ranked(ests)
		for _, i := range ranked[:min(confirmTop, len(ranked))] {
			if !confirmed[i] {
				pick = append(pick, i)
			}
		}
		if len(pick) == 0 {
			break
		}
		jobs = jobs[:0]
		for _, ci := range pick {
			confirmed[ci] = true
			jobs = append(jobs, seeded(ci, true, scs[ci][1], c.Seed, healthySeeds, healthySeeds+confirmSeeds)...)
		}
		if err := c.run(ctx, cands, jobs, acc); err != nil {
			return nil, err
		}
		update()
	}

	rep := &Report{
		System: c.System, Network: c.Network.String(), MeanRTTMS: rtt, Nodes: c.Nodes, Objective: c.Objective,
		MaxFalsePerDay: c.MaxFalsePerDay, Seed: c.Seed, Budget: c.Budget, Estimates: ests,
		CodeVersion: harness.CodeVersion(),
	}
	for ci, s := range cands {
		ests[ci].Confirmed = confirmed[ci]
		if s == c.Current {
			rep.Current = ci
		}
		if s == rule {
			rep.RuleOfThumb = ci
		}
	}
	ranked := c.ranked(ests)
	if len(ranked) == 0 {
		closest := slices.Clone(ests)
		slices.SortStableFunc(closest, func(a, b Estimate) int {
			return cmp.Compare(a.FalsePerDay.Rate, b.FalsePerDay.Rate)
		})
		return nil, &NoneMeetsError{MaxFalsePerDay: c.MaxFalsePerDay, Closest: closest[:min(3, len(closest))]}
	}
	rep.Recommended = ranked[0]
	if c.System == "etcd" && !c.NoAdaptive {
		rec := cands[rep.Recommended]
		var ad []Setting
		jobs = jobs[:0]
		for _, pol := range AdaptivePolicies {
			s := Setting{HeartbeatMS: rec.HeartbeatMS, ElectionMS: rec.ElectionMS, Adaptive: pol}
			sc, err := c.scenarios(s, rtt)
			if err != nil {
				return nil, err
			}
			ad = append(ad, s)
			jobs = append(jobs, seeded(len(ad)-1, false, sc[0], c.Seed, 0, failoverSeeds)...)
			jobs = append(jobs, seeded(len(ad)-1, true, sc[1], c.Seed, 0, healthySeeds)...)
		}
		adAcc := make([]result, len(ad))
		if err := c.run(ctx, ad, jobs, adAcc); err != nil {
			return nil, err
		}
		for i, s := range ad {
			e := estimate(s, adAcc[i], c)
			e.Meets = false // not a setting of the system: never recommended
			rep.Adaptive = append(rep.Adaptive, e)
		}
	}
	ests[rep.Recommended].Roles = append(ests[rep.Recommended].Roles, "recommended")
	ests[rep.Current].Roles = append(ests[rep.Current].Roles, "current")
	ests[rep.RuleOfThumb].Roles = append(ests[rep.RuleOfThumb].Roles, "rule of thumb")
	return rep, nil
}

// ranked are the indices of the estimates that meet the bound, best
// first.
func (c *Config) ranked(ests []Estimate) []int {
	var out []int
	for i, e := range ests {
		if e.Meets {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(a, b int) int {
		switch {
		case better(ests[a], ests[b], c.Objective):
			return -1
		case better(ests[b], ests[a], c.Objective):
			return 1
		}
		return 0
	})
	return out
}

// run simulates jobs in parallel and adds each one's result to its
// candidate's in acc, in job order (so acc does not depend on the
// parallelism).
func (c *Config) run(ctx context.Context, cands []Setting, jobs []job, acc []result) error {
	results := make([]result, len(jobs))
	if c.Progress != nil {
		c.Progress.Start(len(jobs), 0)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.Jobs)
	for i := range jobs {
		g.Go(func() error {
			r, err := simulate(gctx, jobs[i], cands[jobs[i].cand])
			results[i] = r
			if c.Progress != nil {
				c.Progress.Done(err == nil)
			}
			return err
		})
	}
	err := g.Wait()
	if c.Progress != nil {
		c.Progress.Finish()
	}
	if err != nil {
		return err
	}
	for i, j := range jobs {
		a, r := &acc[j.cand], results[i]
		a.detectMS = append(a.detectMS, r.detectMS...)
		a.oosMS = append(a.oosMS, r.oosMS...)
		a.unrecovered += r.unrecovered
		if j.healthy {
			a.unnecessary += r.unnecessary
			a.seconds += r.seconds
		}
	}
	return nil
}

// better reports whether a beats b on the objective; ties go to the
// longer heartbeat (fewer messages), then the shorter election timeout.
func better(a, b Estimate, objective string) bool {
	va, vb := a.objective(objective), b.objective(objective)
	if va != vb {
		return va < vb
	}
	if a.Setting.HeartbeatMS != b.Setting.HeartbeatMS {
		return a.Setting.HeartbeatMS > b.Setting.HeartbeatMS
	}
	return a.Setting.ElectionMS < b.Setting.ElectionMS
}

func (e Estimate) objective(name string) float64 {
	switch name {
	case "p50":
		return e.OOSP50.Mean
	case "mean":
		return e.OOSMean.Mean
	}
	return e.OOSP99.Mean
}

// healthyS is the length of one healthy run of a candidate with
// heartbeat interval hbMS: healthyBeatsPerSeed intervals, scaled by the
// budget.
func healthyS(hbMS float64, budget float64) float64 {
	return min(maxHealthyS, math.Round(hbMS*healthyBeatsPerSeed*budget/1000))
}

// scenarios are a candidate's failover and healthy scenarios.
func (c *Config) scenarios(s Setting, rtt float64) ([2]*scenario.Scenario, error) {
	netBlock, dir := c.Network.yaml()
	if dir == "" {
		dir = "."
	}
	crashes := max(1, int(math.Ceil(failoversPerBudget*c.Budget/failoverSeeds)))
	// A failover takes up to two election timeouts plus a few round
	// trips; the leader is killed every spacing and restarts half way.
	spacingMS := 4*s.ElectionMS + int64(math.Ceil(20*rtt)) + 1000
	spacingS := (spacingMS + 999) / 1000
	restartMS := spacingS * 1000 / 2
	hb, raft, _, _ := s.model(rtt)
	head := fmt.Sprintf("name: advise\ndescription: ballast advise, %s %s\nnodes: %d\n%s%s", c.System, s, c.Nodes, raft, netBlock)
	texts := [2]string{
		head + fmt.Sprintf("duration_s: %d\ncrashes:\n  - {node: leader, at_s: %d, phase: heartbeat, restart_after_ms: %d, repeat: {count: %d, every_s: %d}}\n",
			spacingS*int64(crashes+1), spacingS, restartMS, crashes, spacingS),
		head + fmt.Sprintf("duration_s: %s\n", num(healthyS(hb, c.Budget))),
	}
	var out [2]*scenario.Scenario
	for i, text := range texts {
		sc, err := scenario.Parse(filepath.Join(dir, "advise.yaml"), []byte(text))
		if err != nil {
			return out, fmt.Errorf("advise: %s: %w", s, err)
		}
		out[i] = sc
	}
	return out, nil
}

// seeded are a candidate's runs of sc with the run seeds of indices
// [from, to) of their kind. Every candidate uses the same seeds (common
// random numbers: the candidates face the same network draws and crash
// phases as far as their runs go alike).
func seeded(cand int, healthy bool, sc *scenario.Scenario, base uint64, from, to int) []job {
	kind := "failover"
	if healthy {
		kind = "healthy"
	}
	var out []job
	for i := from; i < to; i++ {
		seed := stats.Seed(base, "advise", kind, strconv.Itoa(i)) & math.MaxInt64
		out = append(out, job{cand: cand, healthy: healthy, seed: seed, sc: sc})
	}
	return out
}

// simulate runs one job on the etcd engine and analyses it in the same
// pass.
func simulate(ctx context.Context, j job, s Setting) (result, error) {
	_, _, pol, set := s.model(0)
	run, err := harness.Resolve(harness.Spec{Scenario: j.sc, Policy: pol, Set: set, Seed: j.seed, Engine: "etcd"})
	if err != nil {
		return result{}, err
	}
	st, err := metrics.NewStream(run.Info, metrics.Spec{})
	if err != nil {
		return result{}, err
	}
	if _, err := run.Simulate(ctx, st); err != nil {
		return result{}, err
	}
	m, err := st.Finish()
	if err != nil {
		return result{}, fmt.Errorf("advise: run %s (%s, seed %d): %w", run.Info.RunID, s, j.seed, err)
	}
	var r result
	r.unnecessary = m.Row.Unnecessary
	r.seconds = float64(run.Info.DurationUS) / 1e6
	if j.healthy {
		return r, nil
	}
	for _, f := range m.Failovers {
		if f.DetectFirstUS >= 0 {
			r.detectMS = append(r.detectMS, float64(f.DetectFirstUS)/1000)
		}
		r.oosMS = append(r.oosMS, float64(f.OutOfServiceUS)/1000)
		if !f.Recovered {
			r.unrecovered++
		}
	}
	return r, nil
}

// estimate summarises a candidate's runs.
func estimate(s Setting, r result, c Config) Estimate {
	hb, _, _, _ := s.model(c.Network.MeanRTTMS())
	bs := stats.Bootstrap{B: bootstrapResamples}
	seed := func(what string) uint64 {
		return stats.Seed(c.Seed, "advise bootstrap", what, strconv.FormatInt(s.HeartbeatMS, 10), strconv.FormatInt(s.ElectionMS, 10))
	}
	q := func(p float64) func([]float64) float64 {
		return func(x []float64) float64 { return stats.Quantile(x, p) }
	}
	e := Estimate{
		Setting: s, Flags: s.Flags(), Failovers: len(r.oosMS), Unrecovered: r.unrecovered,
		DetectMean:        bs.Mean(r.detectMS, seed("detect mean")),
		DetectP50:         bs.Stat(r.detectMS, q(0.5), seed("detect p50")),
		DetectP99:         bs.Stat(r.detectMS, q(0.99), seed("detect p99")),
		OOSMean:           bs.Mean(r.oosMS, seed("oos mean")),
		OOSP50:            bs.Stat(r.oosMS, q(0.5), seed("oos p50")),
		OOSP99:            bs.Stat(r.oosMS, q(0.99), seed("oos p99")),
		FalsePerDay:       stats.PoissonRate(r.unnecessary, r.seconds/86400, 0.95),
		HeartbeatMsgsPerS: 2 * float64(c.Nodes-1) * 1000 / hb,
	}
	e.Meets = e.FalsePerDay.Rate <= c.MaxFalsePerDay && e.Failovers > 0
	return e
}
