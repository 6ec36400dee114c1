package evidence

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// formSupplement is a supplement like the MDS2 form's: a file and a table
// citing the target's first artifact, with hostile text in its cells.
func formSupplement(index int, t *Target) (*Supplement, error) {
	var first string
	for _, s := range t.Scenarios {
		for _, a := range s.Artifacts {
			if first == "" {
				first = a.Path
			}
		}
	}
	return &Supplement{
		Files: []SupplementFile{{Name: "form.json", What: "the form", Data: fmt.Appendf(nil, `{"index":%d,"uri":%q}`, index, t.URI)}},
		Tables: []Table{{
			ID: "form", Title: "The form", Summary: "2 of 2 answered", Files: []string{"form.json"},
			Columns: []string{"ID", "Answer", "Evidence"},
			Rows: [][]string{
				{"Q-1", "Yes <script>alert(1)</script>", first + "\njavascript:alert(1)"},
				{"Q-2", "No", "objects/sha256/zz/not-a-digest"},
			},
			LinkColumns: []int{2},
		}},
	}, nil
}

func TestSupplementInAFleetBundle(t *testing.T) {
	run := sampleRun()
	dir, err := Write(t.Context(), t.TempDir(), run, WithSigner(vectorKey()), WithSupplement(formSupplement))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Verify(t.Context(), dir, trustedKey())
	if err != nil {
		t.Fatalf("the bundle with supplements does not verify: %v", err)
	}
	for i, tgt := range run.Targets {
		p := targetDir(i) + "/form.json"
		if !slices.ContainsFunc(m.Files, func(f FileEntry) bool { return f.Path == p }) {
			t.Errorf("manifest does not list %s", p)
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || !strings.Contains(string(data), fmt.Sprintf("%q", tgt.URI)) {
			t.Errorf("%s: %q, %v", p, data, err)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, targetDir(0), ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	assertSupplementPage(t, string(page), "../../", "../../"+targetDir(0)+"/")
	fleet, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	if strings.Contains(string(fleet), "supplement-form") {
		t.Error("the fleet view shows a device's table; it belongs on the device's page")
	}
}

func TestSupplementInAOneTargetBundle(t *testing.T) {
	run := vectorRun()
	dir, err := Write(t.Context(), t.TempDir(), run, WithSigner(vectorKey()), WithSupplement(formSupplement))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Verify(t.Context(), dir, trustedKey())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(m.Files, func(f FileEntry) bool { return f.Path == "form.json" }) {
		t.Error("a one-target bundle keeps the supplement's file beside report.html")
	}
	if _, err := os.Stat(filepath.Join(dir, TargetsDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("one-target bundle has %s/: %v", TargetsDir, err)
	}
	page, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	assertSupplementPage(t, string(page), "", "")
}

// assertSupplementPage checks the table on a device page whose links
// climb up: shown, cells escaped, only object paths linked.
func assertSupplementPage(t *testing.T, page, up, files string) {
	t.Helper()
	for _, want := range []string{
		`<section id="supplement-form"`, `<a href="#supplement-form">The form</a>`, "2 of 2 answered",
		`<a href="` + files + `form.json"><code>` + files + `form.json</code></a>: the form`,
		"Yes &lt;script&gt;alert(1)&lt;/script&gt;", `<th scope="row">Q-1</th>`,
		`<a href="` + up + `objects/sha256/`,
		"<br>javascript:alert(1)</td>", "objects/sha256/zz/not-a-digest</td>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, `href="javascript`) {
		t.Error("a cell's text became markup or a link")
	}
}

func TestSupplementRefusedLeavesNothing(t *testing.T) {
	boom := errors.New("boom")
	for name, fn := range map[string]Supplementer{
		"error":         func(int, *Target) (*Supplement, error) { return nil, boom },
		"path":          one(SupplementFile{Name: "../x.json"}),
		"upper case":    one(SupplementFile{Name: "Form.json"}),
		"reserved":      one(SupplementFile{Name: "report.html"}),
		"manifest":      one(SupplementFile{Name: "manifest.json"}),
		"twice":         one(SupplementFile{Name: "a.json"}, SupplementFile{Name: "a.json"}),
		"short row":     table(Table{ID: "t", Columns: []string{"a", "b"}, Rows: [][]string{{"x"}}}),
		"bad id":        table(Table{ID: "T<", Columns: []string{"a"}}),
		"link column":   table(Table{ID: "t", Columns: []string{"a"}, LinkColumns: []int{1}}),
		"unknown file":  table(Table{ID: "t", Columns: []string{"a"}, Files: []string{"nope.json"}}),
		"no columns":    table(Table{ID: "t"}),
		"two same ids":  table(Table{ID: "t", Columns: []string{"a"}}, Table{ID: "t", Columns: []string{"a"}}),
		"dot-dot name":  one(SupplementFile{Name: "a..json"}),
		"hidden name":   one(SupplementFile{Name: ".hidden"}),
		"scratch name":  one(SupplementFile{Name: ".scratch"}),
		"targets clash": one(SupplementFile{Name: "targets"}),
	} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			_, err := Write(t.Context(), parent, sampleRun(), WithSigner(vectorKey()), WithSupplement(fn))
			if err == nil {
				t.Fatal("written")
			}
			if name == "error" && !errors.Is(err, boom) {
				t.Errorf("the supplementer's error is lost: %v", err)
			}
			if name != "error" && !errors.Is(err, ErrBadSupplement) {
				t.Errorf("not ErrBadSupplement: %v", err)
			}
			if left, _ := os.ReadDir(parent); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// A one-target bundle lifts the supplement's files to its root: an extra
// file of the same name is refused, not overwritten.
func TestSupplementClashesWithAnExtraFile(t *testing.T) {
	parent := t.TempDir()
	_, err := Write(t.Context(), parent, vectorRun(), WithSigner(vectorKey()), WithSupplement(formSupplement),
		WithFile("form.json", []byte("{}")))
	if !errors.Is(err, ErrBadSupplement) {
		t.Fatalf("got %v", err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

// The supplementer sees the target as stored: every artifact has its
// object path, size and digest.
func TestSupplementerSeesBundlePaths(t *testing.T) {
	var calls atomic.Int32
	fn := func(index int, tg *Target) (*Supplement, error) {
		calls.Add(1)
		for _, s := range tg.Scenarios {
			for _, a := range s.Artifacts {
				if a.Path != objectPath(a.SHA256) || a.Size != int64(len(a.Data)) {
					return nil, fmt.Errorf("artifact %s: path %q, digest %q, size %d", a.Name, a.Path, a.SHA256, a.Size)
				}
			}
		}
		return nil, nil
	}
	if _, err := Write(t.Context(), t.TempDir(), sampleRun(), WithSigner(vectorKey()), WithSupplement(fn)); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Errorf("called %d times for 2 targets", calls.Load())
	}
}

func one(files ...SupplementFile) Supplementer {
	return func(int, *Target) (*Supplement, error) { return &Supplement{Files: files}, nil }
}

func table(tables ...Table) Supplementer {
	return func(int, *Target) (*Supplement, error) { return &Supplement{Tables: tables}, nil }
}
