package mds2_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/mds2"
)

// A device may report anything as its identity, and its answers end up in
// reasons: control characters, invalid UTF-8, a formula, 100 KB. The form
// is still made (one bad device never costs the bundle), the workbook
// opens and holds text, never a formula, and the JSON keeps the text.
func TestSupplementOfAHostileDevice(t *testing.T) {
	m := mapping(t)
	run := exampleRun()
	tg := &run.Targets[0]
	hostile := "=HYPERLINK(\"http://evil\")\x00\x01\x1b[31m\xff\xfe" + strings.Repeat("x", 100_000)
	tg.Identity = device.Identity{Manufacturer: hostile, Model: "\x07bell\u2028sep", Serial: "\xc3\x28", Firmware: "@SUM(1)"}
	for i := range tg.Controls {
		tg.Controls[i].Reason = hostile
	}
	fn, err := mds2.Supplement(m, "run\x00id")
	require.NoError(t, err)
	sup, err := fn(3, tg)
	require.NoError(t, err)
	require.Len(t, sup.Files, 2)

	files := map[string][]byte{}
	for _, f := range sup.Files {
		files[f.Name] = f.Data
	}
	var form mds2.Form
	require.NoError(t, json.Unmarshal(files[mds2.BundleJSON], &form))
	require.Len(t, form.Targets, 1)
	assert.Equal(t, 3, form.Targets[0].Index)

	x, err := excelize.OpenReader(bytes.NewReader(files[mds2.BundleXLSX]))
	require.NoError(t, err, "the workbook opens")
	defer x.Close()
	rows, err := x.GetRows(mds2.InfoSheetName)
	require.NoError(t, err)
	for r, row := range rows {
		for c := range row {
			ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
			f, err := x.GetCellFormula(mds2.InfoSheetName, ref)
			require.NoError(t, err)
			assert.Empty(t, f, "cell %s is a formula", ref)
		}
	}
	sheetRows, err := x.GetRows(mds2.SheetName)
	require.NoError(t, err)
	assert.Greater(t, len(sheetRows), len(m.Questions()))
	for _, row := range append(sheetRows, rows...) {
		for _, cell := range row {
			assert.LessOrEqual(t, utf8.RuneCountInString(cell), excelize.TotalCellChars, "over what a spreadsheet cell holds")
		}
	}
	require.Len(t, sup.Tables, 1)
	assert.Len(t, sup.Tables[0].Rows, len(m.Questions()))
}

// The form goes into a real bundle that verifies, whatever the device said.
func TestSupplementInABundle(t *testing.T) {
	m := mapping(t)
	run := exampleRun()
	run.Targets[0].Identity.Manufacturer = "\x1b]0;pwned\x07"
	fn, err := mds2.Supplement(m, run.ID)
	require.NoError(t, err)
	dir, err := evidence.Write(t.Context(), t.TempDir(), run, evidence.WithName("b"), evidence.WithSupplement(fn))
	require.NoError(t, err)
	_, err = evidence.Verify(t.Context(), dir, nil)
	require.NoError(t, err)
}
