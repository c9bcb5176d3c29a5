package layers

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestNoPathsOutside: no source, config, doc or golden file names a path
// outside the repository (the team's shared notes and tool library lived
// beside it once): a reader of a clone must find every file it cites.
// Sources are cited by key (docs/sources.md), notes under docs/notes/.
func TestNoPathsOutside(t *testing.T) {
	root := filepath.Join("..", "..")
	outside := [][]byte{[]byte("../shared/"), []byte("../.library")}
	// Generated, installed or private trees, not part of the repository.
	skip := map[string]bool{".git": true, "node_modules": true, "artifacts": true, "bin": true, "scratch": true}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if skip[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || path == filepath.Join(root, "internal", "layers", "paths_test.go") {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.Size() > 4<<20 {
			return err // large files are data (Parquet), not prose
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, o := range outside {
			if i := bytes.Index(data, o); i >= 0 {
				line := 1 + bytes.Count(data[:i], []byte("\n"))
				t.Errorf("%s:%d: names %q, outside the repository; allowed: a path in the repository (sources: docs/sources.md; notes: docs/notes/)", path, line, o)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
