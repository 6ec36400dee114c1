package controls

import "embed"

// FS holds the catalogue's *.hcl files, at its root. Only files directly
// in this directory are embedded.
//
//go:embed *.hcl
var FS embed.FS
