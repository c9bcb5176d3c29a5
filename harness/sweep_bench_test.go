package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// benchJobs is a grid of 5-node 60 s WAN runs (wan_stable, policy random).
func benchJobs(b *testing.B, n int) []*Job {
	b.Helper()
	e := &Experiment{Name: "bench", Scenarios: []string{"wan_stable"}, Policies: []PolicyVariant{{Policy: "random"}},
		Seeds: SeedSets{Master: 1, Report: &SeedSet{Count: n}}}
	if fe := e.Validate(); fe != nil {
		b.Fatal(fe)
	}
	jobs, err := e.Grid(SetReport, 0)
	if err != nil {
		b.Fatal(err)
	}
	return jobs
}

// BenchmarkSweep measures sweep throughput in runs per second with 1 and 2
// workers (target: 2 workers >= 1.8x one worker).
func BenchmarkSweep(b *testing.B) {
	jobs := benchJobs(b, 64)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			runs := 0
			for b.Loop() {
				out := b.TempDir()
				sum, err := Sweep(context.Background(), jobs, Options{OutDir: out, Workers: workers, Shard: All})
				if err != nil {
					b.Fatal(err)
				}
				runs += sum.Ran
			}
			b.ReportMetric(float64(runs)/b.Elapsed().Seconds(), "runs/s")
		})
	}
}

// BenchmarkRunnerOverhead compares one worker sweeping a grid with writing
// the same runs' events files directly: the difference is the runner's cost
// per run (completion check, directories, digest, manifest entry, scheduling).
func BenchmarkRunnerOverhead(b *testing.B) {
	jobs := benchJobs(b, 32)
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			out := b.TempDir()
			for _, j := range jobs {
				path := filepath.Join(out, j.Run.Info.RunID+".parquet")
				if _, err := j.Run.WriteEvents(context.Background(), path); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(jobs)), "ns/run")
	})
	b.Run("sweep", func(b *testing.B) {
		for b.Loop() {
			out := b.TempDir()
			if _, err := Sweep(context.Background(), jobs, Options{OutDir: out, Workers: 1, Shard: All}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(jobs)), "ns/run")
	})
}
