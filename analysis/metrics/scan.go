package metrics

import (
	"encoding/json"
	"fmt"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
)

// runInfo returns the run's RunInfo from the file's metadata.
func runInfo(path string, meta map[string]string) (eventlog.RunInfo, error) {
	var info eventlog.RunInfo
	if v := meta[pq.MetaSchemaVersion]; v != fmt.Sprint(eventlog.SchemaVersion) {
		return info, fmt.Errorf("%s: %s %q; allowed: %d", path, pq.MetaSchemaVersion, v, eventlog.SchemaVersion)
	}
	js, ok := meta[MetaRun]
	if !ok {
		return info, fmt.Errorf("%s: no %q metadata; allowed: events files written by 'ballast sim' or a sweep", path, MetaRun)
	}
	if err := json.Unmarshal([]byte(js), &info); err != nil {
		return info, fmt.Errorf("%s: %s metadata: %v; allowed: a JSON RunInfo", path, MetaRun, err)
	}
	switch {
	case info.RunID == "":
		return info, fmt.Errorf("%s: %s metadata: empty RunID; allowed: the run's ID", path, MetaRun)
	case info.RunID != meta[pq.MetaRunID]:
		return info, fmt.Errorf("%s: %s metadata: RunID %q but %s %q; allowed: equal IDs", path, MetaRun, info.RunID, pq.MetaRunID, meta[pq.MetaRunID])
	case info.Seed >= 1<<63:
		return info, fmt.Errorf("%s: %s metadata: Seed %d; allowed: below 2^63", path, MetaRun, info.Seed)
	}
	return info, nil
}
