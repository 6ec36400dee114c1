package evidence

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A control that could not be checked is never counted as covered: not
// applicable, not assessed and error all lower the percentage.
func TestCoverageOf(t *testing.T) {
	cs := []Control{
		{ID: "A1", Framework: "a", Outcome: Satisfied},
		{ID: "A2", Framework: "a", Outcome: NotSatisfied},
		{ID: "A3", Framework: "a", Outcome: Waived},
		{ID: "A4", Framework: "a", Outcome: NotApplicable},
		{ID: "B1", Framework: "b", Outcome: NotAssessed},
		{ID: "B2", Framework: "b", Outcome: Error},
		{ID: "B3", Framework: "b", Outcome: NotApplicable},
	}
	got := CoverageOf(cs)
	assert.Equal(t, []Coverage{
		{Framework: "a", Total: 4, Assessed: 3, NotApplicable: 1},
		{Framework: "b", Total: 3, NotApplicable: 1, NotAssessed: 2},
		{Framework: "all", Total: 7, Assessed: 3, NotApplicable: 2, NotAssessed: 2},
	}, got)
	assert.Equal(t, 75, got[0].Percent())
	assert.Equal(t, 0, got[1].Percent())
	assert.Equal(t, "all: 3 of 7 assessed (42%); 5 applicable, 2 not applicable, 2 not assessed", got[2].String())
	one := CoverageOf(cs[:1])
	assert.Len(t, one, 1, "no \"all\" line for one framework")
	assert.Equal(t, 0, Coverage{}.Percent())
}

// A file swapped between verification and reading is caught: every byte
// ReadVerifiedRun uses is checked against the verified manifest.
func TestReadVerifiedRunChecksWhatItReads(t *testing.T) {
	dir := writeVectorBundle(t, t.TempDir())
	run, m, err := ReadVerifiedRun(t.Context(), dir, nil)
	require.NoError(t, err)
	require.NotEmpty(t, run.Targets)

	res := filepath.Join(dir, ResultsFile)
	orig, err := os.ReadFile(res)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(res, append(orig, ' '), 0o644)) // after Verify
	_, err = readListed(dir, m)
	require.ErrorIs(t, err, ErrAltered)
	assert.Contains(t, err.Error(), "results.json changed after it was verified")
	_, _, err = ReadVerifiedRun(t.Context(), dir, nil)
	require.ErrorIs(t, err, ErrAltered)
}
