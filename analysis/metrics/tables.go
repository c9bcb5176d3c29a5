package metrics

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/ballast-bench/ballast/eventlog/pq"
	"github.com/ballast-bench/ballast/internal/atomicfile"
	"github.com/ballast-bench/ballast/internal/tablefile"
)

// TableSuffix ends the name of every table 'ballast analyze' writes
// (runs.metrics.parquet, ...), so that EventFiles never takes one for an
// events file.
const TableSuffix = ".metrics.parquet"

// Tables are the analysed runs, flattened into one table per row type,
// each sorted by run (CompareRows) and then by time.
type Tables struct {
	Runs      []RunRow
	Intervals []Interval
	Elections []Election
	Failovers []Failover
	Safety    []SafetyEpisode
	Arms      []ArmBin
}

// Collect flattens runs (already in CompareRows order) into Tables.
func Collect(runs []*Run) *Tables {
	t := &Tables{}
	for _, r := range runs {
		t.Runs = append(t.Runs, r.Row)
		t.Intervals = append(t.Intervals, r.Intervals...)
		t.Elections = append(t.Elections, r.Elections...)
		t.Failovers = append(t.Failovers, r.Failovers...)
		t.Safety = append(t.Safety, r.Safety...)
		t.Arms = append(t.Arms, r.Arms...)
	}
	return t
}

// SchemaVersion is the version of the analysed tables' columns, in every
// table's key-value metadata (MetaSchema). Version 2: undefined values
// are NULL (Parquet) and empty cells (CSV), no longer NaN and -1. Version
// 3: the runs table's harness_late_p99_us and harness_flagged (live runs).
// Version 4: its policy_{choose,update}_{mean,p99}_us (live ballast nodes).
const SchemaVersion = 4

// MetaSchema is the metadata key of SchemaVersion.
const MetaSchema = "ballast.metrics_schema_version"

// TableNames are the base names of the tables in an analysis directory.
var TableNames = []string{"runs", "intervals", "elections", "failovers", "safety", "arms"}

// Write writes every table to dir as NAME.metrics.parquet and NAME.csv.
// All files are staged first and renamed into place only when all were
// written: an error leaves dir as it was.
func (t *Tables) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var files []*atomicfile.File
	add := func(f *atomicfile.File, err error) error {
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	}
	p := func(name string) string { return filepath.Join(dir, name+TableSuffix) }
	c := func(name string) string { return filepath.Join(dir, name+".csv") }
	schema := tablefile.KV{Key: MetaSchema, Value: strconv.Itoa(SchemaVersion)}
	err := errors.Join(
		add(tablefile.StageParquet(p("runs"), t.Runs, schema)), add(tablefile.StageCSV(c("runs"), t.Runs)),
		add(tablefile.StageParquet(p("intervals"), t.Intervals, schema)), add(tablefile.StageCSV(c("intervals"), t.Intervals)),
		add(tablefile.StageParquet(p("elections"), t.Elections, schema)), add(tablefile.StageCSV(c("elections"), t.Elections)),
		add(tablefile.StageParquet(p("failovers"), t.Failovers, schema)), add(tablefile.StageCSV(c("failovers"), t.Failovers)),
		add(tablefile.StageParquet(p("safety"), t.Safety, schema)), add(tablefile.StageCSV(c("safety"), t.Safety)),
		add(tablefile.StageParquet(p("arms"), t.Arms, schema)), add(tablefile.StageCSV(c("arms"), t.Arms)),
	)
	if err != nil {
		atomicfile.AbortAll(files...)
		return err
	}
	return atomicfile.CommitAll(files...)
}

// ReadTables reads an analysis directory written by Tables.Write.
func ReadTables(dir string) (*Tables, error) {
	p := func(name string) string { return filepath.Join(dir, name+TableSuffix) }
	t := &Tables{}
	var err error
	if t.Runs, err = ReadRuns(dir); err != nil {
		return nil, err
	}
	if t.Intervals, err = tablefile.ReadParquet[Interval](p("intervals")); err != nil {
		return nil, err
	}
	if t.Elections, err = tablefile.ReadParquet[Election](p("elections")); err != nil {
		return nil, err
	}
	if t.Failovers, err = tablefile.ReadParquet[Failover](p("failovers")); err != nil {
		return nil, err
	}
	if t.Safety, err = tablefile.ReadParquet[SafetyEpisode](p("safety")); err != nil {
		return nil, err
	}
	if t.Arms, err = tablefile.ReadParquet[ArmBin](p("arms")); err != nil {
		return nil, err
	}
	return t, nil
}

// ReadRuns reads only the runs table of an analysis directory written by
// Tables.Write: the per-run metrics, without the per-interval and
// per-election rows.
func ReadRuns(dir string) ([]RunRow, error) {
	p := filepath.Join(dir, "runs"+TableSuffix)
	if _, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("%s: no %s; allowed: a directory written by 'ballast analyze --out'", dir, "runs"+TableSuffix)
	}
	meta, err := pq.ReadMetadata(p)
	if err != nil {
		return nil, err
	}
	if v := meta[MetaSchema]; v != strconv.Itoa(SchemaVersion) {
		return nil, fmt.Errorf("%s: %s %q; allowed: %d: analyse the runs again with this ballast ('ballast analyze')", p, MetaSchema, v, SchemaVersion)
	}
	return tablefile.ReadParquet[RunRow](p)
}
