package pq

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

var errClosed = errors.New("pq: writer already closed")

// Writer is an eventlog.Sink that writes one run's events to a Parquet file.
// Create it with Create, Emit events, then Close (or Abort). A Writer is
// not safe for concurrent use.
type Writer struct {
	out   *atomicfile.File
	fw    *pqarrow.FileWriter
	runID string
	meta  map[string]string
	rows  int64
	err   error // first error; once set, Emit is a no-op and Close fails
	// size and sha256 describe the committed file (Digest).
	size   int64
	sha256 string
	done   bool // Close or Abort was called

	// bufs holds the events of the current batch and the column buffers.
	// Emit only copies the struct; the transpose into columns happens once
	// per batch in flush, which keeps the per-event cost to a few
	// nanoseconds. Buffers are pooled across writers: a sweep writes many
	// small files, and growing fresh megabyte buffers for each one cost more
	// than encoding.
	*bufs
	// runIDDict and kindDict are the dictionaries of the two string
	// columns. Passing the same arrays with every batch lets the encoder
	// see that the dictionary has not changed. kindDict starts as the
	// oldest generation's kinds and moves to a later generation's at the
	// first batch that holds one of its kinds; see kindDicts.
	runIDDict, kindDict arrow.Array
	kindGen             int // the generation of kindDict
}

type bufs struct {
	pending []eventlog.Event
	cols    columns
}

var bufPool = sync.Pool{New: func() any { return &bufs{pending: make([]eventlog.Event, 0, batchRows)} }}

// columns are the per-batch column buffers; the Arrow arrays handed to the
// encoder alias them (see fixedArray), so they are reused batch after batch.
type columns struct {
	zeros      []int8 // run_id indices: one dictionary entry
	timeUS     []int64
	node, peer []int16
	kind, arm  []int8
	term       []int64
	value      []int64
	msgID      []int64
}

// Create starts writing the events of run runID to path. Nothing appears at
// path until Close succeeds.
func Create(path, runID string) (*Writer, error) {
	out, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	fw, err := pqarrow.NewFileWriter(eventSchema, out, eventProps(), arrowProps())
	if err != nil {
		out.Abort()
		return nil, err
	}
	w := &Writer{
		out:       out,
		fw:        fw,
		runID:     runID,
		meta:      map[string]string{},
		bufs:      bufPool.Get().(*bufs),
		runIDDict: stringArray([]string{runID}),
		kindDict:  stringArray(kindDicts[0]),
	}
	return w, nil
}

// Emit buffers ev. It has no error result (eventlog.Sink): the first invalid
// event or write failure is kept and returned by Close, and later events
// are dropped.
func (w *Writer) Emit(ev *eventlog.Event) {
	if w.err != nil {
		return
	}
	if w.done {
		w.err = errClosed
		return
	}
	// Kind 0 and unknown kinds have no stored name; terms and message IDs
	// are stored as int64, so the top bit must be clear.
	if ev.Kind == eventlog.KindInvalid || int(ev.Kind) > len(kindNames) ||
		ev.Term > math.MaxInt64 || ev.MsgID > math.MaxInt64 {
		w.err = fmt.Errorf("pq: cannot store event %d of run %q: %+v", w.rows, w.runID, *ev)
		return
	}
	w.pending = append(w.pending, *ev)
	w.rows++
	if len(w.pending) == batchRows {
		w.err = w.flush()
	}
}

// SetMetadata adds a Parquet key-value metadata entry, written by Close;
// setting a key again replaces its value. The keys this package writes
// itself (MetaSchemaVersion, MetaRunID) are reserved, and so is
// "ARROW:schema", which Arrow readers would take as the file's Arrow schema.
func (w *Writer) SetMetadata(key, value string) {
	switch key {
	case MetaSchemaVersion, MetaRunID, "ARROW:schema":
		if w.err == nil {
			w.err = fmt.Errorf("pq: metadata key %q is reserved", key)
		}
		return
	}
	w.meta[key] = value
}

// Path returns the file's destination path.
func (w *Writer) Path() string { return w.out.Path() }

// Rows returns the number of events accepted so far.
func (w *Writer) Rows() int64 { return w.rows }

// Close writes the remaining events and the footer and renames the file to
// its path. If any Emit or write failed, Close removes the
// temporary file instead and returns the first error; path is not touched.
func (w *Writer) Close() error {
	err := w.close()
	if err == nil {
		w.size, w.sha256 = w.out.Digest()
	}
	return err
}

// Digest returns the size and hex SHA-256 of the file Close wrote; it is
// only meaningful after a successful Close.
func (w *Writer) Digest() (size int64, sha256Hex string) { return w.size, w.sha256 }

func (w *Writer) close() error {
	if w.done {
		return errClosed
	}
	w.done = true
	err := w.err
	if err == nil {
		err = w.finish()
	}
	if err != nil {
		// The encoder's buffered pages are garbage-collected; closing it
		// would only encode and write a footer into a file we delete.
		w.release()
		w.out.Abort()
		return err
	}
	w.release()
	return w.out.Commit()
}

func (w *Writer) finish() error {
	if err := w.flush(); err != nil {
		return err
	}
	// Sorted, so that the footer does not depend on map iteration order.
	kv := map[string]string{MetaSchemaVersion: schemaVersion, MetaRunID: w.runID}
	maps.Copy(kv, w.meta)
	for _, k := range slices.Sorted(maps.Keys(kv)) {
		if err := w.fw.AppendKeyValueMetadata(k, kv[k]); err != nil {
			return err
		}
	}
	return w.fw.Close()
}

// Abort discards the file. It is safe to call after Close (it then does
// nothing), so `defer w.Abort()` is a fine way to clean up on error paths.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.release()
	w.out.Abort()
}

// release returns the buffers to the pool; the writer is done with them.
func (w *Writer) release() {
	if w.bufs != nil {
		w.pending = w.pending[:0]
		bufPool.Put(w.bufs)
		w.bufs = nil
	}
}

// flush encodes the pending events as one record batch.
func (w *Writer) flush() error {
	n := len(w.pending)
	if n == 0 {
		return nil
	}
	c := &w.cols
	c.timeUS, c.term, c.value, c.msgID = c.timeUS[:0], c.term[:0], c.value[:0], c.msgID[:0]
	c.node, c.peer, c.kind, c.arm = c.node[:0], c.peer[:0], c.kind[:0], c.arm[:0]
	maxKind := eventlog.KindInvalid
	for i := range w.pending {
		ev := &w.pending[i]
		maxKind = max(maxKind, ev.Kind)
		c.timeUS = append(c.timeUS, ev.TimeUS)
		c.node = append(c.node, ev.Node)
		c.kind = append(c.kind, int8(ev.Kind-1)) // index into kindNames
		c.term = append(c.term, int64(ev.Term))
		c.peer = append(c.peer, ev.Peer)
		c.value = append(c.value, ev.Value)
		c.arm = append(c.arm, ev.Arm)
		c.msgID = append(c.msgID, int64(ev.MsgID))
	}
	w.pending = w.pending[:0]
	if maxKind > eventlog.KindGenerations[w.kindGen] {
		// A kind of a later generation: from this batch on the dictionary
		// is the oldest generation's that holds it. In a later batch than
		// the first that is a changed dictionary, and the encoder writes
		// the rest of the column chunk plain (PLAIN strings): read the
		// same.
		for maxKind > eventlog.KindGenerations[w.kindGen] {
			w.kindGen++
		}
		w.kindDict = stringArray(kindDicts[w.kindGen])
	}
	if len(c.zeros) < n {
		c.zeros = make([]int8, n)
	}

	arrs := []arrow.Array{
		dictArray(c.zeros[:n], w.runIDDict),
		fixedArray(arrow.PrimitiveTypes.Int64, c.timeUS),
		fixedArray(arrow.PrimitiveTypes.Int16, c.node),
		dictArray(c.kind, w.kindDict),
		fixedArray(arrow.PrimitiveTypes.Int64, c.term),
		fixedArray(arrow.PrimitiveTypes.Int16, c.peer),
		fixedArray(arrow.PrimitiveTypes.Int64, c.value),
		fixedArray(arrow.PrimitiveTypes.Int8, c.arm),
		fixedArray(arrow.PrimitiveTypes.Int64, c.msgID),
	}
	rec := array.NewRecordBatch(eventSchema, arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	defer rec.Release()
	return w.fw.WriteBuffered(rec)
}

// fixedArray wraps a Go slice as an Arrow array without copying. The
// encoder copies values into its pages during WriteBuffered and keeps no
// reference afterwards, so the slice may be reused once the write returns.
func fixedArray[T int8 | int16 | int64](typ arrow.DataType, v []T) arrow.Array {
	var b []byte
	if len(v) > 0 {
		b = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*int(unsafe.Sizeof(v[0])))
	}
	data := array.NewData(typ, len(v), []*memory.Buffer{nil, memory.NewBufferBytes(b)}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

func dictArray(indices []int8, dict arrow.Array) arrow.Array {
	idx := fixedArray(arrow.PrimitiveTypes.Int8, indices)
	defer idx.Release()
	return array.NewDictionaryArray(dictString, idx, dict)
}

func stringArray(vals []string) arrow.Array {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(vals, nil)
	return b.NewArray()
}
