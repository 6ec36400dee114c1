package wardcli

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/evidence"
)

// keyPair writes a fresh signing key and its public key; it returns
// their paths.
func keyPair(t *testing.T) (keyFile, pubFile string) {
	t.Helper()
	dir := t.TempDir()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	kp, err := evidence.MarshalPrivateKeyPEM(priv)
	require.NoError(t, err)
	pp, err := evidence.MarshalPublicKeyPEM(pub)
	require.NoError(t, err)
	keyFile, pubFile = filepath.Join(dir, "key.pem"), filepath.Join(dir, "pub.pem")
	require.NoError(t, os.WriteFile(keyFile, kp, 0o600))
	require.NoError(t, os.WriteFile(pubFile, pp, 0o600))
	return keyFile, pubFile
}

func quickBundle(t *testing.T, target string, extra ...string) string {
	t.Helper()
	out := t.TempDir()
	code, stdout, stderr := ward(t, append([]string{"check", "--out", out, "--target", target, "--control", "HIPAA-164.312-d,HIPAA-164.312-b"}, extra...)...)
	require.Contains(t, []int{0, 1}, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	return bundleIn(t, out)
}

// An edited results.json used to pass the release gate: diff read it
// without verifying ("0 regressed", exit 0) while verify said altered.
// Now diff verifies both bundles first and refuses an altered one, and
// with --pubkey also one signed by another key.
func TestDiffRefusesAlteredBundle(t *testing.T) {
	key, pub := keyPair(t)
	good := quickBundle(t, "sim://infusion-pump", "--sign-key", key)
	bad := quickBundle(t, "sim://infusion-pump?weaken=no-auth", "--sign-key", key)
	code, stdout, _ := ward(t, "evidence", "diff", "--pubkey", pub, good, bad)
	require.Equal(t, 1, code, stdout)
	require.Contains(t, stdout, "REGRESSED HIPAA-164.312-d")

	// The attacker hides the regression in NEW's results.
	res := filepath.Join(bad, "results.json")
	b, err := os.ReadFile(res)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(res, []byte(strings.ReplaceAll(string(b), `"not-satisfied"`, `"satisfied"`)), 0o644))
	code, stdout, stderr := ward(t, "evidence", "diff", good, bad)
	assert.Equal(t, 1, code, stdout)
	assert.Contains(t, stderr, "ALTERED: "+bad)
	assert.NotContains(t, stdout, "0 regressed")

	// A bundle re-signed by someone else is refused under --pubkey.
	other, _ := keyPair(t)
	foreign := quickBundle(t, "sim://infusion-pump", "--sign-key", other)
	code, _, stderr = ward(t, "evidence", "diff", "--pubkey", pub, good, foreign)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "ALTERED: "+foreign)
	code, _, _ = ward(t, "evidence", "diff", "--pubkey", pub, good, good)
	assert.Equal(t, 0, code)
}

// Merging used to accept shards signed by different keys and re-sign a
// forged one with the merging key. Now all inputs must verify under one
// key (--pubkey, else the first input's), and the merged manifest records
// each input's signer.
func TestMergeRequiresOneSigner(t *testing.T) {
	targets := writeFleet(t)
	key, pub := keyPair(t)
	shard := func(s, signKey string) string {
		out := t.TempDir()
		code, _, stderr := ward(t, "check", "--targets", targets, "--shard", s, "--out", out, "--sign-key", signKey,
			"--control", "HIPAA-164.312-b")
		require.Contains(t, []int{0, 1}, code, stderr)
		return bundleIn(t, out)
	}
	s1, s2 := shard("1/2", key), shard("2/2", key)
	forgerKey, _ := keyPair(t)
	forged := shard("2/2", forgerKey)

	for name, args := range map[string][]string{
		"first input's key": {s1, forged},
		"trusted key":       {"--pubkey", pub, s1, forged},
		"forged first":      {forged, s1},
	} {
		code, _, stderr := ward(t, append(append([]string{"evidence", "merge"}, args...), "--out", t.TempDir())...)
		assert.Equal(t, 1, code, name)
		assert.Contains(t, stderr, "signed by", name)
	}

	merged := t.TempDir()
	code, stdout, stderr := ward(t, "evidence", "merge", "--pubkey", pub, s1, s2, "--out", merged)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	m, err := evidence.Verify(t.Context(), bundleIn(t, merged), nil)
	require.NoError(t, err)
	require.Len(t, m.MergedFrom, 2)
	pk, err := evidence.LoadPublicKey(pub)
	require.NoError(t, err)
	for _, src := range m.MergedFrom {
		assert.Equal(t, evidence.Fingerprint(pk), src.KeyFingerprint)
		assert.NotEmpty(t, src.RunID)
		require.NotNil(t, src.Shard)
	}
}
