package wardcli

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/harness"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/steps.md from the step registrations")

// docs/steps.md is generated from the registrations: a step added,
// renamed or removed without regenerating it fails here.
func TestStepsDocIsCurrent(t *testing.T) {
	code, stdout, stderr := ward(t, "steps", "list", "--format", "markdown")
	require.Equal(t, 0, code, stderr)
	p := filepath.Join("..", "..", "docs", "steps.md")
	if *updateDocs {
		require.NoError(t, os.WriteFile(p, []byte(stdout), 0o644))
	}
	want, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, string(want), stdout, "docs/steps.md is stale: go test ./pkg/wardcli -run TestStepsDoc -update")
}

func TestStepsList(t *testing.T) {
	code, stdout, stderr := ward(t, "steps", "list")
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `(?m)^access\s+\d+\s+"<text>" logs in with the correct password$`, stdout)
	assert.Empty(t, stderr, "the embedded features use only defined steps")

	code, stdout, stderr = ward(t, "steps", "list", "--format", "json")
	require.Equal(t, 0, code, stderr)
	var rep harness.StepReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	assert.Greater(t, len(rep.Steps), 100)
	assert.Empty(t, rep.Problems)

	code, _, stderr = ward(t, "steps", "list", "--format", "yaml")
	assert.Equal(t, 2, code, stderr)
}

// A feature whose step no definition matches: lint names it with file and
// line and fails (exit 2), and check refuses to start rather than end in
// a harness error (exit 3).
func TestUndefinedStepIsALintError(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "typo.feature"), []byte(`@HIPAA-164.312-d
Feature: A typo

  Scenario: Misspelt
    Given a clinician account "nurse.jones"
    And "nurse.jones" logs in with the corect password
`), 0o644))
	code, stdout, stderr := ward(t, "controls", "lint", "--features", dir)
	assert.Equal(t, 2, code, stdout)
	assert.Contains(t, stderr, `local/typo.feature:6: Error: Undefined step: scenario "Misspelt": step ""nurse.jones" logs in with the corect password" matches no step definition`)

	code, stdout, stderr = ward(t, "steps", "list", "--features", dir)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "local/typo.feature:6: Error: Undefined step")
	assert.NotEmpty(t, stdout)

	out := t.TempDir()
	code, _, stderr = ward(t, "check", "--out", out, "--features", dir, "--control", "HIPAA-164.312-d")
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, "local/typo.feature:6: Error: Undefined step")
	entries, _ := os.ReadDir(out)
	assert.Empty(t, entries, "no bundle written")
}
