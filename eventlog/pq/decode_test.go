package pq

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/ballast-bench/ballast/eventlog"
)

// plainRow and dictRow are eventRow with other encodings: PLAIN integers
// and strings, and dictionaries for every column.
type plainRow struct {
	RunID  string `parquet:"run_id,plain"`
	TimeUS int64  `parquet:"time_us,plain"`
	Node   int16  `parquet:"node,plain"`
	Kind   string `parquet:"kind,plain"`
	Term   int64  `parquet:"term,plain"`
	Peer   int16  `parquet:"peer,plain"`
	Value  int64  `parquet:"value,plain"`
	Arm    int8   `parquet:"arm,plain"`
	MsgID  int64  `parquet:"msg_id,plain"`
}

type dictRow struct {
	RunID  string `parquet:"run_id,dict"`
	TimeUS int64  `parquet:"time_us,dict"`
	Node   int16  `parquet:"node,dict"`
	Kind   string `parquet:"kind,dict"`
	Term   int64  `parquet:"term,dict"`
	Peer   int16  `parquet:"peer,dict"`
	Value  int64  `parquet:"value,dict"`
	Arm    int8   `parquet:"arm,dict"`
	MsgID  int64  `parquet:"msg_id,dict"`
}

// rowsOf turns events into rows of the events schema, with the kind named
// by kindName (a test may name kinds no Writer would).
func rowsOf(runID string, evs []eventlog.Event, kindName func(eventlog.Kind) string) []eventRow {
	rows := make([]eventRow, len(evs))
	for i, ev := range evs {
		rows[i] = eventRow{RunID: runID, TimeUS: ev.TimeUS, Node: ev.Node, Kind: kindName(ev.Kind), Term: int64(ev.Term),
			Peer: ev.Peer, Value: ev.Value, Arm: ev.Arm, MsgID: int64(ev.MsgID)}
	}
	return rows
}

// writeRows writes rows with parquet-go's GenericWriter[T] and the given
// options, and the run ID in the metadata unless it is "".
func writeRows[T any](t *testing.T, path, runID string, rows []T, opts ...parquet.WriterOption) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if runID != "" {
		opts = append(opts, parquet.KeyValueMetadata(MetaRunID, runID))
	}
	w := parquet.NewGenericWriter[T](f, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// layout is a way of writing the events schema: encodings (the row type)
// and writer options.
type layout struct {
	name   string
	write  func(t *testing.T, path, runID string, rows []eventRow)
	direct bool // the direct decoder reads it
}

func rowsAs[T eventRow | plainRow | dictRow](opts ...parquet.WriterOption) func(t *testing.T, path, runID string, rows []eventRow) {
	return func(t *testing.T, path, runID string, rows []eventRow) {
		conv := make([]T, len(rows))
		for i := range rows {
			conv[i] = T(rows[i])
		}
		writeRows(t, path, runID, conv, opts...)
	}
}

// scanWith scans path with the direct decoder or parquet-go's page reader;
// direct says whether the file was eligible for the first.
type scanResult struct {
	evs     []eventlog.Event
	adopted string
	err     error
}

func scanWith(path, runID string, pagesOnly bool) (res scanResult, direct bool, err error) {
	defer func(old bool) { forcePages = old }(forcePages)
	forcePages = pagesOnly
	r, err := OpenEvents(path)
	if err != nil {
		return res, false, err
	}
	defer r.Close()
	cols, err := r.columns()
	if err != nil {
		return res, false, err
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
		if recover() != nil { // parquet-go's footer parser on a damaged footer
			ok = false
		}
	}()
	r, err := OpenEvents(path)
	if err != nil {
		return false
	}
	defer r.Close()
	cols, err := r.columns()
	return err == nil && r.directChunks(cols)
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
		return fmt.Errorf("direct error %v, parquet-go error %v", d.err, a.err)
	case d.err != nil:
		return nil
	case !slices.Equal(d.evs, a.evs):
		return fmt.Errorf("direct %d events, parquet-go %d; first difference at %d", len(d.evs), len(a.evs), firstDiff(d.evs, a.evs))
	case d.adopted != a.adopted:
		return fmt.Errorf("adopted run ID %q (direct), %q (parquet-go)", d.adopted, a.adopted)
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

// layouts are the writer's layout and the variants another Parquet writer
// may choose, written with parquet-go.
func layouts() []layout {
	return []layout{
		{"writer's layout", rowsAs[eventRow](writerOptions()...), true},
		{"small pages and row groups, V2 zstd", rowsAs[eventRow](parquet.Compression(&parquet.Zstd), parquet.DataPageVersion(2),
			parquet.PageBufferSize(300), parquet.MaxRowsPerRowGroup(2500)), true},
		{"V1 snappy", rowsAs[eventRow](parquet.Compression(&parquet.Snappy), parquet.DataPageVersion(1), parquet.PageBufferSize(4000)), true},
		{"V2 uncompressed", rowsAs[eventRow](parquet.DataPageVersion(2), parquet.PageBufferSize(1000)), true},
		{"V1 uncompressed", rowsAs[eventRow](parquet.DataPageVersion(1)), true},
		{"gzip, PLAIN everything", rowsAs[plainRow](parquet.Compression(&parquet.Gzip), parquet.PageBufferSize(2000)), true},
		{"brotli, PLAIN V1", rowsAs[plainRow](parquet.Compression(&parquet.Brotli), parquet.DataPageVersion(1)), true},
		{"lz4, strings dictionary then PLAIN", rowsAs[eventRow](parquet.Compression(&parquet.Lz4Raw), parquet.DictionaryMaxBytes(60),
			parquet.PageBufferSize(500)), true},
		{"dictionary integers", rowsAs[dictRow](parquet.Compression(&parquet.Zstd)), false},
	}
}

// TestDirectMatchesPages: the direct decoder returns exactly what
// parquet-go's page reader returns, on the writer's layout and on the
// variants another Parquet writer may choose; files it does not cover go
// to parquet-go.
func TestDirectMatchesPages(t *testing.T) {
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
	for li, l := range layouts() {
		for ii, in := range inputs {
			t.Run(l.name+"/"+in.name, func(t *testing.T) {
				path := filepath.Join(dir, fmt.Sprintf("%d-%d.parquet", li, ii))
				l.write(t, path, in.runID, rowsOf(cmp.Or(in.runID, "adopted"), in.evs, eventlog.Kind.String))
				d, a, direct := scanBoth(t, path, in.runID)
				if direct != l.direct {
					t.Errorf("direct decoder used: %v, want %v", direct, l.direct)
				}
				if d.err != nil || a.err != nil {
					t.Fatalf("direct: %v; parquet-go: %v", d.err, a.err)
				}
				if err := sameResult(d, a); err != nil {
					t.Error(err)
				}
				if !slices.Equal(d.evs, in.evs) {
					t.Errorf("direct: %d events, want %d; first difference at %d", len(d.evs), len(in.evs), firstDiff(d.evs, in.evs))
				}
				if in.runID == "" && d.adopted != "adopted" {
					t.Errorf("adopted run ID %q, want the rows' %q", d.adopted, "adopted")
				}
				// Foreign run IDs.
				d, a, _ = scanBoth(t, path, "someone-else")
				if d.err == nil || a.err == nil || d.err.Error() != a.err.Error() {
					t.Errorf("foreign run ID: direct error %v, parquet-go error %v; want the same error", d.err, a.err)
				}
			})
		}
	}
}

// TestDirectErrors: the direct decoder reports bad rows exactly as the
// parquet-go path does.
func TestDirectErrors(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"unknown kind":                writeRaw(t, dir, []string{"timeout", "timeout", "warp_drive_engaged", "timeout"}, 1),
		"negative term":               writeRaw(t, dir, []string{"timeout", "timeout"}, -5),
		"unknown kind (arrow-go)":     filepath.Join("testdata", "arrowgo", "unknown-kind.parquet"),
		"unused unknown kind in dict": filepath.Join("testdata", "arrowgo", "unused-unknown-kind.parquet"),
		"negative term (arrow-go)":    filepath.Join("testdata", "arrowgo", "negative-term.parquet"),
	}
	for name, path := range files {
		t.Run(name, func(t *testing.T) {
			for _, runID := range []string{"", "raw", "other"} {
				d, a, direct := scanBoth(t, path, runID)
				if !direct {
					t.Error("direct decoder not used")
				}
				if (d.err == nil) != (a.err == nil) || (d.err != nil && d.err.Error() != a.err.Error()) {
					t.Errorf("run ID %q: direct error %v, parquet-go error %v", runID, d.err, a.err)
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
// rows. (A library is no referee here: the two disagree on what is
// damage, e.g. bit widths over 64 in unused miniblocks, which the format
// says to accept.)
func TestDirectCorrupt(t *testing.T) {
	dir := t.TempDir()
	evs := mixedEvents(3000)
	rows := rowsOf("c", evs, eventlog.Kind.String)
	rng := rand.New(rand.NewPCG(1, 2))
	// zstd checks every frame, so most damage to the writer's own files
	// ends in a decompression error; uncompressed files let it through to
	// the decoders.
	for li, write := range []func(t *testing.T, path, runID string, rows []eventRow){
		rowsAs[eventRow](writerOptions()...),
		rowsAs[eventRow](parquet.PageBufferSize(400)),
		rowsAs[eventRow](parquet.PageBufferSize(400), parquet.DataPageVersion(1)),
		rowsAs[plainRow](parquet.PageBufferSize(400)),
	} {
		path := filepath.Join(dir, fmt.Sprintf("good-%d.parquet", li))
		write(t, path, "c", rows)
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
				continue // damaged metadata: parquet-go's business
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
