package atomicfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestCommitAndDigest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("hello "))
	f.Write([]byte("world"))
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("the destination exists before Commit")
	}
	if n := names(t, dir); len(n) != 1 || !IsTemp(n[0]) {
		t.Fatalf("while writing, the directory holds %v; want one temporary file", n)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	size, sum := f.Digest()
	want := sha256.Sum256([]byte("hello world"))
	if string(got) != "hello world" || size != 11 || sum != hex.EncodeToString(want[:]) {
		t.Fatalf("file %q, digest %d %s", got, size, sum)
	}
	if rs, rsum, err := Sum(path); err != nil || rs != size || rsum != sum {
		t.Fatalf("Sum %d %s %v, want %d %s", rs, rsum, err, size, sum)
	}
	if n := names(t, dir); len(n) != 1 || n[0] != "out.txt" {
		t.Fatalf("after Commit the directory holds %v", n)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}

func TestAbortLeavesDestination(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	os.WriteFile(path, []byte("old"), 0o644)
	f, _ := Create(path)
	f.Write([]byte("new"))
	f.Abort()
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("destination %q after Abort", got)
	}
	if n := names(t, dir); len(n) != 1 {
		t.Fatalf("left %v", n)
	}
	if _, err := Stage(filepath.Join(dir, "x"), func(io.Writer) error { return errors.New("boom") }); err == nil {
		t.Fatal("Stage hid the writer's error")
	}
	if n := names(t, dir); len(n) != 1 {
		t.Fatalf("a failed Stage left %v", n)
	}
}

// TestLinksAreNotFollowed: a symbolic link at the destination is replaced,
// not written through, so a file it points at is never touched.
func TestLinksAreNotFollowed(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	path := filepath.Join(dir, "out")
	if err := os.Symlink(victim, path); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if _, _, err := WriteFile(path, []byte("result")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(victim); string(got) != "precious" {
		t.Fatalf("the link's target was overwritten: %q", got)
	}
	if st, _ := os.Lstat(path); st.Mode()&os.ModeSymlink != 0 {
		t.Fatal("the destination is still a link")
	}
}

func TestCommitAll(t *testing.T) {
	dir := t.TempDir()
	a, _ := Create(filepath.Join(dir, "a"))
	b, _ := Create(filepath.Join(dir, "b"))
	a.Write([]byte("A"))
	b.Write([]byte("B"))
	if err := CommitAll(a, b); err != nil {
		t.Fatal(err)
	}
	if n := names(t, dir); len(n) != 2 || n[0] != "a" || n[1] != "b" {
		t.Fatalf("directory holds %v", n)
	}
	// A destination that cannot be written (its directory is gone): the
	// temporary files go, nothing else appears.
	c, _ := Create(filepath.Join(dir, "c"))
	gone := filepath.Join(dir, "sub")
	os.Mkdir(gone, 0o755)
	d, _ := Create(filepath.Join(gone, "d"))
	os.RemoveAll(gone)
	if err := CommitAll(c, d); err == nil {
		t.Fatal("CommitAll into a removed directory succeeded")
	}
	for _, n := range names(t, dir) {
		if IsTemp(n) {
			t.Errorf("temporary file %s left", n)
		}
	}
}

func TestIsTemp(t *testing.T) {
	for name, want := range map[string]bool{
		".run.parquet" + TempInfix + "12-3": true,
		"run.parquet":                       false,
		".report.tmp.md":                    false, // a user's file
		".index.tmp-lock":                   false,
	} {
		if IsTemp(name) != want {
			t.Errorf("IsTemp(%q) = %v", name, !want)
		}
	}
}
