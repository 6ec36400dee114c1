package control

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/wardsec/ward/internal/inputlimit"
)

// loadBlocks reads the files at paths (as given on the command line) and
// decodes every `kind "id" { ... }` block in them with decode, which gets
// the block and its file's directory. Unreadable files, syntax errors and
// ids declared twice (across all files) are diagnostics; all diagnostics
// come back in file order. The Sources hold the files read.
func loadBlocks[T any](paths []string, kind string, decode func(b *hcl.Block, dir string) (T, hcl.Diagnostics)) ([]T, *Sources, hcl.Diagnostics) {
	src := &Sources{}
	var diags hcl.Diagnostics
	var out []T
	seen := map[string]hcl.Range{}
	for _, p := range paths {
		data, err := inputlimit.ReadFile(p, inputlimit.MaxConfigFile)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read " + kind + " file", Detail: err.Error()})
			continue
		}
		dir := filepath.Dir(p)
		items, d := parseBlocks(src, p, data, kind, seen, func(b *hcl.Block) (T, hcl.Diagnostics) { return decode(b, dir) })
		diags = append(diags, d...)
		out = append(out, items...)
	}
	slices.SortStableFunc(diags, cmpPos)
	return out, src, diags
}

// parseBlocks decodes the kind blocks of one file named name and adds the
// parsed file to src. seen holds the ids already declared (updated in
// place) so duplicates across files are reported.
func parseBlocks[T any](src *Sources, name string, data []byte, kind string, seen map[string]hcl.Range, decode func(*hcl.Block) (T, hcl.Diagnostics)) ([]T, hcl.Diagnostics) {
	if d := checkInput(name, data); d != nil {
		src.add(name, &hcl.File{Body: hcl.EmptyBody()})
		return nil, hcl.Diagnostics{d}
	}
	hf, diags := hclsyntax.ParseConfig(data, name, hcl.InitialPos)
	if hf == nil {
		hf = &hcl.File{Bytes: data}
	}
	src.add(name, hf)
	if diags.HasErrors() || hf.Body == nil {
		return nil, diags
	}
	content, d := hf.Body.Content(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: kind, LabelNames: []string{"id"}}}})
	diags = append(diags, d...)
	title := strings.ToUpper(kind[:1]) + kind[1:]
	var out []T
	for _, b := range content.Blocks {
		if len(b.Labels) != 1 {
			continue
		}
		item, d := decode(b)
		diags = append(diags, d...)
		id := b.Labels[0]
		if first, dup := seen[id]; dup {
			diags = append(diags, errorAt(b.LabelRanges[0], "Duplicate "+kind,
				"A %s %q was already declared at %s. %s ids must be unique.", kind, id, first, title))
			continue
		}
		seen[id] = b.DefRange
		out = append(out, item)
	}
	return out, diags
}
