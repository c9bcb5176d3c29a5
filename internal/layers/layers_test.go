package layers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ballast-bench/ballast/internal/golden"
)

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func list(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", Module+"/...")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func rel(path string) (string, bool) {
	if path == Module {
		return ".", true
	}
	r, ok := strings.CutPrefix(path, Module+"/")
	return r, ok
}

// TestLayers: every import of every package (and of its in-package tests)
// points to a lower layer; every package is ranked; sim/ imports only the
// policy interface of policies/; examples/ import nothing internal/.
func TestLayers(t *testing.T) {
	rank := map[string]int{}
	for i, l := range Layers {
		for _, p := range l.Packages {
			if _, dup := rank[p]; dup {
				t.Errorf("%s is in two layers", p)
			}
			rank[p] = i
		}
	}
	seen := map[string]bool{}
	for _, p := range list(t) {
		from, _ := rel(p.ImportPath)
		if strings.HasPrefix(from, "internal/scratch/") {
			continue // a developer's scratch area, ignored by git
		}
		seen[from] = true
		r, ok := rank[from]
		if !ok {
			t.Errorf("%s is in no layer: add it to Layers (internal/layers/layers.go)", from)
			continue
		}
		check := func(imports []string, what string) {
			for _, imp := range imports {
				to, ours := rel(imp)
				if !ours {
					continue
				}
				ri, ok := rank[to]
				switch {
				case !ok:
					t.Errorf("%s%s imports %s, which is in no layer", from, what, to)
				case ri >= r:
					t.Errorf("%s%s (layer %q) imports %s (layer %q): imports must point down", from, what, Layers[r].Name, to, Layers[ri].Name)
				}
				if strings.HasPrefix(from, "sim") && strings.HasPrefix(to, "policies") && to != "policies/policy" {
					t.Errorf("%s%s imports %s: sim/ may import only the policy interface, policies/policy", from, what, to)
				}
			}
		}
		check(p.Imports, "")
		check(p.TestImports, " (its tests)")
		if strings.HasPrefix(from, "examples/") {
			for _, imp := range slices.Concat(p.Imports, p.TestImports, p.XTestImports) {
				if to, ours := rel(imp); ours && strings.HasPrefix(to, "internal/") {
					t.Errorf("%s (or its tests) imports %s: an example may use only what another module can import", from, to)
				}
			}
		}
	}
	for p := range rank {
		if !seen[p] {
			t.Errorf("Layers names %s, which does not exist", p)
		}
	}
}

// TestBinaryLeavesOut: the ballast binary does without these
// dependencies, which every cold build (a fresh machine's make reproduce
// starts with one) would otherwise compile; BENCHMARKS.md, "The cold
// build".
func TestBinaryLeavesOut(t *testing.T) {
	leftOut := []struct{ path, why string }{ // a package and those under it
		{"github.com/apache/arrow-go/v18", "the events files are written and read with parquet-go (docs/notes/stack.md); arrow-go's kernels cost ~100 CPU-s of a cold build"},
		{"google.golang.org/grpc", "it came with arrow-go's pqarrow (arrow/flight)"},
		{"gonum.org/v1/gonum/mat", "it came with gonum's distuv (through stat); analysis/stats takes the chi-squared quantile from mathext"},
	}
	cmd := exec.Command("go", "list", "-deps", "./cmd/ballast")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		for _, l := range leftOut {
			if p == l.path || strings.HasPrefix(p, l.path+"/") {
				t.Errorf("the ballast binary depends on %s (go mod why -m %s), which it leaves out: %s", p, p, l.why)
			}
		}
	}
}

// TestArchitectureDoc: docs/architecture.md shows the layers as Layers
// ranks them (the block between the markers is generated; -update in
// internal/golden rewrites it).
func TestArchitectureDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "architecture.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- layers: generated from internal/layers; do not edit -->\n", "<!-- end of layers -->\n"
	doc := string(data)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s: no generated layers block (%q ... %q)", path, strings.TrimSpace(begin), strings.TrimSpace(end))
	}
	var b strings.Builder
	b.WriteString("| layer | packages | what they hold |\n|---|---|---|\n")
	for k := len(Layers) - 1; k >= 0; k-- {
		l := Layers[k]
		pk := append([]string(nil), l.Packages...)
		sort.Strings(pk)
		for i := range pk {
			pk[i] = "`" + pk[i] + "`"
		}
		fmt.Fprintf(&b, "| %d %s | %s | %s |\n", k, l.Name, strings.Join(pk, ", "), l.Doc)
	}
	want := doc[:i+len(begin)] + b.String() + doc[j:]
	if want != doc {
		if golden.Updating() {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Errorf("%s: the layers block is out of date; run go test ./internal/layers -update", path)
	}
}
