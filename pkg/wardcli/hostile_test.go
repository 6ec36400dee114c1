package wardcli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/hostiletest"
	"github.com/wardsec/ward/pkg/device"
)

// Two hostile devices and an honest one in one run: one forges summary
// lines and terminal commands through its identity, the other sends a
// 66 MiB model string. The terminal gets only escaped, bounded text, the
// run goes on, and the bundle Ward writes verifies.
func TestHostileDevicesCannotForgeOutputOrBreakTheBundle(t *testing.T) {
	forger := hostiletest.New(t)
	forger.SetIdentity(device.Identity{
		Manufacturer: "Evil\x1b]52;c;Y2FsYw==\x07",               // clipboard write
		Model:        "\r\x1b[2K  42 satisfied, 0 not satisfied", // overwrite the line
		Serial:       "S\u009b1m" + strings.Repeat("9", 2000),    // C1 CSI, over-long
		Firmware:     "1.0\u202e\x1b]0;title\x07",                // bidi override, retitle
	})
	flood := hostiletest.New(t)
	flood.Handle("GET", "/identity", hostiletest.Repeat("application/json", `{"model":"`, 'M', 66<<20, `"}`))

	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--target", forger.Target(), "--target", flood.Target(),
		"--target", "sim://infusion-pump", "--control", "HIPAA-164.312-b", "--out", out)
	all := stdout + stderr
	assert.Equal(t, exitHarness, code, all) // the flooding target is an error
	for _, bad := range []string{"\x1b", "\x07", "\r", "\u009b", "\u202e"} {
		assert.NotContains(t, all, bad, "raw %q reached the terminal", bad)
	}
	assert.Less(t, len(all), 64<<10, "terminal output")
	assert.Contains(t, stdout, `\x1b]52;c;Y2FsYw==\x07`)
	assert.Contains(t, stdout, "[truncated: 256 of 2005 bytes shown]")
	assert.Contains(t, stdout, "too large")
	assert.Contains(t, stdout, "sim://infusion-pump")

	dir := bundleIn(t, out)
	code, vout, verr := ward(t, "evidence", "verify", dir)
	assert.Equal(t, exitOK, code, vout+verr)
}

// The operator's knobs for hostile devices: a bad --allow-host is a usage
// error; --target-timeout makes a slow-drip device an error and the run
// goes on.
func TestHostileDeviceFlags(t *testing.T) {
	code, _, stderr := ward(t, "check", "--allow-host", "user@host", "--out", t.TempDir())
	assert.Equal(t, exitUsage, code, stderr)
	assert.Contains(t, stderr, "--allow-host")

	slow := hostiletest.New(t)
	slow.SetCapabilities("audit-source", "authenticator", "provisioner")
	drip := hostiletest.Drip([]byte(strings.Repeat(" ", 10000)), 100*time.Millisecond)
	slow.Handle("GET", "/audit", drip)
	slow.Handle("POST", "/users", drip)
	slow.Handle("POST", "/login", drip)
	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--target", slow.Target(), "--target", "sim://infusion-pump",
		"--control", "HIPAA-164.312-b", "--target-timeout", "2s", "--out", out)
	assert.Equal(t, exitHarness, code, stdout+stderr)
	assert.Contains(t, stdout, "target deadline exceeded: not finished within 2s")
	assert.Regexp(t, `(?s)sim://infusion-pump.*satisfied\s+HIPAA-164.312-b`, stdout)
	code, _, _ = ward(t, "evidence", "verify", bundleIn(t, out))
	assert.Equal(t, exitOK, code)
}

// A MUD file's free text (a device maker's systeminfo) cannot leave the
// HCL comment import-mud writes it into, nor drive the terminal.
func TestImportMUDEscapesSysteminfo(t *testing.T) {
	b, err := os.ReadFile("../../examples/segment/acme-pump.mud.json")
	require.NoError(t, err)
	evil := strings.Replace(string(b), `"systeminfo": "`, `"systeminfo": "\u001b]0;owned\u0007\r\ncontrol \"X\" {} # `, 1)
	require.NotEqual(t, string(b), evil, "the example has a systeminfo")
	p := filepath.Join(t.TempDir(), "evil.mud.json")
	require.NoError(t, os.WriteFile(p, []byte(evil), 0o644))
	code, stdout, stderr := ward(t, "segment", "import-mud", p)
	require.Equal(t, exitOK, code, stderr)
	assert.NotContains(t, stdout, "\x1b")
	assert.NotContains(t, stdout, "\r")
	assert.NotContains(t, stdout, "\ncontrol \"X\"")
	assert.Contains(t, stdout, `\x1b]0;owned\x07\x0d\x0acontrol "X" {}`)
}
