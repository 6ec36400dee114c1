package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// filledRun is run as results.json records it: every artifact's path,
// digest and size filled in, its data dropped; no targets is an empty list.
func filledRun(run *Run) *Run {
	out := *run
	out.Targets = append([]Target{}, run.Targets...)
	for ti := range out.Targets {
		t := &out.Targets[ti]
		t.Scenarios = slices.Clone(t.Scenarios)
		for si := range t.Scenarios {
			s := &t.Scenarios[si]
			s.Artifacts = slices.Clone(s.Artifacts)
			for ai := range s.Artifacts {
				a := &s.Artifacts[ai]
				a.SHA256, a.Size = sha256hex(a.Data), int64(len(a.Data))
				a.Path, a.Data = objectPath(a.SHA256), nil
			}
		}
	}
	return &out
}

// TestBundleWriterStreamsWhatTheRunHolds: the files Close assembles from
// the parts on disk are byte for byte what the whole run renders to in
// memory (results.json as marshalJSON, junit.xml as JUnit, the OSCAL
// documents as AssessmentResults and POAM).
func TestBundleWriterStreamsWhatTheRunHolds(t *testing.T) {
	for name, run := range map[string]*Run{"sample": sampleRun(), "fleet": fleetRun(t, 3), "empty": emptyRun(), "vector": vectorRun()} {
		t.Run(name, func(t *testing.T) {
			dir, err := Write(t.Context(), t.TempDir(), run, WithSigner(vectorKey()), WithName("b"))
			if err != nil {
				t.Fatal(err)
			}
			filled := filledRun(run)
			results, _ := marshalJSON(filled)
			junit, _ := JUnit(run)
			ar, _ := AssessmentResults(filled)
			poam, _ := POAM(filled)
			for file, want := range map[string][]byte{ResultsFile: results, JUnitFile: junit, AssessmentResultsFile: ar, POAMFile: poam} {
				got, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(string(want), string(got)); diff != "" {
					t.Errorf("%s (-in memory +streamed):\n%s", file, diff)
				}
			}
			if _, err := Verify(t.Context(), dir, trustedKey()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestBundleWriterAnyOrder: targets added concurrently and in any order
// make the same bundle, byte for byte, as Write adding them in order.
func TestBundleWriterAnyOrder(t *testing.T) {
	run := fleetRun(t, 6)
	want, err := Write(t.Context(), t.TempDir(), run, WithSigner(vectorKey()), WithName("b"))
	if err != nil {
		t.Fatal(err)
	}
	head := *run
	head.Targets = nil
	bw, err := NewBundleWriter(t.Context(), t.TempDir(), &head, WithSigner(vectorKey()), WithName("b"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := len(run.Targets) - 1; i >= 0; i-- {
		wg.Go(func() {
			if err := bw.AddTarget(t.Context(), i, &run.Targets[i], nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := bw.Close(t.Context(), run.Finished)
	if err != nil {
		t.Fatal(err)
	}
	files := bundleFilesOnDisk(t, want)
	if diff := cmp.Diff(files, bundleFilesOnDisk(t, got)); diff != "" {
		t.Fatalf("files (-in order +any order):\n%s", diff)
	}
	for _, f := range files {
		a, _ := os.ReadFile(filepath.Join(want, f))
		b, _ := os.ReadFile(filepath.Join(got, f))
		if string(a) != string(b) {
			t.Errorf("%s differs", f)
		}
	}
}

// TestBundleWriterStoresIdenticalArtifactsOnce: the same bytes attached by
// several scenarios on several targets are one object, listed once, which
// every artifact record points at; different bytes under the same name are
// two objects.
func TestBundleWriterStoresIdenticalArtifactsOnce(t *testing.T) {
	run := fleetRun(t, 3) // every scenario attaches the same 512 bytes
	odd := &run.Targets[1].Scenarios[0].Artifacts[0]
	odd.Data = []byte("different bytes, same name\n")
	dir, err := Write(t.Context(), t.TempDir(), run, WithSigner(vectorKey()))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Verify(t.Context(), dir, trustedKey())
	if err != nil {
		t.Fatal(err)
	}
	var objects []string
	for _, f := range m.Files {
		if strings.HasPrefix(f.Path, ObjectsDir+"/") {
			objects = append(objects, f.Path)
		}
	}
	same := objectPath(sha256hex(run.Targets[0].Scenarios[0].Artifacts[0].Data))
	other := objectPath(sha256hex(odd.Data))
	want := []string{same, other}
	slices.Sort(want)
	if diff := cmp.Diff(want, objects); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	got, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	for ti, tg := range got.Targets {
		for si, s := range tg.Scenarios {
			wantPath := same
			if ti == 1 && si == 0 {
				wantPath = other
			}
			if s.Artifacts[0].Path != wantPath || string(s.Artifacts[0].Data) != string(run.Targets[ti].Scenarios[si].Artifacts[0].Data) {
				t.Fatalf("target %d scenario %d: artifact %s", ti, si, s.Artifacts[0].Path)
			}
		}
	}
}

// TestBundleWriterSummary: Summary is the header and the slim targets, in
// index order, without scenarios, catalogue text or attestation data.
func TestBundleWriterSummary(t *testing.T) {
	run := sampleRun()
	run.Targets[0].Controls[0].Requirement = "requirement text"
	run.Targets[0].Controls[0].Remediation = "remediation text"
	run.Targets[0].Controls[0].Attestation = &AttestationInfo{ID: "a1", Evidence: []Artifact{{Name: "e", Path: "attested/e", Data: []byte("secret")}}}
	head := *run
	head.Targets = nil
	bw, err := NewBundleWriter(t.Context(), t.TempDir(), &head)
	if err != nil {
		t.Fatal(err)
	}
	defer bw.Abort()
	for _, i := range []int{1, 0} {
		if err := bw.AddTarget(t.Context(), i, &run.Targets[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	sum := bw.Summary()
	if sum.ID != run.ID || len(sum.Targets) != 2 || sum.Targets[0].URI != run.Targets[0].URI || sum.Targets[1].URI != run.Targets[1].URI {
		t.Fatalf("summary = %+v", sum)
	}
	c := sum.Targets[0].Controls[0]
	if sum.Targets[0].Scenarios != nil || c.Requirement != "" || c.Remediation != "" || c.Attestation.Evidence[0].Data != nil {
		t.Errorf("summary keeps what it should drop: %+v", c)
	}
	if c.Outcome != run.Targets[0].Controls[0].Outcome || c.Reason != run.Targets[0].Controls[0].Reason || c.Attestation.ID != "a1" {
		t.Errorf("summary lost a field: %+v", c)
	}
	if run.Targets[0].Controls[0].Requirement != "requirement text" || string(run.Targets[0].Controls[0].Attestation.Evidence[0].Data) != "secret" {
		t.Error("AddTarget modified the caller's target")
	}
}

// TestBundleWriterNothingLeftOnFailure: Abort, a cancelled context, a
// target added twice and a Close after a failed AddTarget all leave no
// bundle and no partial directory behind.
func TestBundleWriterNothingLeftOnFailure(t *testing.T) {
	run := sampleRun()
	head := *run
	head.Targets = nil
	empty := func(t *testing.T, parent string) {
		t.Helper()
		entries, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Errorf("parent holds %v", entries)
		}
	}
	t.Run("abort", func(t *testing.T) {
		parent := t.TempDir()
		bw, err := NewBundleWriter(t.Context(), parent, &head)
		if err != nil {
			t.Fatal(err)
		}
		if err := bw.AddTarget(t.Context(), 0, &run.Targets[0], nil); err != nil {
			t.Fatal(err)
		}
		if err := bw.Abort(); err != nil {
			t.Fatal(err)
		}
		if err := bw.Abort(); err != nil {
			t.Errorf("second Abort: %v", err)
		}
		if _, err := bw.Close(t.Context(), run.Finished); err == nil {
			t.Error("Close after Abort succeeded")
		}
		empty(t, parent)
	})
	t.Run("cancelled", func(t *testing.T) {
		parent := t.TempDir()
		ctx, cancel := context.WithCancel(t.Context())
		bw, err := NewBundleWriter(ctx, parent, &head)
		if err != nil {
			t.Fatal(err)
		}
		if err := bw.AddTarget(ctx, 0, &run.Targets[0], nil); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := bw.AddTarget(ctx, 1, &run.Targets[1], nil); !errors.Is(err, context.Canceled) {
			t.Errorf("AddTarget on a cancelled context: %v", err)
		}
		empty(t, parent)
	})
	t.Run("cancelled-close", func(t *testing.T) {
		parent := t.TempDir()
		ctx, cancel := context.WithCancel(t.Context())
		bw, err := NewBundleWriter(ctx, parent, &head)
		if err != nil {
			t.Fatal(err)
		}
		if err := bw.AddTarget(ctx, 0, &run.Targets[0], nil); err != nil {
			t.Fatal(err)
		}
		cancel()
		if _, err := bw.Close(ctx, run.Finished); !errors.Is(err, context.Canceled) {
			t.Errorf("Close on a cancelled context: %v", err)
		}
		empty(t, parent)
	})
	t.Run("twice", func(t *testing.T) {
		parent := t.TempDir()
		bw, err := NewBundleWriter(t.Context(), parent, &head)
		if err != nil {
			t.Fatal(err)
		}
		defer bw.Abort()
		if err := bw.AddTarget(t.Context(), 0, &run.Targets[0], nil); err != nil {
			t.Fatal(err)
		}
		if err := bw.AddTarget(t.Context(), 0, &run.Targets[1], nil); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Errorf("second AddTarget at index 0: %v", err)
		}
	})
	t.Run("failed-target", func(t *testing.T) {
		parent := t.TempDir()
		bw, err := NewBundleWriter(t.Context(), parent, &head)
		if err != nil {
			t.Fatal(err)
		}
		bad := run.Targets[0]
		bad.Scenarios = slices.Clone(bad.Scenarios)
		bad.Scenarios[0].Artifacts = []Artifact{{Name: "../escape", Data: []byte("x")}}
		if err := bw.AddTarget(t.Context(), 0, &bad, nil); err == nil {
			t.Fatal("AddTarget accepted an unsafe artifact name")
		}
		if err := bw.AddTarget(t.Context(), 1, &run.Targets[1], nil); err != nil {
			t.Fatal(err)
		}
		if _, err := bw.Close(t.Context(), run.Finished); err == nil {
			t.Error("Close succeeded after a target failed")
		}
		empty(t, parent)
	})
	t.Run("abort-after-close-keeps-the-bundle", func(t *testing.T) {
		parent := t.TempDir()
		bw, err := NewBundleWriter(t.Context(), parent, &head, WithSigner(vectorKey()))
		if err != nil {
			t.Fatal(err)
		}
		if err := bw.AddTarget(t.Context(), 0, &run.Targets[0], nil); err != nil {
			t.Fatal(err)
		}
		dir, err := bw.Close(t.Context(), run.Finished)
		if err != nil {
			t.Fatal(err)
		}
		if err := bw.Abort(); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(t.Context(), dir, trustedKey()); err != nil {
			t.Errorf("bundle after Abort: %v", err)
		}
	})
}

// TestBundleWriterCucumber: the targets' cucumber JSON becomes one
// cucumber.json, each feature tagged with its target, listed in the
// report; it cannot also be given as an extra file.
func TestBundleWriterCucumber(t *testing.T) {
	run := sampleRun()
	head := *run
	head.Targets = nil
	feature := func(name string) []byte {
		return []byte(`[{"name":"` + name + `","tags":[{"name":"@a","line":1}],"elements":[]}]`)
	}
	bw, err := NewBundleWriter(t.Context(), t.TempDir(), &head, WithSigner(vectorKey()))
	if err != nil {
		t.Fatal(err)
	}
	if err := bw.AddTarget(t.Context(), 1, &run.Targets[1], feature("second")); err != nil {
		t.Fatal(err)
	}
	if err := bw.AddTarget(t.Context(), 0, &run.Targets[0], feature("first")); err != nil {
		t.Fatal(err)
	}
	dir, err := bw.Close(t.Context(), run.Finished)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, cucumberFile))
	if err != nil {
		t.Fatal(err)
	}
	var feats []struct {
		Name string `json:"name"`
		Tags []struct {
			Name string `json:"name"`
		} `json:"tags"`
	}
	if err := json.Unmarshal(data, &feats); err != nil {
		t.Fatalf("cucumber.json: %v\n%s", err, data)
	}
	if len(feats) != 2 || feats[0].Name != "first" || feats[1].Name != "second" ||
		feats[0].Tags[1].Name != "@target:"+run.Targets[0].URI || feats[1].Tags[1].Name != "@target:"+run.Targets[1].URI {
		t.Errorf("cucumber.json = %s", data)
	}
	if _, err := Verify(t.Context(), dir, trustedKey()); err != nil {
		t.Fatal(err)
	}
	report, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	if !strings.Contains(string(report), cucumberFile) {
		t.Error("report does not list cucumber.json")
	}

	bw, err = NewBundleWriter(t.Context(), t.TempDir(), &head, WithFile(cucumberFile, []byte("[]")))
	if err != nil {
		t.Fatal(err)
	}
	if err := bw.AddTarget(t.Context(), 0, &run.Targets[0], feature("first")); err != nil {
		t.Fatal(err)
	}
	if _, err := bw.Close(t.Context(), run.Finished); err == nil {
		t.Error("cucumber.json both from the targets and as an extra file")
	}
}

// TestBundleWriterLayout: a one-target bundle keeps report.html as the
// target's own page and has no targets/ directory; a fleet's has one page
// per target under targets/<NNNN>/, named by index only.
func TestBundleWriterLayout(t *testing.T) {
	one := vectorRun()
	dir, err := Write(t.Context(), t.TempDir(), one, WithSigner(vectorKey()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, TargetsDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("one-target bundle has %s/: %v", TargetsDir, err)
	}
	want, err := targetReportHTML(one, &filledRun(one).Targets[0], Fingerprint(trustedKey()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, ReportFile)); string(got) != string(want) {
		t.Error("one-target report.html is not the target's page")
	}

	fleet := fleetRun(t, 3)
	fleet.Targets[2].URI = "../../evil"
	dir, err = Write(t.Context(), t.TempDir(), fleet, WithSigner(vectorKey()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range fleet.Targets {
		if _, err := os.Stat(filepath.Join(dir, TargetsDir, []string{"0000", "0001", "0002"}[i], ReportFile)); err != nil {
			t.Error(err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(dir, TargetsDir))
	if len(entries) != 3 {
		t.Errorf("targets/ holds %d entries, want 3", len(entries))
	}
}

// TestVerifyRejectsMisnamedObject: the manifest may not list an object
// under a name other than its digest, even when the signature is good, so
// that a content-addressed path always says what it holds.
func TestVerifyRejectsMisnamedObject(t *testing.T) {
	dir := writeSample(t)
	old := loginObject()
	renamed := objectPath(strings.Repeat("ab", 32))
	if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(filepath.FromSlash(renamed))), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, filepath.FromSlash(old)), filepath.Join(dir, filepath.FromSlash(renamed))); err != nil {
		t.Fatal(err)
	}
	resign(t, dir, vectorKey(), func(m *Manifest) {
		for i := range m.Files {
			if m.Files[i].Path == old {
				m.Files[i].Path = renamed
			}
		}
		slices.SortFunc(m.Files, func(a, b FileEntry) int { return strings.Compare(a.Path, b.Path) })
	})
	_, err := Verify(t.Context(), dir, trustedKey())
	ps := problemsOf(t, err)
	if len(ps) != 1 || ps[0].Kind != Malformed || ps[0].Path != ManifestFile || !strings.Contains(ps[0].Detail, "the path of its sha256") {
		t.Errorf("problems = %v", ps)
	}
}

// TestEncodeManifest: the manifest built entry by entry is marshalJSON's
// bytes, odd paths included.
func TestEncodeManifest(t *testing.T) {
	dir := writeSample(t)
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	m.Files = append(m.Files, FileEntry{Path: `odd/<&> "quoted" é\u2028`, SHA256: strings.Repeat("0", 64), Size: 1 << 40})
	for _, files := range [][]FileEntry{m.Files, {}, nil} {
		m.Files = files
		want, err := marshalJSON(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := encodeManifest(m)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%d files (-marshalJSON +encodeManifest):\n%s", len(files), diff)
		}
	}
}

// TestBundleWriterPageLinksResolve: every link of every report page (the
// fleet's and each target's under targets/<NNNN>/) to an artifact or an
// extra file names a file of the bundle, so drilling down from a page to
// its evidence works. (The links the report makes itself to the run-wide
// files are the report's to place.)
func TestBundleWriterPageLinksResolve(t *testing.T) {
	run := sampleRun()
	head := *run
	head.Targets = nil
	bw, err := NewBundleWriter(t.Context(), t.TempDir(), &head, WithSigner(vectorKey()), WithFile("reports/extra.txt", []byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	for i := range run.Targets {
		if err := bw.AddTarget(t.Context(), i, &run.Targets[i], []byte(`[{"name":"f"}]`)); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := bw.Close(t.Context(), run.Finished)
	if err != nil {
		t.Fatal(err)
	}
	href := regexp.MustCompile(`href="([^"#][^"]*)"`)
	links := 0
	for _, page := range bundleFilesOnDisk(t, dir) {
		if path.Base(page) != ReportFile {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(page)))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range href.FindAllStringSubmatch(string(data), -1) {
			if !strings.Contains(m[1], ObjectsDir+"/") && !strings.HasSuffix(m[1], "extra.txt") && !strings.HasSuffix(m[1], cucumberFile) {
				continue
			}
			target := path.Join(path.Dir(page), html.UnescapeString(m[1]))
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(target))); err != nil || strings.HasPrefix(target, "../") {
				t.Errorf("%s links %s, which is not in the bundle", page, m[1])
			}
			links++
		}
	}
	if links == 0 {
		t.Fatal("no links checked")
	}
}

// TestBundleWriterUniqueName: two runs that start in the same second and
// write to one directory both keep their evidence; the name is chosen
// again at Close when another run took it after NewBundleWriter. WithName
// alone refuses a taken name and overwrites nothing.
func TestBundleWriterUniqueName(t *testing.T) {
	parent := t.TempDir()
	run := sampleRun()
	open := func(opts ...WriteOption) *BundleWriter {
		t.Helper()
		b, err := NewBundleWriter(t.Context(), parent, run, append([]WriteOption{WithSigner(vectorKey())}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		for i := range run.Targets {
			if err := b.AddTarget(t.Context(), i, &run.Targets[i], nil); err != nil {
				t.Fatal(err)
			}
		}
		return b
	}
	first, second := open(WithUniqueName("t")), open(WithUniqueName("t"))
	d1, err := first.Close(t.Context(), run.Finished)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := second.Close(t.Context(), run.Finished)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(d1) != "t" || filepath.Base(d2) != "t-2" {
		t.Fatalf("bundles %s and %s, want t and t-2", d1, d2)
	}
	third := open(WithUniqueName("t")) // t and t-2 taken: t-3 from the start
	d3, err := third.Close(t.Context(), run.Finished)
	if err != nil || filepath.Base(d3) != "t-3" {
		t.Fatalf("third bundle %s, %v; want t-3", d3, err)
	}
	for _, d := range []string{d1, d2, d3} {
		if _, err := Verify(t.Context(), d, trustedKey()); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
	if _, err := NewBundleWriter(t.Context(), parent, run, WithName("t")); !errors.Is(err, os.ErrExist) {
		t.Errorf("WithName on a taken name: %v, want ErrExist", err)
	}
}

// TestBundleWriterAddFiles: a file known only once every target is done
// is in the signed bundle and listed by the fleet view; options that are
// not files, a clash and a closed writer are refused.
func TestBundleWriterAddFiles(t *testing.T) {
	run := fleetRun(t, 3)
	b, err := NewBundleWriter(t.Context(), t.TempDir(), run, WithSigner(vectorKey()), WithFile("early.txt", []byte("early\n")))
	if err != nil {
		t.Fatal(err)
	}
	for i := range run.Targets {
		if err := b.AddTarget(t.Context(), i, &run.Targets[i], nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.AddFiles(WithName("x")); err == nil {
		t.Error("AddFiles took WithName")
	}
	if err := b.AddFiles(WithFile("early.txt", []byte("again"))); err == nil {
		t.Error("AddFiles took a file given before")
	}
	if err := b.AddFiles(WithDescribedFile("inventory.html", "the inventory after the run", []byte("<p>inv</p>"))); err != nil {
		t.Fatal(err)
	}
	dir, err := b.Close(t.Context(), run.Finished)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Verify(t.Context(), dir, trustedKey())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(m.Files, func(f FileEntry) bool {
		return f.Path == "inventory.html" && f.SHA256 == sha256hex([]byte("<p>inv</p>"))
	}) {
		t.Error("inventory.html is not in the manifest")
	}
	page, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "the inventory after the run") {
		t.Error("the fleet view does not list the added file")
	}
	if err := b.AddFiles(WithFile("late.txt", nil)); err == nil {
		t.Error("AddFiles after Close succeeded")
	}
}
