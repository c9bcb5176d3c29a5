package pq

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/internal/atomicfile"
	"github.com/ballast-bench/ballast/internal/tablefile"
)

// duckDBView is what testdata/duckdb/inspect.mjs prints about a file.
type duckDBView struct {
	Columns  [][2]string       `json:"columns"` // name, DuckDB type
	Count    int               `json:"count"`
	Metadata map[string]string `json:"metadata"` // keys "ballast.*"
	Rows     [][]string        `json:"rows"`     // NULL reads as ""
	Nulls    map[string]int    `json:"nulls"`    // NULLs per column
	Kinds    map[string]int    `json:"kinds"`    // count per kind
}

// inspectWithDuckDB runs the DuckDB script on path, or skips the test if
// node or the npm package is not installed.
func inspectWithDuckDB(t *testing.T, path string) duckDBView {
	t.Helper()
	const install = "run `npm ci --prefix eventlog/pq/testdata/duckdb` from the repository root to enable this check"
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found; install Node.js (>= 20) and " + install)
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api")); err != nil {
		t.Skip("DuckDB npm package not installed; " + install)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "inspect.mjs"), path)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node inspect.mjs %s: %v", path, err)
	}
	var v duckDBView
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("parsing DuckDB output: %v\n%s", err, out)
	}
	return v
}

// TestDuckDB checks the files with an independent Parquet reader: DuckDB
// must see the documented column types, the metadata, and every value.
func TestDuckDB(t *testing.T) {
	dir := t.TempDir()
	str := func(v any) string { return fmt.Sprint(v) }

	t.Run("events", func(t *testing.T) {
		path := filepath.Join(dir, "events.parquet")
		evs := edgeEvents()
		const runID = "duck-run"
		writeEvents(t, path, runID, evs, map[string]string{"ballast.run_info": `{"seed":42}`})
		v := inspectWithDuckDB(t, path)

		wantCols := [][2]string{
			{"run_id", "VARCHAR"}, {"time_us", "BIGINT"}, {"node", "SMALLINT"},
			{"kind", "VARCHAR"}, {"term", "BIGINT"}, {"peer", "SMALLINT"},
			{"value", "BIGINT"}, {"arm", "TINYINT"}, {"msg_id", "BIGINT"},
		}
		if !slices.Equal(v.Columns, wantCols) {
			t.Errorf("columns = %v, want %v", v.Columns, wantCols)
		}
		if v.Count != len(evs) {
			t.Errorf("count = %d, want %d", v.Count, len(evs))
		}
		wantMeta := map[string]string{MetaRunID: runID, MetaSchemaVersion: "1", "ballast.run_info": `{"seed":42}`}
		if !maps.Equal(v.Metadata, wantMeta) {
			t.Errorf("metadata = %v, want %v", v.Metadata, wantMeta)
		}
		wantKinds := map[string]int{}
		for _, ev := range evs {
			wantKinds[ev.Kind.String()]++
		}
		if !maps.Equal(v.Kinds, wantKinds) {
			t.Errorf("count by kind = %v, want %v", v.Kinds, wantKinds)
		}
		var wantRows [][]string
		for _, ev := range evs {
			wantRows = append(wantRows, []string{runID, str(ev.TimeUS), str(ev.Node), ev.Kind.String(),
				str(ev.Term), str(ev.Peer), str(ev.Value), str(ev.Arm), str(ev.MsgID)})
		}
		compareRows(t, v.Rows, wantRows)
	})

	t.Run("runs", func(t *testing.T) {
		path := filepath.Join(dir, "runs.parquet")
		runs := testRuns()
		if err := WriteRuns(path, runs); err != nil {
			t.Fatal(err)
		}
		v := inspectWithDuckDB(t, path)
		// The columns are RunInfo's `col` tags in field order: strings as
		// VARCHAR, integers (the seed too) as BIGINT.
		rt := reflect.TypeFor[eventlog.RunInfo]()
		var wantCols [][2]string
		for i := range rt.NumField() {
			typ := "BIGINT"
			if rt.Field(i).Type.Kind() == reflect.String {
				typ = "VARCHAR"
			}
			wantCols = append(wantCols, [2]string{tablefile.ColumnName(rt.Field(i)), typ})
		}
		if !slices.Equal(v.Columns, wantCols) {
			t.Errorf("columns = %v, want %v", v.Columns, wantCols)
		}
		if v.Metadata[MetaSchemaVersion] != "1" {
			t.Errorf("metadata = %v", v.Metadata)
		}
		var wantRows [][]string
		for i := range runs {
			var row []string
			rv := reflect.ValueOf(runs[i])
			for j := range rt.NumField() {
				row = append(row, fmt.Sprint(rv.Field(j).Interface()))
			}
			wantRows = append(wantRows, row)
		}
		compareRows(t, v.Rows, wantRows)
	})
}

// TestDuckDBNulls: an undefined value (NaN, an int64 column's sentinel)
// is a NULL to DuckDB, so SQL aggregates skip it instead of averaging a
// sentinel in; a column without a sentinel keeps its -1.
func TestDuckDBNulls(t *testing.T) {
	type row struct {
		DetectUS int64   `col:"detect_us,null=-1"`
		Ratio    float64 `col:"ratio"`
		Delta    int64   `col:"delta"`
	}
	rows := []row{{DetectUS: -1, Ratio: math.NaN(), Delta: -1}, {DetectUS: 300, Ratio: 0.25, Delta: 2}, {DetectUS: 500, Ratio: 0.75, Delta: -1}}
	path := filepath.Join(t.TempDir(), "nulls.parquet")
	f, err := tablefile.StageParquet(path, rows)
	if err != nil {
		t.Fatal(err)
	}
	atomicfile.CommitAll(f)
	v := inspectWithDuckDB(t, path)
	if want := map[string]int{"detect_us": 1, "ratio": 1, "delta": 0}; !maps.Equal(v.Nulls, want) {
		t.Errorf("NULLs per column = %v, want %v", v.Nulls, want)
	}
	compareRows(t, v.Rows, [][]string{{"", "", "-1"}, {"300", "0.25", "2"}, {"500", "0.75", "-1"}})
}

func compareRows(t *testing.T, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("DuckDB read %d rows, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("row %d: DuckDB read %q, want %q", i, got[i], want[i])
			return
		}
	}
}
