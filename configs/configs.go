// Package configs embeds the built-in scenario files so the ballast binary
// works from any directory. Edit configs/scenarios/*.yaml and rebuild, or
// pass a file path instead of a name.
package configs

import "embed"

// Scenarios holds configs/scenarios/*.yaml.
//
//go:embed scenarios/*.yaml
var Scenarios embed.FS
