package pq

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ballast-bench/ballast/sim/eventlog"
)

// ReadMetadata returns a file's Parquet key-value metadata: MetaSchemaVersion,
// MetaRunID (events files) and whatever the writer added with SetMetadata.
func ReadMetadata(path string) (map[string]string, error) {
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, fmt.Errorf("pq: %s: %w", path, err)
	}
	defer rdr.Close()
	kv := rdr.MetaData().KeyValueMetadata()
	m := make(map[string]string, kv.Len())
	for i, k := range kv.Keys() {
		m[k] = kv.Values()[i]
	}
	return m, nil
}

// ReadEvents reads a whole events file. All rows must belong to one run,
// whose ID is returned (for a file without rows, the ID in its metadata).
func ReadEvents(path string) (runID string, events []eventlog.Event, err error) {
	err = scan(path, func(r *eventReader, id string, evs []eventlog.Event) error {
		if events == nil {
			events = make([]eventlog.Event, 0, r.rows)
			runID = id
		} else if id != runID {
			return fmt.Errorf("pq: %s: more than one run ID (%q, %q)", path, runID, id)
		}
		events = append(events, evs...)
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	if events == nil {
		meta, err := ReadMetadata(path)
		if err != nil {
			return "", nil, err
		}
		runID = meta[MetaRunID]
	}
	return runID, events, nil
}

// ScanEvents calls fn for every event of the file in order, decoding a
// batch of columns at a time. ev is only valid during the call. An error
// from fn stops the scan and is returned as is.
func ScanEvents(path string, fn func(runID string, ev *eventlog.Event) error) error {
	return scan(path, func(_ *eventReader, runID string, evs []eventlog.Event) error {
		for i := range evs {
			if err := fn(runID, &evs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// eventReader is the state of one scan.
type eventReader struct {
	path string
	rows int64 // rows in the file
	evs  []eventlog.Event
	// scratch buffers for widened dictionary indices
	kindIdx, runIdx []int32

	// kindDict and kinds cache the kind dictionary of the last batch and
	// its decoding: batches of one column chunk share the dictionary.
	kindDict arrow.Array
	kinds    []eventlog.Kind
}

// scan reads the file in batches and calls fn with runs of consecutive
// events that share a run ID. The slice is reused between calls.
func scan(path string, fn func(r *eventReader, runID string, evs []eventlog.Event) error) error {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return fmt.Errorf("pq: %s: %w", path, err)
	}
	defer pf.Close()

	schema := pf.MetaData().Schema
	props := pqarrow.ArrowReadProperties{BatchSize: batchRows}
	cols := make([]int, eventSchema.NumFields())
	for i, f := range eventSchema.Fields() {
		if cols[i] = schema.ColumnIndexByName(f.Name); cols[i] < 0 {
			return fmt.Errorf("pq: %s: no column %q", path, f.Name)
		}
		if f.Type.ID() == arrow.DICTIONARY {
			// Keep strings as dictionary indices: one name lookup per
			// dictionary entry instead of one per row.
			props.SetReadDict(cols[i], true)
		}
	}
	fr, err := pqarrow.NewFileReader(pf, props, memory.DefaultAllocator)
	if err != nil {
		return fmt.Errorf("pq: %s: %w", path, err)
	}
	rr, err := fr.GetRecordReader(context.Background(), cols, nil)
	if err != nil {
		return fmt.Errorf("pq: %s: %w", path, err)
	}
	defer rr.Release()

	r := &eventReader{path: path, rows: pf.NumRows()}
	defer func() {
		if r.kindDict != nil {
			r.kindDict.Release()
		}
	}()
	for rr.Next() {
		if err := r.batch(rr.RecordBatch(), fn); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return fmt.Errorf("pq: %s: %w", path, err)
	}
	return nil
}

// batch converts one record batch to events and passes them to fn.
func (r *eventReader) batch(rec arrow.RecordBatch, fn func(*eventReader, string, []eventlog.Event) error) error {
	n := int(rec.NumRows())
	col := func(name string) arrow.Array {
		return rec.Column(rec.Schema().FieldIndices(name)[0])
	}
	for _, f := range rec.Schema().Fields() {
		if c := col(f.Name); c.NullN() > 0 {
			return fmt.Errorf("pq: %s: column %s has nulls", r.path, f.Name)
		}
	}
	timeUS, err1 := values[int64](r, rec, colTimeUS)
	term, err2 := values[int64](r, rec, colTerm)
	value, err3 := values[int64](r, rec, colValue)
	msgID, err4 := values[int64](r, rec, colMsgID)
	node, err5 := values[int16](r, rec, colNode)
	peer, err6 := values[int16](r, rec, colPeer)
	arm, err7 := values[int8](r, rec, colArm)
	kinds, err8 := r.kindIndices(col(colKind))
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7, err8); err != nil {
		return err
	}

	if cap(r.evs) < n {
		r.evs = make([]eventlog.Event, n)
	}
	evs := r.evs[:n]
	for i := range evs {
		var k eventlog.Kind
		if ki := kinds[i]; uint32(ki) < uint32(len(r.kinds)) {
			k = r.kinds[ki]
		}
		if k == eventlog.KindInvalid {
			return r.badKind(kinds[i])
		}
		if term[i] < 0 || msgID[i] < 0 { // they are uint64 in Event
			return fmt.Errorf("pq: %s: negative term %d or msg_id %d", r.path, term[i], msgID[i])
		}
		evs[i] = eventlog.Event{
			TimeUS: timeUS[i],
			Term:   uint64(term[i]),
			Value:  value[i],
			MsgID:  uint64(msgID[i]),
			Node:   node[i],
			Peer:   peer[i],
			Kind:   k,
			Arm:    arm[i],
		}
	}
	return r.runSegments(col(colRunID), evs, fn)
}

func (r *eventReader) badKind(i int32) error {
	if d := r.kindDict.(*array.String); int(i) >= 0 && int(i) < d.Len() {
		return fmt.Errorf("pq: %s: unknown kind %q", r.path, d.Value(int(i)))
	}
	return fmt.Errorf("pq: %s: kind dictionary index %d out of range", r.path, i)
}

// kindIndices returns the kind column's dictionary indices, and decodes the
// dictionary into r.kinds if it changed.
func (r *eventReader) kindIndices(a arrow.Array) ([]int32, error) {
	d, ok := a.(*array.Dictionary)
	if !ok {
		return nil, fmt.Errorf("pq: %s: column kind has type %s, want string", r.path, a.DataType())
	}
	dict, ok := d.Dictionary().(*array.String)
	if !ok {
		return nil, fmt.Errorf("pq: %s: column kind has type %s, want string", r.path, a.DataType())
	}
	if r.kindDict == nil || !array.Equal(r.kindDict, dict) {
		if r.kindDict != nil {
			r.kindDict.Release()
		}
		dict.Retain()
		r.kindDict = dict
		r.kinds = r.kinds[:0]
		for i := range dict.Len() {
			k, _ := eventlog.ParseKind(dict.Value(i)) // KindInvalid if unknown
			r.kinds = append(r.kinds, k)
		}
	}
	var err error
	r.kindIdx, err = widen(r.kindIdx, d.Indices())
	return r.kindIdx, err
}

// runSegments calls fn for each run of events with the same run ID.
func (r *eventReader) runSegments(a arrow.Array, evs []eventlog.Event, fn func(*eventReader, string, []eventlog.Event) error) error {
	d, ok := a.(*array.Dictionary)
	if !ok {
		return fmt.Errorf("pq: %s: column run_id has type %s, want string", r.path, a.DataType())
	}
	ids, ok := d.Dictionary().(*array.String)
	if !ok {
		return fmt.Errorf("pq: %s: column run_id has type %s, want string", r.path, a.DataType())
	}
	var err error
	r.runIdx, err = widen(r.runIdx, d.Indices())
	if err != nil {
		return err
	}
	idx := r.runIdx
	for start := 0; start < len(evs); {
		end := start + 1
		for end < len(evs) && idx[end] == idx[start] {
			end++
		}
		if err := fn(r, ids.Value(int(idx[start])), evs[start:end]); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// values returns the values of a fixed-width integer column, which must
// have exactly the Go type T (the schema is checked, not coerced).
func values[T int8 | int16 | int64](r *eventReader, rec arrow.RecordBatch, name string) ([]T, error) {
	a := rec.Column(rec.Schema().FieldIndices(name)[0])
	var v any
	switch a := a.(type) {
	case *array.Int8:
		v = a.Int8Values()
	case *array.Int16:
		v = a.Int16Values()
	case *array.Int64:
		v = a.Int64Values()
	}
	if t, ok := v.([]T); ok {
		return t, nil
	}
	var want T
	return nil, fmt.Errorf("pq: %s: column %s has type %s, want %T", r.path, name, a.DataType(), want)
}

// widen converts dictionary indices of any integer type to int32.
func widen(dst []int32, a arrow.Array) ([]int32, error) {
	dst = dst[:0]
	switch a := a.(type) {
	case *array.Int32:
		return append(dst, a.Int32Values()...), nil
	case *array.Int8:
		return widenSlice(dst, a.Int8Values()), nil
	case *array.Int16:
		return widenSlice(dst, a.Int16Values()), nil
	case *array.Uint8:
		return widenSlice(dst, a.Uint8Values()), nil
	case *array.Uint16:
		return widenSlice(dst, a.Uint16Values()), nil
	}
	return nil, fmt.Errorf("pq: unsupported dictionary index type %s", a.DataType())
}

func widenSlice[T int8 | int16 | uint8 | uint16](dst []int32, src []T) []int32 {
	for _, v := range src {
		dst = append(dst, int32(v))
	}
	return dst
}
