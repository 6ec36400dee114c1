package wardcli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
)

const siteControls = `framework "acme" {
  name       = "Acme product requirements"
  citation   = "Acme PRD-7"
  tag_prefix = "ACME"
}

control "ACME-AUTH-1" {
  framework   = "acme"
  title       = "Patient data needs a login"
  citations   = ["Acme PRD-7 3.1"]
  status      = "required"
  severity    = "high"
  requirement = "Patient records cannot be read without a session."
  remediation = "Require a session on every record endpoint."
  verification {
    method = "scenario"
  }
}
`

const siteFeature = `@ACME-AUTH-1
Feature: Records need a login

  Scenario: No session, no record
    Given a clinician account "nurse.jones"
    When someone without a session tries to read the record of patient "P-1001"
    Then the device refuses the request as unauthenticated
`

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return dir
}

// --controls and --features add to the embedded catalogue: the site's own
// control is checked beside Ward's, with Ward's steps.
func TestControlsAndFeaturesAddToTheEmbeddedCatalogue(t *testing.T) {
	ctl := writeTree(t, map[string]string{"acme.hcl": siteControls})
	feat := writeTree(t, map[string]string{"pump/auth.feature": siteFeature})

	code, stdout, stderr := ward(t, "controls", "lint", ctl, "--features", feat)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "(embedded controls+="+ctl+" features+="+feat+")")

	code, stdout, stderr = ward(t, "controls", "list", "--controls", ctl, "--features", feat)
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `(?m)^ACME-AUTH-1\s+acme\s+required\s+high\s+1\s`, stdout)
	assert.Regexp(t, `(?m)^HIPAA-164\.312-d\s`, stdout, "the embedded controls are still there")

	out := t.TempDir()
	code, stdout, stderr = ward(t, "check", "--out", out, "--controls", ctl, "--features", feat, "--control", "ACME-AUTH-1,HIPAA-164.312-d")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	run := readRun(t, bundleIn(t, out))
	assert.Equal(t, "satisfied", string(controlIn(t, run, "ACME-AUTH-1").Outcome))
	assert.Equal(t, "satisfied", string(controlIn(t, run, "HIPAA-164.312-d").Outcome))
	var uris []string
	for _, s := range run.Targets[0].Scenarios {
		uris = append(uris, s.URI)
	}
	assert.Contains(t, uris, "local/pump/auth.feature")
	assert.Contains(t, uris, "access/authentication.feature")
}

func TestOverlayRules(t *testing.T) {
	dupControl := writeTree(t, map[string]string{"mine.hcl": `control "HIPAA-164.312-d" {
  framework   = "hipaa-security-rule"
  title       = "Mine"
  citations   = ["45 CFR 164.312(d)"]
  status      = "required"
  severity    = "high"
  requirement = "x"
  remediation = "y"
  verification {
    method = "scenario"
  }
}
`})
	copied := t.TempDir()
	require.NoError(t, os.CopyFS(copied, controls.FS))
	copiedFeatures := t.TempDir()
	require.NoError(t, os.CopyFS(copiedFeatures, features.FS))

	t.Run("an id defined twice names both files", func(t *testing.T) {
		code, _, stderr := ward(t, "controls", "lint", "--controls", dupControl)
		assert.Equal(t, 2, code, stderr)
		assert.Contains(t, stderr, "local/mine.hcl:1")
		assert.Contains(t, stderr, `A control "HIPAA-164.312-d" was already declared at access.hcl:6`)
		assert.Contains(t, stderr, "--replace-catalogue")
	})
	t.Run("a copy of the embedded controls", func(t *testing.T) {
		code, _, stderr := ward(t, "controls", "lint", "--controls", copied)
		assert.Equal(t, 2, code, stderr)
		assert.Contains(t, stderr, "has the same path as the embedded controls file access.hcl")
		assert.Contains(t, stderr, "--replace-catalogue")
	})
	t.Run("a copy of the embedded features", func(t *testing.T) {
		out := t.TempDir()
		code, _, stderr := ward(t, "check", "--out", out, "--features", copiedFeatures)
		assert.Equal(t, 2, code, stderr)
		assert.Contains(t, stderr, "has the same path as the embedded features file")
	})
	t.Run("--replace-catalogue uses the directories alone, as before", func(t *testing.T) {
		code, stdout, stderr := ward(t, "controls", "lint", "--controls", copied, "--features", copiedFeatures, "--replace-catalogue")
		assert.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "(controls="+copied+" features="+copiedFeatures+")")
	})
	t.Run("--replace-catalogue needs a directory", func(t *testing.T) {
		code, _, stderr := ward(t, "controls", "lint", "--replace-catalogue")
		assert.Equal(t, 2, code, stderr)
	})
	t.Run("DIR and --controls both", func(t *testing.T) {
		code, _, stderr := ward(t, "controls", "lint", copied, "--controls", copied)
		assert.Equal(t, 2, code, stderr)
	})
}
