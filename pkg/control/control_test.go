package control_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/wardsec/ward/pkg/control"
)

const nestedFrameworks = `
framework "hipaa-security-rule" {
  name       = "HIPAA Security Rule"
  citation   = "45 CFR Part 164 Subpart C"
  tag_prefix = "HIPAA"
}
framework "fda-other" {
  name       = "Another FDA document"
  citation   = "FDA"
  tag_prefix = "FDA"
}
framework "fda-premarket" {
  name       = "FDA premarket guidance"
  citation   = "Appendix 1"
  tag_prefix = "FDA-PMC"
}
`

func scenarioControl(id, framework string) string {
	return fmt.Sprintf(`
control %q {
  framework   = %q
  title       = "T"
  citations   = ["C"]
  status      = "required"
  severity    = "high"
  requirement = "R"
  verification {
    method = "scenario"
  }
}
`, id, framework)
}

func mustLoad(t *testing.T, fsys fstest.MapFS) *control.Catalogue {
	t.Helper()
	cat, src, diags := control.Load(fsys)
	if diags.HasErrors() {
		var b bytes.Buffer
		_ = control.WriteDiagnostics(&b, src, diags, 0, false)
		t.Fatalf("Load:\n%s", b.String())
	}
	return cat
}

func TestFrameworkForTagPicksLongestPrefix(t *testing.T) {
	cat := mustLoad(t, fstest.MapFS{"f.hcl": {Data: []byte(nestedFrameworks)}})
	for _, tc := range []struct {
		tag, want string // want "" = not a control tag
	}{
		{"@HIPAA-164.312-b", "hipaa-security-rule"},
		{"HIPAA-164.312-b", "hipaa-security-rule"},
		{"@FDA-PMC-LOG-2", "fda-premarket"},
		{"@FDA-PMCX-1", "fda-other"},
		{"@FDA-X-1", "fda-other"},
		{"@FDA-PMC-", "fda-other"}, // "PMC-" is a (strange) id under FDA
		{"@HIPAA-", ""},
		{"@HIPAA", ""},
		{"@HIPAAX-1", ""},
		{"@hipaa-164.312-b", ""},
		{"@slow", ""},
		{"@needs-root", ""},
		{"", ""},
		{"@", ""},
	} {
		f, ok := cat.FrameworkForTag(tc.tag)
		if got := f.ID; got != tc.want || ok != (tc.want != "") {
			t.Errorf("FrameworkForTag(%q) = %q, %v; want %q", tc.tag, got, ok, tc.want)
		}
		if got := cat.IsControlTag(tc.tag); got != (tc.want != "") {
			t.Errorf("IsControlTag(%q) = %v", tc.tag, got)
		}
	}
}

func TestLookups(t *testing.T) {
	cat := mustLoad(t, fstest.MapFS{
		"f.hcl": {Data: []byte(nestedFrameworks)},
		"c.hcl": {Data: []byte(scenarioControl("HIPAA-2", "hipaa-security-rule") + scenarioControl("FDA-PMC-1", "fda-premarket") + scenarioControl("HIPAA-1", "hipaa-security-rule"))},
	})
	var ids []string
	for _, c := range cat.Controls {
		ids = append(ids, c.ID)
	}
	if diff := cmp.Diff([]string{"FDA-PMC-1", "HIPAA-1", "HIPAA-2"}, ids); diff != "" {
		t.Errorf("controls not sorted by id (-want +got):\n%s", diff)
	}
	for _, id := range ids {
		if c, ok := cat.Control(id); !ok || c.ID != id {
			t.Errorf("Control(%q) = %q, %v", id, c.ID, ok)
		}
	}
	for _, id := range []string{"", "HIPAA-0", "HIPAA-3", "@HIPAA-1", "Z"} {
		if _, ok := cat.Control(id); ok {
			t.Errorf("Control(%q) found", id)
		}
	}
	if f, ok := cat.Framework("fda-premarket"); !ok || f.TagPrefix != "FDA-PMC" {
		t.Errorf("Framework(fda-premarket) = %+v, %v", f, ok)
	}
	if _, ok := cat.Framework("FDA-PMC"); ok {
		t.Error("Framework found by tag prefix")
	}
	if f := cat.Frameworks; f[0].ID != "fda-other" || f[2].ID != "hipaa-security-rule" {
		t.Errorf("frameworks not sorted: %v", f)
	}
}

func TestMaxAgeDuration(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"365d", 365 * day, true},
		{"72h", 72 * time.Hour, true},
		{"52w", 52 * 7 * day, true},
		{"1d", day, true},
		{"", 0, false},
		{"d", 0, false},
		{"0d", 0, false},
		{"07d", 0, false},
		{"-1d", 0, false},
		{"+1d", 0, false},
		{"1y", 0, false},
		{"1 d", 0, false},
		{"1.5d", 0, false},
		{"99999999999999999999d", 0, false},
		{"36600d", 36600 * day, true},
		{"36601d", 0, false}, // over 100 years
	} {
		got, ok := control.Verification{MaxAge: tc.in}.MaxAgeDuration()
		if got != tc.want || ok != tc.ok {
			t.Errorf("MaxAgeDuration(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestStatusAndSeverityValid(t *testing.T) {
	for _, s := range []control.Status{control.Required, control.Addressable, control.Guidance, control.Proposed} {
		if !s.Valid() {
			t.Errorf("%q not valid", s)
		}
	}
	for _, s := range []control.Severity{control.Critical, control.High, control.Medium, control.Low} {
		if !s.Valid() {
			t.Errorf("%q not valid", s)
		}
	}
	if control.Status("Required").Valid() || control.Severity("").Valid() {
		t.Error("invalid values accepted")
	}
}

// Ranges must hold byte offsets that slice out exactly the tag, whatever
// comes before it on the line (multi-byte text, tabs) and however lines
// end, or snippets highlight the wrong text.
func TestTagRangesSliceOutTheTag(t *testing.T) {
	for name, data := range map[string]string{
		"lf":      "@a @HIPAA-1\nFeature: f\n  @b\n  Scenario: s\n    Given x\n",
		"crlf":    "@a @HIPAA-1\r\nFeature: f\r\n  @b\r\n  Scenario: s\r\n    Given x\r\n",
		"unicode": "@ünï @çödé\t@HIPAA-1\nFeature: f\n\t@日本 @b\n  Scenario: s\n",
		"comment": "@a @b #not-a-tag\nFeature: f\n  Scenario: s\n",
	} {
		t.Run(name, func(t *testing.T) {
			scns, diags := control.ScanFeatures(fstest.MapFS{"x.feature": {Data: []byte(data)}}, nil)
			if diags.HasErrors() || len(scns) != 1 {
				t.Fatalf("ScanFeatures: %d scenarios, %v", len(scns), diags)
			}
			if len(scns[0].Tags) < 2 {
				t.Fatalf("tags: %v", scns[0].Tags)
			}
			for _, tg := range scns[0].Tags {
				r := tg.Range
				if got := data[r.Start.Byte:r.End.Byte]; got != tg.Name {
					t.Errorf("range %s of %s slices %q", r, tg.Name, got)
				}
				if r.Filename != "x.feature" || r.End.Line != r.Start.Line {
					t.Errorf("range %s", r)
				}
			}
		})
	}
}

// The digest is what sha256sum prints for the files, hashed, so an auditor
// can recompute it without Ward; it covers names as well as content.
func TestDigestIsHashOfSha256sumListing(t *testing.T) {
	a := []byte(nestedFrameworks)
	b := []byte(scenarioControl("HIPAA-1", "hipaa-security-rule"))
	fsys := fstest.MapFS{"z/b.hcl": {Data: b}, "a.hcl": {Data: a}, "notes.txt": {Data: []byte("x")}}
	cat := mustLoad(t, fsys)
	listing := fmt.Sprintf("%x  a.hcl\n%x  z/b.hcl\n", sha256.Sum256(a), sha256.Sum256(b))
	if want := fmt.Sprintf("%x", sha256.Sum256([]byte(listing))); cat.Digest != want {
		t.Errorf("Digest = %s, want %s", cat.Digest, want)
	}
	renamed := mustLoad(t, fstest.MapFS{"z/c.hcl": {Data: b}, "a.hcl": {Data: a}})
	edited := mustLoad(t, fstest.MapFS{"z/b.hcl": {Data: append(b, '\n')}, "a.hcl": {Data: a}})
	if renamed.Digest == cat.Digest || edited.Digest == cat.Digest {
		t.Error("digest ignores a rename or an edit")
	}
}

func TestLoadReadsHCLFilesRecursivelyAndSkipsDotFiles(t *testing.T) {
	cat, src, diags := control.Load(fstest.MapFS{
		"frameworks.hcl":       {Data: []byte(nestedFrameworks)},
		"deep/er/c.hcl":        {Data: []byte(scenarioControl("HIPAA-1", "hipaa-security-rule"))},
		".#c.hcl":              {Data: []byte("broken {")},
		".git/x.hcl":           {Data: []byte("broken {")},
		"README.md":            {Data: []byte("# not hcl")},
		"deep/c.hcl.orig":      {Data: []byte("broken {")},
		"deep/.hidden/bad.hcl": {Data: []byte("broken {")},
	})
	if diags.HasErrors() {
		t.Fatalf("Load: %v", diags)
	}
	if _, ok := cat.Control("HIPAA-1"); !ok {
		t.Error("control in a subdirectory not loaded")
	}
	var names []string
	for n := range src.Files() {
		names = append(names, n)
	}
	if len(names) != 2 {
		t.Errorf("sources hold %v", names)
	}
}

func TestSources(t *testing.T) {
	var nilSrc *control.Sources
	if f := nilSrc.Files(); f == nil || len(f) != 0 {
		t.Errorf("nil Sources: Files() = %v", f)
	}
	src := &control.Sources{}
	if _, diags := control.ScanFeatures(fstest.MapFS{"a/x.feature": {Data: []byte("Feature: f\n")}}, src); len(diags) > 0 {
		t.Fatal(diags)
	}
	files := src.Files()
	if f := files["a/x.feature"]; f == nil || string(f.Bytes) != "Feature: f\n" {
		t.Fatalf("feature not in sources: %v", files)
	}
	delete(files, "a/x.feature")
	if src.Files()["a/x.feature"] == nil {
		t.Error("Files() returned the internal map")
	}
}

func TestWriteDiagnosticsHighlightsSubject(t *testing.T) {
	_, src, diags := control.Load(fstest.MapFS{"c.hcl": {Data: []byte(nestedFrameworks +
		strings.Replace(scenarioControl("HIPAA-1", "hipaa-security-rule"), `"high"`, `"severe"`, 1))}})
	if len(diags) != 1 {
		t.Fatalf("want one diagnostic, got %v", diags)
	}
	var b bytes.Buffer
	if err := control.WriteDiagnostics(&b, src, diags, 0, true); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"c.hcl:23:17: ", "Invalid severity", "\x1b[1;4m\"severe\"\x1b[0m", `got "severe"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteDiagnosticsWithoutSourceOrSubject(t *testing.T) {
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "No subject", Detail: "D."},
		{Severity: hcl.DiagWarning, Summary: "Unknown file", Subject: &hcl.Range{Filename: "gone.hcl", Start: hcl.Pos{Line: 3, Column: 2, Byte: 20}, End: hcl.Pos{Line: 3, Column: 4, Byte: 22}}},
	}
	var b bytes.Buffer
	if err := control.WriteDiagnostics(&b, nil, diags, 0, false); err != nil {
		t.Fatal(err)
	}
	want := "Error: No subject\n\nD.\n\ngone.hcl:3:2: Warning: Unknown file\n\n  on gone.hcl line 3:\n  (source code not available)\n\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A broken catalogue makes every cross-check suspect: Lint reports the
// catalogue's errors and the features' syntax errors, nothing else.
func TestLintSkipsCrossChecksWhenCatalogueHasErrors(t *testing.T) {
	controls := fstest.MapFS{"c.hcl": {Data: []byte(nestedFrameworks + scenarioControl("HIPAA-1", "no-such-framework"))}}
	features := fstest.MapFS{
		"a.feature": {Data: []byte("Feature: f\n  @HIPAA-2\n  Scenario: s\n")},
		"b.feature": {Data: []byte("Feature f\n")},
	}
	_, scns, _, diags := control.Lint(controls, features)
	var got []string
	for _, d := range diags {
		got = append(got, d.Summary)
	}
	if diff := cmp.Diff([]string{"Unknown framework", "Invalid Gherkin syntax"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(scns) != 1 {
		t.Errorf("scenarios of the good feature file: %v", scns)
	}
}

func TestLongFeatureLineIsAnErrorNotACrash(t *testing.T) {
	data := "Feature: f\n  Scenario: " + strings.Repeat("x", 70000) + "\n"
	scns, diags := control.ScanFeatures(fstest.MapFS{"long.feature": {Data: []byte(data)}}, nil)
	if len(scns) != 0 || len(diags) != 1 || diags[0].Summary != "Line too long" || diags[0].Subject.Start.Line != 2 {
		t.Errorf("got %v, %v", scns, diags)
	}
}

func TestScenarioRefHasTag(t *testing.T) {
	s := control.ScenarioRef{Tags: []control.Tag{{Name: "@HIPAA-1"}, {Name: "@slow"}}}
	for tag, want := range map[string]bool{"@HIPAA-1": true, "HIPAA-1": true, "slow": true, "@HIPAA": false, "": false} {
		if got := s.HasTag(tag); got != want {
			t.Errorf("HasTag(%q) = %v", tag, got)
		}
	}
}
