package wardcli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/realtool"
	"github.com/wardsec/ward/pkg/update"
	"github.com/wardsec/ward/pkg/update/repo"
)

// sbomDocBlocks returns the fenced blocks of docs/update.md's "Making the
// SBOM" section: the jq command and the hand-written SBOM.
func sbomDocBlocks(t *testing.T) (jq, example string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "update.md"))
	require.NoError(t, err)
	_, sec, ok := strings.Cut(string(b), "### Making the SBOM\n")
	require.True(t, ok, "docs/update.md has a Making the SBOM section")
	sec, _, _ = strings.Cut(sec, "\n## ")
	for _, m := range regexp.MustCompile("(?s)```(sh|json)\n(.*?)```").FindAllStringSubmatch(sec, -1) {
		switch {
		case m[1] == "sh" && strings.HasPrefix(m[2], "jq "):
			jq = m[2]
		case m[1] == "json":
			example = m[2]
		}
	}
	require.NotEmpty(t, jq, "the section shows the jq command")
	require.NotEmpty(t, example, "the section shows an SBOM")
	return jq, example
}

// checkFirmwareSBOM asserts what the 524B-b-3 check reads from an SBOM.
func checkFirmwareSBOM(t *testing.T, b []byte, version string, components int) {
	t.Helper()
	bom, err := update.ParseSBOM(b)
	require.NoError(t, err)
	require.NotNil(t, bom.Metadata)
	require.NotNil(t, bom.Metadata.Component)
	assert.Equal(t, "firmware", string(bom.Metadata.Component.Type))
	assert.Equal(t, version, bom.Metadata.Component.Version)
	require.NotNil(t, bom.Components)
	assert.Len(t, *bom.Components, components)
	require.NotNil(t, bom.Metadata.Component.Properties)
	var ends []string
	for _, p := range *bom.Metadata.Component.Properties {
		if p.Name == repo.SupportEndProperty {
			ends = append(ends, p.Value)
		}
	}
	assert.Equal(t, []string{"2031-12-31"}, ends, "one end of support, the one given")
}

// The SBOMs docs/update.md tells makers to write are accepted: the
// hand-written example and a generator's output after the documented jq
// command go through `ward update repo add` without the no-SBOM warning,
// and `ward update verify` (which requires an SBOM) passes the image.
func TestDocumentedSBOMIsAccepted(t *testing.T) {
	jqCmd, example := sbomDocBlocks(t)
	checkFirmwareSBOM(t, []byte(example), "1.5.0", 1)

	// A generator's output as Syft writes it for a directory: the
	// metadata component is what was scanned, with no end of support
	// (and a stale date the command must replace, not duplicate).
	gen := `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,
  "metadata":{"component":{"bom-ref":"af63","type":"file","name":"build/rootfs",
    "properties":[{"name":"ward:support-end","value":"2001-01-01"},{"name":"syft:x","value":"y"}]}},
  "components":[{"type":"library","name":"busybox","version":"1.36.1","bom-ref":"b1"},
    {"type":"library","name":"openssl","version":"3.0.13","bom-ref":"b2"}]}`
	withJQ := ""
	t.Run("jq", func(t *testing.T) {
		realtool.Need(t, "jq", "jq")
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "gen.cdx.json"), []byte(gen), 0o600))
		// The documented lines, less the repo add that follows (run below).
		script, _, _ := strings.Cut(jqCmd, "\nward update repo add")
		cmd := exec.Command("sh", "-e", "-c", script)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
		b, err := os.ReadFile(filepath.Join(dir, "fw.cdx.json"))
		require.NoError(t, err)
		checkFirmwareSBOM(t, b, "1.5.0", 2)
		assert.Contains(t, string(b), `"syft:x"`, "the generator's other properties stay")
		withJQ = string(b)
	})
	require.Contains(t, jqCmd, "ward update repo add --dir repo --name pump/fw-1.5.0.bin --file fw.bin --version 5 --hardware SIM-IP-100 --sbom fw.cdx.json")

	d := t.TempDir()
	rdir := filepath.Join(d, "repo")
	code, _, stderr := ward(t, "update", "repo", "init", "--dir", rdir)
	require.Equal(t, 0, code, stderr)
	sboms := map[string]string{"pump/fw-1.5.0.bin": example}
	if withJQ != "" {
		sboms["pump/fw-1.5.1.bin"] = withJQ
	}
	for name, sbom := range sboms {
		fw, sp := filepath.Join(d, "fw.bin"), filepath.Join(d, "fw.cdx.json")
		require.NoError(t, os.WriteFile(fw, []byte("firmware "+name), 0o600))
		require.NoError(t, os.WriteFile(sp, []byte(sbom), 0o600))
		code, _, stderr := ward(t, "update", "repo", "add", "--dir", rdir, "--name", name, "--file", fw,
			"--version", "5", "--hardware", "SIM-IP-100", "--sbom", sp)
		require.Equal(t, 0, code, stderr)
		assert.NotContains(t, stderr, "warning", name)
	}
	url := serveRepo(t, rdir)
	root := filepath.Join(rdir, "metadata", "1.root.json")
	for name := range sboms {
		code, stdout, stderr := ward(t, "update", "verify", "--root", root, "--repo", url, "--target", name,
			"--out", filepath.Join(d, "out.bin"), "--hardware", "SIM-IP-100")
		require.Equal(t, 0, code, "%s: %s", name, stderr)
		assert.Contains(t, stdout, "SBOM", name)
	}
}
