package evidence

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func trustedKey() ed25519.PublicKey { return vectorKey().Public().(ed25519.PublicKey) }

func TestVerifyIntactBundle(t *testing.T) {
	dir := writeSample(t)
	for _, tc := range []struct {
		name    string
		trusted ed25519.PublicKey
	}{{"bundled-key", nil}, {"trusted-key", trustedKey()}} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Verify(t.Context(), dir, tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			if m.KeyFingerprint != Fingerprint(trustedKey()) || m.Format != Format {
				t.Errorf("manifest = %+v", m)
			}
		})
	}
	t.Run("trusted-key-without-manifest.pub", func(t *testing.T) {
		dir := writeSample(t)
		os.Remove(filepath.Join(dir, PublicKeyFile))
		if _, err := Verify(t.Context(), dir, trustedKey()); err != nil {
			t.Fatal(err)
		}
	})
}

// flip changes one byte of a file in place and returns a function that
// restores it.
func flip(t *testing.T, name string, i int) (restore func()) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	orig := slices.Clone(data)
	data[i] ^= 0x01
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.WriteFile(name, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loadMapFS reads a bundle into memory, so the byte-by-byte test can run
// verifyFS thousands of times without touching the disk.
func loadMapFS(t *testing.T, dir string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	for _, f := range bundleFilesOnDisk(t, dir) {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		m[f] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	return m
}

func TestVerifyDetectsEveryByteChanged(t *testing.T) {
	dir := writeSample(t)
	files := bundleFilesOnDisk(t, dir)
	mem := loadMapFS(t, dir)
	for _, mode := range []struct {
		name    string
		trusted ed25519.PublicKey
	}{{"bundled-key", nil}, {"trusted-key", trustedKey()}} {
		t.Run(mode.name, func(t *testing.T) {
			for _, f := range files {
				if mode.trusted != nil && !isSignatureFile(f) {
					continue // the key mode changes nothing for these
				}
				data := mem[f].Data
				for i := range data {
					if !everyByteChecked(f, len(data), i) {
						continue
					}
					var err error
					if i%101 == 0 {
						// Through the file system too, now and then.
						restore := flip(t, filepath.Join(dir, filepath.FromSlash(f)), i)
						_, err = Verify(t.Context(), dir, mode.trusted)
						restore()
					} else {
						data[i] ^= 0x01
						_, err = verifyFS(t.Context(), mem, mode.trusted)
						data[i] ^= 0x01
					}
					if err == nil {
						t.Fatalf("%s: byte %d changed, Verify succeeded", f, i)
					}
					ps := problemsOf(t, err)
					// A changed manifest.json or a manifest.sig that still decodes
					// is "manifest.json: signature does not verify"; a manifest.sig
					// or manifest.pub that no longer parses is malformed.
					var allowed []kp
					switch f {
					case ManifestFile:
						allowed = []kp{{BadSignature, ManifestFile}}
					case SignatureFile, PublicKeyFile:
						allowed = []kp{{BadSignature, ManifestFile}, {BadSignature, f}, {Malformed, f}}
					default:
						allowed = []kp{{Changed, f}}
					}
					if !slices.ContainsFunc(kindsAndPaths(ps), func(p kp) bool { return slices.Contains(allowed, p) }) {
						t.Fatalf("%s: byte %d changed; problems %v include none of %v", f, i, kindsAndPaths(ps), allowed)
					}
					if f != ManifestFile && f != SignatureFile && f != PublicKeyFile && len(ps) != 1 {
						t.Fatalf("%s: byte %d changed; want one problem, got\n%v", f, i, err)
					}
				}
			}
		})
	}
	if _, err := Verify(t.Context(), dir, trustedKey()); err != nil {
		t.Fatalf("bundle not restored: %v", err)
	}
}

// everyByteChecked reports whether TestVerifyDetectsEveryByteChanged flips
// byte i of file f. Each flip re-verifies the whole bundle, so the cost grows
// with the square of its size: the derived files (report.html and the OSCAL
// documents, tens of kilobytes each) are flipped at their first and last
// 512 bytes and every 61st byte between; every other file at every byte.
func everyByteChecked(f string, size, i int) bool {
	switch {
	case f == ReportFile, f == AssessmentResultsFile, f == POAMFile, strings.HasSuffix(f, "/"+ReportFile):
		return i < 512 || i >= size-512 || i%61 == 0
	}
	return true
}

func TestVerifyDetectsSignatureReplacedByAnotherValidBase64(t *testing.T) {
	dir := writeSample(t)
	other := ed25519.Sign(otherKey(), []byte("something else"))
	os.WriteFile(filepath.Join(dir, SignatureFile), encodeSignature(other), 0o644)
	_, err := Verify(t.Context(), dir, nil)
	if diff := cmp.Diff([]kp{{BadSignature, ManifestFile}}, kindsAndPaths(problemsOf(t, err))); diff != "" {
		t.Error(diff)
	}
	if !strings.HasPrefix(err.Error(), "manifest.json: signature does not verify") {
		t.Errorf("error = %q", err)
	}
}

func TestVerifyDetectsFileAdded(t *testing.T) {
	for _, tc := range []struct {
		name string
		add  func(dir string) error
		want []kp
	}{
		{"at-root", func(d string) error { return os.WriteFile(filepath.Join(d, "extra.txt"), []byte("x"), 0o644) },
			[]kp{{Added, "extra.txt"}}},
		{"in-objects", func(d string) error {
			return os.WriteFile(filepath.Join(d, filepath.FromSlash(path.Dir(loginObject())), "forged.json"), []byte("{}"), 0o644)
		}, []kp{{Added, path.Dir(loginObject()) + "/forged.json"}}},
		{"new-object-dir", func(d string) error {
			if err := os.Mkdir(filepath.Join(d, "objects", "sha256", "zz"), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(d, "objects", "sha256", "zz", "a"), nil, 0o644)
		}, []kp{{Added, "objects/sha256/zz"}, {Added, "objects/sha256/zz/a"}}},
		{"empty-dir", func(d string) error { return os.Mkdir(filepath.Join(d, "empty"), 0o755) },
			[]kp{{Added, "empty"}}},
		{"hidden-file", func(d string) error { return os.WriteFile(filepath.Join(d, ".hidden"), nil, 0o644) },
			[]kp{{Added, ".hidden"}}},
		{"hostile-name", func(d string) error {
			return os.WriteFile(filepath.Join(d, "x\nmanifest.json: ok"), nil, 0o644)
		}, []kp{{Added, "x\nmanifest.json: ok"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSample(t)
			if err := tc.add(dir); err != nil {
				t.Fatal(err)
			}
			for _, trusted := range []ed25519.PublicKey{nil, trustedKey()} {
				_, err := Verify(t.Context(), dir, trusted)
				if diff := cmp.Diff(tc.want, kindsAndPaths(problemsOf(t, err))); diff != "" {
					t.Errorf("problems (-want +got):\n%s", diff)
				}
				if n := strings.Count(err.Error(), "\n") + 1; n != len(tc.want) {
					t.Errorf("error has %d lines, want one per problem:\n%s", n, err)
				}
			}
		})
	}
}

func TestVerifyDetectsFileRemoved(t *testing.T) {
	dir := writeSample(t)
	for _, f := range bundleFilesOnDisk(t, dir) {
		t.Run(f, func(t *testing.T) {
			name := filepath.Join(dir, filepath.FromSlash(f))
			data, _ := os.ReadFile(name)
			os.Remove(name)
			defer os.WriteFile(name, data, 0o644)
			want := []kp{{Removed, f}}
			switch f {
			case ManifestFile:
				want = []kp{{Removed, ManifestFile}}
			case PublicKeyFile:
				// With a trusted key manifest.pub is optional.
				if _, err := Verify(t.Context(), dir, trustedKey()); err != nil {
					t.Errorf("trusted key, no manifest.pub: %v", err)
				}
			}
			_, err := Verify(t.Context(), dir, nil)
			if diff := cmp.Diff(want, kindsAndPaths(problemsOf(t, err))); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyDetectsObjectsDirRemoved(t *testing.T) {
	dir := writeSample(t)
	os.RemoveAll(filepath.Join(dir, "objects"))
	_, err := Verify(t.Context(), dir, trustedKey())
	var want []kp
	for _, s := range sampleRun().Targets[0].Scenarios {
		for _, a := range s.Artifacts {
			want = append(want, kp{Removed, objectPath(sha256hex(a.Data))})
		}
	}
	slices.SortFunc(want, func(a, b kp) int { return strings.Compare(a.Path, b.Path) })
	if diff := cmp.Diff(want, kindsAndPaths(problemsOf(t, err))); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestVerifyDetectsManifestResignedWithAnotherKey(t *testing.T) {
	// The attacker edits junit.xml, updates its hash in the manifest, signs
	// with their own key and ships their public key in manifest.pub.
	dir := writeSample(t)
	forged := []byte("<testsuites/>\n")
	os.WriteFile(filepath.Join(dir, JUnitFile), forged, 0o644)
	resign(t, dir, otherKey(), func(m *Manifest) {
		for i := range m.Files {
			if m.Files[i].Path == JUnitFile {
				m.Files[i] = entryFor(JUnitFile, forged)
			}
		}
	})

	_, err := Verify(t.Context(), dir, trustedKey())
	want := []kp{{BadSignature, ManifestFile}, {BadSignature, ManifestFile}, {BadSignature, PublicKeyFile}}
	if diff := cmp.Diff(want, kindsAndPaths(problemsOf(t, err))); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "is not the trusted key "+Fingerprint(trustedKey())) {
		t.Errorf("error does not name the trusted key:\n%s", err)
	}

	// Without a trusted key this attack cannot be detected: that is why
	// `ward evidence verify` takes --pubkey. Keep this documented behaviour.
	m, err := Verify(t.Context(), dir, nil)
	if err != nil {
		t.Fatalf("integrity-only Verify of a consistently re-signed bundle: %v", err)
	}
	if m.KeyFingerprint != Fingerprint(otherKey().Public().(ed25519.PublicKey)) {
		t.Errorf("manifest names key %s", m.KeyFingerprint)
	}
}

func TestVerifyDetectsManifestResignedKeepingPublicKey(t *testing.T) {
	// Re-signed with another key but manifest.pub left alone.
	dir := writeSample(t)
	pub, _ := os.ReadFile(filepath.Join(dir, PublicKeyFile))
	resign(t, dir, otherKey(), nil)
	os.WriteFile(filepath.Join(dir, PublicKeyFile), pub, 0o644)
	for _, trusted := range []ed25519.PublicKey{nil, trustedKey()} {
		_, err := Verify(t.Context(), dir, trusted)
		ps := problemsOf(t, err)
		if ps[0] != (Problem{BadSignature, ManifestFile, "signature does not verify (key " + Fingerprint(trustedKey()) + ")"}) {
			t.Errorf("first problem = %+v", ps[0])
		}
	}
}

func TestVerifyDetectsSwappedPublicKey(t *testing.T) {
	// manifest.pub replaced by another key; manifest and signature untouched.
	dir := writeSample(t)
	other, _ := MarshalPublicKeyPEM(otherKey().Public().(ed25519.PublicKey))
	os.WriteFile(filepath.Join(dir, PublicKeyFile), other, 0o644)
	for _, tc := range []struct {
		name    string
		trusted ed25519.PublicKey
		want    []kp
	}{
		{"bundled-key", nil, []kp{{BadSignature, ManifestFile}, {BadSignature, PublicKeyFile}}},
		{"trusted-key", trustedKey(), []kp{{BadSignature, PublicKeyFile}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(t.Context(), dir, tc.trusted)
			if diff := cmp.Diff(tc.want, kindsAndPaths(problemsOf(t, err))); diff != "" {
				t.Errorf("problems (-want +got):\n%s\n%v", diff, err)
			}
		})
	}
}

func TestVerifyRejectsWrongTrustedKey(t *testing.T) {
	dir := writeSample(t)
	_, err := Verify(t.Context(), dir, otherKey().Public().(ed25519.PublicKey))
	want := []kp{{BadSignature, ManifestFile}, {BadSignature, ManifestFile}, {BadSignature, PublicKeyFile}}
	if diff := cmp.Diff(want, kindsAndPaths(problemsOf(t, err))); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestVerifyDetectsPlantedSymlink(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "outside.txt")
	os.WriteFile(outside, []byte("not evidence"), 0o644)
	for _, tc := range []struct {
		name  string
		plant func(dir string) error
		want  []kp
	}{
		{"at-root-to-outside", func(d string) error { return os.Symlink(outside, filepath.Join(d, "link")) },
			[]kp{{Added, "link"}}},
		{"in-objects-to-sibling", func(d string) error {
			return os.Symlink("../../../results.json", filepath.Join(d, filepath.FromSlash(path.Dir(loginObject())), "link"))
		}, []kp{{Added, path.Dir(loginObject()) + "/link"}}},
		{"dir-symlink", func(d string) error {
			return os.Symlink(filepath.Dir(outside), filepath.Join(d, "objects", "sha256", "s-x"))
		}, []kp{{Added, "objects/sha256/s-x"}}},
		{"replacing-listed-file-with-same-content", func(d string) error {
			// Same bytes, but now a link: a later edit of the target would
			// change the evidence.
			p := filepath.Join(d, "cucumber.json")
			data, _ := os.ReadFile(p)
			os.WriteFile(outside, data, 0o644)
			os.Remove(p)
			return os.Symlink(outside, p)
		}, []kp{{Changed, "cucumber.json"}}},
		{"replacing-object-dir", func(d string) error {
			p := filepath.Join(d, filepath.FromSlash(path.Dir(loginObject())))
			os.RemoveAll(p)
			return os.Symlink(filepath.Dir(outside), p)
		}, []kp{{Added, path.Dir(loginObject())}, {Removed, loginObject()}}},
		{"manifest.sig-as-symlink", func(d string) error {
			p := filepath.Join(d, SignatureFile)
			data, _ := os.ReadFile(p)
			os.WriteFile(outside, data, 0o644)
			os.Remove(p)
			return os.Symlink(outside, p)
		}, []kp{{Malformed, SignatureFile}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSample(t)
			if err := tc.plant(dir); err != nil {
				t.Skip("cannot create symlink:", err)
			}
			_, err := Verify(t.Context(), dir, trustedKey())
			if diff := cmp.Diff(tc.want, kindsAndPaths(problemsOf(t, err))); diff != "" {
				t.Errorf("problems (-want +got):\n%s\n%v", diff, err)
			}
		})
	}
}

func TestVerifyReportsEveryProblem(t *testing.T) {
	dir := writeSample(t)
	os.WriteFile(filepath.Join(dir, JUnitFile), []byte("<testsuites/>\n"), 0o644)
	f := filepath.Join(dir, filepath.FromSlash(loginObject()))
	data, _ := os.ReadFile(f)
	data[0] = '['
	os.WriteFile(f, data, 0o644)
	os.Remove(filepath.Join(dir, "cucumber.json"))
	os.WriteFile(filepath.Join(dir, "zz-extra"), nil, 0o644)
	os.Mkdir(filepath.Join(dir, "aa-dir"), 0o755)

	_, err := Verify(t.Context(), dir, trustedKey())
	ps := problemsOf(t, err)
	orig := sampleRun().Targets[0].Scenarios[1].Artifacts[0].Data
	want := []Problem{
		{Added, "aa-dir", "added (directory not in the manifest)"},
		{Removed, "cucumber.json", "removed (listed in the manifest, 3 bytes)"},
		{Changed, "junit.xml", ""},
		{Changed, loginObject(), "changed (sha256 " + sha256hex(data) + ", manifest says " + sha256hex(orig) + ")"},
		{Added, "zz-extra", "added (not in the manifest)"},
	}
	if diff := cmp.Diff(want, ps, cmp.Comparer(func(a, b Problem) bool {
		return a.Kind == b.Kind && a.Path == b.Path && (a.Detail == "" || b.Detail == "" || a.Detail == b.Detail)
	})); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) || !strings.HasPrefix(lines[2], "junit.xml: changed (size 14, manifest says ") {
		t.Errorf("Error() =\n%s", err)
	}
}

func TestVerifyRejectsUnsafeManifest(t *testing.T) {
	// Each manifest is validly signed by the trusted key: the signer itself
	// (or a bug) must not make Verify read outside the bundle or accept
	// nonsense.
	good := func(m *Manifest) {}
	for _, tc := range []struct {
		name string
		edit func(*Manifest)
		raw  func([]byte) []byte
		want string
	}{
		{"ok/unchanged", good, nil, ""},
		{"fail/dotdot", func(m *Manifest) { m.Files = append(m.Files, entryFor("../outside.txt", nil)) }, nil, `".."`},
		{"fail/dotdot-inside", func(m *Manifest) { m.Files = append(m.Files, entryFor("artifacts/../../x", nil)) }, nil, `".."`},
		{"fail/absolute", func(m *Manifest) { m.Files = append(m.Files, entryFor("/etc/passwd", nil)) }, nil, "absolute"},
		{"fail/not-clean", func(m *Manifest) { m.Files = append(m.Files, entryFor("a//b", nil)) }, nil, "not clean"},
		{"fail/dot", func(m *Manifest) { m.Files = append(m.Files, entryFor(".", nil)) }, nil, "not clean"},
		{"fail/backslash", func(m *Manifest) { m.Files = append(m.Files, entryFor(`..\x`, nil)) }, nil, "backslash"},
		{"fail/lists-signature", func(m *Manifest) { m.Files = append(m.Files, entryFor(SignatureFile, nil)) }, nil, "signature file"},
		{"fail/duplicate", func(m *Manifest) { m.Files = append(m.Files, m.Files[0]) }, nil, "listed twice"},
		{"fail/duplicate-case", func(m *Manifest) { m.Files = append(m.Files, entryFor("JUNIT.xml", nil)) }, nil, "listed twice"},
		{"fail/bad-hex", func(m *Manifest) { m.Files[0].SHA256 = strings.ToUpper(m.Files[0].SHA256) }, nil, "lowercase hex"},
		{"fail/short-hex", func(m *Manifest) { m.Files[0].SHA256 = "abcd" }, nil, "lowercase hex"},
		{"fail/negative-size", func(m *Manifest) { m.Files[0].Size = -1 }, nil, "negative size"},
		{"fail/format", func(m *Manifest) { m.Format = "ward-evidence/2" }, nil, "format"},
		{"fail/no-files", func(m *Manifest) { m.Files = nil }, nil, `no "files"`},
		{"fail/unknown-field", good, func(b []byte) []byte { return append([]byte(`{"extra":1,`), b[1:]...) }, "unknown field"},
		{"fail/trailing-data", good, func(b []byte) []byte { return append(b, "{}"...) }, "trailing data"},
		{"fail/not-json", good, func([]byte) []byte { return []byte("not json") }, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSample(t)
			data, _ := os.ReadFile(filepath.Join(dir, ManifestFile))
			m, _ := parseManifest(data)
			tc.edit(m)
			data, _ = marshalJSON(m)
			if tc.raw != nil {
				data = tc.raw(data)
			}
			signRaw(t, dir, vectorKey(), data)
			_, err := Verify(t.Context(), dir, trustedKey())
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			ps := problemsOf(t, err)
			if diff := cmp.Diff([]kp{{Malformed, ManifestFile}}, kindsAndPaths(ps)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			if !strings.Contains(ps[0].Detail, tc.want) {
				t.Errorf("detail %q does not contain %q", ps[0].Detail, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("problem spans lines: %q", err)
			}
		})
	}
}

func TestVerifyRejectsMalformedSignatureFiles(t *testing.T) {
	sig := func(dir string) []byte { b, _ := os.ReadFile(filepath.Join(dir, SignatureFile)); return b }
	for _, tc := range []struct {
		name    string
		file    string
		content func(dir string) []byte
	}{
		{"sig-empty", SignatureFile, func(string) []byte { return nil }},
		{"sig-no-newline", SignatureFile, func(d string) []byte { return sig(d)[:len(sig(d))-1] }},
		{"sig-crlf", SignatureFile, func(d string) []byte { s := sig(d); return append(s[:len(s)-1], "\r\n"...) }},
		{"sig-raw-bytes", SignatureFile, func(string) []byte { return make([]byte, 64) }},
		{"sig-short", SignatureFile, func(string) []byte { return encodeSignature(make([]byte, 63)) }},
		{"sig-wrapped", SignatureFile, func(d string) []byte { s := sig(d); return append(append(slices.Clone(s[:40]), '\n'), s[40:]...) }},
		{"pub-garbage", PublicKeyFile, func(string) []byte { return []byte("hello\n") }},
		{"pub-private-key", PublicKeyFile, func(string) []byte { b, _ := MarshalPrivateKeyPEM(vectorKey()); return b }},
		{"pub-extra-block", PublicKeyFile, func(string) []byte {
			b, _ := MarshalPublicKeyPEM(trustedKey())
			return append(b, b...)
		}},
		{"pub-trailing-text", PublicKeyFile, func(string) []byte {
			b, _ := MarshalPublicKeyPEM(trustedKey())
			return append(b, "comment\n"...)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSample(t)
			os.WriteFile(filepath.Join(dir, tc.file), tc.content(dir), 0o644)
			for _, trusted := range []ed25519.PublicKey{nil, trustedKey()} {
				_, err := Verify(t.Context(), dir, trusted)
				ps := problemsOf(t, err)
				if ps[0].Kind != Malformed || ps[0].Path != tc.file {
					t.Errorf("trusted=%v: problems %v, want malformed %s first", trusted != nil, kindsAndPaths(ps), tc.file)
				}
			}
		})
	}
}

func TestVerifyNotABundle(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	for _, tc := range []struct {
		name   string
		dir    string
		target error
	}{
		{"missing", filepath.Join(t.TempDir(), "nope"), fs.ErrNotExist},
		{"empty-dir", t.TempDir(), ErrNotBundle},
		{"regular-file", file, ErrNotBundle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(t.Context(), tc.dir, nil)
			if !errors.Is(err, tc.target) {
				t.Fatalf("Verify = %v, want %v", err, tc.target)
			}
			if errors.Is(err, ErrAltered) {
				t.Errorf("Verify = %v matches ErrAltered", err)
			}
			if !strings.Contains(err.Error(), tc.dir) {
				t.Errorf("error %q does not name the directory", err)
			}
		})
	}
	t.Run("manifest-removed-is-altered", func(t *testing.T) {
		dir := writeSample(t)
		os.Remove(filepath.Join(dir, ManifestFile))
		_, err := Verify(t.Context(), dir, nil)
		if diff := cmp.Diff([]kp{{Removed, ManifestFile}}, kindsAndPaths(problemsOf(t, err))); diff != "" {
			t.Error(diff)
		}
	})
}

func TestVerifyCancelledContext(t *testing.T) {
	dir := writeSample(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Verify(ctx, dir, nil)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrAltered) {
		t.Fatalf("Verify = %v, want context.Canceled and not ErrAltered", err)
	}
}

func TestVerifyRejectsBadTrustedKey(t *testing.T) {
	dir := writeSample(t)
	_, err := Verify(t.Context(), dir, make(ed25519.PublicKey, 31))
	if err == nil || errors.Is(err, ErrAltered) {
		t.Fatalf("Verify = %v", err)
	}
}

// loginObject is the bundle path of sampleRun's login-response.json
// artifact (scenario s-mfa-1).
func loginObject() string {
	return objectPath(sha256hex(sampleRun().Targets[0].Scenarios[1].Artifacts[0].Data))
}
