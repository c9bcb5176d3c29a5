// Package configs embeds the built-in scenario files so the ballast binary
// works from any directory. Edit configs/scenarios/*.yaml and rebuild, or
// pass a file path instead of a name.
package configs

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

// Scenarios holds configs/scenarios/*.yaml.
//
//go:embed scenarios/*.yaml
var Scenarios embed.FS

// Names lists the YAML files in dir of fsys without their extension,
// sorted: the built-in names of that kind of config.
func Names(fsys fs.FS, dir string) []string {
	entries, _ := fs.ReadDir(fsys, dir)
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}
