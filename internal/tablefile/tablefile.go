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
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/ballast-bench/ballast/internal/atomicfile"
)

// ParquetGoVersion is the version of github.com/parquet-go/parquet-go in
// go.mod (TestParquetGoVersion checks it). Every Parquet file ballast writes
// names it in its created_by, spelled here rather than taken from the
// build: parquet-go's default reads the binary's build information, which
// differs between builds (a replace directive drops the version), and the
// files must not.
const ParquetGoVersion = "0.32.1"

// CreatedBy is the writer option that sets created_by to
// "parquet-go version ParquetGoVersion".
var CreatedBy parquet.WriterOption = &parquet.WriterConfig{CreatedBy: "parquet-go version " + ParquetGoVersion}

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

// storedType is the Go type parquet-go stores a field of kind k as.
func storedType(k reflect.Kind) reflect.Type {
	switch k {
	case reflect.String:
		return reflect.TypeFor[string]()
	case reflect.Int64, reflect.Uint64:
		return reflect.TypeFor[int64]()
	case reflect.Float64:
		return reflect.TypeFor[float64]()
	}
	return reflect.TypeFor[bool]()
}

// parquetKind is the physical type of a column of kind k.
func parquetKind(k reflect.Kind) parquet.Kind {
	switch k {
	case reflect.String:
		return parquet.ByteArray
	case reflect.Int64, reflect.Uint64:
		return parquet.Int64
	case reflect.Float64:
		return parquet.Double
	}
	return parquet.Boolean
}

// rowType is the struct parquet-go writes and reads for cols: one field
// per column in file order, tagged with its name; a field is a pointer
// (nil: NULL) where optional says so. Strings are dictionary encoded.
func rowType(cols []column, optional func(i int) bool) reflect.Type {
	fields := make([]reflect.StructField, len(cols))
	for i, c := range cols {
		typ, tag := storedType(c.kind), c.name
		if c.kind == reflect.String {
			tag += ",dict"
		}
		if optional(i) {
			typ, tag = reflect.PointerTo(typ), tag+",optional"
		}
		fields[i] = reflect.StructField{Name: "F" + strconv.Itoa(i), Type: typ, Tag: reflect.StructTag(`parquet:"` + tag + `"`)}
	}
	return reflect.StructOf(fields)
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
	rt := rowType(cols, func(i int) bool { return cols[i].nullable })
	opts := []parquet.WriterOption{CreatedBy, parquet.Compression(&parquet.Zstd), parquet.SchemaOf(reflect.New(rt).Interface())}
	for _, kv := range meta {
		opts = append(opts, parquet.KeyValueMetadata(kv.Key, kv.Value))
	}
	pw := parquet.NewWriter(w, opts...)
	out := reflect.New(rt).Elem()
	for r := range rows {
		v := reflect.ValueOf(&rows[r]).Elem()
		for i, c := range cols {
			fv, dst := v.Field(c.index), out.Field(i)
			if c.nullable {
				if c.isNull(fv) {
					dst.SetZero()
					continue
				}
				dst.Set(reflect.New(dst.Type().Elem()))
				dst = dst.Elem()
			}
			switch c.kind {
			case reflect.String:
				dst.SetString(fv.String())
			case reflect.Int64:
				dst.SetInt(fv.Int())
			case reflect.Uint64:
				if fv.Uint() > math.MaxInt64 {
					return fmt.Errorf("row %d: %s %d does not fit in int64; allowed: below 2^63", r, c.name, fv.Uint())
				}
				dst.SetInt(int64(fv.Uint()))
			case reflect.Float64:
				dst.SetFloat(fv.Float())
			case reflect.Bool:
				dst.SetBool(fv.Bool())
			}
		}
		if err := pw.Write(out.Addr().Interface()); err != nil {
			return err
		}
	}
	return pw.Close()
}

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
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, fi.Size(), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// The file's optional columns are read into pointers, so that a NULL
	// in a column without one is seen (and refused) rather than read as 0.
	optional := make([]bool, len(cols))
	for i, c := range cols {
		leaf, ok := pf.Schema().Lookup(c.name)
		if !ok || !leaf.Node.Leaf() {
			return nil, fmt.Errorf("%s: no column %q; allowed: tables written by ballast", path, c.name)
		}
		if k := leaf.Node.Type().Kind(); k != parquetKind(c.kind) || leaf.MaxRepetitionLevel != 0 {
			return nil, fmt.Errorf("%s: column %s has type %s; allowed: %s", path, c.name, leaf.Node.Type(), parquetKind(c.kind))
		}
		optional[i] = leaf.MaxDefinitionLevel > 0
	}
	rt := rowType(cols, func(i int) bool { return optional[i] })
	pr := parquet.NewReader(pf, parquet.SchemaOf(reflect.New(rt).Interface()))
	defer pr.Close()
	rows := make([]T, pf.NumRows())
	in := reflect.New(rt)
	for r := range rows {
		in.Elem().SetZero()
		if err := pr.Read(in.Interface()); err != nil {
			return nil, fmt.Errorf("%s: row %d: %w", path, r+1, err)
		}
		v := reflect.ValueOf(&rows[r]).Elem()
		for i, c := range cols {
			fv, src := v.Field(c.index), in.Elem().Field(i)
			if optional[i] {
				if src.IsNil() {
					switch {
					case !c.nullable:
						return nil, fmt.Errorf("%s: column %s has nulls; allowed: values in every row", path, c.name)
					case c.kind == reflect.Float64:
						fv.SetFloat(math.NaN())
					default:
						fv.SetInt(c.sentinel)
					}
					continue
				}
				src = src.Elem()
			}
			switch c.kind {
			case reflect.String:
				fv.SetString(src.String())
			case reflect.Int64:
				fv.SetInt(src.Int())
			case reflect.Uint64:
				if src.Int() < 0 {
					return nil, fmt.Errorf("%s: column %s: negative value %d; allowed: 0 or more", path, c.name, src.Int())
				}
				fv.SetUint(uint64(src.Int()))
			case reflect.Float64:
				fv.SetFloat(src.Float())
			case reflect.Bool:
				fv.SetBool(src.Bool())
			}
		}
	}
	return rows, nil
}
