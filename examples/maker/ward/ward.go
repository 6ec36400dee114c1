// Package ward holds Acme's own controls and features, embedded, for
// wardtest.WithCatalogue (ward check takes the directories).
package ward

import (
	"embed"
	"io/fs"
)

//go:embed controls features
var files embed.FS

// Controls are Acme's *.hcl controls.
func Controls() fs.FS { return sub("controls") }

// Features are Acme's *.feature files.
func Features() fs.FS { return sub("features") }

func sub(dir string) fs.FS {
	s, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // dir is embedded above
	}
	return s
}
