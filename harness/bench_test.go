package harness

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkSimulateParquet: simulation plus the Parquet sink, end to end,
// for 5-node 60 s WAN runs (issue targets: >= 2 M events/s, <= 10 B/event).
func BenchmarkSimulateParquet(b *testing.B) {
	for _, name := range []string{"wan_stable", "wan_main"} {
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			var events, bytes int64
			seed := uint64(0)
			b.ReportAllocs()
			for b.Loop() {
				seed++
				path := filepath.Join(dir, "e.parquet")
				info, err := resolve(b, name, "random", seed).WriteParquet(context.Background(), path)
				if err != nil {
					b.Fatal(err)
				}
				st, _ := os.Stat(path)
				events += info.Events
				bytes += st.Size()
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(bytes)/float64(events), "B/event")
		})
	}
}
