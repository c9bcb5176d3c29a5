// Package store writes and reads the tables of 'ballast analyze' (slices
// of structs whose fields carry `col:"name"` tags) as Parquet and CSV.
// Every file is written under a temporary name in its directory and
// renamed into place when complete, so a reader never sees a partial file.
//
// Field types: string, int64, float64 (NaN allowed: "undefined"), bool.
// Fields tagged `col:"-"` or untagged are not stored.
package store

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

type column struct {
	name  string
	index int
	kind  reflect.Kind
}

func columns(t reflect.Type) ([]column, error) {
	var cols []column
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("col")
		if name == "" || name == "-" {
			continue
		}
		switch f.Type.Kind() {
		case reflect.String, reflect.Int64, reflect.Float64, reflect.Bool:
		default:
			return nil, fmt.Errorf("store: %s.%s: unsupported type %s", t.Name(), f.Name, f.Type)
		}
		cols = append(cols, column{name: name, index: i, kind: f.Type.Kind()})
	}
	return cols, nil
}

func arrowType(k reflect.Kind) arrow.DataType {
	switch k {
	case reflect.String:
		return arrow.BinaryTypes.String
	case reflect.Int64:
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

// File is one staged output file: written to a temporary file by Stage,
// renamed into place by Commit. Staging every output of a command first
// and committing only when all succeeded means bad input never leaves
// half a set of outputs behind.
type File struct {
	tmp, path string
}

// Stage writes a file through write to a temporary name beside path.
func Stage(path string, write func(w io.Writer) error) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return &File{tmp: f.Name(), path: path}, nil
}

// Commit renames staged files into place, in order.
func Commit(files []*File) error {
	for i, f := range files {
		if err := os.Rename(f.tmp, f.path); err != nil {
			Abort(files[i:])
			return err
		}
	}
	return nil
}

// Abort removes staged files.
func Abort(files []*File) {
	for _, f := range files {
		os.Remove(f.tmp)
	}
}

// StageParquet stages rows as a Parquet file (zstd; every column
// required).
func StageParquet[T any](path string, rows []T) (*File, error) {
	cols, err := columns(reflect.TypeFor[T]())
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.name, Type: arrowType(c.kind)}
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for r := range rows {
		v := reflect.ValueOf(&rows[r]).Elem()
		for i, c := range cols {
			fv := v.Field(c.index)
			switch c.kind {
			case reflect.String:
				b.Field(i).(*array.StringBuilder).Append(fv.String())
			case reflect.Int64:
				b.Field(i).(*array.Int64Builder).Append(fv.Int())
			case reflect.Float64:
				b.Field(i).(*array.Float64Builder).Append(fv.Float())
			case reflect.Bool:
				b.Field(i).(*array.BooleanBuilder).Append(fv.Bool())
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return Stage(path, func(w io.Writer) error {
		props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd))
		fw, err := pqarrow.NewFileWriter(schema, nopCloser{w}, props, pqarrow.NewArrowWriterProperties())
		if err != nil {
			return err
		}
		return errors.Join(fw.Write(rec), fw.Close())
	})
}

// nopCloser keeps pqarrow from closing the staged file: Stage closes it.
type nopCloser struct{ io.Writer }

// StageCSV stages rows as CSV with a header line. Floats are written in
// the shortest form that reads back exactly ("NaN" when undefined).
func StageCSV[T any](path string, rows []T) (*File, error) {
	cols, err := columns(reflect.TypeFor[T]())
	if err != nil {
		return nil, err
	}
	return Stage(path, func(w io.Writer) error {
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
				switch c.kind {
				case reflect.String:
					rec[i] = fv.String()
				case reflect.Int64:
					rec[i] = strconv.FormatInt(fv.Int(), 10)
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

// ReadParquet reads a table written by StageParquet into rows of T. Every
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
			return nil, fmt.Errorf("%s: no column %q; allowed: tables written by 'ballast analyze'", path, c.name)
		}
		row := 0
		for _, chunk := range tbl.Column(idx[0]).Data().Chunks() {
			if chunk.NullN() > 0 {
				return nil, fmt.Errorf("%s: column %s has nulls", path, c.name)
			}
			for i := range chunk.Len() {
				fv := reflect.ValueOf(&rows[row+i]).Elem().Field(c.index)
				switch a := chunk.(type) {
				case *array.String:
					if c.kind != reflect.String {
						return nil, typeErr(path, c, a)
					}
					fv.SetString(a.Value(i))
				case *array.Int64:
					if c.kind != reflect.Int64 {
						return nil, typeErr(path, c, a)
					}
					fv.SetInt(a.Value(i))
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
