package control_test

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/wardsec/ward/pkg/control"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Each directory under testdata/ok and testdata/fail is a case: a
// controls/ catalogue and, optionally, features/. With features the case
// runs Lint, without it Load. want.golden holds the rendered diagnostics
// and their exact ranges; for ok cases also what was loaded.
func TestLintGolden(t *testing.T) {
	for _, kind := range []string{"ok", "fail"} {
		dirs, err := os.ReadDir(filepath.Join("testdata", kind))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dirs {
			dir := filepath.Join("testdata", kind, d.Name())
			t.Run(kind+"/"+d.Name(), func(t *testing.T) {
				got, diags := runCase(t, dir, kind == "ok")
				if ok := kind == "ok"; ok == diags.HasErrors() {
					t.Errorf("%s case: HasErrors() = %v:\n%s", kind, diags.HasErrors(), got)
				}
				golden(t, filepath.Join(dir, "want.golden"), got)
			})
		}
	}
}

func runCase(t *testing.T, dir string, describe bool) (string, hcl.Diagnostics) {
	t.Helper()
	var (
		cat   *control.Catalogue
		scns  []control.ScenarioRef
		src   *control.Sources
		diags hcl.Diagnostics
	)
	controls := os.DirFS(filepath.Join(dir, "controls"))
	if _, err := os.Stat(filepath.Join(dir, "features")); err == nil {
		cat, scns, src, diags = control.Lint(controls, os.DirFS(filepath.Join(dir, "features")))
	} else {
		cat, src, diags = control.Load(controls)
	}
	if cat == nil || src == nil {
		t.Fatalf("nil catalogue (%v) or sources (%v)", cat == nil, src == nil)
	}

	var b bytes.Buffer
	b.WriteString("== diagnostics ==\n")
	if err := control.WriteDiagnostics(&b, src, diags, 0, false); err != nil {
		t.Fatal(err)
	}
	b.WriteString("== ranges ==\n")
	for _, d := range diags {
		where := "(none)"
		if d.Subject != nil {
			where = d.Subject.String()
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\n", severity(d.Severity), where, d.Summary)
	}
	if describe {
		describeCatalogue(&b, cat, scns)
	}
	return b.String(), diags
}

func describeCatalogue(b *bytes.Buffer, cat *control.Catalogue, scns []control.ScenarioRef) {
	b.WriteString("== frameworks ==\n")
	for _, f := range cat.Frameworks {
		fmt.Fprintf(b, "%s\tprefix=%s\tname=%q\tcitation=%q\turl=%q\tat=%s\n", f.ID, f.TagPrefix, f.Name, f.Citation, f.URL, f.DeclRange)
		if f.ShortName != "" || len(f.Sections) > 0 {
			fmt.Fprintf(b, "\torder=%d heading=%q\n", f.Order, f.Heading())
		}
		for _, s := range f.Sections {
			fmt.Fprintf(b, "\tsection %s %q %q at=%s\n", s.ID, s.Title, s.Controls, s.DeclRange)
		}
	}
	b.WriteString("== controls ==\n")
	for _, c := range cat.Controls {
		fmt.Fprintf(b, "%s\tat=%s\n", c.ID, c.DeclRange)
		fmt.Fprintf(b, "\tframework=%s status=%s severity=%s\n", c.Framework, c.Status, c.Severity)
		fmt.Fprintf(b, "\ttitle=%q citations=%q\n", c.Title, c.Citations)
		fmt.Fprintf(b, "\trequirement=%q\n\tremediation=%q\n", c.Requirement, c.Remediation)
		for _, x := range c.Crosswalk {
			fmt.Fprintf(b, "\tcrosswalk %s %q\n", x.Scheme, x.Refs)
		}
		v := c.Verification
		fmt.Fprintf(b, "\tverification method=%s evidence=%q max_age=%q\n", v.Method, v.Evidence, v.MaxAge)
	}
	b.WriteString("== scenarios ==\n")
	for _, s := range scns {
		fmt.Fprintf(b, "%s:%d:%d\t%q\n", s.Feature, s.Line, s.Column, s.Name)
		for _, tg := range s.Tags {
			fmt.Fprintf(b, "\t%s\t%s\n", tg.Name, tg.Range)
		}
	}
}

func severity(s hcl.DiagnosticSeverity) string {
	switch s {
	case hcl.DiagError:
		return "error"
	case hcl.DiagWarning:
		return "warning"
	}
	return "invalid"
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; create it with go test -run %s -update", err, t.Name())
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("output differs from %s (-want +got):\n%s\nIf the change is intended, run go test -update.", path, diff)
	}
}

// Every kind of problem Load and Lint report is pinned by a golden case;
// this keeps the cases from going missing.
func TestGoldenCasesCoverEveryDiagnostic(t *testing.T) {
	want := []string{
		"No control files", "Invalid Gherkin syntax",
		"Missing required argument", "Missing verification block", "Unsupported argument",
		"Invalid status", "Invalid severity", "Invalid verification method", "Invalid max_age",
		"Evidence without attestation", "Missing evidence", "Empty name", "Empty citations", "Empty requirement",
		"Invalid framework id", "Invalid control id", "Invalid tag prefix", "Invalid URL",
		"Invalid crosswalk scheme", "Duplicate crosswalk scheme", "Unsuitable value type",
		"Duplicate framework", "Duplicate control", "Unknown framework", "Duplicate tag prefix",
		"Control id does not match its framework", "Control id claimed by another framework",
		"Unknown control tag", "Tag looks like a control tag", "Control has no scenario", "Unknown resource",
	}
	var all strings.Builder
	err := fs.WalkDir(os.DirFS("testdata"), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "want.golden" {
			b, err := os.ReadFile(filepath.Join("testdata", p))
			all.Write(b)
			return err
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range want {
		if !strings.Contains(all.String(), "\t"+s+"\n") {
			t.Errorf("no golden case reports %q", s)
		}
	}
}
