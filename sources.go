// Package ballast holds the code identity of ballast's simulation: a
// content hash of every source file that decides what a run computes (the
// engines and their kernel, the scenario model, the policies and their arm
// sets, the event format, the harness that builds runs, the config
// decoder), of the module's dependencies and of the Go version. Two
// binaries with the same identity simulate alike; a run made by other
// code is never reused silently (harness.Complete). Changes to analysis,
// reports, the command line, tests or documentation keep the identity, so
// a rebuild after them reuses every run; so do changes to comments and
// layout in the hashed Go files (they are hashed as tokens). The
// neuro-symbolic policy's training has an identity of its own
// (TrainingCodeID), so that trained weights are kept while it holds.
package ballast

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"go/scanner"
	"go/token"
	"io"
	"io/fs"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
)

//go:embed go.mod go.sum
//go:embed sim/*.go sim/*/*.go policies/*.go policies/*/*.go eventlog/*.go eventlog/*/*.go
//go:embed harness/*.go internal/configfile/*.go configs/arms.yaml
var sources embed.FS

//go:embed tuning/neurosym/*.go
var trainingSources embed.FS

// CodeID is the code identity: "sim-" and the first 12 hex digits of the
// SHA-256 over the embedded sources (tests excluded), the Go version and
// the dependencies' module sums.
var CodeID = sync.OnceValue(func() string {
	toolchain := []string{runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			toolchain = append(toolchain, d.Path+"@"+d.Version+" "+d.Sum)
		}
	}
	return identity("sim-", sources, toolchain)
})

// TrainingCodeID is the code identity of the neuro-symbolic policy's
// training: "train-" and 12 hex digits over its own sources
// (tuning/neurosym) and CodeID (the simulations it records, the network
// it trains). make reproduce keeps trained weights whose training had
// this identity, the same options and the same runs (neurosym.Identity).
var TrainingCodeID = sync.OnceValue(func() string {
	return identity("train-", trainingSources, []string{CodeID()})
})

// identity hashes every file of fsys but tests, in name order, then the
// toolchain's lines.
func identity(prefix string, fsys fs.FS, toolchain []string) string {
	h := sha256.New()
	var files []string
	fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, "_test.go") {
			files = append(files, p)
		}
		return nil
	})
	slices.Sort(files)
	for _, p := range files {
		data, _ := fs.ReadFile(fsys, p)
		h.Write([]byte(p + "\x00"))
		if strings.HasSuffix(p, ".go") {
			writeTokens(h, data)
		} else {
			h.Write(data)
		}
		h.Write([]byte{0})
	}
	for _, t := range toolchain {
		h.Write([]byte("\x00" + t))
	}
	return prefix + hex.EncodeToString(h.Sum(nil))[:12]
}

// writeTokens writes a Go source's tokens to w, one per line, without
// comments and layout: what the compiler sees, so editing a comment keeps
// the identity. (A source that does not scan is hashed as far as it does;
// it would not have compiled.)
func writeTokens(w io.Writer, src []byte) {
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(src)), src, nil, 0)
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			return
		}
		if tok == token.SEMICOLON {
			lit = "" // automatic ("\n") or written (";"): the same
		}
		fmt.Fprintf(w, "%s %s\n", tok, lit)
	}
}
