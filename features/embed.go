package features

import "embed"

// FS holds every *.feature file, by area directory (audit/, access/, ...).
//
//go:embed */*.feature
var FS embed.FS
