package wardcli

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/evidence"
)

const emergencyControl = "HIPAA-164.308-a-7-ii-C"

func planAttestation(t *testing.T) (path string, plan []byte) {
	t.Helper()
	dir := t.TempDir()
	plan = []byte("%PDF-1.4 emergency mode operation plan")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plan.pdf"), plan, 0o644))
	now := time.Now().UTC()
	path = filepath.Join(dir, "plan.hcl")
	require.NoError(t, os.WriteFile(path, []byte(`attestation "A-EMERG" {
  control     = "`+emergencyControl+`"
  attested_by = "Dana Okafor, Clinical Engineering"
  date        = "`+now.AddDate(0, 0, -10).Format("2006-01-02")+`"
  expires     = "`+now.AddDate(0, 6, 0).Format("2006-01-02")+`"
  evidence    = ["plan.pdf"]
  targets     = ["*"]
}
`), 0o644))
	return path, plan
}

// Emergency mode operation is verified two ways: passing scenarios alone
// never satisfy it, an attested plan alone never does either, and the plan
// document is hashed into the bundle.
func TestEmergencyModeNeedsItsPlan(t *testing.T) {
	t.Run("no attestation: not assessed though the scenarios pass", func(t *testing.T) {
		out := t.TempDir()
		code, stdout, stderr := ward(t, "check", "--out", out, "--control", emergencyControl)
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		assert.Regexp(t, `not-assessed +`+emergencyControl, stdout)
		c := controlIn(t, readRun(t, bundleIn(t, out)), emergencyControl)
		assert.Equal(t, evidence.NotAssessed, c.Outcome)
		assert.Contains(t, c.Reason, "all 10 scenarios passed; the written plan is verified by attestation, and no attestation covers this target")
		assert.Nil(t, c.Attestation)
		// A gate that wants it assessed fails the run.
		code, stdout, stderr = ward(t, "check", "--out", t.TempDir(), "--control", emergencyControl, "--fail-on", "not-assessed")
		assert.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	})

	att, plan := planAttestation(t)
	t.Run("attested and behaving: satisfied, plan hashed into the bundle", func(t *testing.T) {
		out := t.TempDir()
		code, stdout, stderr := ward(t, "check", "--out", out, "--control", emergencyControl, "--attestations", att)
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		dir := bundleIn(t, out)
		c := controlIn(t, readRun(t, dir), emergencyControl)
		assert.Equal(t, evidence.Satisfied, c.Outcome)
		assert.Contains(t, c.Reason, "all 10 scenarios passed; written plan attested by Dana Okafor")
		require.NotNil(t, c.Attestation)
		require.Len(t, c.Attestation.Evidence, 1)
		sum := sha256.Sum256(plan)
		assert.Equal(t, hex.EncodeToString(sum[:]), c.Attestation.Evidence[0].SHA256)
		b, err := os.ReadFile(filepath.Join(dir, "attestations", "A-EMERG", "plan.pdf"))
		require.NoError(t, err)
		assert.Equal(t, plan, b)
		code, stdout, stderr = ward(t, "evidence", "verify", dir)
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	})

	for _, weak := range []string{"unsafe-fallback", "outage-stops-therapy", "lost-outage-logs"} {
		t.Run("attested but "+weak+": not satisfied", func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := ward(t, "check", "--out", out, "--control", emergencyControl, "--attestations", att,
				"--target", "sim://infusion-pump?weaken="+weak)
			require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			c := controlIn(t, readRun(t, bundleIn(t, out)), emergencyControl)
			assert.Equal(t, evidence.NotSatisfied, c.Outcome)
			assert.Contains(t, c.Reason, "scenarios failed")
			require.NotNil(t, c.Attestation, "the plan is still recorded")
		})
	}
}
