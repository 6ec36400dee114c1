package wardcli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAtRestRoundTripRewrapAndTamper(t *testing.T) {
	d := t.TempDir()
	p := func(n string) string { return filepath.Join(d, n) }
	secret := []byte("patient Ada Synthetic, heparin 25000 U\n")
	require.NoError(t, os.WriteFile(p("plain"), secret, 0o600))

	for _, k := range []string{"a.key", "b.key"} {
		code, _, stderr := ward(t, "atrest", "keygen", "--out", p(k))
		require.Equal(t, 0, code, stderr)
	}
	code, _, _ := ward(t, "atrest", "keygen", "--out", p("a.key"))
	assert.Equal(t, 2, code, "keygen never overwrites a key")

	code, _, stderr := ward(t, "atrest", "encrypt", "--key", p("a.key"), "--in", p("plain"), "--out", p("sealed"))
	require.Equal(t, 0, code, stderr)
	sealed, err := os.ReadFile(p("sealed"))
	require.NoError(t, err)
	assert.NotContains(t, string(sealed), "Ada Synthetic")

	code, stdout, _ := ward(t, "atrest", "inspect", p("sealed"))
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "key:         a (aes-256-gcm, FIPS 140-3 approved)")

	code, _, stderr = ward(t, "atrest", "decrypt", "--key", p("a.key"), "--in", p("sealed"), "--out", p("out"))
	require.Equal(t, 0, code, stderr)
	got, _ := os.ReadFile(p("out"))
	assert.Equal(t, secret, got)

	code, _, _ = ward(t, "atrest", "decrypt", "--key", p("b.key"), "--in", p("sealed"), "--out", p("out-b"))
	assert.Equal(t, 2, code, "a key the file was not sealed for")
	assert.NoFileExists(t, p("out-b"))

	// Replace key a by key b without re-encrypting.
	code, _, stderr = ward(t, "atrest", "rewrap", p("sealed"), "--key", p("a.key"), "--add-key", p("b.key"), "--remove-key-id", "a")
	require.Equal(t, 0, code, stderr)
	code, _, _ = ward(t, "atrest", "decrypt", "--key", p("a.key"), "--in", p("sealed"), "--out", p("out-a2"))
	assert.Equal(t, 2, code, "the removed key no longer opens the file")
	code, _, stderr = ward(t, "atrest", "decrypt", "--key", p("b.key"), "--in", p("sealed"), "--out", p("out-b2"))
	require.Equal(t, 0, code, stderr)

	// A tampered file: exit 1 and nothing written at --out.
	sealed, _ = os.ReadFile(p("sealed"))
	sealed[len(sealed)-5] ^= 1
	require.NoError(t, os.WriteFile(p("tampered"), sealed, 0o600))
	code, _, stderr = ward(t, "atrest", "decrypt", "--key", p("b.key"), "--in", p("tampered"), "--out", p("never"))
	assert.Equal(t, 1, code, stderr)
	assert.NoFileExists(t, p("never"))
	leftovers, _ := filepath.Glob(p(".never*"))
	assert.Empty(t, leftovers)
}

func TestBackupCreateVerifyRestore(t *testing.T) {
	d := t.TempDir()
	p := func(n string) string { return filepath.Join(d, n) }
	src := p("store")
	require.NoError(t, os.MkdirAll(filepath.Join(src, "patients"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(src, "patients", "P-1001"), []byte("Ada Synthetic"), 0o600))
	code, _, _ := ward(t, "atrest", "keygen", "--out", p("site.key"))
	require.Equal(t, 0, code)

	code, _, stderr := ward(t, "backup", "create", "--dir", src, "--out", p("b.bak"), "--key", p("site.key"))
	require.Equal(t, 0, code, stderr)
	code, stdout, _ := ward(t, "backup", "verify", p("b.bak"), "--key", p("site.key"))
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "intact")

	code, _, stderr = ward(t, "backup", "restore", p("b.bak"), "--dir", p("restored"), "--key", p("site.key"))
	require.Equal(t, 0, code, stderr)
	got, err := os.ReadFile(filepath.Join(p("restored"), "patients", "P-1001"))
	require.NoError(t, err)
	assert.Equal(t, "Ada Synthetic", string(got))

	b, _ := os.ReadFile(p("b.bak"))
	b[len(b)/2] ^= 1
	require.NoError(t, os.WriteFile(p("bad.bak"), b, 0o600))
	code, _, _ = ward(t, "backup", "verify", p("bad.bak"), "--key", p("site.key"))
	assert.Equal(t, 1, code)
	code, _, _ = ward(t, "backup", "restore", p("bad.bak"), "--dir", p("restored"), "--key", p("site.key"))
	assert.Equal(t, 1, code)
	got, _ = os.ReadFile(filepath.Join(p("restored"), "patients", "P-1001"))
	assert.Equal(t, "Ada Synthetic", string(got), "a failed restore leaves the data as it was")

	code, _, _ = ward(t, "backup", "create", "--dir", src, "--out", p("x.bak"))
	assert.Equal(t, 2, code, "no key: no unencrypted backup")
}
