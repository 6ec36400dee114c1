package evidence

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWriteLayout(t *testing.T) {
	run := sampleRun()
	before := sampleRun()
	parent := t.TempDir()
	dir, err := Write(t.Context(), parent, run, WithSigner(vectorKey()), WithFile("cucumber.json", []byte("[]\n")), WithFile("reports/./extra.txt", []byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(parent, "20250314T092653Z"); dir != want {
		t.Errorf("bundle at %s, want %s (run.Started in UTC)", dir, want)
	}
	var objects []string
	for _, s := range run.Targets[0].Scenarios {
		for _, a := range s.Artifacts {
			objects = append(objects, objectPath(sha256hex(a.Data)))
		}
	}
	slices.Sort(objects)
	// Two targets: each has its page under targets/, report.html is the
	// fleet view.
	want := []string{
		"assessment-results.json",
		"cucumber.json", "junit.xml", "manifest.json", "manifest.pub", "manifest.sig",
		objects[0], objects[1], objects[2],
		"poam.json", "report.html",
		"reports/extra.txt", "results.json",
		"targets/0000/report.html", "targets/0001/report.html",
	}
	if diff := cmp.Diff(want, bundleFilesOnDisk(t, dir)); diff != "" {
		t.Errorf("bundle files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, run); diff != "" {
		t.Errorf("Write modified run (-before +after):\n%s", diff)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("parent holds %d entries, want only the bundle", len(entries))
	}
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("bundle dir mode %v, %v; want 0755", info.Mode().Perm(), err)
	}

	// results.json records where each artifact went and its digest.
	data, err := os.ReadFile(filepath.Join(dir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	var got Run
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	a := got.Targets[0].Scenarios[0].Artifacts[1]
	orig := run.Targets[0].Scenarios[0].Artifacts[1]
	if a.Path != objectPath(sha256hex(orig.Data)) || a.SHA256 != sha256hex(orig.Data) || a.Size != int64(len(orig.Data)) {
		t.Errorf("artifact in results.json = %+v", a)
	}
	onDisk, _ := os.ReadFile(filepath.Join(dir, filepath.FromSlash(a.Path)))
	if string(onDisk) != string(orig.Data) {
		t.Errorf("artifact content differs")
	}

	m, err := Verify(t.Context(), dir, vectorKey().Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if m.RunID != run.ID || len(m.Targets) != 2 || m.Targets[0].Identity.Firmware != "3.1.4" || m.Targets[1].Error == "" {
		t.Errorf("manifest = %+v", m)
	}
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
	}
	wantListed := []string{"assessment-results.json", "cucumber.json", "junit.xml", objects[0], objects[1], objects[2], "poam.json", "report.html", "reports/extra.txt", "results.json", "targets/0000/report.html", "targets/0001/report.html"}
	if diff := cmp.Diff(wantListed, paths); diff != "" {
		t.Errorf("manifest files, sorted, without manifest.* (-want +got):\n%s", diff)
	}
}

func TestWriteDefaultKeyIsEphemeral(t *testing.T) {
	parent := t.TempDir()
	var fps []string
	for _, name := range []string{"a", "b"} {
		dir, err := Write(t.Context(), parent, sampleRun(), WithName(name))
		if err != nil {
			t.Fatal(err)
		}
		m, err := Verify(t.Context(), dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		fps = append(fps, m.KeyFingerprint)
	}
	if fps[0] == fps[1] {
		t.Errorf("two bundles signed with the same default key %s", fps[0])
	}
}

func TestWriteRejects(t *testing.T) {
	withArtifact := func(id, name string) *Run {
		r := sampleRun()
		r.Targets[0].Scenarios[0].ID = id
		r.Targets[0].Scenarios[0].Artifacts[0].Name = name
		return r
	}
	zeroStart := sampleRun()
	zeroStart.Started = time.Time{}
	for _, tc := range []struct {
		name string
		run  *Run
		opts []WriteOption
		want string
	}{
		{"fail/nil-run", nil, nil, "nil run"},
		{"fail/no-start-time", zeroStart, nil, "use WithName"},
		{"fail/file-dotdot", sampleRun(), []WriteOption{WithFile("../evil", nil)}, `".."`},
		{"fail/file-dotdot-inside", sampleRun(), []WriteOption{WithFile("a/../../evil", nil)}, `".."`},
		{"fail/file-absolute", sampleRun(), []WriteOption{WithFile("/etc/passwd", nil)}, "absolute"},
		{"fail/file-backslash", sampleRun(), []WriteOption{WithFile(`a\b`, nil)}, "backslash"},
		{"fail/file-empty", sampleRun(), []WriteOption{WithFile("", nil)}, "not clean"},
		{"fail/file-dot", sampleRun(), []WriteOption{WithFile("./", nil)}, "not clean"},
		{"fail/file-newline", sampleRun(), []WriteOption{WithFile("a\nb", nil)}, "control character"},
		{"fail/file-reserved-manifest", sampleRun(), []WriteOption{WithFile("manifest.json", nil)}, "reserved"},
		{"fail/file-reserved-sig", sampleRun(), []WriteOption{WithFile("manifest.sig", nil)}, "reserved"},
		{"fail/file-reserved-results-case", sampleRun(), []WriteOption{WithFile("Results.JSON", nil)}, "reserved"},
		{"fail/file-reserved-junit-dir", sampleRun(), []WriteOption{WithFile("junit.xml/x", nil)}, "reserved"},
		{"fail/file-reserved-artifacts", sampleRun(), []WriteOption{WithFile("artifacts/s-mfa-1/x", nil)}, "reserved"},
		{"fail/file-reserved-report", sampleRun(), []WriteOption{WithFile("report.html", nil)}, "reserved"},
		{"fail/file-reserved-oscal", sampleRun(), []WriteOption{WithFile("assessment-results.json", nil)}, "reserved"},
		{"fail/file-reserved-poam-case", sampleRun(), []WriteOption{WithFile("POAM.json", nil)}, "reserved"},
		{"fail/file-duplicate", sampleRun(), []WriteOption{WithFile("c.json", nil), WithFile("C.json", nil)}, "two files"},
		{"fail/file-under-file", sampleRun(), []WriteOption{WithFile("a", nil), WithFile("a/b", nil)}, "is a file"},
		{"fail/name-dotdot", sampleRun(), []WriteOption{WithName("..")}, "bundle name"},
		{"fail/name-slash", sampleRun(), []WriteOption{WithName("a/b")}, "slash"},
		{"fail/name-empty", sampleRun(), []WriteOption{WithName("")}, "bundle name"},
		{"fail/name-partial", sampleRun(), []WriteOption{WithName(".ward-partial-x")}, "reserved"},
		{"fail/signer-short", sampleRun(), []WriteOption{WithSigner(make(ed25519.PrivateKey, 32))}, "signing key is 32 bytes"},
		{"fail/scenario-id-slash", withArtifact("features/a.feature:3", "x"), nil, "scenario id"},
		{"fail/scenario-id-dotdot", withArtifact("..", "x"), nil, "scenario id"},
		{"fail/artifact-dotdot", withArtifact("s", ".."), nil, "artifact name"},
		{"fail/artifact-slash", withArtifact("s", "../../etc/x"), nil, "artifact name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dir, err := Write(t.Context(), parent, tc.run, tc.opts...)
			if err == nil {
				t.Fatalf("Write succeeded (%s), want error containing %q", dir, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			assertEmpty(t, parent)
		})
	}
}

func TestWriteAccepts(t *testing.T) {
	for _, tc := range []struct{ name, path string }{
		{"ok/nested", "reports/html/index.html"},
		{"ok/cleaned", "./reports//x.txt"},
		{"ok/unicode", "rapport-été.txt"},
		{"ok/dotfile", ".well-known"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, err := Write(t.Context(), t.TempDir(), sampleRun(), WithFile(tc.path, []byte("x")))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(t.Context(), dir, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// assertEmpty fails if dir holds anything, such as a .ward-partial-* left
// behind.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("left behind in %s: %s", dir, e.Name())
	}
}

func TestWriteNeverOverwritesExistingTargetDir(t *testing.T) {
	for _, tc := range []struct {
		name   string
		create func(string) error
	}{
		{"empty-dir", func(p string) error { return os.Mkdir(p, 0o755) }},
		{"bundle", func(p string) error {
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(p, ResultsFile), []byte("earlier evidence"), 0o644)
		}},
		{"file", func(p string) error { return os.WriteFile(p, []byte("x"), 0o644) }},
		{"dangling-symlink", func(p string) error { return os.Symlink("nowhere", p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			target := filepath.Join(parent, "b")
			if err := tc.create(target); err != nil {
				t.Skip("cannot create:", err)
			}
			_, err := Write(t.Context(), parent, sampleRun(), WithName("b"))
			if !errors.Is(err, fs.ErrExist) {
				t.Fatalf("Write = %v, want ErrExist", err)
			}
			entries, _ := os.ReadDir(parent)
			if len(entries) != 1 {
				t.Errorf("parent holds %d entries, want 1 (no partial dir)", len(entries))
			}
			if tc.name == "bundle" {
				if b, _ := os.ReadFile(filepath.Join(target, ResultsFile)); string(b) != "earlier evidence" {
					t.Errorf("existing bundle was modified")
				}
			}
		})
	}
}

func TestRenameNoReplaceRefusesEmptyDir(t *testing.T) {
	// POSIX rename(2) would silently replace an empty directory.
	d := t.TempDir()
	src, dst := filepath.Join(d, "src"), filepath.Join(d, "dst")
	os.Mkdir(src, 0o755)
	os.Mkdir(dst, 0o755)
	if err := renameNoReplace(src, dst); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("renameNoReplace over an empty dir = %v, want ErrExist", err)
	}
	if err := renameNoReplace(src, filepath.Join(d, "new")); err != nil {
		t.Fatal(err)
	}
}

func TestWriteUnwritableParent(t *testing.T) {
	t.Run("parent-is-a-file", func(t *testing.T) {
		d := t.TempDir()
		parent := filepath.Join(d, "not-a-dir")
		if err := os.WriteFile(parent, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Write(t.Context(), parent, sampleRun()); err == nil {
			t.Fatal("Write under a regular file succeeded")
		}
		if _, err := Write(t.Context(), filepath.Join(parent, "sub"), sampleRun()); err == nil {
			t.Fatal("Write under a path through a regular file succeeded")
		}
		entries, _ := os.ReadDir(d)
		if len(entries) != 1 {
			t.Errorf("%d entries left, want only the file", len(entries))
		}
	})
	t.Run("read-only-parent", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("running as root: permissions are not enforced")
		}
		parent := t.TempDir()
		if err := os.Chmod(parent, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(parent, 0o755) })
		if _, err := Write(t.Context(), parent, sampleRun()); !errors.Is(err, fs.ErrPermission) {
			t.Fatalf("Write = %v, want ErrPermission", err)
		}
		assertEmpty(t, parent)
	})
}

// cancelAfter is a context whose Err starts returning Canceled after n calls,
// to cancel Write at every point it checks.
type cancelAfter struct {
	context.Context
	n int
}

func (c *cancelAfter) Err() error {
	if c.n <= 0 {
		return context.Canceled
	}
	c.n--
	return nil
}

func TestWriteCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	parent := t.TempDir()
	if _, err := Write(ctx, parent, sampleRun()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write = %v, want context.Canceled", err)
	}
	assertEmpty(t, parent)

	// Cancel at every check Write makes: each failure leaves nothing behind.
	for n := 0; ; n++ {
		parent := t.TempDir()
		dir, err := Write(&cancelAfter{t.Context(), n}, parent, sampleRun(), WithFile("a/b/c.txt", []byte("c")))
		if err == nil {
			if n < 5 {
				t.Errorf("Write checked ctx only %d times", n)
			}
			if _, err := Verify(t.Context(), dir, nil); err != nil {
				t.Fatal(err)
			}
			break
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancel after %d checks: %v", n, err)
		}
		assertEmpty(t, parent)
	}
}

func TestWriteCreatesParent(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "ward-evidence", "ci")
	dir, err := Write(t.Context(), parent, sampleRun())
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(dir) != parent {
		t.Errorf("bundle at %s, want under %s", dir, parent)
	}
}

// A manifest Verify would refuse as too large is never written: the
// writer and the verifier agree on the limit.
func TestWriteRefusesAManifestVerifyWouldRefuse(t *testing.T) {
	run := sampleRun()
	run.Targets[0].Identity.Model = strings.Repeat("M", 66<<20)
	parent := t.TempDir()
	if _, err := Write(t.Context(), parent, run, WithName("b")); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Write = %v, want ErrTooLarge", err)
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	run.Targets[0].Identity.Model = strings.Repeat("M", 1<<20)
	dir, err := Write(t.Context(), parent, run, WithName("c"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(t.Context(), dir, nil); err != nil {
		t.Fatalf("a bundle Write wrote does not verify: %v", err)
	}
}
