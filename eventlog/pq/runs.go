package pq

import (
	"fmt"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/internal/atomicfile"
	"github.com/ballast-bench/ballast/internal/tablefile"
)

// WriteRuns atomically replaces path with a runs table holding runs, one
// row each, in the given order (columns: eventlog.RunInfo's tags). Seeds
// must be below 2^63 (they are stored as int64).
func WriteRuns(path string, runs []eventlog.RunInfo) error {
	f, err := tablefile.StageParquet(path, runs, tablefile.KV{Key: MetaSchemaVersion, Value: schemaVersion})
	if err != nil {
		return fmt.Errorf("pq: %w", err)
	}
	return atomicfile.CommitAll(f)
}

// ReadRuns reads a runs table written by WriteRuns.
func ReadRuns(path string) ([]eventlog.RunInfo, error) {
	runs, err := tablefile.ReadParquet[eventlog.RunInfo](path)
	if err != nil {
		return nil, fmt.Errorf("pq: %w", err)
	}
	return runs, nil
}
