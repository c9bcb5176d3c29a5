// Package layers states how ballast's packages are ranked by dependency,
// and its test keeps the tree that way: every import points down.
//
// Layers lists the packages from the bottom up. A package may import only
// packages of lower layers, and its in-package tests likewise; an external
// test package (package x_test) is a client of x and may import anything.
// Packages under sim/ may import from policies/ only the policy interface
// (policies/policy), never an implementation. Packages under examples/
// show what a program in another module can do, so they and their tests
// import no internal/ package (Go would refuse it there).
// docs/architecture.md draws the same layers; TestLayers checks that too.
// TestBinaryLeavesOut keeps a few heavy third-party dependencies out of
// the ballast binary, each with the reason.
package layers

// Module is the module path the package paths below are relative to; "."
// is the package at the module root.
const Module = "github.com/ballast-bench/ballast"

// Layer is one rank of packages.
type Layer struct {
	Name     string
	Doc      string
	Packages []string
}

// Layers ranks every package of the module, bottom first.
var Layers = []Layer{
	{"foundation", "no ballast imports: the code identities of the simulation and of the neurosym training (the module root), configuration files, atomic output files, golden files and test seeds, the embedded configs, seeded streams, statistics, table rendering, the LSTM's numerics, the agreement rule, the analysis overview (doc only), the live mode's node processes",
		[]string{".", "internal/configfile", "internal/atomicfile", "internal/golden", "internal/testseed", "configs", "analysis", "sim/stream", "analysis/stats", "analysis/table", "policies/lstm", "reproduce/agree", "live/procs"}},
	{"contracts", "the event format (the contract between simulation and analysis), the policy interface (the contract between engines and policies), the table codec, delay distributions",
		[]string{"eventlog", "policies/policy", "internal/tablefile", "sim/dist", "sim/measured"}},
	{"models and codecs", "the events file format, scenarios and their timelines, the independent log checker, figures, published reference numbers and sources",
		[]string{"eventlog/pq", "sim/scenario", "sim/invariant", "analysis/plot", "reproduce/published"}},
	{"kernel, policies, metrics", "the engine host; the policies; metrics derived from event logs; the swarm's case generator; the engines' shared test policies and step-test cases",
		[]string{"sim", "policies", "analysis/metrics", "sim/swarm", "sim/simtest"}},
	{"engines, reports", "the two protocols on the host; tables and figure data from analysed runs; traces from event logs; the live mode's user-space network and real etcd cluster",
		[]string{"sim/fast", "sim/etcdraft", "analysis/report", "reproduce/trace", "live/netproxy", "live/etcdcluster"}},
	{"harness, comparisons, live runs", "runs, their identity, experiments, sweeps, merges; what changed between two sets of analysed runs; scenarios on real processes in wall time",
		[]string{"harness", "analysis/compare", "live"}},
	{"tuning, advice", "grid search of baseline parameters on tuning seeds; etcd timeouts for an operator's measured network, with predicted failovers and false elections",
		[]string{"tuning", "advise"}},
	{"training", "training the neuro-symbolic policy's LSTM", []string{"tuning/neurosym"}},
	{"reproduction", "every table and figure of the papers",
		[]string{"reproduce"}},
	{"command line", "the ballast command line, importable so that a program of one's own can run it with more policies",
		[]string{"cmd/ballast/commands"}},
	{"programs", "the ballast binary; the example of an out-of-tree policy with the whole command line",
		[]string{"cmd/ballast", "examples/custompolicy"}},
	{"checks", "this package, whose tests check the others",
		[]string{"internal/layers"}},
}
