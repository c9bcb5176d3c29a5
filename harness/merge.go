package harness

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

// ReadManifest loads every manifest entry under dir, sorted by run id.
func ReadManifest(dir string) ([]ManifestEntry, error) {
	files, err := filepath.Glob(filepath.Join(dir, "manifest", "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	out := make([]ManifestEntry, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var m ManifestEntry
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("%s: not a manifest entry: %v", f, err)
		}
		if m.Run.RunID+".json" != filepath.Base(f) || strings.Contains(m.Path, "..") || (m.Analysis != nil && strings.Contains(m.Analysis.Path, "..")) {
			var paths []string
			for _, r := range m.files() {
				paths = append(paths, r.path)
			}
			return nil, fmt.Errorf("%s: entry names run %q and paths %q; allowed: the run its file is named after, paths inside the directory", f, m.Run.RunID, paths)
		}
		out = append(out, m)
	}
	return out, nil
}

// Merge combines the outputs of sweeps (typically one per shard) into out:
// every events file, stored analysis and manifest entry, each file checked
// against its recorded digest, plus runs.parquet, the runs table of all runs sorted by run id.
// A run present in several inputs must be byte-identical in all of them.
// Nothing is written if any check fails.
func Merge(out string, inputs []string) (int, error) {
	unlock, err := Lock(out)
	if err != nil {
		return 0, err
	}
	defer unlock()
	type src struct {
		dir string
		m   ManifestEntry
	}
	byID := map[string]src{}
	for _, in := range inputs {
		entries, err := ReadManifest(in)
		if err != nil {
			return 0, err
		}
		if len(entries) == 0 {
			return 0, fmt.Errorf("%s: no manifest entries; allowed: the output directory of a 'ballast run' (it has a manifest/ folder)", in)
		}
		for _, m := range entries {
			for _, f := range m.files() {
				if !intact(in, f.path, f.bytes, f.sha256) {
					return 0, fmt.Errorf("%s: run %s (seed %d): %s %s is missing or does not match its manifest entry; re-run the sweep to redo it", in, m.Run.RunID, m.Run.Seed, f.what, f.path)
				}
			}
			if m.Path == "" && m.Analysis == nil {
				return 0, fmt.Errorf("%s: run %s (seed %d): the manifest entry records neither an events file nor an analysis; re-run the sweep to redo it", in, m.Run.RunID, m.Run.Seed)
			}
			if prev, dup := byID[m.Run.RunID]; dup && !slices.Equal(prev.m.files(), m.files()) {
				return 0, fmt.Errorf("run %s (seed %d) differs between %s and %s; allowed: inputs from the same code version, swept with the same keep_events", m.Run.RunID, m.Run.Seed, prev.dir, in)
			}
			byID[m.Run.RunID] = src{in, m}
		}
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s := byID[id]
		if filepath.Clean(s.dir) != filepath.Clean(out) {
			for _, f := range s.m.files() {
				if err := copyFile(filepath.Join(s.dir, f.path), filepath.Join(out, f.path)); err != nil {
					return 0, err
				}
			}
			if err := writeManifest(out, s.m); err != nil {
				return 0, err
			}
		}
	}
	if _, err := writeRunsTable(out); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// RunsTable is the file in an output directory that lists its runs.
const RunsTable = "runs.parquet"

// WriteRunsTable writes dir/runs.parquet, the runs table of every run
// recorded in dir's manifest, sorted by run id; it returns how many. It
// takes dir's lock.
func WriteRunsTable(dir string) (int, error) {
	unlock, err := Lock(dir)
	if err != nil {
		return 0, err
	}
	defer unlock()
	return writeRunsTable(dir)
}

func writeRunsTable(dir string) (int, error) {
	entries, err := ReadManifest(dir)
	if err != nil {
		return 0, err
	}
	runs := make([]eventlog.RunInfo, len(entries))
	for i, m := range entries {
		runs[i] = m.Run
	}
	return len(runs), pq.WriteRuns(filepath.Join(dir, RunsTable), runs)
}

// recorded is one file a manifest entry records.
type recorded struct {
	what, path string
	bytes      int64
	sha256     string
}

// files lists the files m records: its events file and its analysis, as
// far as the sweep kept them.
func (m *ManifestEntry) files() []recorded {
	var fs []recorded
	if m.Path != "" {
		fs = append(fs, recorded{"events file", m.Path, m.Bytes, m.SHA256})
	}
	if a := m.Analysis; a != nil {
		fs = append(fs, recorded{"stored analysis", a.Path, a.Bytes, a.SHA256})
	}
	return fs
}

// copyFile copies an events file into the merged tree, atomically.
func copyFile(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := atomicfile.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Abort()
		return fmt.Errorf("copying %s to %s: %w", from, to, err)
	}
	return out.Commit()
}
