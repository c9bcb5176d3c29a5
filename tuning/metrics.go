package tuning

import "github.com/ballast-bench/ballast/analysis/metrics"

// AnalysisMetrics scores runs with the analysis package, the same code the
// report tables use: every numeric column of the runs table by its column
// name (unwritable_frac, recovery_mean_us, split_vote_rate, ...).
func AnalysisMetrics(opt metrics.Options) RunMetrics {
	return func(path string) (map[string]float64, error) {
		run, err := metrics.AnalyzeFile(path, opt)
		if err != nil {
			return nil, err
		}
		return metrics.ColumnValues(&run.Row), nil
	}
}
