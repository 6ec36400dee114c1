// Package controls holds Ward's built-in control catalogue: the framework
// and control definitions in this directory's *.hcl files, embedded in the
// binary. Load them with control.Load(controls.FS); docs/controls.md
// describes the format.
package controls

import "embed"

// FS holds the catalogue's *.hcl files, at its root. Only files directly
// in this directory are embedded.
//
//go:embed *.hcl
var FS embed.FS
