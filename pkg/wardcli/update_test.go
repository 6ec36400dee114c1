package wardcli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/update/repo"
)

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveRepo runs 'ward update repo serve' until the test ends and returns
// the metadata URL it printed.
func serveRepo(t *testing.T, dir string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"update", "repo", "serve", "--dir", dir, "--listen", "127.0.0.1:0"}, &out, &errb)
	}()
	t.Cleanup(func() {
		cancel()
		assert.Equal(t, 0, <-done, errb.String())
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if s := out.String(); strings.Contains(s, "\n") {
			return strings.Fields(s)[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("serve printed no URL: %q %q", out.String(), errb.String())
	return ""
}

func addFirmware(t *testing.T, dir, name string, version int, hw string) []byte {
	t.Helper()
	img := bytes.Repeat([]byte(name), 1000)
	p := filepath.Join(t.TempDir(), "fw.bin")
	require.NoError(t, os.WriteFile(p, img, 0o600))
	bom, err := repo.MakeSBOM(repo.Component{Name: "pump-fw", Version: name})
	require.NoError(t, err)
	sp := filepath.Join(t.TempDir(), "fw.cdx.json")
	require.NoError(t, os.WriteFile(sp, bom, 0o600))
	code, _, stderr := ward(t, "update", "repo", "add", "--dir", dir, "--name", name, "--file", p,
		"--version", strconv.Itoa(version), "--hardware", hw, "--sbom", sp)
	require.Equal(t, 0, code, stderr)
	return img
}

func TestUpdateVerifyCLI(t *testing.T) {
	d := t.TempDir()
	rdir := filepath.Join(d, "repo")
	code, stdout, stderr := ward(t, "update", "repo", "init", "--dir", rdir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "1.root.json")
	code, _, _ = ward(t, "update", "repo", "init", "--dir", rdir)
	assert.Equal(t, 2, code, "init never overwrites a repository")
	root := filepath.Join(rdir, "metadata", "1.root.json")
	img1 := addFirmware(t, rdir, "pump/fw-1.bin", 1, "SIM-IP-100")
	img2 := addFirmware(t, rdir, "pump/fw-2.bin", 2, "SIM-IP-100")
	url := serveRepo(t, rdir)
	state := filepath.Join(d, "state")
	out := func(n string) string { return filepath.Join(d, n) }

	// Verified and written; go-tuf's default targets URL works too.
	code, stdout, stderr = ward(t, "update", "verify", "--root", root, "--repo", strings.TrimSuffix(url, "/metadata"),
		"--target", "pump/fw-2.bin", "--out", out("fw2.bin"), "--state", state, "--hardware", "SIM-IP-100")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "version 2")
	got, _ := os.ReadFile(out("fw2.bin"))
	assert.Equal(t, img2, got)

	// Rollback: version 1 after 2 with the same state.
	code, _, stderr = ward(t, "update", "verify", "--root", root, "--repo", url,
		"--target", "pump/fw-1.bin", "--out", out("fw1.bin"), "--state", state)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "refused (rollback)")
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	assert.NoFileExists(t, out("fw1.bin"))
	// Without the state it verifies (a host tool has no floor).
	code, _, stderr = ward(t, "update", "verify", "--root", root, "--repo", url, "--target", "pump/fw-1.bin", "--out", out("fw1.bin"))
	require.Equal(t, 0, code, stderr)
	got, _ = os.ReadFile(out("fw1.bin"))
	assert.Equal(t, img1, got)

	// Wrong hardware.
	code, _, stderr = ward(t, "update", "verify", "--root", root, "--repo", url, "--target", "pump/fw-2.bin",
		"--out", out("hw.bin"), "--hardware", "SIM-PM-200")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "refused (hardware)")
	assert.NoFileExists(t, out("hw.bin"))

	// A root from another repository: untrusted.
	other := filepath.Join(d, "other")
	code, _, _ = ward(t, "update", "repo", "init", "--dir", other)
	require.Equal(t, 0, code)
	code, _, stderr = ward(t, "update", "verify", "--root", filepath.Join(other, "metadata", "1.root.json"), "--repo", url,
		"--target", "pump/fw-2.bin", "--out", out("evil.bin"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "refused (untrusted)")
	assert.NoFileExists(t, out("evil.bin"))

	// Tampered image, read from a directory (file://), as from a USB stick.
	tp, err := filepath.Glob(filepath.Join(rdir, "targets", "pump", "*.fw-2.bin"))
	require.NoError(t, err)
	require.Len(t, tp, 1)
	b, _ := os.ReadFile(tp[0])
	b[10] ^= 1
	require.NoError(t, os.WriteFile(tp[0], b, 0o644))
	code, _, stderr = ward(t, "update", "verify", "--root", root, "--repo", "file://"+filepath.Join(rdir, "metadata"),
		"--targets-url", "file://"+filepath.Join(rdir, "targets"), "--target", "pump/fw-2.bin", "--out", out("tampered.bin"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "refused (hash-mismatch)")
	assert.NoFileExists(t, out("tampered.bin"))
	left, _ := filepath.Glob(filepath.Join(d, ".*tmp*"))
	assert.Empty(t, left, "no temp files left at --out's directory")
}

func TestUpdateRepoRotateAndSign(t *testing.T) {
	d := t.TempDir()
	rdir := filepath.Join(d, "repo")
	require.Equal(t, 0, func() int { c, _, _ := ward(t, "update", "repo", "init", "--dir", rdir); return c }())
	root := filepath.Join(rdir, "metadata", "1.root.json")
	oldKeys, _ := filepath.Glob(filepath.Join(rdir, "keys", "targets-*.pem"))
	oldKey, _ := os.ReadFile(oldKeys[0])
	code, stdout, stderr := ward(t, "update", "repo", "sign", "--dir", rdir, "--rotate", "targets")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "root 2")
	newKeys, _ := filepath.Glob(filepath.Join(rdir, "keys", "targets-*.pem"))
	require.Len(t, newKeys, 1)
	newKey, _ := os.ReadFile(newKeys[0])
	assert.NotEqual(t, oldKey, newKey, "the targets key was replaced")
	addFirmware(t, rdir, "pump/fw-3.bin", 3, "SIM-IP-100")
	code, _, stderr = ward(t, "update", "repo", "sign", "--dir", rdir)
	require.Equal(t, 0, code, stderr)
	url := serveRepo(t, rdir)
	// A device holding root v1 follows the rotation.
	code, _, stderr = ward(t, "update", "verify", "--root", root, "--repo", url, "--target", "pump/fw-3.bin",
		"--out", filepath.Join(d, "fw3.bin"), "--state", filepath.Join(d, "state"))
	require.Equal(t, 0, code, stderr)
	trusted, err := os.ReadFile(filepath.Join(d, "state", "metadata", "root.json"))
	require.NoError(t, err)
	assert.Contains(t, string(trusted), `"version": 2`)
}

func TestUpdateVerifyUsage(t *testing.T) {
	for _, args := range [][]string{
		{"update", "verify"},
		{"update", "verify", "--root", "r.json", "--repo", "http://x", "--target", "t"},
		{"update", "verify", "--root", "/nonexistent/root.json", "--repo", "http://x", "--target", "t", "--out", "o"},
		{"update", "repo", "add", "--dir", "x"},
		{"update", "repo", "serve"},
	} {
		code, _, stderr := ward(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
	}
}
