package published

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var repoDir = filepath.Join("..", "..", Dir)

// TestLoadAll reads every reference file of the repository.
func TestLoadAll(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no published files: %v", err)
	}
	for _, p := range files {
		name := strings.TrimSuffix(filepath.Base(p), ".yaml")
		if _, err := Load(repoDir, name); err != nil {
			t.Error(err)
		}
	}
}

// TestTable1 checks values keep their printed digits and numbers parse.
func TestTable1(t *testing.T) {
	f, err := Load(repoDir, "ballast_table1")
	if err != nil {
		t.Fatal(err)
	}
	c, ok := f.Cell("random", "recovery_mean_ms")
	if !ok || c.Value.Num != 1100 || c.Value.Text != "1100" || len(c.CI) != 2 || c.CI[0] != 927.3 {
		t.Errorf("random recovery mean: %+v", c)
	}
	if got := f.Num("quantile_decay", "unwritable_frac"); got != 0.0314 {
		t.Errorf("quantile_decay unwritable: %v", got)
	}
	if got := f.Num("nonesuch", "unwritable_frac"); !math.IsNaN(got) {
		t.Errorf("missing row: %v, want NaN", got)
	}
	if !strings.Contains(f.Where(), "Table 1") {
		t.Errorf("Where: %q", f.Where())
	}
	f6, err := Load(repoDir, "dynatune_fig6_rtt")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := f6.Cell("dynatune_sudden", "ots"); c.Value.IsNum || c.Value.Text == "" {
		t.Errorf("a statement must load as text: %+v", c)
	}
}

// TestBadFiles: one line naming the file, field and what is allowed.
func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const head = "source: {document: d, cite: ballast, section: s, table: T, numbering: stated}\ntitle: t\n"
	write("unknown", head+"columns: [{key: a, label: A, unit: ms}]\nrows: [{key: r, label: R, cells: {a: {value: 1}}}]\nbogus: 1\n")
	write("badcite", "source: {document: d, cite: ../notes/x.txt, section: s, table: T}\ntitle: t\ncolumns: [{key: a}]\nrows: [{key: r}]\n")
	write("badcol", head+"columns: [{key: a, label: A, unit: ms}]\nrows:\n  - key: r\n    label: R\n    cells: {b: {value: 1}}\n")
	for name, want := range map[string]string{
		"unknown": "unknown.yaml:5",
		"badcol":  "badcol.yaml:7: rows[0].cells.b: no such column",
		"badcite": `badcite.yaml:1: source.cite: "../notes/x.txt"; allowed: ballast, dynatune,`,
		"missing": "missing.yaml: no such file",
	} {
		_, err := Load(dir, name)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", name, err, want)
		}
	}
}
