package metrics_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ballast-bench/ballast/analysis/metrics"
	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/harness"
	"github.com/ballast-bench/ballast/sim/scenario"
)

// simFiles simulates wan_main (stretched to durationS seconds when > 0)
// for the given seeds and policy into dir.
func simFiles(b *testing.B, dir, policy string, durationS float64, seeds int) (paths []string, events int64) {
	b.Helper()
	s, err := scenario.Load("wan_main")
	if err != nil {
		b.Fatal(err)
	}
	if durationS > 0 {
		s.DurationS = durationS
	}
	for seed := 1; seed <= seeds; seed++ {
		r, err := harness.Resolve(harness.Spec{Scenario: s, Policy: policy, Seed: uint64(seed)})
		if err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("%s-%d.parquet", policy, seed))
		info, err := r.WriteParquet(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		paths, events = append(paths, p), events+info.Events
	}
	return paths, events
}

// BenchmarkDeriveFiles: every metric of 20 wan_main runs (60 s, random
// policy) read from their Parquet files, one file after another on one
// goroutine, as 'ballast analyze --jobs 1' does. Target: >= 10 M events/s
// on one core.
func BenchmarkDeriveFiles(b *testing.B) {
	paths, events := simFiles(b, b.TempDir(), "random", 0, 20)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, p := range paths {
			if _, err := metrics.AnalyzeFile(p, metrics.Spec{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events)/float64(len(paths)), "events/file")
}

// BenchmarkDeriveLongRun: one wan_main run stretched to 3000 s (about a
// million events, bandit_safe so that arms and safety rows are in it)
// from one Parquet file: the per-file costs vanish.
func BenchmarkDeriveLongRun(b *testing.B) {
	paths, events := simFiles(b, b.TempDir(), "bandit_safe", 3000, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := metrics.AnalyzeFile(paths[0], metrics.Spec{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDeriverOnly: the deriver alone on events already in memory (the
// long run's), to separate its cost from Parquet decoding.
func BenchmarkDeriverOnly(b *testing.B) {
	paths, _ := simFiles(b, b.TempDir(), "bandit_safe", 3000, 1)
	info, err := metrics.ReadInfo(paths[0])
	if err != nil {
		b.Fatal(err)
	}
	_, evs, err := pq.ReadEvents(paths[0])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d, err := metrics.NewDeriver(info, metrics.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for i := range evs {
			if err := d.Add(&evs[i]); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := d.Finish(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(evs))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
