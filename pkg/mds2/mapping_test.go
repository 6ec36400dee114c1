package mds2_test

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/mds2"
)

func catalogue(t testing.TB) *control.Catalogue {
	t.Helper()
	cat, _, diags := control.Load(controls.FS)
	require.False(t, diags.HasErrors(), "%v", diags)
	return cat
}

// The embedded mapping lints clean against the embedded catalogue, covers
// the form's 23 capability groups and holds about 240 questions with
// well-formed, unique ids.
func TestEmbeddedMappingLintsClean(t *testing.T) {
	m, err := mds2.Default()
	require.NoError(t, err)
	assert.Empty(t, m.Lint(catalogue(t)))
	codes := map[string]bool{}
	for _, s := range m.Sections {
		codes[s.Code] = true
	}
	for _, c := range []string{"MPII", "ALOF", "AUDT", "AUTH", "CSUP", "DIDT", "DTBK", "EMRG", "IGAU", "MLDP", "NAUT", "CONN",
		"PAUT", "PLOK", "RDMP", "SBOM", "SAHD", "SGUD", "STCF", "TXCF", "TXIG", "RMOT", "OTHR"} {
		assert.True(t, codes[c], "section %s", c)
	}
	qs := m.Questions()
	assert.GreaterOrEqual(t, len(qs), 230)
	seen := map[string]bool{}
	for _, q := range qs {
		assert.False(t, seen[q.ID], "duplicate %s", q.ID)
		seen[q.ID] = true
		assert.True(t, strings.HasPrefix(q.ID, q.Section+"-"), q.ID)
	}
	q, ok := m.Question("STCF-1")
	require.True(t, ok)
	assert.Equal(t, []string{"HIPAA-164.312-a-2-iv"}, q.Controls)
	assert.Equal(t, mds2.RuleProtection, q.Rule)
}

// The catalogue loader skips the mapping, and the mapping loader skips
// the catalogue's blocks: each reads the same directory.
func TestCatalogueAndMappingShareADirectory(t *testing.T) {
	cat := catalogue(t)
	assert.NotEmpty(t, cat.Controls)
	_, ok := cat.Control("HIPAA-164.312-b")
	assert.True(t, ok)
}

func mapFS(body string) fstest.MapFS {
	return fstest.MapFS{"m.hcl": {Data: []byte(body)}}
}

const okQuestion = `question "AUTH-1" {
      text     = "Login?"
      controls = ["X-1"]
    }`

// Broken mappings are refused with a diagnostic naming the problem.
func TestBadMappingsAreRefused(t *testing.T) {
	wrap := func(qs string) string {
		return "mds2_form \"f\" {\n  standard = \"s\"\n  title = \"t\"\n  section \"AUTH\" {\n    title = \"A\"\n    " + qs + "\n  }\n}\n"
	}
	cases := []struct{ name, src, want string }{
		{"bad id", wrap(`question "AUTH1" {
text = "x"
manual = "y"
}`), "Invalid question id"},
		{"wrong section", wrap(`question "ALOF-1" {
text = "x"
manual = "y"
}`), "wrong section"},
		{"duplicate", wrap(okQuestion + "\n" + okQuestion), "Duplicate question"},
		{"two ways", wrap(`question "AUTH-1" {
text = "x"
manual = "y"
controls = ["X-1"]
}`), "one way"},
		{"no way", wrap(`question "AUTH-1" {
text = "x"
}`), "one way"},
		{"unknown rule", wrap(`question "AUTH-1" {
text = "x"
controls = ["X-1"]
rule = "maybe"
}`), "Unknown rule"},
		{"unknown observation", wrap(`question "AUTH-1" {
text = "x"
observe = "psychic"
}`), "Unknown observation"},
		{"unknown attribute", wrap(`question "AUTH-1" {
text = "x"
manual = "y"
answer = "Yes"
}`), "Unsupported argument"},
		{"no form", `control "X" {}`, "No MDS2 mapping"},
		{"two forms", wrap(okQuestion) + wrap(okQuestion), "More than one"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, diags := mds2.LoadMapping(mapFS(c.src))
			require.True(t, diags.HasErrors())
			assert.Contains(t, diags.Error(), c.want)
		})
	}
}

// Lint names a control the catalogue does not have.
func TestLintNamesUnknownControls(t *testing.T) {
	m, diags := mds2.LoadMapping(mapFS("mds2_form \"f\" {\n standard = \"s\"\n title = \"t\"\n section \"AUTH\" {\n title = \"A\"\n " + okQuestion + "\n }\n}\n"))
	require.False(t, diags.HasErrors(), "%v", diags)
	d := m.Lint(catalogue(t))
	require.Len(t, d, 1)
	assert.Contains(t, d[0].Detail, `"X-1"`)
	assert.Equal(t, "m.hcl", d[0].Subject.Filename)
}

// The embedded mapping asks the form's questions, by the form's ids, in
// the form's order: nothing missing, nothing invented (the AUDT ids were
// once numbered from memory and off by one from AUDT-3 on).
func TestMappingHasTheFormsQuestionIDs(t *testing.T) {
	b, err := os.ReadFile("testdata/hn1-2019-ids.txt")
	require.NoError(t, err)
	var want []string
	for line := range strings.Lines(string(b)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			want = append(want, line)
		}
	}
	var got []string
	for _, q := range mapping(t).Questions() {
		got = append(got, q.ID)
	}
	assert.Equal(t, want, got)
}
