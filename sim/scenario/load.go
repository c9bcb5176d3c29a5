package scenario

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ballast-bench/ballast/configs"
	"github.com/ballast-bench/ballast/internal/configfile"
	"github.com/ballast-bench/ballast/sim/measured"
)

// Parse decodes and validates a scenario; file names it in errors, and the
// files it names (traces, samples) are read relative to file's directory.
func Parse(file string, data []byte) (*Scenario, error) {
	dir := filepath.Dir(file)
	return parse(file, data, func(name string) ([]byte, error) {
		return readLimited(filepath.Join(dir, filepath.FromSlash(name)))
	})
}

func parse(file string, data []byte, readFile func(string) ([]byte, error)) (*Scenario, error) {
	s := Scenario{readFile: readFile}
	if err := configfile.Decode(file, data, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// readLimited reads a file a scenario names, refusing one larger than a
// measured file may be.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, measured.MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > measured.MaxFileBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, measured.MaxFileBytes)
	}
	return data, nil
}

// Load resolves a scenario by built-in name ("wan_main") or by file path
// (anything containing a path separator or ending in .yaml).
func Load(nameOrFile string) (*Scenario, error) {
	if strings.ContainsRune(nameOrFile, os.PathSeparator) || strings.ContainsRune(nameOrFile, '/') ||
		strings.HasSuffix(nameOrFile, ".yaml") || strings.HasSuffix(nameOrFile, ".yml") {
		data, err := configfile.ReadFile(nameOrFile, maxFileBytes)
		if err != nil {
			return nil, err
		}
		s, err := Parse(nameOrFile, data)
		if err != nil {
			return nil, err
		}
		base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(nameOrFile), ".yaml"), ".yml")
		if s.Name != base {
			return nil, &configfile.FieldError{File: nameOrFile, Line: 1, Path: "name",
				Msg: fmt.Sprintf("%q differs from the file name; allowed: %q, so a scenario has one name everywhere", s.Name, base)}
		}
		return s, nil
	}
	p := path.Join("scenarios", nameOrFile+".yaml")
	data, err := fs.ReadFile(configs.Scenarios, p)
	if err != nil {
		return nil, fmt.Errorf("scenario %q: no such built-in scenario; allowed: %s, or a path to a .yaml file", nameOrFile, strings.Join(Names(), ", "))
	}
	s, err := parse(path.Join("configs", p), data, func(name string) ([]byte, error) {
		return fs.ReadFile(configs.Scenarios, path.Join("scenarios", name))
	})
	if err != nil {
		return nil, err
	}
	if s.Name != nameOrFile {
		return nil, fmt.Errorf("configs/%s:1: name: %q differs from the file name; allowed: %q", p, s.Name, nameOrFile)
	}
	return s, nil
}

// Names lists the built-in scenarios, sorted.
func Names() []string {
	return configs.Names(configs.Scenarios, "scenarios")
}

// Builtin loads every built-in scenario, in name order.
func Builtin() ([]*Scenario, error) {
	var out []*Scenario
	for _, n := range Names() {
		s, err := Load(n)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
