package pq

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"hash"
	"os"
	"path/filepath"
)

// atomicFile is a file written under a temporary name in the destination's
// directory and renamed to the destination only by commit. rename(2) within
// one directory is atomic, so readers (and a crashed writer) see either no
// file or a complete one. A killed process leaves only the dot-prefixed
// temporary file behind.
type atomicFile struct {
	path string
	f    *os.File
	// buf batches the many small writes of the Parquet encoder (page
	// headers, footer fields) into few system calls. It deliberately does
	// not implement io.Closer: pqarrow closes writers that do, and the file
	// must stay open until commit.
	buf *bufio.Writer
	// sum hashes everything written, so callers that record a digest (the
	// sweep manifest) need not read the file back.
	sum *digestWriter
}

// digestWriter writes through to f and keeps the SHA-256 and size.
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

func createAtomic(path string) (*atomicFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, err
	}
	sum := &digestWriter{f: f, h: sha256.New()}
	return &atomicFile{path: path, f: f, buf: bufio.NewWriterSize(sum, 256<<10), sum: sum}, nil
}

// commit flushes and renames the file into place.
//
// There is no fsync: the guarantee is against a killed process (the case a
// sweep must survive), which the rename gives, not against power loss. An
// fsync per run cost more than the simulation itself; the runner's manifest
// check catches a file truncated by a machine crash.
func (a *atomicFile) commit() error {
	err := a.buf.Flush()
	if err == nil {
		// CreateTemp makes the file 0600; results are meant to be shared.
		err = a.f.Chmod(0o644)
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.path)
	}
	if err != nil {
		os.Remove(a.f.Name())
		return err
	}
	return nil
}

// abort closes and removes the temporary file.
func (a *atomicFile) abort() error {
	return errors.Join(a.f.Close(), os.Remove(a.f.Name()))
}
