package pq

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/ballast-bench/ballast/eventlog"
)

// writeLayout writes evs with the given Parquet settings; plain stores
// run_id and kind from plain string arrays instead of dictionary arrays.
func writeLayout(t *testing.T, path, runID string, evs []eventlog.Event, props *parquet.WriterProperties, plain bool) {
	t.Helper()
	n := len(evs)
	var (
		times, terms, values, msgIDs = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		nodes, peers                 = make([]int16, n), make([]int16, n)
		arms, kinds, zeros           = make([]int8, n), make([]int8, n), make([]int8, n)
		runStrs, kindStrs            = make([]string, n), make([]string, n)
	)
	for i, ev := range evs {
		times[i], terms[i], values[i], msgIDs[i] = ev.TimeUS, int64(ev.Term), ev.Value, int64(ev.MsgID)
		nodes[i], peers[i], arms[i], kinds[i] = ev.Node, ev.Peer, ev.Arm, int8(ev.Kind-1)
		runStrs[i], kindStrs[i] = runID, ev.Kind.String()
	}
	schema := eventSchema
	runCol, kindCol := dictArray(zeros, stringArray([]string{runID})), dictArray(kinds, stringArray(kindNames))
	if plain {
		fields := slices.Clone(eventSchema.Fields())
		fields[0].Type, fields[3].Type = arrow.BinaryTypes.String, arrow.BinaryTypes.String
		schema = arrow.NewSchema(fields, nil)
		runCol, kindCol = stringArray(runStrs), stringArray(kindStrs)
	}
	cols := []arrow.Array{
		runCol,
		fixedArray(arrow.PrimitiveTypes.Int64, times),
		fixedArray(arrow.PrimitiveTypes.Int16, nodes),
		kindCol,
		fixedArray(arrow.PrimitiveTypes.Int64, terms),
		fixedArray(arrow.PrimitiveTypes.Int16, peers),
		fixedArray(arrow.PrimitiveTypes.Int64, values),
		fixedArray(arrow.PrimitiveTypes.Int8, arms),
		fixedArray(arrow.PrimitiveTypes.Int64, msgIDs),
	}
	rec := array.NewRecordBatch(schema, cols, int64(n))
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := pqarrow.NewFileWriter(schema, f, props, arrowProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.AppendKeyValueMetadata(MetaRunID, runID); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
}

// scanBoth scans path with the direct decoder and with arrow-go's readers;
// direct says whether the file was eligible for the first.
type scanResult struct {
	evs     []eventlog.Event
	adopted string
	err     error
}

func scanWith(path, runID string, arrowOnly bool) (res scanResult, direct bool, err error) {
	defer func(old bool) { forceArrow = old }(forceArrow)
	forceArrow = arrowOnly
	r, err := OpenEvents(path)
	if err != nil {
		return res, false, err
	}
	defer r.Close()
	cols := make([]int, len(scanColumns))
	for i, name := range scanColumns {
		cols[i] = r.pf.MetaData().Schema.ColumnIndexByName(name)
	}
	direct = r.directChunks(cols)
	res.err = r.Scan(runID, func(ev *eventlog.Event) error {
		res.evs = append(res.evs, *ev)
		return nil
	})
	res.adopted = r.RunID()
	return res, direct, nil
}

// eligible reports whether the direct decoder would read path.
func eligible(path string) (ok bool) {
	defer func() {
		if recover() != nil { // arrow-go's footer parser on a damaged footer
			ok = false
		}
	}()
	r, err := OpenEvents(path)
	if err != nil {
		return false
	}
	defer r.Close()
	cols := make([]int, len(scanColumns))
	for i, name := range scanColumns {
		if cols[i] = r.pf.MetaData().Schema.ColumnIndexByName(name); cols[i] < 0 {
			return false
		}
	}
	return r.directChunks(cols)
}

func scanBoth(t *testing.T, path, runID string) (d, a scanResult, direct bool) {
	t.Helper()
	d, direct, err := scanWith(path, runID, false)
	if err != nil {
		t.Fatal(err)
	}
	a, _, err = scanWith(path, runID, true)
	if err != nil {
		t.Fatal(err)
	}
	return d, a, direct
}

func sameResult(d, a scanResult) error {
	switch {
	case (d.err == nil) != (a.err == nil):
		return fmt.Errorf("direct error %v, arrow error %v", d.err, a.err)
	case d.err != nil:
		return nil
	case !slices.Equal(d.evs, a.evs):
		return fmt.Errorf("direct %d events, arrow %d; first difference at %d", len(d.evs), len(a.evs), firstDiff(d.evs, a.evs))
	case d.adopted != a.adopted:
		return fmt.Errorf("adopted run ID %q (direct), %q (arrow)", d.adopted, a.adopted)
	}
	return nil
}

// mixedEvents: a heartbeat stream with edge-value rows spliced in, so that
// the deltas of every column span all bit widths, in runs of every length.
func mixedEvents(n int) []eventlog.Event {
	evs := heartbeatStream(11, n)
	edge := edgeEvents()
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < len(evs); i += 1 + rng.IntN(300) {
		evs[i] = edge[rng.IntN(len(edge))]
	}
	return evs
}

// TestDirectMatchesArrow: the direct decoder returns exactly what arrow-go's
// readers return, on the writer's layout and on the variants another
// Parquet writer may choose; files it does not cover go to arrow-go.
func TestDirectMatchesArrow(t *testing.T) {
	base := func(extra ...parquet.WriterProperty) *parquet.WriterProperties {
		opts := []parquet.WriterProperty{parquet.WithStatsFor(colKind, false)}
		for _, f := range eventSchema.Fields() {
			if f.Type.ID() != arrow.DICTIONARY {
				opts = append(opts, parquet.WithDictionaryFor(f.Name, false),
					parquet.WithEncodingFor(f.Name, parquet.Encodings.DeltaBinaryPacked))
			}
		}
		return parquet.NewWriterProperties(append(opts, extra...)...)
	}
	plainInts := func(extra ...parquet.WriterProperty) *parquet.WriterProperties {
		opts := []parquet.WriterProperty{parquet.WithDictionaryDefault(false)}
		return parquet.NewWriterProperties(append(opts, extra...)...)
	}
	layouts := []struct {
		name   string
		props  *parquet.WriterProperties
		plain  bool
		direct bool
	}{
		{"writer's layout", eventProps(), false, true},
		{"small pages and row groups, V2 zstd", base(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithDataPageVersion(parquet.DataPageV2),
			parquet.WithDataPageSize(300), parquet.WithBatchSize(97), parquet.WithMaxRowGroupLength(2500)), false, true},
		{"V1 snappy", base(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithDataPageVersion(parquet.DataPageV1),
			parquet.WithDataPageSize(4000), parquet.WithBatchSize(500)), false, true},
		{"V2 uncompressed", base(parquet.WithDataPageVersion(parquet.DataPageV2), parquet.WithDataPageSize(1000), parquet.WithBatchSize(128)), false, true},
		{"V1 uncompressed", base(parquet.WithDataPageVersion(parquet.DataPageV1)), false, true},
		{"gzip, PLAIN everything", plainInts(parquet.WithCompression(compress.Codecs.Gzip), parquet.WithDataPageSize(2000), parquet.WithBatchSize(100)), true, true},
		{"brotli, PLAIN V1", plainInts(parquet.WithCompression(compress.Codecs.Brotli), parquet.WithDataPageVersion(parquet.DataPageV1)), true, true},
		{"lz4, strings dictionary then PLAIN", base(parquet.WithCompression(compress.Codecs.Lz4Raw), parquet.WithDictionaryPageSizeLimit(60),
			parquet.WithDataPageSize(500), parquet.WithBatchSize(50)), true, true},
		{"dictionary integers (arrow-go)", parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd)), true, false},
	}
	inputs := []struct {
		name  string
		runID string
		evs   []eventlog.Event
	}{
		{"edge values", "run-édge/1", edgeEvents()},
		{"heartbeats", "hb", heartbeatStream(2, 30_000)},
		{"mixed", "", mixedEvents(20_000)},
		{"one event", "one", edgeEvents()[:1]},
	}
	dir := t.TempDir()
	for li, l := range layouts {
		for ii, in := range inputs {
			t.Run(l.name+"/"+in.name, func(t *testing.T) {
				path := filepath.Join(dir, fmt.Sprintf("%d-%d.parquet", li, ii))
				writeLayout(t, path, in.runID, in.evs, l.props, l.plain)
				d, a, direct := scanBoth(t, path, in.runID)
				if direct != l.direct {
					t.Errorf("direct decoder used: %v, want %v", direct, l.direct)
				}
				if d.err != nil || a.err != nil {
					t.Fatalf("direct: %v; arrow: %v", d.err, a.err)
				}
				if err := sameResult(d, a); err != nil {
					t.Error(err)
				}
				if !slices.Equal(d.evs, in.evs) {
					t.Errorf("direct: %d events, want %d; first difference at %d", len(d.evs), len(in.evs), firstDiff(d.evs, in.evs))
				}
				if in.runID == "" && d.adopted != "" {
					t.Errorf("adopted run ID %q, want empty", d.adopted)
				}
				// Foreign run IDs and adoption.
				d, a, _ = scanBoth(t, path, "someone-else")
				if d.err == nil || a.err == nil || d.err.Error() != a.err.Error() {
					t.Errorf("foreign run ID: direct error %v, arrow error %v; want the same error", d.err, a.err)
				}
			})
		}
	}
}

// TestDirectErrors: the direct decoder reports bad rows exactly as the
// arrow-go path does.
func TestDirectErrors(t *testing.T) {
	dir := t.TempDir()
	files := map[string]func(string){
		"unknown kind":       func(p string) { writeRaw(t, p, []string{"timeout", "warp_drive_engaged"}, []int8{0, 0, 1, 0}, 1) },
		"unknown kind, dict": func(p string) { writeRaw(t, p, []string{"timeout", "warp_drive_engaged"}, []int8{0, 0, 0}, 1) },
		"negative term":      func(p string) { writeRaw(t, p, []string{"timeout"}, []int8{0, 0}, -5) },
	}
	for name, write := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".parquet")
			write(path)
			for _, runID := range []string{"", "raw", "other"} {
				d, a, direct := scanBoth(t, path, runID)
				if !direct {
					t.Error("direct decoder not used")
				}
				if (d.err == nil) != (a.err == nil) || (d.err != nil && d.err.Error() != a.err.Error()) {
					t.Errorf("run ID %q: direct error %v, arrow error %v", runID, d.err, a.err)
				}
				if err := sameResult(d, a); err != nil {
					t.Errorf("run ID %q: %v", runID, err)
				}
			}
		})
	}
}

// TestDirectCorrupt damages files byte by byte: the direct decoder must
// neither panic nor hang, and a file it reads without error has all its
// rows. (arrow-go is no referee here: some damage sends its page reader
// into an endless loop or a panic; the two also disagree on what is
// damage: arrow-go rejects bit widths over 64 in unused miniblocks, which
// the format says to accept, and silently decodes some damaged
// DELTA_BINARY_PACKED headers that the direct decoder rejects.)
func TestDirectCorrupt(t *testing.T) {
	dir := t.TempDir()
	evs := mixedEvents(3000)
	rng := rand.New(rand.NewPCG(1, 2))
	// zstd checks every frame, so most damage to the writer's own files
	// ends in a decompression error; uncompressed files let it through to
	// the decoders.
	delta := []parquet.WriterProperty{parquet.WithDataPageSize(400), parquet.WithBatchSize(64)}
	for _, f := range eventSchema.Fields() {
		if f.Type.ID() != arrow.DICTIONARY {
			delta = append(delta, parquet.WithDictionaryFor(f.Name, false), parquet.WithEncodingFor(f.Name, parquet.Encodings.DeltaBinaryPacked))
		}
	}
	for li, l := range []struct {
		props *parquet.WriterProperties
		plain bool
	}{
		{eventProps(), false},
		{parquet.NewWriterProperties(delta...), false},
		{parquet.NewWriterProperties(append(delta, parquet.WithDataPageVersion(parquet.DataPageV1))...), false},
		{parquet.NewWriterProperties(parquet.WithDictionaryDefault(false), parquet.WithDataPageSize(400), parquet.WithBatchSize(64)), true},
	} {
		path := filepath.Join(dir, fmt.Sprintf("good-%d.parquet", li))
		writeLayout(t, path, "c", evs, l.props, l.plain)
		good, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		bad := filepath.Join(dir, "bad.parquet")
		var checked, failed int
		tries := 300
		if testing.Short() {
			tries = 50
		}
		for i := range tries {
			b := slices.Clone(good)
			for range 1 + rng.IntN(3) {
				// Mostly the column chunks, sometimes the footer.
				p := rng.IntN(len(b) - 8)
				if i%4 != 0 {
					p = 4 + rng.IntN(len(b)*3/4)
				}
				b[p] ^= byte(1 + rng.IntN(255))
			}
			if i%10 == 0 {
				b = b[:len(b)-1-rng.IntN(len(b)/2)]
			}
			if err := os.WriteFile(bad, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if !eligible(bad) {
				continue // damaged metadata: arrow-go's business
			}
			var d scanResult
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("try %d: direct decoder panicked: %v\n%s", i, p, debug.Stack())
					}
				}()
				d, _, err = scanWith(bad, "c", false)
			}()
			if err != nil {
				t.Fatalf("try %d: %v", i, err)
			}
			checked++
			if d.err != nil {
				failed++
			} else if len(d.evs) != len(evs) {
				t.Errorf("try %d: %d events without an error, want %d", i, len(d.evs), len(evs))
			}
		}
		t.Logf("layout %d: %d damaged files read directly, %d with an error", li, checked, failed)
		if checked == 0 {
			t.Error("no damaged file reached the direct decoder")
		}
	}
}
