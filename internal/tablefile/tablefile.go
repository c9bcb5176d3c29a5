// Package tablefile is ballast's one codec for tables: slices of structs
// whose fields carry `col:"name"` tags, written and read as Parquet (and
// written as CSV). The runs table (eventlog.RunInfo) and every table of
// 'ballast analyze' use it; files are written through package atomicfile,
// so a reader never sees a partial file.
//
// Field types: string, int64, float64, bool, and uint64, stored as int64
// (values must be below 2^63). An undefined value is NULL in Parquet and
// an empty cell in CSV, so that SQL's avg() and pandas skip it: a float's
// NaN, and an int64's sentinel where the field's tag names one
// (`col:"detect_first_us,null=-1"`); reading gives them back. Fields tagged
// `col:"-"` or untagged are not stored. Parquet files are zstd-compressed
// with dictionaries; only the nullable columns are optional.
package tablefile

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ballast-bench/ballast/internal/atomicfile"
)

type column struct {
	name  string
	index int
	kind  reflect.Kind
	// Undefined values are stored as NULL (Parquet) and an empty cell
	// (CSV): a float's NaN always, an int64's sentinel where the tag says
	// `col:"name,null=-1"`. Reading gives the NaN or the sentinel back.
	nullable bool
	sentinel int64
}

// isNull reports whether field value v of c is undefined.
func (c column) isNull(v reflect.Value) bool {
	switch {
	case c.kind == reflect.Float64:
		return math.IsNaN(v.Float())
	case c.kind == reflect.Int64 && c.nullable:
		return v.Int() == c.sentinel
	}
	return false
}

// ColumnName is the column a struct field is stored in ("" or "-": none):
// its col tag without options.
func ColumnName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("col"), ",")
	return name
}

func columns(t reflect.Type) ([]column, error) {
	var cols []column
	for i := range t.NumField() {
		f := t.Field(i)
		name, opt, _ := strings.Cut(f.Tag.Get("col"), ",")
		if name == "" || name == "-" {
			continue
		}
		switch f.Type.Kind() {
		case reflect.String, reflect.Int64, reflect.Uint64, reflect.Float64, reflect.Bool:
		default:
			return nil, fmt.Errorf("tablefile: %s.%s: unsupported type %s", t.Name(), f.Name, f.Type)
		}
		c := column{name: name, index: i, kind: f.Type.Kind(), nullable: f.Type.Kind() == reflect.Float64}
		if v, ok := strings.CutPrefix(opt, "null="); ok && c.kind == reflect.Int64 {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("tablefile: %s.%s: bad null sentinel %q", t.Name(), f.Name, v)
			}
			c.nullable, c.sentinel = true, n
		} else if opt != "" {
			return nil, fmt.Errorf("tablefile: %s.%s: unknown col option %q; allowed: null=N on int64 fields", t.Name(), f.Name, opt)
		}
		cols = append(cols, c)
	}
	return cols, nil
}

func arrowType(k reflect.Kind) arrow.DataType {
	switch k {
	case reflect.String:
		return arrow.BinaryTypes.String
	case reflect.Int64, reflect.Uint64:
		return arrow.PrimitiveTypes.Int64
	case reflect.Float64:
		return arrow.PrimitiveTypes.Float64
	}
	return arrow.FixedWidthTypes.Boolean
}

// Header returns the column names of T, in file order.
func Header[T any]() []string {
	cols, _ := columns(reflect.TypeFor[T]())
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	return names
}

// KV is one key-value pair of a Parquet file's metadata.
type KV struct{ Key, Value string }

// StageParquet writes rows as a Parquet file at path, finished but not
// yet in place (atomicfile.CommitAll puts it there), with the key-value
// metadata meta.
func StageParquet[T any](path string, rows []T, meta ...KV) (*atomicfile.File, error) {
	return atomicfile.Stage(path, func(w io.Writer) error { return WriteParquet(w, rows, meta...) })
}

// WriteParquet writes rows as a Parquet file to w.
func WriteParquet[T any](w io.Writer, rows []T, meta ...KV) error {
	cols, err := columns(reflect.TypeFor[T]())
	if err != nil {
		return err
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.name, Type: arrowType(c.kind), Nullable: c.nullable}
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for r := range rows {
		v := reflect.ValueOf(&rows[r]).Elem()
		for i, c := range cols {
			fv := v.Field(c.index)
			if c.isNull(fv) {
				b.Field(i).AppendNull()
				continue
			}
			switch c.kind {
			case reflect.String:
				b.Field(i).(*array.StringBuilder).Append(fv.String())
			case reflect.Int64:
				b.Field(i).(*array.Int64Builder).Append(fv.Int())
			case reflect.Uint64:
				if fv.Uint() > math.MaxInt64 {
					return fmt.Errorf("row %d: %s %d does not fit in int64; allowed: below 2^63", r, c.name, fv.Uint())
				}
				b.Field(i).(*array.Int64Builder).Append(int64(fv.Uint()))
			case reflect.Float64:
				b.Field(i).(*array.Float64Builder).Append(fv.Float())
			case reflect.Bool:
				b.Field(i).(*array.BooleanBuilder).Append(fv.Bool())
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd))
	fw, err := pqarrow.NewFileWriter(schema, nopCloser{w}, props, pqarrow.NewArrowWriterProperties())
	if err != nil {
		return err
	}
	werr := fw.Write(rec)
	for _, kv := range meta {
		werr = errors.Join(werr, fw.AppendKeyValueMetadata(kv.Key, kv.Value))
	}
	return errors.Join(werr, fw.Close())
}

// nopCloser keeps pqarrow from closing w: an atomicfile.File is closed by
// its commit.
type nopCloser struct{ io.Writer }

// StageCSV writes rows as CSV with a header line at path, finished but
// not yet in place. Floats are written in the shortest form that reads
// back exactly ("NaN" when undefined).
func StageCSV[T any](path string, rows []T) (*atomicfile.File, error) {
	cols, err := columns(reflect.TypeFor[T]())
	if err != nil {
		return nil, err
	}
	return atomicfile.Stage(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		rec := make([]string, len(cols))
		for i, c := range cols {
			rec[i] = c.name
		}
		cw.Write(rec)
		for r := range rows {
			v := reflect.ValueOf(&rows[r]).Elem()
			for i, c := range cols {
				fv := v.Field(c.index)
				if c.isNull(fv) {
					rec[i] = ""
					continue
				}
				switch c.kind {
				case reflect.String:
					rec[i] = fv.String()
				case reflect.Int64:
					rec[i] = strconv.FormatInt(fv.Int(), 10)
				case reflect.Uint64:
					rec[i] = strconv.FormatUint(fv.Uint(), 10)
				case reflect.Float64:
					rec[i] = strconv.FormatFloat(fv.Float(), 'g', -1, 64)
				case reflect.Bool:
					rec[i] = strconv.FormatBool(fv.Bool())
				}
			}
			cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	})
}

// ReadParquet reads a table written by WriteParquet into rows of T. Every
// column of T must be present with its type.
func ReadParquet[T any](path string) ([]T, error) {
	cols, err := columns(reflect.TypeFor[T]())
	if err != nil {
		return nil, err
	}
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer tbl.Release()
	rows := make([]T, tbl.NumRows())
	for _, c := range cols {
		idx := tbl.Schema().FieldIndices(c.name)
		if len(idx) != 1 {
			return nil, fmt.Errorf("%s: no column %q; allowed: tables written by ballast", path, c.name)
		}
		row := 0
		for _, chunk := range tbl.Column(idx[0]).Data().Chunks() {
			if chunk.NullN() > 0 && !c.nullable {
				return nil, fmt.Errorf("%s: column %s has nulls; allowed: values in every row", path, c.name)
			}
			for i := range chunk.Len() {
				fv := reflect.ValueOf(&rows[row+i]).Elem().Field(c.index)
				if chunk.IsNull(i) {
					if c.kind == reflect.Float64 {
						fv.SetFloat(math.NaN())
					} else {
						fv.SetInt(c.sentinel)
					}
					continue
				}
				switch a := chunk.(type) {
				case *array.String:
					if c.kind != reflect.String {
						return nil, typeErr(path, c, a)
					}
					fv.SetString(a.Value(i))
				case *array.Int64:
					switch v := a.Value(i); {
					case c.kind == reflect.Int64:
						fv.SetInt(v)
					case c.kind == reflect.Uint64 && v >= 0:
						fv.SetUint(uint64(v))
					case c.kind == reflect.Uint64:
						return nil, fmt.Errorf("%s: column %s: negative value %d; allowed: 0 or more", path, c.name, v)
					default:
						return nil, typeErr(path, c, a)
					}
				case *array.Float64:
					if c.kind != reflect.Float64 {
						return nil, typeErr(path, c, a)
					}
					fv.SetFloat(a.Value(i))
				case *array.Boolean:
					if c.kind != reflect.Bool {
						return nil, typeErr(path, c, a)
					}
					fv.SetBool(a.Value(i))
				default:
					return nil, typeErr(path, c, a)
				}
			}
			row += chunk.Len()
		}
	}
	return rows, nil
}

func typeErr(path string, c column, a arrow.Array) error {
	return fmt.Errorf("%s: column %s has type %s; allowed: %s", path, c.name, a.DataType(), arrowType(c.kind))
}
