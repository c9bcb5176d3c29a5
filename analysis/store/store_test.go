package store

import (
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

type row struct {
	Name    string  `col:"name"`
	Count   int64   `col:"count"`
	Frac    float64 `col:"frac"`
	Flag    bool    `col:"flag"`
	Skipped string  `col:"-"`
	Hidden  int     // untagged: not stored
}

var rows = []row{
	{Name: "plain", Count: 1, Frac: 0.1, Flag: true, Skipped: "x"},
	{Name: `comma, "quoted"`, Count: -7, Frac: math.NaN()},
	{Name: "", Count: 1 << 62, Frac: 1e-300},
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	pqPath := filepath.Join(dir, "t.parquet")
	f1, err := StageParquet(pqPath, rows)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pqPath); !os.IsNotExist(err) {
		t.Fatal("a staged file is visible before Commit")
	}
	if err := Commit([]*File{f1}); err != nil {
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
		if g.Name != w.Name || g.Count != w.Count || g.Flag != w.Flag || g.Skipped != "" ||
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
	if err := Commit([]*File{f}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	golden := "testdata/rows.csv"
	if *update {
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("CSV differs from %s:\n%s\nwant\n%s", golden, got, want)
	}
}

func TestStageFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	_, err := Stage(filepath.Join(dir, "x.csv"), func(w io.Writer) error { return errors.New("boom") })
	if err == nil {
		t.Fatal("no error")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v behind", entries)
	}
}

func TestReadWrongType(t *testing.T) {
	type other struct {
		Name int64 `col:"name"`
	}
	path := filepath.Join(t.TempDir(), "t.parquet")
	f, _ := StageParquet(path, rows)
	Commit([]*File{f})
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
