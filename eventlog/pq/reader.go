package pq

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"

	"github.com/ballast-bench/ballast/eventlog"
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

// ScanEvents calls fn for every event of the file in order, with the run ID
// from the file's metadata (every row must carry it). ev is only valid
// during the call. An error from fn stops the scan and is returned as is.
func ScanEvents(path string, fn func(runID string, ev *eventlog.Event) error) error {
	r, err := OpenEvents(path)
	if err != nil {
		return err
	}
	defer r.Close()
	runID := r.meta[MetaRunID]
	return r.Scan(runID, func(ev *eventlog.Event) error {
		if runID == "" {
			runID = r.adopted
		}
		return fn(runID, ev)
	})
}

// ReadEvents reads a whole events file and returns its run ID and events.
func ReadEvents(path string) (runID string, events []eventlog.Event, err error) {
	r, err := OpenEvents(path)
	if err != nil {
		return "", nil, err
	}
	defer r.Close()
	runID = r.meta[MetaRunID]
	events = make([]eventlog.Event, 0, r.Rows())
	err = r.Scan(runID, func(ev *eventlog.Event) error {
		events = append(events, *ev)
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	if runID == "" {
		runID = r.adopted
	}
	return runID, events, nil
}

// scanBatch is how many rows are decoded per column at a time: small
// enough for all nine columns to stay in cache, large enough to amortise
// the calls.
const scanBatch = 4096

// Reader decodes an events file. It reads the whole file into a pooled
// buffer and, for files with the layout this package writes (and the
// variants a Parquet writer may choose: other codecs, PLAIN or
// dictionary strings, V1 or V2 pages; see directChunks), decodes the
// column chunks itself (decode.go), reusing every buffer from file to
// file; any other file is read with arrow-go's column chunk readers. The
// first path is about twice as fast as the second (BenchmarkScan) and
// allocates ~20 kB per file (the footer's metadata) instead of ~0.75 MB
// for a 60 s run, which matters to the analysis: it reads every row of
// many small files.
// Both read the layout documented in docs/schema.md and check it: physical
// types, required columns, known kinds, one run ID.
type Reader struct {
	path    string
	adopted string
	pf      *file.Reader
	meta    map[string]string
	st      *readState

	*scanBufs
}

// readState is a Reader's pooled memory: the file's bytes and the direct
// decoder's pages and batch buffers.
type readState struct {
	data   []byte
	src    bytes.Reader
	chunks []chunkRef
	cols   [9]colDecoder
	ints   [7][]int64 // time_us, term, value, msg_id, node, peer, arm
	kindv  []eventlog.Kind
}

// chunkRef locates a column chunk in readState.data.
type chunkRef struct {
	start, size int64
	codec       compress.Codec // nil: uncompressed
}

var statePool = sync.Pool{New: func() any {
	st := &readState{kindv: make([]eventlog.Kind, directBatch)}
	for i := range st.ints {
		st.ints[i] = make([]int64, directBatch)
	}
	return st
}}

// directBatch is scanBatch for the direct decoder, whose batch buffers
// hold 8 bytes per value: 1024 rows keep all of them (~60 kB) in the
// fastest caches while they are turned into events (a few % faster than
// 4096).
const directBatch = 1024

// maxPooledFile is the largest file buffer kept for the next file.
const maxPooledFile = 64 << 20

// load reads the file at path into st.data.
func (st *readState) load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := int(fi.Size())
	if int64(size) != fi.Size() || size < 0 {
		return fmt.Errorf("file of %d bytes", fi.Size())
	}
	if cap(st.data) < size {
		st.data = make([]byte, size, size+size/8)
	}
	st.data = st.data[:size]
	_, err = io.ReadFull(f, st.data)
	return err
}

// scanBufs are the per-column batch buffers of a scan with arrow-go's
// column chunk readers. They are pooled: the analysis opens many small
// files, and allocating ~0.4 MB of buffers per file was a visible share of
// reading one.
type scanBufs struct {
	timeUS, term, value, msgID []int64
	node, peer, arm            []int32
	kind, runID                []parquet.ByteArray
	kindv                      []eventlog.Kind
}

var scanPool = sync.Pool{New: func() any {
	return &scanBufs{
		timeUS: make([]int64, scanBatch), term: make([]int64, scanBatch), value: make([]int64, scanBatch), msgID: make([]int64, scanBatch),
		node: make([]int32, scanBatch), peer: make([]int32, scanBatch), arm: make([]int32, scanBatch),
		kind: make([]parquet.ByteArray, scanBatch), runID: make([]parquet.ByteArray, scanBatch),
		kindv: make([]eventlog.Kind, scanBatch),
	}
}}

// event columns in the order the reader fills them.
var scanColumns = []string{"time_us", "term", "value", "msg_id", "node", "peer", "arm", "kind", "run_id"}

// OpenEvents opens an events file for Scan.
func OpenEvents(path string) (*Reader, error) {
	st := statePool.Get().(*readState)
	if err := st.load(path); err != nil {
		st.release()
		return nil, fmt.Errorf("%s: %w; allowed: an events file (docs/schema.md)", path, err)
	}
	st.src.Reset(st.data)
	pf, err := file.NewParquetReader(&st.src)
	if err != nil {
		st.release()
		return nil, fmt.Errorf("%s: %w; allowed: an events file (docs/schema.md)", path, err)
	}
	r := &Reader{path: path, pf: pf, meta: map[string]string{}, st: st}
	kv := pf.MetaData().KeyValueMetadata()
	for i, k := range kv.Keys() {
		r.meta[k] = kv.Values()[i]
	}
	return r, nil
}

// release returns st to the pool.
func (st *readState) release() {
	if cap(st.data) > maxPooledFile {
		st.data = nil
	}
	st.src.Reset(nil)
	for i := range st.cols {
		st.cols[i].chunk, st.cols[i].values = nil, nil
	}
	statePool.Put(st)
}

// Close releases the file.
func (r *Reader) Close() {
	r.pf.Close()
	if r.st != nil {
		r.st.release()
		r.st = nil
	}
	if r.scanBufs != nil {
		clear(r.kind) // drop references into the file's pages
		clear(r.runID)
		scanPool.Put(r.scanBufs)
		r.scanBufs = nil
	}
}

// Metadata is the file's Parquet key-value metadata.
func (r *Reader) Metadata() map[string]string { return r.meta }

// RunID is the run ID Scan adopted from the rows when it was given "".
func (r *Reader) RunID() string { return r.adopted }

// Rows is the number of events in the file.
func (r *Reader) Rows() int64 { return r.pf.NumRows() }

// Scan calls fn for every event in file order; every row's run_id must be
// runID ("" adopts the first row's, for files written without metadata;
// RunID then returns it). ev is only valid during the call; an error from
// fn stops the scan and is returned as is.
func (r *Reader) Scan(runID string, fn func(ev *eventlog.Event) error) error {
	if r.st == nil {
		return fmt.Errorf("%s: reader closed", r.path)
	}
	schema := r.pf.MetaData().Schema
	cols := make([]int, len(scanColumns))
	for i, name := range scanColumns {
		if cols[i] = schema.ColumnIndexByName(name); cols[i] < 0 {
			return fmt.Errorf("%s: no column %q; allowed: the events schema (docs/schema.md)", r.path, name)
		}
	}
	if r.pf.NumRowGroups() == 0 {
		return nil
	}
	for i, c := range cols {
		col := schema.Column(c)
		want := parquet.Types.ByteArray
		switch {
		case i < 4:
			want = parquet.Types.Int64
		case i < 7:
			want = parquet.Types.Int32
		}
		if col.PhysicalType() != want || col.MaxDefinitionLevel() != 0 {
			return fmt.Errorf("%s: column %s has type %s (max definition level %d); allowed: the events schema (docs/schema.md)",
				r.path, scanColumns[i], col.PhysicalType(), col.MaxDefinitionLevel())
		}
	}
	if r.directChunks(cols) && !forceArrow {
		return r.scanDirect(runID, fn)
	}
	return r.scanArrow(runID, cols, fn)
}

// forceArrow makes Scan use arrow-go's readers for every file (tests).
var forceArrow = false

// directChunks reports whether scanDirect can read the file, and locates
// its column chunks in r.st.chunks (row group by row group, in
// scanColumns order): every chunk unencrypted, flat, required, complete,
// inside the file, with a codec arrow-go has and encodings decode.go reads.
func (r *Reader) directChunks(cols []int) bool {
	md := r.pf.MetaData()
	if v := md.WriterVersion(); v == nil || v.LessThan(metadata.Parquet816FixedVersion) {
		return false // chunk sizes need arrow-go's workaround
	}
	st := r.st
	st.chunks = st.chunks[:0]
	fileSize := int64(len(st.data))
	for g := range md.NumRowGroups() {
		rg := md.RowGroup(g)
		for i, c := range cols {
			if md.Schema.Column(c).MaxRepetitionLevel() != 0 {
				return false
			}
			cc, err := rg.ColumnChunk(c)
			if err != nil || cc.CryptoMetadata() != nil || cc.NumValues() != rg.NumRows() {
				return false
			}
			for _, e := range cc.Encodings() {
				switch {
				case e == parquet.Encodings.Plain, e == parquet.Encodings.RLE, e == parquet.Encodings.BitPacked:
				case e == parquet.Encodings.DeltaBinaryPacked && i < 7:
				case (e == parquet.Encodings.RLEDict || e == parquet.Encodings.PlainDict) && i >= 7:
				default:
					return false
				}
			}
			var codec compress.Codec
			if cc.Compression() != compress.Codecs.Uncompressed {
				if codec, err = compress.GetCodec(cc.Compression()); err != nil {
					return false
				}
			}
			start, size := cc.DataPageOffset(), cc.TotalCompressedSize()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && start > cc.DictionaryPageOffset() {
				start = cc.DictionaryPageOffset()
			}
			if start < 0 || size < 0 || start > fileSize || size > fileSize-start {
				return false
			}
			st.chunks = append(st.chunks, chunkRef{start: start, size: size, codec: codec})
		}
	}
	return true
}

// scanDirect is Scan with the decoders of decode.go.
func (r *Reader) scanDirect(runID string, fn func(ev *eventlog.Event) error) error {
	st := r.st
	md := r.pf.MetaData()
	var want []byte
	adopt := runID == ""
	if !adopt {
		want = []byte(runID)
	}
	var (
		row int64
		ev  eventlog.Event
		ci  int
	)
	for g := range md.NumRowGroups() {
		n := md.RowGroup(g).NumRows()
		for i := range st.cols {
			ch := st.chunks[ci]
			ci++
			typ := parquet.Types.ByteArray
			switch {
			case i < 4:
				typ = parquet.Types.Int64
			case i < 7:
				typ = parquet.Types.Int32
			}
			st.cols[i].reset(scanColumns[i], typ, st.data[ch.start:ch.start+ch.size], ch.codec, row)
		}
		timeUS, term, value, msgID := st.ints[0], st.ints[1], st.ints[2], st.ints[3]
		node, peer, arm, kindv := st.ints[4], st.ints[5], st.ints[6], st.kindv
		for off := int64(0); off < n; {
			k := int(min(int64(directBatch), n-off))
			for i := range st.ints {
				if err := st.cols[i].ints(st.ints[i][:k]); err != nil {
					return fmt.Errorf("%s: column %s: %w", r.path, scanColumns[i], err)
				}
			}
			if err := st.cols[7].kinds(kindv[:k]); err != nil {
				return fmt.Errorf("%s: column %s: %w", r.path, scanColumns[7], err)
			}
			if err := st.cols[8].runIDs(k, &want, adopt); err != nil {
				return fmt.Errorf("%s: column %s: %w", r.path, scanColumns[8], err)
			}
			if adopt && r.adopted == "" && want != nil {
				r.adopted = string(want)
			}
			for i := range k {
				if term[i] < 0 || msgID[i] < 0 {
					return fmt.Errorf("%s: row %d: negative term %d or msg_id %d; allowed: >= 0", r.path, row+int64(i)+1, term[i], msgID[i])
				}
				ev = eventlog.Event{
					TimeUS: timeUS[i], Term: uint64(term[i]), Value: value[i], MsgID: uint64(msgID[i]),
					Node: int16(node[i]), Peer: int16(peer[i]), Kind: kindv[i], Arm: int8(arm[i]),
				}
				if err := fn(&ev); err != nil {
					return err
				}
			}
			off += int64(k)
			row += int64(k)
		}
	}
	return nil
}

// scanArrow is Scan with arrow-go's column chunk readers.
func (r *Reader) scanArrow(runID string, cols []int, fn func(ev *eventlog.Event) error) error {
	if r.scanBufs == nil {
		r.scanBufs = scanPool.Get().(*scanBufs)
	}
	var want []byte
	if runID != "" {
		want = []byte(runID)
	}
	var row int64
	var ev eventlog.Event
	lastKind, lastName := eventlog.KindInvalid, make([]byte, 0, 64)
	for g := range r.pf.NumRowGroups() {
		rg := r.pf.RowGroup(g)
		var i64 [4]*file.Int64ColumnChunkReader
		var i32 [3]*file.Int32ColumnChunkReader
		var ba [2]*file.ByteArrayColumnChunkReader
		for i, c := range cols {
			cr, err := rg.Column(c)
			if err != nil {
				return fmt.Errorf("%s: %w", r.path, err)
			}
			ok := false
			switch {
			case i < 4:
				i64[i], ok = cr.(*file.Int64ColumnChunkReader)
			case i < 7:
				i32[i-4], ok = cr.(*file.Int32ColumnChunkReader)
			default:
				ba[i-7], ok = cr.(*file.ByteArrayColumnChunkReader)
			}
			if !ok || cr.Descriptor().MaxDefinitionLevel() != 0 {
				return fmt.Errorf("%s: column %s has type %s (max definition level %d); allowed: the events schema (docs/schema.md)",
					r.path, scanColumns[i], cr.Type(), cr.Descriptor().MaxDefinitionLevel())
			}
		}
		n := rg.NumRows()
		for off := int64(0); off < n; {
			k := min(int64(scanBatch), n-off)
			for i, c := range i64 {
				if err := readAll(r, scanColumns[i], k, func(lo int64) (int64, error) {
					_, got, err := c.ReadBatch(k-lo, [][]int64{r.timeUS, r.term, r.value, r.msgID}[i][lo:k], nil, nil)
					return int64(got), err
				}); err != nil {
					return err
				}
			}
			for i, c := range i32 {
				if err := readAll(r, scanColumns[4+i], k, func(lo int64) (int64, error) {
					_, got, err := c.ReadBatch(k-lo, [][]int32{r.node, r.peer, r.arm}[i][lo:k], nil, nil)
					return int64(got), err
				}); err != nil {
					return err
				}
			}
			// The string columns are read page by page without copying:
			// the values point into the page (or its dictionary) and are
			// decoded at once, before the next page replaces them.
			// ReadBatch would copy every value, a quarter of the time.
			if err := readAll(r, "kind", k, func(lo int64) (int64, error) {
				_, got, err := ba[0].ReadBatchInPage(k-lo, r.kind[lo:k], nil, nil)
				for j := lo; j < lo+int64(got); j++ {
					name := r.kind[j]
					if !bytes.Equal(name, lastName) { // rows of one kind often follow each other
						kd, ok := lookupKind(name)
						if !ok {
							return 0, fmt.Errorf("row %d: unknown kind %q; allowed: the kinds of docs/schema.md", row+j+1, name)
						}
						lastKind, lastName = kd, append(lastName[:0], name...)
					}
					r.kindv[j] = lastKind
				}
				return int64(got), err
			}); err != nil {
				return err
			}
			if err := readAll(r, "run_id", k, func(lo int64) (int64, error) {
				_, got, err := ba[1].ReadBatchInPage(k-lo, r.runID[lo:k], nil, nil)
				for j := lo; j < lo+int64(got); j++ {
					if want == nil && runID == "" {
						want = append([]byte{}, r.runID[j]...)
						r.adopted = string(want)
					}
					if !bytes.Equal(r.runID[j], want) {
						return 0, fmt.Errorf("row %d: run_id %q; allowed: the file's run %q", row+j+1, r.runID[j], runID)
					}
				}
				return int64(got), err
			}); err != nil {
				return err
			}
			for i := range k {
				if r.term[i] < 0 || r.msgID[i] < 0 {
					return fmt.Errorf("%s: row %d: negative term %d or msg_id %d; allowed: >= 0", r.path, row+i+1, r.term[i], r.msgID[i])
				}
				ev = eventlog.Event{
					TimeUS: r.timeUS[i], Term: uint64(r.term[i]), Value: r.value[i], MsgID: uint64(r.msgID[i]),
					Node: int16(r.node[i]), Peer: int16(r.peer[i]), Kind: r.kindv[i], Arm: int8(r.arm[i]),
				}
				if err := fn(&ev); err != nil {
					return err
				}
			}
			off += k
			row += k
		}
	}
	return nil
}

// readAll calls read until k values are in (a reader stops at page ends).
func readAll(r *Reader, col string, k int64, read func(lo int64) (int64, error)) error {
	for lo := int64(0); lo < k; {
		got, err := read(lo)
		if err != nil {
			return fmt.Errorf("%s: column %s: %w", r.path, col, err)
		}
		if got == 0 {
			return fmt.Errorf("%s: column %s ends early; allowed: complete files", r.path, col)
		}
		lo += got
	}
	return nil
}

// kindTable finds a kind by its stored name without hashing the whole
// string (a map lookup per row change was a tenth of the scan): names are
// short and differ in length or first, middle or last letter; the slot's
// name is compared in full, and a miss falls back to a linear search.
var kindTable = func() (t [256][]eventlog.Kind) {
	for _, k := range eventlog.Kinds() {
		h := kindSlot([]byte(k.String()))
		t[h] = append(t[h], k)
	}
	return t
}()

func kindSlot(b []byte) uint8 {
	if len(b) == 0 {
		return 0
	}
	return uint8(len(b)*31) ^ b[0] ^ b[len(b)/2]<<1 ^ b[len(b)-1]<<2
}

func lookupKind(name []byte) (eventlog.Kind, bool) {
	for _, k := range kindTable[kindSlot(name)] {
		if k.String() == string(name) {
			return k, true
		}
	}
	k, ok := eventlog.ParseKind(string(name))
	return k, ok
}
