package wardcli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/evidence"
)

func waiverFile(t *testing.T, expires string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "w.hcl")
	require.NoError(t, os.WriteFile(p, []byte(`waiver "W-NOAUTH" {
  control       = "HIPAA-164.312-d"
  targets       = ["sim://infusion-pump*"]
  justification = "Legacy pump kept on an isolated VLAN until its replacement"
  approver      = "Jane Roe, CISO"
  expires       = "`+expires+`"
  ticket        = "https://tracker.example/SEC-12"
}
`), 0o644))
	return p
}

func readRun(t *testing.T, dir string) evidence.Run {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	require.NoError(t, err)
	var run evidence.Run
	require.NoError(t, json.Unmarshal(b, &run))
	return run
}

func controlIn(t *testing.T, run evidence.Run, id string) evidence.Control {
	t.Helper()
	for _, c := range run.Targets[0].Controls {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no control %s", id)
	return evidence.Control{}
}

func TestCheckWaiverWaivesFailedControl(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--out", out, "--target", "sim://infusion-pump?weaken=no-auth", "--waivers", waiverFile(t, "2999-12-31"))
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "WAIVED HIPAA-164.312-d")
	assert.Contains(t, stdout, "1 waived")
	dir := bundleIn(t, out)
	c := controlIn(t, readRun(t, dir), "HIPAA-164.312-d")
	assert.Equal(t, evidence.Waived, c.Outcome)
	require.NotNil(t, c.Waiver)
	assert.Equal(t, evidence.WaiverInfo{ID: "W-NOAUTH", Justification: "Legacy pump kept on an isolated VLAN until its replacement",
		Approver: "Jane Roe, CISO", Expires: "2999-12-31", Ticket: "https://tracker.example/SEC-12", Applied: true}, *c.Waiver)

	for _, f := range []string{"junit.xml", "report.html"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Contains(t, string(b), "isolated VLAN", f)
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "Waiver <code>W-NOAUTH</code> applied: approved by Jane Roe, CISO, expires 2999-12-31, ticket <code>https://tracker.example/SEC-12</code>")
	b, err = os.ReadFile(filepath.Join(dir, "assessment-results.json"))
	require.NoError(t, err)
	for _, want := range []string{`"waiver-id"`, `"W-NOAUTH"`, `"waiver-approver"`, `"waiver-expires"`, `"2999-12-31"`} {
		assert.Contains(t, string(b), want)
	}
	code, stdout, stderr = ward(t, "evidence", "verify", dir)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
}

func TestCheckExpiredWaiverIsIgnored(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--out", out, "--target", "sim://infusion-pump?weaken=no-auth", "--waivers", waiverFile(t, "2020-01-31"))
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "waiver W-NOAUTH expired on 2020-01-31")
	assert.Contains(t, stderr, "ward: warning: waiver W-NOAUTH (HIPAA-164.312-d) expired on 2020-01-31 and was ignored")
	c := controlIn(t, readRun(t, bundleIn(t, out)), "HIPAA-164.312-d")
	assert.Equal(t, evidence.NotSatisfied, c.Outcome)
	require.NotNil(t, c.Waiver)
	assert.False(t, c.Waiver.Applied)
}

func TestCheckMalformedWaiverIsUsageError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.hcl")
	require.NoError(t, os.WriteFile(p, []byte("waiver \"W\" {\n  control = \"HIPAA-164.312-d\"\n  approver = \"a\"\n  expires = \"soon\"\n}\n"), 0o644))
	out := t.TempDir()
	code, _, stderr := ward(t, "check", "--out", out, "--waivers", p)
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, p+":4:")
	assert.Contains(t, stderr, "Invalid date")
	assert.Contains(t, stderr, "justification")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	assert.True(t, strings.HasPrefix(lines[len(lines)-1], "ward: "), stderr)
	entries, _ := os.ReadDir(out)
	assert.Empty(t, entries, "no bundle written")
}

func TestCheckUnmatchedWaiverIsFlagged(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--out", out, "--target", "sim://infusion-pump?weaken=no-auth", "--control", "HIPAA-164.312-b", "--waivers", waiverFile(t, "2999-12-31"))
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stderr, "ward: warning: waiver W-NOAUTH (HIPAA-164.312-d) matched no control checked on these targets")
}
