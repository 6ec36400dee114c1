package wardcli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/wardsec/ward/internal/sshdtest"
	"github.com/wardsec/ward/pkg/atrest"
)

// sshDevice fills a device root with one patient record, in the clear or
// sealed, and returns a profile naming the record store and its test data.
func sshDevice(t *testing.T, sealed bool) string {
	t.Helper()
	root := t.TempDir()
	rec := []byte(`{"name":"Ada Testpatient","mrn":"MRN-77123456"}`)
	if sealed {
		k, err := atrest.GenerateKey("unit")
		require.NoError(t, err)
		rec, err = atrest.Seal(context.Background(), rec, k)
		require.NoError(t, err)
	}
	for name, data := range map[string][]byte{
		"etc/os-release":        []byte("NAME=Acme\nVERSION_ID=4.2.1\n"),
		"etc/serial":            []byte("AP-1\n"),
		"data/records/P-1.json": rec,
	} {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
	prof, err := json.Marshal(map[string]any{
		"root":      root,
		"identity":  map[string]any{"serial": map[string]string{"file": "etc/serial"}},
		"data":      []string{"data"},
		"test_data": []string{"Ada Testpatient", "MRN-77123456"},
	})
	require.NoError(t, err)
	f := filepath.Join(t.TempDir(), "profile.json")
	require.NoError(t, os.WriteFile(f, prof, 0o600))
	return f
}

// ward check runs the at-rest control over a real SSH connection: the
// plaintext device fails it, the sealed one does not.
func TestCheckOverSSH(t *testing.T) {
	s := sshdtest.Start(t)
	const id = "HIPAA-164.312-a-2-iv"

	code, stdout, stderr := ward(t, "check", "--out", t.TempDir(), "--control", id, "--target", s.Target("profile="+sshDevice(t, false)))
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Regexp(t, `FAILED\s+`+id, stdout)
	assert.Contains(t, stdout, "lies in the clear")

	code, stdout, stderr = ward(t, "check", "--out", t.TempDir(), "--control", id, "--target", s.Target("profile="+sshDevice(t, true)))
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.NotContains(t, stdout, "FAILED")
	assert.Contains(t, stdout, "AP-1")

	// A wrong host key: the target is in error, with the cause in one line,
	// and the run does not pass.
	wrong := filepath.Join(t.TempDir(), "known_hosts")
	other := sshdtest.Start(t)
	require.NoError(t, os.WriteFile(wrong, []byte(knownhosts.Line([]string{knownhosts.Normalize(s.Addr())}, other.HostKey)+"\n"), 0o600))
	target := strings.Replace(s.Target("profile="+sshDevice(t, true)), "known_hosts="+s.KnownHosts, "known_hosts="+wrong, 1)
	code, stdout, stderr = ward(t, "check", "--out", t.TempDir(), "--control", id, "--target", target)
	assert.Equal(t, 3, code, "a target in error is a harness error, never a pass")
	assert.Contains(t, stdout+stderr, "host key mismatch")

	// No known_hosts at all is a usage error: nothing runs.
	noKH := strings.Replace(s.Target(""), "&known_hosts="+s.KnownHosts, "", 1)
	code, _, stderr = ward(t, "check", "--out", t.TempDir(), "--target", noKH)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "known_hosts")
}
