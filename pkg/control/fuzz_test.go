package control_test

import (
	"io"
	"os"
	"path"
	"path/filepath"
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

// FuzzParseWaivers feeds arbitrary bytes to ParseWaivers as one waiver
// file: no panic, every diagnostic points into the file, and a waiver
// accepted without errors names a control of the catalogue and has an
// expiry, a justification and an approver. Seeds:
// testdata/fuzz/FuzzParseWaivers.
func FuzzParseWaivers(f *testing.F) {
	cat := waiverCatalogue()
	f.Fuzz(func(t *testing.T, data []byte) {
		src := &control.Sources{}
		ws, diags := control.ParseWaivers(src, "w.hcl", data, cat, map[string]hcl.Range{})
		checkRanges(t, diags, "w.hcl", len(data))
		if err := control.WriteDiagnostics(io.Discard, src, diags, 78, true); err != nil {
			t.Fatal(err)
		}
		if diags.HasErrors() {
			return
		}
		for _, w := range ws {
			if _, ok := cat.Control(w.Control); !ok {
				t.Errorf("waiver %q for unknown control %q accepted", w.ID, w.Control)
			}
			if w.Expires.IsZero() || strings.TrimSpace(w.Justification) == "" || strings.TrimSpace(w.Approver) == "" {
				t.Errorf("waiver %q accepted without expiry, justification or approver: %+v", w.ID, w)
			}
		}
	})
}

// FuzzLoadAttestations feeds arbitrary bytes to LoadAttestations as one
// attestation file: no panic, every diagnostic points into the file, and
// an attestation accepted without errors is for an attestation-verified
// control of the catalogue, with a signer and a date. Seeds:
// testdata/fuzz/FuzzLoadAttestations.
func FuzzLoadAttestations(f *testing.F) {
	cat := &control.Catalogue{Controls: []control.Control{
		{ID: "HIPAA-164.308-a-5", Verification: control.Verification{Method: control.MethodAttestation, MaxAge: "365d"}},
		{ID: "HIPAA-164.312-d", Verification: control.Verification{Method: control.MethodScenario}},
	}}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "a.hcl")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		as, src, diags := control.LoadAttestations([]string{p}, cat)
		checkRanges(t, diags, p, len(data))
		if err := control.WriteDiagnostics(io.Discard, src, diags, 78, true); err != nil {
			t.Fatal(err)
		}
		if diags.HasErrors() {
			return
		}
		for _, a := range as {
			if a.Control != "HIPAA-164.308-a-5" {
				t.Errorf("attestation %q for %q accepted (not an attestation control)", a.ID, a.Control)
			}
			if strings.TrimSpace(a.AttestedBy) == "" || a.Date.IsZero() {
				t.Errorf("attestation %q accepted without signer or date: %+v", a.ID, a)
			}
			if len(a.Targets) == 0 {
				t.Errorf("attestation %q accepted without targets: it would cover no one, silently", a.ID)
			}
			for _, g := range a.Targets {
				if _, err := path.Match(g, ""); err != nil {
					t.Errorf("attestation %q accepted with a bad glob %q", a.ID, g)
				}
			}
		}
	})
}
