package control_test

import (
	"io"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/wardsec/ward/pkg/control"
)

// FuzzLoad feeds arbitrary bytes to Load as one .hcl file. Load must not
// panic, must point every diagnostic into the file, and must render its
// diagnostics; a catalogue without errors must keep its invariants.
// Seeds: testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		cat, src, diags := control.Load(fstest.MapFS{"f.hcl": {Data: data}})
		if cat == nil || src == nil {
			t.Fatal("nil catalogue or sources")
		}
		checkRanges(t, diags, "f.hcl", len(data))
		if err := control.WriteDiagnostics(io.Discard, src, diags, 78, true); err != nil {
			t.Fatal(err)
		}
		if !slices.IsSortedFunc(cat.Controls, func(a, b control.Control) int { return strings.Compare(a.ID, b.ID) }) {
			t.Error("controls not sorted")
		}
		if diags.HasErrors() {
			return
		}
		for i, c := range cat.Controls {
			if i > 0 && cat.Controls[i-1].ID == c.ID {
				t.Errorf("duplicate control %q", c.ID)
			}
			fw, ok := cat.Framework(c.Framework)
			if !ok {
				t.Fatalf("control %q: unknown framework %q", c.ID, c.Framework)
			}
			if got, ok := cat.FrameworkForTag("@" + c.ID); !ok || got.ID != fw.ID {
				t.Errorf("tag @%s resolves to %q, want %q", c.ID, got.ID, fw.ID)
			}
			if !c.Status.Valid() || !c.Severity.Valid() {
				t.Errorf("control %q: status %q, severity %q", c.ID, c.Status, c.Severity)
			}
		}
		// Every control tags itself: nothing is uncovered or unknown.
		var tags []control.Tag
		for _, c := range cat.Controls {
			tags = append(tags, control.Tag{Name: "@" + c.ID})
		}
		if d := cat.CheckCoverage([]control.ScenarioRef{{Tags: tags}}); len(d) > 0 {
			t.Errorf("self-coverage: %v", d)
		}
	})
}

// FuzzScanFeatures feeds arbitrary bytes to ScanFeatures as one .feature
// file. Seeds: testdata/fuzz/FuzzScanFeatures.
func FuzzScanFeatures(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &control.Sources{}
		scns, diags := control.ScanFeatures(fstest.MapFS{"f.feature": {Data: data}}, src)
		checkRanges(t, diags, "f.feature", len(data))
		if err := control.WriteDiagnostics(io.Discard, src, diags, 78, true); err != nil {
			t.Fatal(err)
		}
		for _, s := range scns {
			for _, tg := range s.Tags {
				checkRanges(t, hcl.Diagnostics{{Subject: tg.Range.Ptr()}}, "f.feature", len(data))
				if !strings.HasPrefix(tg.Name, "@") {
					t.Errorf("tag %q without @", tg.Name)
				}
			}
		}
	})
}

func checkRanges(t *testing.T, diags hcl.Diagnostics, name string, size int) {
	t.Helper()
	for _, d := range diags {
		r := d.Subject
		if r == nil {
			continue
		}
		if r.Filename != name || r.Start.Byte < 0 || r.Start.Byte > r.End.Byte || r.End.Byte > size || r.Start.Line < 1 || r.Start.Column < 1 {
			t.Errorf("range %s (bytes %d-%d, size %d) is outside the file: %v", r, r.Start.Byte, r.End.Byte, size, d)
		}
	}
}
