package control

import (
	"bytes"
	"fmt"
	"io"
	"maps"

	"github.com/hashicorp/hcl/v2"
)

// Sources holds the text of the files diagnostics point into: .hcl files
// read by Load and .feature files read by ScanFeatures, by their path
// within their FS. The zero value is empty and ready to use.
type Sources struct {
	files map[string]*hcl.File
}

// Files returns a copy of the file map, keyed like hcl.Range.Filename, as
// hcl.NewDiagnosticTextWriter takes it.
func (s *Sources) Files() map[string]*hcl.File {
	if s == nil {
		return map[string]*hcl.File{}
	}
	return maps.Clone(s.files)
}

func (s *Sources) add(name string, f *hcl.File) {
	if s.files == nil {
		s.files = map[string]*hcl.File{}
	}
	s.files[name] = f
}

// WriteDiagnostics renders diags for a person, one after another: a first
// line "file:line:column: Error: summary" (the location is left out when
// a diagnostic has none), the source lines with the subject highlighted
// (underlined and bold when color is set), then the detail, wrapped at
// width columns (0: no wrapping). It uses hcl.NewDiagnosticTextWriter.
func WriteDiagnostics(w io.Writer, src *Sources, diags hcl.Diagnostics, width uint, color bool) error {
	files := src.Files()
	var buf bytes.Buffer
	tw := hcl.NewDiagnosticTextWriter(&buf, files, width, color)
	for _, d := range diags {
		buf.Reset()
		if d.Subject != nil {
			fmt.Fprintf(&buf, "%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		if err := tw.WriteDiagnostic(d); err != nil {
			return err
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	return nil
}
