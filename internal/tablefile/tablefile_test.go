package tablefile

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/internal/atomicfile"
	"github.com/ballast-bench/ballast/internal/golden"
)

type row struct {
	Name    string  `col:"name"`
	Count   int64   `col:"count"`
	Frac    float64 `col:"frac"`
	Flag    bool    `col:"flag"`
	Seed    uint64  `col:"seed"`
	Skipped string  `col:"-"`
	Hidden  int     // untagged: not stored
}

var rows = []row{
	{Name: "plain", Count: 1, Frac: 0.1, Flag: true, Seed: math.MaxInt64, Skipped: "x"},
	{Name: `comma, "quoted"`, Count: -7, Frac: math.NaN()},
	{Name: "", Count: 1 << 62, Frac: 1e-300, Seed: 42},
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	pqPath := filepath.Join(dir, "t.parquet")
	f1, err := StageParquet(pqPath, rows, KV{"k", "v"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pqPath); !os.IsNotExist(err) {
		t.Fatal("a staged file is visible before Commit")
	}
	if err := atomicfile.CommitAll(f1); err != nil {
		t.Fatal(err)
	}
	got, err := ReadParquet[row](pqPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("%d rows, want %d", len(got), len(rows))
	}
	for i, g := range got {
		w := rows[i]
		w.Skipped = ""
		if g.Name != w.Name || g.Count != w.Count || g.Flag != w.Flag || g.Seed != w.Seed || g.Skipped != "" ||
			!(g.Frac == w.Frac || (math.IsNaN(g.Frac) && math.IsNaN(w.Frac))) {
			t.Errorf("row %d: got %+v, want %+v", i, g, w)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestCSVGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.csv")
	f, err := StageCSV(path, rows)
	if err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.CommitAll(f); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	golden.Check(t, "testdata/rows.csv", got)
}

func TestSeedOutOfRange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	if _, err := StageParquet(path, []row{{Seed: math.MaxInt64 + 1}}); err == nil {
		t.Fatal("a uint64 above 2^63-1 was written")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 0 {
		t.Errorf("left %v behind", entries)
	}
}

func TestReadWrongType(t *testing.T) {
	type other struct {
		Name int64 `col:"name"`
	}
	path := filepath.Join(t.TempDir(), "t.parquet")
	f, _ := StageParquet(path, rows)
	atomicfile.CommitAll(f)
	if _, err := ReadParquet[other](path); err == nil {
		t.Error("reading a string column into int64 did not fail")
	}
	type missing struct {
		X int64 `col:"x"`
	}
	if _, err := ReadParquet[missing](path); err == nil {
		t.Error("reading a missing column did not fail")
	}
}

// TestNulls: undefined values (NaN, an int64's sentinel) are NULLs in
// Parquet and read back as they were; a column without a sentinel never
// is one.
func TestNulls(t *testing.T) {
	type r struct {
		At  int64   `col:"at_us,null=-1"`
		V   float64 `col:"v"`
		Cnt int64   `col:"count"`
	}
	in := []r{{At: -1, V: math.NaN(), Cnt: -1}, {At: 5, V: 0.5, Cnt: 2}}
	path := filepath.Join(t.TempDir(), "n.parquet")
	f, err := StageParquet(path, in)
	if err != nil {
		t.Fatal(err)
	}
	atomicfile.CommitAll(f)
	back, err := ReadParquet[r](path)
	if err != nil {
		t.Fatal(err)
	}
	if back[0].At != -1 || !math.IsNaN(back[0].V) || back[0].Cnt != -1 || back[1] != in[1] {
		t.Fatalf("read back %+v", back)
	}
	type bad struct {
		X int64 `col:"x,nul=-1"`
	}
	if _, err := StageParquet(filepath.Join(t.TempDir(), "b.parquet"), []bad{{}}); err == nil {
		t.Error("an unknown col option was accepted")
	}
}

// TestParquetGoVersion: ParquetGoVersion is the version in go.mod.
func TestParquetGoVersion(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(mod)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "github.com/parquet-go/parquet-go "); ok {
			if v = strings.Fields(v)[0]; v != "v"+ParquetGoVersion {
				t.Errorf("go.mod has parquet-go %s; ParquetGoVersion is %s", v, ParquetGoVersion)
			}
			return
		}
	}
	t.Error("go.mod does not require github.com/parquet-go/parquet-go")
}
