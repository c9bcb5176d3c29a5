package configs

import "embed"

// Experiments holds configs/experiments/*.yaml.
//
//go:embed experiments/*.yaml
var Experiments embed.FS
