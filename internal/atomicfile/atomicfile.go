// Package atomicfile is ballast's one way of writing an output file: the
// content goes to a temporary file in the destination's directory, is
// hashed as it is written, and is renamed over the destination only when
// complete (Commit). rename(2) within a directory is atomic, so a reader,
// or a process killed midway, sees either the old file, no file, or the
// complete new one; never a part.
//
// The temporary file is created exclusively (O_EXCL) and without following
// a symbolic link (O_NOFOLLOW), and the rename replaces a link at the
// destination instead of writing through it: a link planted in an output
// tree is never followed. Temporary names match Temp, a pattern only this
// package creates, so a cleanup can tell them from a user's files.
//
// There is no fsync: the guarantee is against a killed process (what a
// sweep must survive), not against power loss. An fsync per run cost more
// than simulating it; the sweep's manifest check catches a file a machine
// crash truncated.
package atomicfile

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// TempInfix marks temporary files: ".<name>" + TempInfix + "<pid>-<n>".
const TempInfix = ".ballast-tmp-"

// IsTemp reports whether a file name is one of this package's temporary
// files (of any process).
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, TempInfix)
}

// counter makes temporary names unique within the process; the pid makes
// them unique between processes, and O_EXCL settles the rest (a stale
// file of an earlier process with the same pid: the next number is tried).
var counter atomic.Uint64

// File is an output file being written. Write to it, then Commit (or
// Abort); a File is not safe for concurrent use.
type File struct {
	path, tmp string
	f         *os.File
	buf       *bufio.Writer
	sum       digestWriter
	closed    bool
}

// digestWriter writes through to the file and keeps SHA-256 and size.
type digestWriter struct {
	f *os.File
	h hash.Hash
	n int64
}

func (d *digestWriter) Write(p []byte) (int, error) {
	n, err := d.f.Write(p)
	d.h.Write(p[:n])
	d.n += int64(n)
	return n, err
}

// Create starts writing path. The directory must exist.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	pid := strconv.Itoa(os.Getpid())
	for range 100 {
		tmp := filepath.Join(dir, "."+base+TempInfix+pid+"-"+strconv.FormatUint(counter.Add(1), 10))
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("writing %s: %w", path, err)
		}
		a := &File{path: path, tmp: tmp, f: f}
		a.sum = digestWriter{f: f, h: sha256.New()}
		// Batches the many small writes of encoders into few system calls.
		a.buf = bufio.NewWriterSize(&a.sum, 256<<10)
		return a, nil
	}
	return nil, fmt.Errorf("writing %s: no free temporary name", path)
}

// Path is the destination.
func (a *File) Path() string { return a.path }

// Write implements io.Writer. It deliberately is all File implements of
// io.WriteCloser: an encoder that closes what it writes to when it can
// must not close the file before Commit.
func (a *File) Write(p []byte) (int, error) { return a.buf.Write(p) }

// close flushes and closes the temporary file (once).
func (a *File) close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	err := a.buf.Flush()
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Finish flushes and closes the file without putting it in place, so that
// several files can be written completely before any is committed
// (CommitAll). Its digest is final from here.
func (a *File) Finish() error {
	if err := a.close(); err != nil {
		a.Abort()
		return fmt.Errorf("writing %s: %w", a.path, err)
	}
	return nil
}

// Digest is the size and SHA-256 (hex) of what was written.
func (a *File) Digest() (int64, string) {
	return a.sum.n, hex.EncodeToString(a.sum.h.Sum(nil))
}

// Commit finishes the file and renames it over the destination. On error
// the temporary file is removed and the destination is untouched.
func (a *File) Commit() error {
	if err := a.Finish(); err != nil {
		return err
	}
	if err := os.Rename(a.tmp, a.path); err != nil {
		os.Remove(a.tmp)
		return fmt.Errorf("writing %s: %w", a.path, err)
	}
	return nil
}

// Abort discards the file: the destination is untouched.
func (a *File) Abort() {
	a.close()
	os.Remove(a.tmp)
}

// CommitAll commits files in order, each finished first. If one fails,
// it and the rest are aborted (the ones already renamed stay: a rename
// within a directory does not fail for want of space, so in practice all
// land or none).
func CommitAll(files ...*File) error {
	for _, f := range files {
		if err := f.Finish(); err != nil {
			AbortAll(files...)
			return err
		}
	}
	for i, f := range files {
		if err := os.Rename(f.tmp, f.path); err != nil {
			AbortAll(files[i:]...)
			return fmt.Errorf("writing %s: %w", f.path, err)
		}
	}
	return nil
}

// AbortAll aborts files.
func AbortAll(files ...*File) {
	for _, f := range files {
		f.Abort()
	}
}

// Stage writes a whole file through write and finishes it, ready for
// CommitAll; on error nothing is left behind.
func Stage(path string, write func(w io.Writer) error) (*File, error) {
	a, err := Create(path)
	if err != nil {
		return nil, err
	}
	if err := write(a); err != nil {
		a.Abort()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := a.Finish(); err != nil {
		return nil, err
	}
	return a, nil
}

// WriteFile writes data to path atomically and returns its digest.
func WriteFile(path string, data []byte) (size int64, sha256 string, err error) {
	a, err := Create(path)
	if err != nil {
		return 0, "", err
	}
	if _, err := a.Write(data); err != nil {
		a.Abort()
		return 0, "", fmt.Errorf("writing %s: %w", path, err)
	}
	if err := a.Commit(); err != nil {
		return 0, "", err
	}
	size, sha256 = a.Digest()
	return size, sha256, nil
}

// ReadFile reads the file at path and checks it against a recorded size
// and SHA-256 (hex); a file that does not match is an error.
func ReadFile(path string, size int64, sha256Hex string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(data); int64(len(data)) != size || hex.EncodeToString(sum[:]) != sha256Hex {
		return nil, fmt.Errorf("%s: does not match its recorded size and SHA-256", path)
	}
	return data, nil
}

// Sum is the size and SHA-256 (hex) of the file at path, read in full.
func Sum(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := f.WriteTo(h)
	return n, hex.EncodeToString(h.Sum(nil)), err
}
