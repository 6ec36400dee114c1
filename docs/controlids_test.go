package docs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
)

// controlIDRe matches the shapes of the catalogue's control ids:
// HIPAA-164.312-a-2-iv, NPRM-164.312-h-2, FDA-PMC-AUTHN-1, 524B-b-2.
var controlIDRe = regexp.MustCompile(`\b(?:(?:HIPAA|NPRM)-164\.[0-9]{3}(?:-[A-Za-z0-9]+)+|FDA-PMC-[A-Z]+-[0-9]+|524B-[a-z](?:-[0-9]+)?)\b`)

func catalogue(t *testing.T) *control.Catalogue {
	t.Helper()
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	require.False(t, diags.HasErrors(), "embedded catalogue: %v", diags)
	return cat
}

func markdown(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.md")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		out[f] = string(b)
	}
	return out
}

// Every control id a document names is in the catalogue: an example that
// names a control that does not exist fails for whoever copies it.
func TestDocsNameOnlyCatalogueControls(t *testing.T) {
	cat := catalogue(t)
	found := 0
	for name, text := range markdown(t) {
		for i, line := range strings.Split(text, "\n") {
			for _, id := range controlIDRe.FindAllString(line, -1) {
				found++
				_, ok := cat.Control(id)
				assert.True(t, ok, "%s:%d names control %s, which is not in the catalogue", name, i+1, id)
			}
		}
	}
	assert.Greater(t, found, 50, "the scan found the docs' control ids")
}

// The scan sees ids in prose, tables and code, and only whole ids.
func TestControlIDPattern(t *testing.T) {
	got := controlIDRe.FindAllString("`HIPAA-164.308-a-5` and FDA-PMC-AUTHN-1, 524B-b-2; not AUTHN-1 or HIPAA-164", -1)
	assert.Equal(t, []string{"HIPAA-164.308-a-5", "FDA-PMC-AUTHN-1", "524B-b-2"}, got)
}

// fence matches a fenced hcl block.
var fence = regexp.MustCompile("(?s)```hcl\n(.*?)```")

// Every attestation the docs show loads against the catalogue as written:
// its control exists and is one that takes attestations.
func TestDocsAttestationExamplesLoad(t *testing.T) {
	cat := catalogue(t)
	dir := t.TempDir()
	n := 0
	for name, text := range markdown(t) {
		for _, m := range fence.FindAllStringSubmatch(text, -1) {
			if !strings.Contains(m[1], "attestation \"") {
				continue
			}
			n++
			f := filepath.Join(dir, strings.TrimSuffix(name, ".md")+"-"+fmt.Sprint(n)+".hcl")
			require.NoError(t, os.WriteFile(f, []byte(m[1]), 0o600))
			as, _, diags := control.LoadAttestations([]string{f}, cat)
			assert.False(t, diags.HasErrors(), "%s: attestation example: %v", name, diags)
			assert.NotEmpty(t, as, name)
		}
	}
	assert.Positive(t, n, "the docs show an attestation")
}
