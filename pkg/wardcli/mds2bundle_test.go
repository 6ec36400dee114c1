package wardcli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/mds2"
)

// bundleForm reads the MDS2 form the bundle at dir holds at rel.
func bundleForm(t *testing.T, dir, rel string) mds2.Form {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	require.NoError(t, err)
	var f mds2.Form
	require.NoError(t, json.Unmarshal(b, &f))
	require.Len(t, f.Targets, 1)
	return f
}

func answerOf(f mds2.Form, id string) mds2.Answer {
	for _, a := range f.Targets[0].Answers {
		if a.ID == id {
			return a
		}
	}
	return mds2.Answer{}
}

// ward check signs the MDS2 form filled from the run into its bundle: the
// workbook and JSON beside report.html, listed in the signed manifest, and
// the form as a section of the report. It is the form 'ward mds2 fill'
// makes from the same bundle.
func TestCheckSignsTheMDS2FormIntoTheBundle(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--out", out)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	bundle := bundleIn(t, out)

	m, err := evidence.Verify(t.Context(), bundle, nil)
	require.NoError(t, err)
	for _, name := range []string{mds2.BundleJSON, mds2.BundleXLSX} {
		assert.True(t, slices.ContainsFunc(m.Files, func(f evidence.FileEntry) bool { return f.Path == name }), "the manifest lists %s", name)
	}
	inBundle := bundleForm(t, bundle, mds2.BundleJSON)
	assert.Equal(t, m.RunID, inBundle.RunID)
	assert.Equal(t, mds2.Yes, answerOf(inBundle, "STCF-1").Answer, "at-rest encryption, measured on the secure simulator")
	assert.Positive(t, inBundle.Targets[0].Answered)

	filled := filepath.Join(t.TempDir(), "form")
	code, _, stderr = ward(t, "mds2", "fill", bundle, "-o", filled, "--format", "json")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, bundleForm(t, filled, "mds2.json"), inBundle, "the bundle's form is what mds2 fill makes of the bundle")

	x, err := excelize.OpenFile(filepath.Join(bundle, mds2.BundleXLSX))
	require.NoError(t, err)
	defer x.Close()
	assert.Equal(t, []string{mds2.SheetName, mds2.InfoSheetName}, x.GetSheetList())

	page, err := os.ReadFile(filepath.Join(bundle, evidence.ReportFile))
	require.NoError(t, err)
	assert.Contains(t, string(page), `<section id="supplement-mds2"`)
	assert.Contains(t, string(page), `<a href="mds2.xlsx"><code>mds2.xlsx</code></a>`)
	assert.Regexp(t, `<tr><th scope="row">STCF-1</th><td>[^<]*</td><td>Yes</td>`, string(page))
	// Every evidence link of the form is an artifact of the bundle.
	links := regexp.MustCompile(`<a href="(objects/sha256/[^"]+)">`).FindAllStringSubmatch(string(page), -1)
	require.NotEmpty(t, links)
	for _, l := range links {
		assert.FileExists(t, filepath.Join(bundle, filepath.FromSlash(l[1])))
	}
}

// In a fleet bundle each device's form is beside its page, and a device
// that stores data in plaintext has its at-rest encryption answer No,
// while the secure one beside it keeps Yes.
func TestCheckFleetBundleHoldsAFormPerDevice(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--out", out, "--target", "sim://infusion-pump", "--target", "sim://infusion-pump?weaken=plaintext-storage")
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	bundle := bundleIn(t, out)
	_, err := evidence.Verify(t.Context(), bundle, nil)
	require.NoError(t, err)

	secure := bundleForm(t, bundle, "targets/0000/"+mds2.BundleJSON)
	weak := bundleForm(t, bundle, "targets/0001/"+mds2.BundleJSON)
	assert.Equal(t, mds2.Yes, answerOf(secure, "STCF-1").Answer)
	assert.Equal(t, mds2.No, answerOf(weak, "STCF-1").Answer)
	assert.Equal(t, 1, weak.Targets[0].Index)
	assert.FileExists(t, filepath.Join(bundle, "targets", "0001", mds2.BundleXLSX))
	assert.NoFileExists(t, filepath.Join(bundle, mds2.BundleJSON), "a fleet has no one form at the root")

	page, err := os.ReadFile(filepath.Join(bundle, "targets", "0001", evidence.ReportFile))
	require.NoError(t, err)
	assert.Contains(t, string(page), `<a href="../../targets/0001/mds2.xlsx">`)
	assert.Regexp(t, `<tr><th scope="row">STCF-1</th><td>[^<]*</td><td>No</td>`, string(page))
}

// A catalogue without an MDS2 mapping gives a bundle without a form, and
// says so.
func TestCheckWithoutAnMDS2Mapping(t *testing.T) {
	cat := t.TempDir()
	entries, err := controls.FS.ReadDir(".")
	require.NoError(t, err)
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".hcl" || e.Name() == "mds2.hcl" {
			continue
		}
		b, err := controls.FS.ReadFile(e.Name())
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(cat, e.Name()), b, 0o644))
	}
	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--out", out, "--controls", cat, "--replace-catalogue", "--control", "HIPAA-164.312-b")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stderr, "no MDS2 mapping")
	assert.NoFileExists(t, filepath.Join(bundleIn(t, out), mds2.BundleJSON))
}
