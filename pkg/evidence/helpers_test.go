package evidence

import (
	"crypto/ed25519"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/pkg/device"
)

var update = flag.Bool("update", false, "rewrite golden files, test vectors and fuzz seeds in testdata")

// vectorSeed is the Ed25519 seed of the test-vector key: these 32 ASCII bytes.
const vectorSeed = "ward-evidence/1 test vector seed"

func vectorKey() ed25519.PrivateKey { return ed25519.NewKeyFromSeed([]byte(vectorSeed)) }

func otherKey() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed([]byte("an attacker's key, 32 bytes long"))
}

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// sampleRun is a small run with every outcome, a target that could not be
// opened, and artifacts. Times are fixed so outputs are reproducible.
func sampleRun() *Run {
	pump := device.Identity{Manufacturer: "Acme Medical", Model: "IP-200", Serial: "SN-0042", Firmware: "3.1.4", UDI: "(01)00812345678901"}
	return &Run{
		ID:        "run-2025-03-14-0001",
		Tool:      Tool{Name: "ward", Version: "0.1.0", FIPS: true},
		Catalogue: Catalogue{Digest: strings.Repeat("ab", 32), Source: "embedded", Controls: 5},
		Started:   t0,
		Finished:  t0.Add(90 * time.Second),
		Targets: []Target{
			{
				URI:      "sim://infusion-pump?weaken=no-mfa",
				Identity: pump,
				Started:  t0.Add(time.Second),
				Finished: t0.Add(80 * time.Second),
				Controls: []Control{
					{ID: "HIPAA-164.312(a)(2)(iv)", Framework: "hipaa", Title: "Encryption and decryption", Citations: []string{"45 CFR 164.312(a)(2)(iv)"}, Status: "addressable", Severity: "high", Outcome: Satisfied, Reason: "stored records are sealed", Scenarios: []string{"s-atrest-1"}},
					{ID: "HIPAA-164.312(d)", Framework: "hipaa", Title: "Person or entity authentication", Citations: []string{"45 CFR 164.312(d)"}, Status: "required", Severity: "high", Outcome: NotSatisfied, Reason: `scenario "Privileged login needs two factors" failed at step "Then the login is refused"`, Scenarios: []string{"s-mfa-1", "s-mfa-2"}},
					{ID: "FDA-APPX1-UPDATE", Framework: "fda", Title: "Authenticated updates <& \"quotes\">", Status: "required", Severity: "high", Outcome: NotApplicable, Reason: "target cannot push updates", Scenarios: []string{"s-update-1"}},
					{ID: "HIPAA-164.308(a)(7)", Framework: "hipaa", Title: "Contingency plan", Status: "required", Severity: "medium", Outcome: Waived, Reason: "procedural; attested until 2025-12-31"},
					{ID: "HIPAA-164.312(b)", Framework: "hipaa", Title: "Audit controls", Status: "required", Severity: "high", Outcome: Error, Reason: "step undefined: the audit log is exported", Scenarios: []string{"s-audit-1"}},
				},
				Scenarios: []Scenario{
					{ID: "s-atrest-1", Name: "Stored records are encrypted", Feature: "Encryption at rest", URI: "features/atrest/storage.feature", Line: 7, Tags: []string{"@HIPAA-164.312(a)(2)(iv)"}, Status: ScenarioPassed, Started: t0.Add(2 * time.Second), Duration: 1500 * time.Millisecond,
						Steps: []Step{
							{Keyword: "Given ", Text: "a patient record is stored", Status: "passed"},
							{Keyword: "Then ", Text: "the raw storage holds no plaintext", Status: "passed", Observed: "3 files, 0 plaintext matches"},
						},
						Artifacts: []Artifact{
							{Name: "storage-listing.txt", MediaType: "text/plain", Data: []byte("records/0001.sealed\nrecords/0002.sealed\n")},
							{Name: "dump.bin", MediaType: "application/octet-stream", Data: []byte{0x00, 0x01, 0xfe, 0xff, ']', ']', '>'}},
						}},
					{ID: "s-mfa-1", Name: "Privileged login needs two factors", Feature: "Authentication", URI: "features/mfa/login.feature", Line: 12, Status: ScenarioFailed, Reason: "login succeeded with a password alone", Started: t0.Add(4 * time.Second), Duration: 250 * time.Millisecond,
						Steps: []Step{
							{Keyword: "Given ", Text: `a user "admin" with role "service"`, Status: "passed"},
							{Keyword: "When ", Text: "they log in with only the password", Status: "passed"},
							{Keyword: "Then ", Text: "the login is refused", Status: "failed", Error: "expected ErrDenied, got a session token", Observed: "session token issued"},
						},
						Artifacts: []Artifact{{Name: "login-response.json", MediaType: "application/json", Data: []byte(`{"token":"<redacted>"}` + "\n")}}},
					{ID: "s-mfa-2", Name: "Clinician login with TOTP", Feature: "Authentication", URI: "features/mfa/login.feature", Line: 30, Status: ScenarioPassed, Duration: 100 * time.Millisecond,
						Steps: []Step{{Keyword: "Given ", Text: "a clinician with TOTP", Status: "passed"}}},
					{ID: "s-update-1", Name: "Unsigned updates are refused", Feature: "Updates", URI: "features/update/verify.feature", Line: 5, Status: ScenarioNotApplicable, Reason: "target does not support push update"},
					{ID: "s-audit-1", Name: "Audit log is exported", Feature: "Audit", URI: "features/audit/export.feature", Line: 3, Status: ScenarioError, Reason: "undefined step",
						Steps: []Step{{Keyword: "Given ", Text: "the audit log is exported", Status: "undefined"}}},
				},
			},
			{
				URI:      "https://monitor.example:8443",
				Error:    "dial tcp 192.0.2.10:8443: connect: connection refused",
				Started:  t0.Add(81 * time.Second),
				Finished: t0.Add(82 * time.Second),
				Controls: []Control{
					{ID: "HIPAA-164.312(d)", Framework: "hipaa", Title: "Person or entity authentication", Outcome: Error, Reason: "target could not be opened"},
				},
			},
		},
	}
}

// writeSample writes sampleRun signed with the vector key into a temp dir.
func writeSample(t testing.TB, opts ...WriteOption) string {
	t.Helper()
	opts = append([]WriteOption{WithSigner(vectorKey()), WithFile("cucumber.json", []byte("[]\n"))}, opts...)
	dir, err := Write(t.Context(), t.TempDir(), sampleRun(), opts...)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return dir
}

// bundleFilesOnDisk lists the regular files under dir, slash-separated, sorted.
func bundleFilesOnDisk(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// problemsOf returns the problems in err, failing if err is not a
// *VerifyError matching ErrAltered.
func problemsOf(t testing.TB, err error) []Problem {
	t.Helper()
	if err == nil {
		t.Fatal("Verify succeeded, want ErrAltered")
	}
	if !errors.Is(err, ErrAltered) {
		t.Fatalf("Verify error %v does not match ErrAltered", err)
	}
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("Verify error %v is not a *VerifyError", err)
	}
	if len(ve.Problems) == 0 {
		t.Fatal("VerifyError with no problems")
	}
	return ve.Problems
}

// kp is a problem's kind and path, what tests compare.
type kp struct {
	Kind ProblemKind
	Path string
}

func kindsAndPaths(ps []Problem) []kp {
	out := make([]kp, len(ps))
	for i, p := range ps {
		out[i] = kp{p.Kind, p.Path}
	}
	return out
}

// resign rewrites dir's manifest through edit and signs it with key,
// replacing manifest.pub: what an attacker with their own key would do.
func resign(t testing.TB, dir string, key ed25519.PrivateKey, edit func(*Manifest)) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	m.KeyFingerprint = Fingerprint(key.Public().(ed25519.PublicKey))
	data, err = marshalJSON(m)
	if err != nil {
		t.Fatal(err)
	}
	signRaw(t, dir, key, data)
}

// signRaw writes manifest bytes, their signature under key and key's public
// half into dir.
func signRaw(t testing.TB, dir string, key ed25519.PrivateKey, manifest []byte) {
	t.Helper()
	pub, err := MarshalPublicKeyPEM(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	sig := encodeSignature(ed25519.Sign(key, signedMessage(manifest)))
	for name, data := range map[string][]byte{ManifestFile: manifest, SignatureFile: sig, PublicKeyFile: pub} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// entryFor returns a manifest entry describing data at p.
func entryFor(p string, data []byte) FileEntry {
	return FileEntry{Path: p, SHA256: sha256hex(data), Size: int64(len(data))}
}

func deviceIdentity(s string) device.Identity {
	return device.Identity{Manufacturer: s, Model: s, Serial: s, Firmware: s}
}
