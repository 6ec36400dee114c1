// Package features embeds Ward's Gherkin scenarios so `ward check` works from
// any directory and after `go install`. Each scenario carries, as tags, the
// ids of the controls (controls/*.hcl) it verifies.
package features

import "embed"

// FS holds every *.feature file, by area directory (audit/, access/, ...).
//
//go:embed */*.feature
var FS embed.FS
