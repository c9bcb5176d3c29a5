// Package reproduce regenerates every table and figure of the BALLAST and
// Dynatune papers and the blog post that ballast can simulate, and writes
// a report that puts each beside the published numbers.
//
// The mapping is declarative (catalog.go): each experiment of
// configs/experiments/ is listed once with how it runs (tuning, quick-mode
// seeds and run lengths, extra traces), and each paper artifact (a table
// or a figure) names the experiment(s) it reads, the file of published
// numbers it is compared with, and a builder that turns the analysed runs
// into tables, figures, a comparison and claims. Run drives the pipeline:
// tune, sweep the report seeds, analyse, build every artifact, then write
// all outputs at once (staged and renamed: a failure leaves the previous
// outputs as they were). Same inputs, same binary: byte-identical tables
// and figures (bootstrap and every simulation are seeded; no wall-clock
// time reaches an output).
//
// Every artifact gets a verdict (reproduced, partly, not reproduced, not
// comparable) by the rule of package agree, in REPORT.md and in the
// machine-readable summary (summary.json, summary.csv, verdicts.csv).
//
// Subpackages: agree (the agreement and verdict rules), published (the
// reference data and the bibliography of the sources), trace (series the
// metrics package does not derive).
package reproduce
