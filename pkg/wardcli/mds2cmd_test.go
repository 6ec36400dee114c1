package wardcli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// A maker fills the MDS2 from a verified bundle of the secure simulator,
// and a hospital checks that form against a device that stores data in
// plaintext: the at-rest encryption claim is contradicted, exit 1.
func TestMDS2FillThenCheckPlaintextStorage(t *testing.T) {
	evDir := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--out", evDir)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	bundle := bundleIn(t, evDir)

	out := filepath.Join(t.TempDir(), "form")
	code, stdout, stderr = ward(t, "mds2", "fill", bundle, "-o", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "sim://infusion-pump: ")
	assert.Contains(t, stdout, "questions answered from evidence")

	var form struct {
		Schema  string `json:"schema"`
		Targets []struct {
			Answers []struct{ ID, Answer string } `json:"answers"`
		} `json:"targets"`
	}
	b, err := os.ReadFile(filepath.Join(out, "mds2.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &form))
	assert.Equal(t, "ward-mds2/1", form.Schema)
	require.Len(t, form.Targets, 1)
	x, err := excelize.OpenFile(filepath.Join(out, "mds2.xlsx"))
	require.NoError(t, err)
	defer x.Close()
	assert.Equal(t, []string{"MDS2", "Ward"}, x.GetSheetList())

	// Writing the form into the bundle would break its signature.
	code, _, stderr = ward(t, "mds2", "fill", bundle, "-o", filepath.Join(bundle, "mds2"))
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "inside the bundle")

	// The bundle still verifies: fill wrote nothing into it.
	code, _, _ = ward(t, "evidence", "verify", bundle)
	assert.Equal(t, 0, code)

	code, stdout, stderr = ward(t, "mds2", "check", "--form", filepath.Join(out, "mds2.xlsx"), "--target", "sim://infusion-pump?weaken=plaintext-storage")
	assert.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Regexp(t, `CONTRADICTED STCF-1 +claimed Yes +MDS2!C\d+: claimed Yes, measured No: not satisfied: HIPAA-164.312-a-2-iv`, stdout)

	// The same form against the bundle it came from: nothing contradicted.
	code, stdout, _ = ward(t, "mds2", "check", "--form", filepath.Join(out, "mds2.xlsx"), bundle)
	assert.Equal(t, 0, code, stdout)
	assert.Contains(t, stdout, " 0 contradicted")

	code, stdout, _ = ward(t, "mds2", "check", "--form", filepath.Join(out, "mds2.xlsx"), "--format", "json", bundle)
	assert.Equal(t, 0, code, stdout)
	var cmps []struct {
		Target       string
		Contradicted []any
		Confirmed    []struct{ ID, Claimed, Measured string }
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &cmps))
	require.Len(t, cmps, 1)
	assert.Empty(t, cmps[0].Contradicted)
	assert.NotEmpty(t, cmps[0].Confirmed)
}

// An altered bundle is refused before anything is written.
func TestMDS2FillRefusesAnAlteredBundle(t *testing.T) {
	evDir := t.TempDir()
	code, _, stderr := ward(t, "check", "--out", evDir, "--control", "HIPAA-164.312-a-2-iii")
	require.Equal(t, 0, code, stderr)
	bundle := bundleIn(t, evDir)
	results := filepath.Join(bundle, "results.json")
	b, err := os.ReadFile(results)
	require.NoError(t, err)
	b = append(b, ' ')
	require.NoError(t, os.WriteFile(results, b, 0o644))

	out := filepath.Join(t.TempDir(), "form")
	code, _, stderr = ward(t, "mds2", "fill", bundle, "-o", out)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "refusing an unverified bundle")
	assert.Contains(t, stderr, "results.json")
	assert.NoDirExists(t, out)
}

// A form Ward cannot read whole is a usage error naming the cell.
func TestMDS2CheckBadFormNamesTheCell(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "vendor.csv")
	require.NoError(t, os.WriteFile(csv, []byte("Question ID,Answer\nSTCF-1,Yes\nSTCF-9,Yes\n"), 0o644))
	code, _, stderr := ward(t, "mds2", "check", "--form", csv, "--target", "sim://infusion-pump")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `line 3: "STCF-9" is not a question of ANSI/NEMA HN 1-2019`)

	code, _, stderr = ward(t, "mds2", "check", "--form", filepath.Join(dir, "vendor.pdf"), "--target", "sim://infusion-pump")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, ".xlsx or .csv")

	code, _, stderr = ward(t, "mds2", "check", "--form", csv)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "either a BUNDLE or --target")
}

func TestMDS2LintEmbedded(t *testing.T) {
	code, stdout, stderr := ward(t, "mds2", "lint")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "ok: ANSI/NEMA HN 1-2019, 24 sections, 240 questions")
}

// A mapping naming a control the catalogue lacks fails lint with the
// file and line.
func TestMDS2LintUnknownControl(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../controls/mds2.hcl")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mds2.hcl"), src, 0o644))
	for _, f := range []string{"frameworks.hcl", "access.hcl"} {
		b, err := os.ReadFile(filepath.Join("../../controls", f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	code, _, stderr := ward(t, "mds2", "lint", dir)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `mds2.hcl:`)
	assert.Contains(t, stderr, `names control "HIPAA-164.312-a-2-iv", which is not in the catalogue`)
}

// `ward controls lint` checks the MDS2 mapping with the catalogue and
// warns (the mapping changes no verdict); `ward mds2 lint`, which answers
// from it, refuses the same catalogue.
func TestControlsLintChecksTheMDS2Mapping(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "extra-mds2.hcl"),
		[]byte("mds2_form \"mine\" {\n}\n"), 0o644))
	code, _, stderr := ward(t, "controls", "lint", "--controls", dir)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "Warning: More than one MDS2 mapping")

	code, _, stderr = ward(t, "controls", "lint")
	assert.Equal(t, 0, code, stderr)
	assert.NotContains(t, stderr, "MDS2")
}
