// Package analysis groups the offline analysis of ballast's event logs, in
// the style of benchstat: each subpackage has one job.
//
//   - metrics: derives per-run metrics (writability intervals, elections,
//     failure causes, failovers, safety episodes, arm choices) from the raw
//     events of one run, in one streaming pass;
//   - (the tables themselves are written and read by internal/tablefile,
//     the codec of every ballast table);
//   - stats: quantiles, means and seeded percentile-bootstrap intervals;
//   - report: groups runs into table cells (experiment, scenario, policy,
//     variant), checks ablations against their base and builds the
//     paper's tables and plot data;
//   - table: renders a table as LaTeX (booktabs), Markdown and CSV;
//   - plot: renders figures as PNG (150 dpi) and PDF.
//
// The definitions of every metric are in docs/metrics.md.
package analysis
