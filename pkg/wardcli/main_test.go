package wardcli

import (
	"crypto/ed25519"
	"crypto/rand"

	"bytes"
	"context"
	"github.com/wardsec/ward/pkg/evidence"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ward(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// bundleIn returns the single bundle directory written under dir.
func bundleIn(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var found []string
	for _, e := range entries {
		if e.IsDir() {
			found = append(found, filepath.Join(dir, e.Name()))
		}
	}
	require.Len(t, found, 1, "exactly one bundle, no partial leftovers: %v", entries)
	return found[0]
}

// User steps 1 and 3: check the default simulator, exit 0, bundle verifies;
// any change to the bundle makes verify exit 1 naming the file.
func TestCheckDefaultThenVerify(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--out", out)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	for _, want := range []string{"sim://infusion-pump", "satisfied", "HIPAA-164.312-b", "45 CFR 164.312(b)", "FDA-PMC-LOG-2", "evidence:", "signed by: SHA256:"} {
		assert.Contains(t, stdout, want)
	}
	dir := bundleIn(t, out)
	for _, f := range []string{"results.json", "junit.xml", "cucumber.json", "manifest.json", "manifest.sig", "manifest.pub"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}

	code, stdout, _ = ward(t, "evidence", "verify", dir)
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "intact")

	junit := filepath.Join(dir, "junit.xml")
	b, err := os.ReadFile(junit)
	require.NoError(t, err)
	b[len(b)/2] ^= 0x20
	require.NoError(t, os.WriteFile(junit, b, 0o644))
	code, _, stderr = ward(t, "evidence", "verify", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "junit.xml")
}

// User step 2: a weakened simulator fails exactly the controls its
// weakness breaks (audit protection, and the emergency-mode check that
// verifies records against the trail), names each and says why, in one
// line each.
func TestCheckWeakenedNamesFailedControl(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--out", out, "--target", "sim://infusion-pump?weaken=mutable-audit")
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	var failed []string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "FAILED ") {
			failed = append(failed, line)
		}
	}
	require.Len(t, failed, 2, stdout)
	assert.Contains(t, failed[0], "FDA-PMC-LOG-2")
	assert.Contains(t, failed[0], "does not verify")
	assert.Contains(t, failed[1], "HIPAA-164.308-a-7-ii-C")
	bundleIn(t, out) // the evidence of a failing run is written too
}

// Bad input: one clear line on stderr, exit 2, and no bundle left behind.
func TestCheckBadInputIsUsageErrorWithoutBundle(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notDir, []byte("x"), 0o644))
	for name, args := range map[string][]string{
		"unknown scheme":   {"--target", "ftp://pump"},
		"unknown profile":  {"--target", "sim://toaster"},
		"unknown weakness": {"--target", "sim://infusion-pump?weaken=no-such-thing"},
		"missing controls": {"--controls", "/nonexistent/controls"},
		"unknown control":  {"--control", "HIPAA-999"},
		"bad shard":        {"--shard", "3/2"},
		"unwritable out":   {"--out", filepath.Join(notDir, "sub")},
		"unknown tag":      {"--features", unknownTagFeatures(t)},
	} {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			a := append([]string{"check", "--out", out}, args...)
			code, _, stderr := ward(t, a...)
			assert.Equal(t, 2, code, stderr)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			assert.True(t, strings.HasPrefix(lines[len(lines)-1], "ward: "), stderr)
			entries, _ := os.ReadDir(out)
			assert.Empty(t, entries, "no bundle written")
		})
	}
}

// User step 4: lint on a broken HCL file prints file, line, column and a
// snippet, and exits 2.
func TestControlsLintBrokenHCL(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.hcl"), []byte("control \"X-1\" {\n  title = \n}\n"), 0o644))
	code, _, stderr := ward(t, "controls", "lint", dir)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "bad.hcl:2")
	assert.Contains(t, stderr, "title =")
}

func TestControlsLintAndListEmbedded(t *testing.T) {
	code, stdout, stderr := ward(t, "controls", "lint")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "ok:")

	code, stdout, _ = ward(t, "controls", "list")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "HIPAA-164.312-b")
	assert.Contains(t, stdout, "required")

	code, stdout, _ = ward(t, "controls", "list", "--json", "--framework", "fda-premarket")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "FDA-PMC-LOG-2")
	assert.NotContains(t, stdout, "HIPAA-164.312-b")
}

func TestVerifyNotABundle(t *testing.T) {
	code, _, stderr := ward(t, "evidence", "verify", t.TempDir())
	assert.Equal(t, 2, code, stderr)
	code, _, _ = ward(t, "evidence", "verify")
	assert.Equal(t, 2, code)
}

func TestUnknownCommandIsUsage(t *testing.T) {
	code, _, _ := ward(t, "frobnicate")
	assert.Equal(t, 2, code)
	code, _, _ = ward(t, "check", "--no-such-flag")
	assert.Equal(t, 2, code)
}

func TestVersion(t *testing.T) {
	code, stdout, _ := ward(t, "version")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "fips140:")
}

// Two runs in the same second get two bundles; neither is overwritten.
func TestCheckTwiceKeepsBothBundles(t *testing.T) {
	out := t.TempDir()
	for range 2 {
		code, _, stderr := ward(t, "check", "--out", out, "--control", "HIPAA-164.312-d")
		require.Equal(t, 0, code, stderr)
	}
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Len(t, entries, 2)
}

// A bundle signed with --sign-key verifies under the matching --pubkey and
// fails under another key.
func TestSignKeyAndPubkey(t *testing.T) {
	dir := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	otherPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	write := func(name string, pemBytes []byte, err error) string {
		require.NoError(t, err)
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pemBytes, 0o600))
		return p
	}
	kp, err := evidence.MarshalPrivateKeyPEM(priv)
	keyFile := write("key.pem", kp, err)
	pp, err := evidence.MarshalPublicKeyPEM(pub)
	pubFile := write("pub.pem", pp, err)
	op, err := evidence.MarshalPublicKeyPEM(otherPub)
	otherFile := write("other.pem", op, err)

	out := filepath.Join(dir, "out")
	code, _, stderr := ward(t, "check", "--out", out, "--sign-key", keyFile, "--control", "HIPAA-164.312-b")
	require.Equal(t, 0, code, stderr)
	bundle := bundleIn(t, out)

	code, stdout, _ := ward(t, "evidence", "verify", "--pubkey", pubFile, bundle)
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "trusted key")
	code, _, stderr = ward(t, "evidence", "verify", "--pubkey", otherFile, bundle)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "manifest")

	code, _, _ = ward(t, "check", "--out", out, "--sign-key", pubFile)
	assert.Equal(t, 2, code, "a public key is not a signing key")
}

// unknownTagFeatures is a features directory whose scenario names a control
// the catalogue does not have.
func unknownTagFeatures(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.feature"), []byte("@HIPAA-164.999-z\nFeature: x\n  Scenario: y\n    Given a clinician account \"a\"\n"), 0o644))
	return dir
}

// Two targets in one run: one bundle, both targets' artifacts kept apart,
// and the weakened one's failure named.
func TestCheckTwoTargets(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--out", out, "--target", "sim://infusion-pump?serial=A", "--target", "sim://infusion-pump?serial=B&weaken=no-auth")
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "FAILED HIPAA-164.312-d")
	// Not a terminal: one plain progress line per finished target.
	assert.Contains(t, stderr, "ward: [1/2] sim://infusion-pump?serial=A: ")
	assert.Regexp(t, `ward: \[2/2\] sim://infusion-pump\?serial=B&weaken=no-auth: \d+ scenarios, [1-9]\d* failed`, stderr)
	dir := bundleIn(t, out)
	code, _, stderr = ward(t, "evidence", "verify", dir)
	assert.Equal(t, 0, code, stderr)
	// Each target's artifacts are recorded under its own scenario ids and
	// stored content-addressed; each target has its own page.
	run, err := evidence.ReadRun(dir)
	require.NoError(t, err)
	var t1, t2 int
	for ti, tg := range run.Targets {
		for _, s := range tg.Scenarios {
			for _, a := range s.Artifacts {
				require.True(t, strings.HasPrefix(a.Path, "objects/sha256/"), a.Path)
				switch {
				case ti == 0 && strings.HasPrefix(s.ID, "t1-"):
					t1++
				case ti == 1 && strings.HasPrefix(s.ID, "t2-"):
					t2++
				}
			}
		}
	}
	for _, page := range []string{"targets/0000/report.html", "targets/0001/report.html"} {
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(page)))
		assert.NoError(t, err)
	}
	assert.Positive(t, t1)
	assert.Positive(t, t2)
}
