package configs

import _ "embed"

// Arms holds configs/arms.yaml, the arm sets of the arm-based policies.
// Package policies decodes and validates it once at start-up; arm sets are
// data so that a sensitivity study changes a file, not code.
//
//go:embed arms.yaml
var Arms []byte
