package pq

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/ballast-bench/ballast/eventlog"
	"github.com/ballast-bench/ballast/internal/atomicfile"
)

var errClosed = errors.New("pq: writer already closed")

// Writer is an eventlog.Sink that writes one run's events to a Parquet file.
// Create it with Create, Emit events, then Close (or Abort). A Writer is
// not safe for concurrent use.
type Writer struct {
	out   *atomicfile.File
	pw    *parquet.GenericWriter[eventRow]
	runID string
	meta  map[string]string
	rows  int64
	err   error // first error; once set, Emit is a no-op and Close fails
	// size and sha256 describe the committed file (Digest).
	size   int64
	sha256 string
	done   bool // Close or Abort was called

	// pending holds the rows of the current batch, handed to the encoder
	// once full. Batches are pooled across writers: a sweep writes many
	// small files, and growing fresh megabyte buffers for each one cost more
	// than encoding.
	pending *[]eventRow
}

var batchPool = sync.Pool{New: func() any {
	b := make([]eventRow, 0, batchRows)
	return &b
}}

// Create starts writing the events of run runID to path. Nothing appears at
// path until Close succeeds.
func Create(path, runID string) (*Writer, error) {
	out, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	w := &Writer{
		out:     out,
		pw:      parquet.NewGenericWriter[eventRow](out, writerOptions()...),
		runID:   runID,
		meta:    map[string]string{},
		pending: batchPool.Get().(*[]eventRow),
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
	*w.pending = append(*w.pending, eventRow{
		RunID: w.runID, TimeUS: ev.TimeUS, Node: ev.Node, Kind: kindNames[ev.Kind-1],
		Term: int64(ev.Term), Peer: ev.Peer, Value: ev.Value, Arm: ev.Arm, MsgID: int64(ev.MsgID),
	})
	w.rows++
	if len(*w.pending) == batchRows {
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
	w.release()
	if err != nil {
		// The encoder's buffered pages are garbage-collected; closing it
		// would only encode and write a footer into a file we delete.
		w.out.Abort()
		return err
	}
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
		w.pw.SetKeyValueMetadata(k, kv[k])
	}
	return w.pw.Close()
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

// release returns the batch to the pool; the writer is done with it.
func (w *Writer) release() {
	if w.pending != nil {
		clear(*w.pending) // drop the run ID strings
		*w.pending = (*w.pending)[:0]
		batchPool.Put(w.pending)
		w.pending = nil
	}
}

// flush hands the pending rows to the encoder, which copies them into its
// column buffers.
func (w *Writer) flush() error {
	if len(*w.pending) == 0 {
		return nil
	}
	_, err := w.pw.Write(*w.pending)
	*w.pending = (*w.pending)[:0]
	return err
}
