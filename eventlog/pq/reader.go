package pq

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/ballast-bench/ballast/eventlog"
)

// ReadMetadata returns a file's Parquet key-value metadata: MetaSchemaVersion,
// MetaRunID (events files) and whatever the writer added with SetMetadata.
func ReadMetadata(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pq: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("pq: %w", err)
	}
	pf, err := parquet.OpenFile(f, fi.Size(), footerOnly()...)
	if err != nil {
		return nil, fmt.Errorf("pq: %s: %w", path, err)
	}
	return keyValues(pf), nil
}

// footerOnly are the options of parquet.OpenFile for a reader that needs
// the footer and the pages, not the page index or bloom filters.
func footerOnly() []parquet.FileOption {
	return []parquet.FileOption{parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true)}
}

func keyValues(pf *parquet.File) map[string]string {
	kv := pf.Metadata().KeyValueMetadata
	m := make(map[string]string, len(kv))
	for _, e := range kv {
		m[e.Key] = e.Value
	}
	return m
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

// Reader decodes an events file. It reads the whole file into a pooled
// buffer and, for files with the layout this package writes (and the
// variants a Parquet writer may choose: other codecs, PLAIN or
// dictionary strings, V1 or V2 pages; see directChunks), decodes the
// column chunks itself (decode.go), reusing every buffer from file to
// file; any other file is read page by page with parquet-go (scanPages).
// The first path is 1.3-1.5x as fast as the second on large files and
// 2.3-2.9x on a sweep's small ones (BENCHMARKS.md, "Parquet on
// parquet-go"), which matters to the analysis: it reads every row of many
// small files.
// Both read the layout documented in docs/schema.md and check it: physical
// types, required columns, known kinds, one run ID.
type Reader struct {
	path    string
	adopted string
	pf      *parquet.File
	meta    map[string]string
	st      *readState
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

// directBatch is how many rows are decoded per column at a time: the batch
// buffers hold 8 bytes per value, and 1024 rows keep all of them (~60 kB)
// in the fastest caches while they are turned into events (a few % faster
// than 4096).
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

// event columns in the order the reader fills them.
var scanColumns = []string{"time_us", "term", "value", "msg_id", "node", "peer", "arm", "kind", "run_id"}

// scanKind is the physical type of scanColumns[i].
func scanKind(i int) parquet.Kind {
	switch {
	case i < 4:
		return parquet.Int64
	case i < 7:
		return parquet.Int32
	}
	return parquet.ByteArray
}

// OpenEvents opens an events file for Scan.
func OpenEvents(path string) (*Reader, error) {
	st := statePool.Get().(*readState)
	if err := st.load(path); err != nil {
		st.release()
		return nil, fmt.Errorf("%s: %w; allowed: an events file (docs/schema.md)", path, err)
	}
	st.src.Reset(st.data)
	pf, err := parquet.OpenFile(&st.src, int64(len(st.data)), footerOnly()...)
	if err != nil {
		st.release()
		return nil, fmt.Errorf("%s: %w; allowed: an events file (docs/schema.md)", path, err)
	}
	return &Reader{path: path, pf: pf, meta: keyValues(pf), st: st}, nil
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
	if r.st != nil {
		r.st.release()
		r.st = nil
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
	cols, err := r.columns()
	if err != nil {
		return err
	}
	if len(r.pf.RowGroups()) == 0 {
		return nil
	}
	if r.directChunks(cols) && !forcePages {
		return r.scanDirect(runID, fn)
	}
	return r.scanPages(runID, cols, fn)
}

// columns returns the file's column index of each of scanColumns, having
// checked its type.
func (r *Reader) columns() ([]int, error) {
	cols := make([]int, len(scanColumns))
	for i, name := range scanColumns {
		leaf, ok := r.pf.Schema().Lookup(name)
		if !ok || !leaf.Node.Leaf() {
			return nil, fmt.Errorf("%s: no column %q; allowed: the events schema (docs/schema.md)", r.path, name)
		}
		cols[i] = leaf.ColumnIndex
		if kind := leaf.Node.Type().Kind(); kind != scanKind(i) || leaf.MaxDefinitionLevel != 0 || leaf.MaxRepetitionLevel != 0 {
			return nil, fmt.Errorf("%s: column %s has type %s (max definition level %d); allowed: the events schema (docs/schema.md)",
				r.path, name, kind, leaf.MaxDefinitionLevel)
		}
	}
	return cols, nil
}

// forcePages makes Scan use parquet-go's page reader for every file
// (tests).
var forcePages = false

// directChunks reports whether scanDirect can read the file, and locates
// its column chunks in r.st.chunks (row group by row group, in
// scanColumns order): every chunk unencrypted, in this file, complete,
// inside it, with a codec parquet-go has and encodings decode.go reads.
// Files by parquet-mr go to parquet-go: versions before 1.2.9 wrote chunk
// sizes without the dictionary page header (PARQUET-816).
func (r *Reader) directChunks(cols []int) bool {
	md := r.pf.Metadata()
	if strings.HasPrefix(md.CreatedBy, "parquet-mr") {
		return false
	}
	st := r.st
	st.chunks = st.chunks[:0]
	fileSize := int64(len(st.data))
	for _, rg := range md.RowGroups {
		for i, c := range cols {
			if c >= len(rg.Columns) {
				return false
			}
			cc := &rg.Columns[c]
			cm := &cc.MetaData
			if cc.FilePath != "" || cc.CryptoMetadata.Value != nil || len(cc.EncryptedColumnMetadata) > 0 || cm.NumValues != rg.NumRows {
				return false
			}
			for _, e := range cm.Encoding {
				switch {
				case e == format.Plain, e == format.RLE, e == format.BitPacked:
				case e == format.DeltaBinaryPacked && i < 7:
				//lint:ignore SA1019 deprecated for new files, still in old ones (V1 pages of older writers)
				case (e == format.RLEDictionary || e == format.PlainDictionary) && i >= 7:
				default:
					return false
				}
			}
			var codec compress.Codec
			if cm.Codec != format.Uncompressed {
				if codec = parquet.LookupCompressionCodec(cm.Codec); codec.CompressionCodec() != cm.Codec {
					return false // parquet-go lacks it
				}
			}
			start, size := cm.DataPageOffset, cm.TotalCompressedSize
			if cm.DictionaryPageOffset > 0 && start > cm.DictionaryPageOffset {
				start = cm.DictionaryPageOffset
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
	for _, rg := range r.pf.Metadata().RowGroups {
		n := rg.NumRows
		for i := range st.cols {
			ch := st.chunks[ci]
			ci++
			st.cols[i].reset(scanColumns[i], scanKind(i), st.data[ch.start:ch.start+ch.size], ch.codec, row)
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

// pageCursor walks one column chunk page by page with parquet-go, each
// page decoded whole (Page.Data); pos is the next value of the page.
type pageCursor struct {
	name  string
	pages parquet.Pages
	page  parquet.Page
	pos   int
	i64   []int64
	i32   []int32
	// Strings: a dictionary page's indexes and its entries, or a PLAIN
	// page's bytes and offsets.
	idx     []int32
	dict    [][]byte
	data    []byte
	offsets []uint32
}

// next moves to the next page of the chunk.
func (c *pageCursor) next() error {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	p, err := c.pages.ReadPage()
	if err == io.EOF {
		return errors.New("ends early; allowed: complete files")
	}
	if err != nil {
		return err
	}
	c.page, c.pos = p, 0
	d := p.Data()
	c.idx, c.dict = nil, c.dict[:0]
	if dict := p.Dictionary(); dict != nil {
		idx := d.Int32()
		for _, i := range idx {
			if i < 0 || int(i) >= dict.Len() {
				return fmt.Errorf("dictionary index %d of %d entries: %w", i, dict.Len(), errCorrupt)
			}
		}
		// Dictionary-encoded integers are looked up into the page's own
		// slices; strings keep their indexes.
		switch dv := dict.Page().Data(); dv.Kind() {
		case encoding.Int64:
			vals := dv.Int64()
			c.i64 = c.i64[:0]
			for _, i := range idx {
				c.i64 = append(c.i64, vals[i])
			}
		case encoding.Int32:
			vals := dv.Int32()
			c.i32 = c.i32[:0]
			for _, i := range idx {
				c.i32 = append(c.i32, vals[i])
			}
		default:
			c.idx = idx
			for i := range dict.Len() {
				c.dict = append(c.dict, dict.Index(int32(i)).ByteArray())
			}
		}
		return nil
	}
	switch d.Kind() {
	case encoding.Int64:
		c.i64 = d.Int64()
	case encoding.Int32:
		c.i32 = d.Int32()
	case encoding.ByteArray:
		c.data, c.offsets = d.ByteArray()
	default:
		return fmt.Errorf("page of %s values", d.Kind())
	}
	return nil
}

// str is string value j of the page.
func (c *pageCursor) str(j int) []byte {
	if c.idx != nil {
		return c.dict[c.idx[j]]
	}
	return c.data[c.offsets[j]:c.offsets[j+1]]
}

func (c *pageCursor) left() int {
	if c.page == nil {
		return 0
	}
	return int(c.page.NumValues()) - c.pos
}

func (c *pageCursor) close() {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	if c.pages != nil {
		c.pages.Close()
	}
}

// scanPages is Scan with parquet-go's page reader: any layout of the
// events schema parquet-go reads.
func (r *Reader) scanPages(runID string, cols []int, fn func(ev *eventlog.Event) error) error {
	var want []byte
	if runID != "" {
		want = []byte(runID)
	}
	var (
		row  int64
		ev   eventlog.Event
		ints [7][directBatch]int64
		kv   [directBatch]eventlog.Kind
	)
	lastKind, lastName := eventlog.KindInvalid, make([]byte, 0, 64)
	for _, rg := range r.pf.RowGroups() {
		chunks := rg.ColumnChunks()
		var cs [9]pageCursor
		for i, c := range cols {
			cs[i] = pageCursor{name: scanColumns[i], pages: chunks[c].Pages()}
		}
		err := func() error {
			defer func() {
				for i := range cs {
					cs[i].close()
				}
			}()
			n := rg.NumRows()
			for off := int64(0); off < n; {
				k := int(min(int64(directBatch), n-off))
				for i := range cs {
					c := &cs[i]
					for got := 0; got < k; {
						if c.left() == 0 {
							if err := c.next(); err != nil {
								return fmt.Errorf("%s: column %s: %w", r.path, c.name, err)
							}
							continue
						}
						m := min(k-got, c.left())
						switch {
						case i < 4:
							copy(ints[i][got:got+m], c.i64[c.pos:])
						case i < 7:
							for j := range m {
								ints[i][got+j] = int64(c.i32[c.pos+j])
							}
						case i == 7:
							for j := range m {
								name := c.str(c.pos + j)
								if !bytes.Equal(name, lastName) || lastKind == eventlog.KindInvalid { // rows of one kind often follow each other
									kd, ok := lookupKind(name)
									if !ok {
										return fmt.Errorf("%s: column kind: row %d: unknown kind %q; allowed: the kinds of docs/schema.md", r.path, row+int64(got+j)+1, name)
									}
									lastKind, lastName = kd, append(lastName[:0], name...)
								}
								kv[got+j] = lastKind
							}
						default:
							for j := range m {
								id := c.str(c.pos + j)
								if want == nil {
									want = append([]byte{}, id...)
									r.adopted = string(want)
								}
								if !bytes.Equal(id, want) {
									return fmt.Errorf("%s: column run_id: row %d: run_id %q; allowed: the file's run %q", r.path, row+int64(got+j)+1, id, want)
								}
							}
						}
						c.pos += m
						got += m
					}
				}
				for j := range k {
					if ints[1][j] < 0 || ints[3][j] < 0 {
						return fmt.Errorf("%s: row %d: negative term %d or msg_id %d; allowed: >= 0", r.path, row+int64(j)+1, ints[1][j], ints[3][j])
					}
					ev = eventlog.Event{
						TimeUS: ints[0][j], Term: uint64(ints[1][j]), Value: ints[2][j], MsgID: uint64(ints[3][j]),
						Node: int16(ints[4][j]), Peer: int16(ints[5][j]), Kind: kv[j], Arm: int8(ints[6][j]),
					}
					if err := fn(&ev); err != nil {
						return err
					}
				}
				off += int64(k)
				row += int64(k)
			}
			return nil
		}()
		if err != nil {
			return err
		}
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
