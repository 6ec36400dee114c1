package evidence

import (
	"crypto/ed25519"
	"encoding/base64"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wardsec/ward/pkg/device"
)

// The test vectors in testdata/vectors: bundle/ is what Write produces for
// vectorRun, signed with the key from vectorSeed, plus the "cucumber.json"
// extra file. expected/<case>.txt is Verify's report for each tampered copy
// in vectorCases. Regenerate with `go test -run TestVectors -update`.
var vectorsDir = filepath.Join("testdata", "vectors")

func vectorRun() *Run {
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	return &Run{
		ID:        "vector-run-1",
		Tool:      Tool{Name: "ward", Version: "1.0.0-vector"},
		Catalogue: Catalogue{Digest: strings.Repeat("0", 64), Source: "embedded", Controls: 2},
		Started:   start,
		Finished:  start.Add(2 * time.Second),
		Targets: []Target{{
			URI:      "sim://infusion-pump",
			Identity: device.Identity{Manufacturer: "Ward Simulated Devices", Model: "infusion-pump", Serial: "SIM-0001", Firmware: "1.0.0"},
			Started:  start,
			Finished: start.Add(2 * time.Second),
			Controls: []Control{
				{ID: "HIPAA-164.312(a)(2)(iv)", Framework: "hipaa", Title: "Encryption and decryption", Status: "addressable", Severity: "high", Outcome: Satisfied, Reason: "stored records are sealed", Scenarios: []string{"s1"}},
				{ID: "HIPAA-164.312(d)", Framework: "hipaa", Title: "Person or entity authentication", Status: "required", Severity: "high", Outcome: NotSatisfied, Reason: `"Then the login is refused" failed`, Scenarios: []string{"s2"}},
			},
			Scenarios: []Scenario{
				{ID: "s1", Name: "Stored records are encrypted", URI: "features/atrest/storage.feature", Line: 3, Status: ScenarioPassed, Started: start, Duration: time.Second,
					Steps:     []Step{{Keyword: "Then ", Text: "the raw storage holds no plaintext", Status: "passed"}},
					Artifacts: []Artifact{{Name: "listing.txt", MediaType: "text/plain", Data: []byte("records/0001.sealed\n")}}},
				{ID: "s2", Name: "Privileged login needs two factors", URI: "features/mfa/login.feature", Line: 5, Status: ScenarioFailed, Started: start.Add(time.Second), Duration: time.Second,
					Steps: []Step{{Keyword: "Then ", Text: "the login is refused", Status: "failed", Error: "got a session token"}}},
			},
		}},
	}
}

// vectorObject is the bundle path of vectorRun's one artifact.
func vectorObject() string { return objectPath(sha256hex([]byte("records/0001.sealed\n"))) }

func writeVectorBundle(t *testing.T, parent string) string {
	t.Helper()
	dir, err := Write(t.Context(), parent, vectorRun(), WithName("bundle"), WithSigner(vectorKey()), WithFile("cucumber.json", []byte("[]\n")))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// copyDir copies the regular files of src into a new dir.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "bundle")
	for _, f := range bundleFilesOnDisk(t, src) {
		data, err := os.ReadFile(filepath.Join(src, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

type vectorCase struct {
	name    string
	trusted bool // verify with the vector key instead of manifest.pub
	tamper  func(t *testing.T, dir string)
	want    []kp
}

func vectorCases() []vectorCase {
	edit := func(name string, fn func([]byte) []byte) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, filepath.FromSlash(name))
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, fn(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	replace := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte { return []byte(strings.Replace(string(b), old, new, 1)) }
	}
	create := func(name, content string) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, filepath.FromSlash(name))
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	remove := func(name string) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
				t.Fatal(err)
			}
		}
	}
	return []vectorCase{
		{"junit-outcome-edited", false, edit(JUnitFile, replace(`failures="1"`, `failures="0"`)), []kp{{Changed, JUnitFile}}},
		{"results-same-size-edit", false, edit(ResultsFile, replace(`"status": "failed"`, `"status": "passed"`)), []kp{{Changed, ResultsFile}}},
		{"artifact-edited", false, edit(vectorObject(), replace("sealed", "SEALED")), []kp{{Changed, vectorObject()}}},
		{"file-added-at-root", false, create("notes.txt", "all good\n"), []kp{{Added, "notes.txt"}}},
		{"file-added-in-objects", false, create("objects/sha256/ff/screenshot.png", "png"), []kp{{Added, "objects/sha256/ff"}, {Added, "objects/sha256/ff/screenshot.png"}}},
		{"file-removed", false, remove("cucumber.json"), []kp{{Removed, "cucumber.json"}}},
		{"manifest-edited", false, edit(ManifestFile, replace("vector-run-1", "vector-run-2")), []kp{{BadSignature, ManifestFile}}},
		{"signature-removed", false, remove(SignatureFile), []kp{{Removed, SignatureFile}}},
		{"signature-garbled", false, edit(SignatureFile, func(b []byte) []byte { return append([]byte("*"), b[1:]...) }), []kp{{Malformed, SignatureFile}}},
		{"public-key-swapped", false, func(t *testing.T, dir string) {
			pub, _ := MarshalPublicKeyPEM(otherKey().Public().(ed25519.PublicKey))
			os.WriteFile(filepath.Join(dir, PublicKeyFile), pub, 0o644)
		}, []kp{{BadSignature, ManifestFile}, {BadSignature, PublicKeyFile}}},
		{"resigned-by-attacker-trusted-key", true, func(t *testing.T, dir string) {
			edit(JUnitFile, replace(`failures="1"`, `failures="0"`))(t, dir)
			forged, _ := os.ReadFile(filepath.Join(dir, JUnitFile))
			resign(t, dir, otherKey(), func(m *Manifest) {
				for i := range m.Files {
					if m.Files[i].Path == JUnitFile {
						m.Files[i] = entryFor(JUnitFile, forged)
					}
				}
			})
		}, []kp{{BadSignature, ManifestFile}, {BadSignature, ManifestFile}, {BadSignature, PublicKeyFile}}},
		{"resigned-by-attacker-bundled-key", false, func(t *testing.T, dir string) {
			// Undetectable without a trusted key: documented, not a bug.
			resign(t, dir, otherKey(), nil)
		}, nil},
		{"symlink-planted", false, func(t *testing.T, dir string) {
			if err := os.Symlink("../../../results.json", filepath.Join(dir, filepath.FromSlash(path.Dir(vectorObject())), "link")); err != nil {
				t.Skip("symlinks unsupported:", err)
			}
		}, []kp{{Added, path.Dir(vectorObject()) + "/link"}}},
	}
}

func TestVectors(t *testing.T) {
	committed := filepath.Join(vectorsDir, "bundle")
	fresh := writeVectorBundle(t, t.TempDir())
	if *update {
		if err := os.RemoveAll(committed); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(vectorsDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(committed, os.DirFS(fresh)); err != nil {
			t.Fatal(err)
		}
		priv, _ := MarshalPrivateKeyPEM(vectorKey())
		pub, _ := MarshalPublicKeyPEM(trustedKey())
		os.WriteFile(filepath.Join(vectorsDir, "signing-key.pem"), priv, 0o644)
		os.WriteFile(filepath.Join(vectorsDir, "signing-key.pub"), pub, 0o644)
		os.WriteFile(filepath.Join(vectorsDir, ".gitattributes"), []byte("# Vectors are byte-exact: never convert line endings.\n* -text\n"), 0o644)
	}

	t.Run("reproducible", func(t *testing.T) {
		// Write is deterministic for a fixed run, key and name: the committed
		// bundle must match byte for byte, or the format changed.
		want, got := bundleFilesOnDisk(t, committed), bundleFilesOnDisk(t, fresh)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("file lists differ (-committed +fresh):\n%s", diff)
		}
		for _, f := range want {
			a, _ := os.ReadFile(filepath.Join(committed, filepath.FromSlash(f)))
			b, _ := os.ReadFile(filepath.Join(fresh, filepath.FromSlash(f)))
			if diff := cmp.Diff(string(a), string(b)); diff != "" {
				t.Errorf("%s differs (-committed +fresh; -update to accept a format change):\n%s", f, diff)
			}
		}
	})

	t.Run("keys", func(t *testing.T) {
		k, err := LoadSigningKey(filepath.Join(vectorsDir, "signing-key.pem"))
		if err != nil || !k.Equal(vectorKey()) {
			t.Fatalf("signing-key.pem: %v", err)
		}
		p, err := LoadPublicKey(filepath.Join(vectorsDir, "signing-key.pub"))
		if err != nil || !p.Equal(trustedKey()) {
			t.Fatalf("signing-key.pub: %v", err)
		}
	})

	t.Run("verifies", func(t *testing.T) {
		for _, trusted := range []ed25519.PublicKey{nil, trustedKey()} {
			m, err := Verify(t.Context(), committed, trusted)
			if err != nil {
				t.Fatal(err)
			}
			if m.RunID != "vector-run-1" || len(m.Files) != 7 || m.KeyFingerprint != Fingerprint(trustedKey()) {
				t.Errorf("manifest = %+v", m)
			}
		}
	})

	for _, tc := range vectorCases() {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, committed)
			tc.tamper(t, dir)
			var trusted ed25519.PublicKey
			if tc.trusted {
				trusted = trustedKey()
			}
			_, err := Verify(t.Context(), dir, trusted)
			var got []kp
			text := ""
			if err != nil {
				got = kindsAndPaths(problemsOf(t, err))
				text = err.Error() + "\n"
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s\n%v", diff, err)
			}
			golden := filepath.Join(vectorsDir, "expected", tc.name+".txt")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), text); diff != "" {
				t.Errorf("report differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}

	t.Run("no-stale-expected", func(t *testing.T) {
		names := map[string]bool{}
		for _, tc := range vectorCases() {
			names[tc.name+".txt"] = true
		}
		entries, _ := fs.ReadDir(os.DirFS(vectorsDir), "expected")
		for _, e := range entries {
			if !names[e.Name()] {
				t.Errorf("testdata/vectors/expected/%s has no case", e.Name())
			}
		}
	})
}

// TestVectorsVerifyWithOpenSSL checks the signature construction against an
// independent Ed25519 implementation, exactly as docs/evidence-bundle.md
// tells an auditor to do it by hand.
func TestVectorsVerifyWithOpenSSL(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("WARD_REQUIRE_REAL") == "1" {
			t.Fatal("openssl not found")
		}
		t.Skip("openssl not found")
	}
	bundle := filepath.Join(vectorsDir, "bundle")
	manifest, _ := os.ReadFile(filepath.Join(bundle, ManifestFile))
	sigText, _ := os.ReadFile(filepath.Join(bundle, SignatureFile))
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sigText)))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	msg, sigFile := filepath.Join(tmp, "msg"), filepath.Join(tmp, "sig")
	os.WriteFile(msg, append([]byte(SignaturePrefix), manifest...), 0o644)
	os.WriteFile(sigFile, sig, 0o644)
	out, err := exec.Command(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", filepath.Join(bundle, PublicKeyFile), "-rawin", "-in", msg, "-sigfile", sigFile).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "rawin") {
			t.Skipf("openssl too old for -rawin: %s", out)
		}
		t.Fatalf("openssl does not verify the vector signature: %v\n%s", err, out)
	}
	// And a tampered manifest fails under openssl too.
	os.WriteFile(msg, append([]byte(SignaturePrefix), strings.Replace(string(manifest), "vector-run-1", "vector-run-2", 1)...), 0o644)
	if out, err := exec.Command(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", filepath.Join(bundle, PublicKeyFile), "-rawin", "-in", msg, "-sigfile", sigFile).CombinedOutput(); err == nil {
		t.Fatalf("openssl verified a tampered manifest:\n%s", out)
	}
}

// TestVectorsArtifactsLayout: a bundle written before artifacts were
// content-addressed (artifacts/<scenario>/<name>, kept byte for byte in
// testdata/vectors/bundle-artifacts-layout) still verifies, its run and
// artifacts still read, and tampering with it is still caught.
func TestVectorsArtifactsLayout(t *testing.T) {
	old := filepath.Join(vectorsDir, "bundle-artifacts-layout")
	for _, trusted := range []ed25519.PublicKey{nil, trustedKey()} {
		run, m, err := ReadVerifiedRun(t.Context(), old, trusted)
		if err != nil {
			t.Fatal(err)
		}
		a := run.Targets[0].Scenarios[0].Artifacts[0]
		if m.RunID != "vector-run-1" || a.Path != "artifacts/s1/listing.txt" || string(a.Data) != "records/0001.sealed\n" {
			t.Errorf("run %s, artifact %+v", m.RunID, a)
		}
	}
	dir := copyDir(t, old)
	p := filepath.Join(dir, "artifacts", "s1", "listing.txt")
	if err := os.WriteFile(p, []byte("records/0001.SEALED\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(t.Context(), dir, trustedKey())
	if diff := cmp.Diff([]kp{{Changed, "artifacts/s1/listing.txt"}}, kindsAndPaths(problemsOf(t, err))); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
