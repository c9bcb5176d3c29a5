package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/ballast-bench/ballast/sim/eventlog"
	"github.com/ballast-bench/ballast/sim/eventlog/pq"
)

// scanBatch is how many rows are decoded per column at a time: small
// enough for all nine columns to stay in cache, large enough to amortise
// the calls.
const scanBatch = 4096

// eventsReader decodes an events file with Parquet's column chunk readers
// instead of going through Arrow record batches (pq.ScanEvents): for the
// analysis, which reads every row of many small files, that is about twice
// as fast and allocates a fixed ~0.4 MB per file instead of ~7 MB. It
// reads the layout documented in docs/schema.md and checks it: physical
// types, required columns, known kinds, one run ID. TestScanMatchesPQ
// checks it against pq.ReadEvents.
type eventsReader struct {
	path string
	pf   *file.Reader
	meta map[string]string

	timeUS, term, value, msgID []int64
	node, peer, arm            []int32
	kind, runID                []parquet.ByteArray
	kindv                      []eventlog.Kind
}

// event columns in the order the reader fills them.
var scanColumns = []string{"time_us", "term", "value", "msg_id", "node", "peer", "arm", "kind", "run_id"}

func openEvents(path string) (*eventsReader, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w; allowed: an events file (docs/schema.md)", path, err)
	}
	r := &eventsReader{path: path, pf: pf, meta: map[string]string{}}
	kv := pf.MetaData().KeyValueMetadata()
	for i, k := range kv.Keys() {
		r.meta[k] = kv.Values()[i]
	}
	return r, nil
}

func (r *eventsReader) Close() { r.pf.Close() }

// info returns the run's RunInfo from the file's metadata.
func (r *eventsReader) info() (eventlog.RunInfo, error) {
	var info eventlog.RunInfo
	path, meta := r.path, r.meta
	if v := meta[pq.MetaSchemaVersion]; v != fmt.Sprint(eventlog.SchemaVersion) {
		return info, fmt.Errorf("%s: %s %q; allowed: %d", path, pq.MetaSchemaVersion, v, eventlog.SchemaVersion)
	}
	js, ok := meta[MetaRun]
	if !ok {
		return info, fmt.Errorf("%s: no %q metadata; allowed: events files written by 'ballast sim' or a sweep", path, MetaRun)
	}
	if err := json.Unmarshal([]byte(js), &info); err != nil {
		return info, fmt.Errorf("%s: %s metadata: %v; allowed: a JSON RunInfo", path, MetaRun, err)
	}
	switch {
	case info.RunID == "":
		return info, fmt.Errorf("%s: %s metadata: empty RunID; allowed: the run's ID", path, MetaRun)
	case info.RunID != meta[pq.MetaRunID]:
		return info, fmt.Errorf("%s: %s metadata: RunID %q but %s %q; allowed: equal IDs", path, MetaRun, info.RunID, pq.MetaRunID, meta[pq.MetaRunID])
	case info.Seed >= 1<<63:
		return info, fmt.Errorf("%s: %s metadata: Seed %d; allowed: below 2^63", path, MetaRun, info.Seed)
	}
	return info, nil
}

// scan calls fn for every event in file order; every row's run_id must be
// runID.
func (r *eventsReader) scan(runID string, fn func(*eventlog.Event) error) error {
	schema := r.pf.MetaData().Schema
	cols := make([]int, len(scanColumns))
	for i, name := range scanColumns {
		if cols[i] = schema.ColumnIndexByName(name); cols[i] < 0 {
			return fmt.Errorf("%s: no column %q; allowed: the events schema (docs/schema.md)", r.path, name)
		}
	}
	if r.timeUS == nil {
		r.timeUS, r.term, r.value, r.msgID = make([]int64, scanBatch), make([]int64, scanBatch), make([]int64, scanBatch), make([]int64, scanBatch)
		r.node, r.peer, r.arm = make([]int32, scanBatch), make([]int32, scanBatch), make([]int32, scanBatch)
		r.kind, r.runID = make([]parquet.ByteArray, scanBatch), make([]parquet.ByteArray, scanBatch)
		r.kindv = make([]eventlog.Kind, scanBatch)
	}
	want := []byte(runID)
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
func readAll(r *eventsReader, col string, k int64, read func(lo int64) (int64, error)) error {
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
