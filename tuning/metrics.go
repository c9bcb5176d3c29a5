package tuning

import (
	"reflect"

	"github.com/ballast-bench/ballast/analysis/metrics"
)

// AnalysisMetrics scores runs with the analysis package, the same code the
// report tables use: every numeric column of metrics.RunRow by its column
// name (unwritable_frac, recovery_mean_us, split_vote_rate, ...).
func AnalysisMetrics(opt metrics.Options) RunMetrics {
	return func(path string) (map[string]float64, error) {
		run, err := metrics.AnalyzeFile(path, opt)
		if err != nil {
			return nil, err
		}
		return RowMetrics(&run.Row), nil
	}
}

// RowMetrics maps a run's numeric metric columns by name.
func RowMetrics(row *metrics.RunRow) map[string]float64 {
	out := map[string]float64{}
	v := reflect.ValueOf(row).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name := t.Field(i).Tag.Get("col")
		if name == "" || name == "-" {
			continue
		}
		switch f := v.Field(i); f.Kind() {
		case reflect.Float64:
			out[name] = f.Float()
		case reflect.Int64:
			out[name] = float64(f.Int())
		}
	}
	return out
}
