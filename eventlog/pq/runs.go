package pq

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ballast-bench/ballast/eventlog"
)

// runColumn is one column of the runs table: its name and how to get and
// set the field of eventlog.RunInfo. Exactly one of str and num is set.
type runColumn struct {
	name string
	str  func(*eventlog.RunInfo) *string
	num  func(*eventlog.RunInfo) *int64
}

// runColumns lists the runs table's columns in file order. Seed is not
// here: it is uint64 in RunInfo and needs a range check (see WriteRuns).
var runColumns = []runColumn{
	{name: "run_id", str: func(r *eventlog.RunInfo) *string { return &r.RunID }},
	{name: "experiment", str: func(r *eventlog.RunInfo) *string { return &r.Experiment }},
	{name: "scenario", str: func(r *eventlog.RunInfo) *string { return &r.Scenario }},
	{name: "scenario_hash", str: func(r *eventlog.RunInfo) *string { return &r.ScenarioHash }},
	{name: "policy", str: func(r *eventlog.RunInfo) *string { return &r.Policy }},
	{name: "variant", str: func(r *eventlog.RunInfo) *string { return &r.Variant }},
	{name: "params", str: func(r *eventlog.RunInfo) *string { return &r.Params }},
	{name: "seed"},
	{name: "seed_set", str: func(r *eventlog.RunInfo) *string { return &r.SeedSet }},
	{name: "engine", str: func(r *eventlog.RunInfo) *string { return &r.Engine }},
	{name: "config_hash", str: func(r *eventlog.RunInfo) *string { return &r.ConfigHash }},
	{name: "code_version", str: func(r *eventlog.RunInfo) *string { return &r.CodeVersion }},
	{name: "schema_version", num: func(r *eventlog.RunInfo) *int64 { return &r.SchemaVersion }},
	{name: "nodes", num: func(r *eventlog.RunInfo) *int64 { return &r.Nodes }},
	{name: "duration_us", num: func(r *eventlog.RunInfo) *int64 { return &r.DurationUS }},
	{name: "heartbeat_us", num: func(r *eventlog.RunInfo) *int64 { return &r.HeartbeatUS }},
	{name: "events", num: func(r *eventlog.RunInfo) *int64 { return &r.Events }},
}

var runSchema = func() *arrow.Schema {
	fields := make([]arrow.Field, len(runColumns))
	for i, c := range runColumns {
		fields[i] = arrow.Field{Name: c.name, Type: arrow.PrimitiveTypes.Int64}
		if c.str != nil {
			fields[i].Type = arrow.BinaryTypes.String
		}
	}
	return arrow.NewSchema(fields, nil)
}()

// WriteRuns atomically replaces path with a runs table holding runs, one
// row each, in the given order. Seeds must be below 2^63 (they are stored
// as int64).
func WriteRuns(path string, runs []eventlog.RunInfo) error {
	b := array.NewRecordBuilder(memory.DefaultAllocator, runSchema)
	defer b.Release()
	for i := range runs {
		r := &runs[i]
		if r.Seed > math.MaxInt64 {
			return fmt.Errorf("pq: run %q: seed %d does not fit in int64", r.RunID, r.Seed)
		}
		for j, c := range runColumns {
			switch {
			case c.str != nil:
				b.Field(j).(*array.StringBuilder).Append(*c.str(r))
			case c.num != nil:
				b.Field(j).(*array.Int64Builder).Append(*c.num(r))
			default: // seed
				b.Field(j).(*array.Int64Builder).Append(int64(r.Seed))
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()

	out, err := createAtomic(path)
	if err != nil {
		return err
	}
	// The table is small; defaults (dictionary + zstd) are fine.
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd))
	fw, err := pqarrow.NewFileWriter(runSchema, out.buf, props, arrowProps())
	if err == nil {
		err = errors.Join(
			fw.Write(rec),
			fw.AppendKeyValueMetadata(MetaSchemaVersion, schemaVersion),
			fw.Close())
	}
	if err != nil {
		out.abort()
		return err
	}
	return out.commit()
}

// ReadRuns reads a runs table written by WriteRuns.
func ReadRuns(path string) ([]eventlog.RunInfo, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, fmt.Errorf("pq: %s: %w", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("pq: %s: %w", path, err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		return nil, fmt.Errorf("pq: %s: %w", path, err)
	}
	defer tbl.Release()

	runs := make([]eventlog.RunInfo, tbl.NumRows())
	for _, c := range runColumns {
		idx := tbl.Schema().FieldIndices(c.name)
		if len(idx) != 1 {
			return nil, fmt.Errorf("pq: %s: no column %q", path, c.name)
		}
		row := 0
		for _, chunk := range tbl.Column(idx[0]).Data().Chunks() {
			if chunk.NullN() > 0 {
				return nil, fmt.Errorf("pq: %s: column %s has nulls", path, c.name)
			}
			switch a := chunk.(type) {
			case *array.String:
				if c.str == nil {
					return nil, fmt.Errorf("pq: %s: column %s has type %s, want int64", path, c.name, a.DataType())
				}
				for i := range a.Len() {
					*c.str(&runs[row+i]) = a.Value(i)
				}
			case *array.Int64:
				if c.str != nil {
					return nil, fmt.Errorf("pq: %s: column %s has type %s, want string", path, c.name, a.DataType())
				}
				for i, v := range a.Int64Values() {
					if c.num != nil {
						*c.num(&runs[row+i]) = v
					} else if v < 0 {
						return nil, fmt.Errorf("pq: %s: negative seed %d", path, v)
					} else {
						runs[row+i].Seed = uint64(v)
					}
				}
			default:
				return nil, fmt.Errorf("pq: %s: column %s has unsupported type %s", path, c.name, a.DataType())
			}
			row += chunk.Len()
		}
	}
	return runs, nil
}
