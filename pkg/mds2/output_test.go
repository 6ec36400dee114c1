package mds2_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/mds2"
)

// The JSON form carries its schema version and reads back as written.
func TestJSONCarriesSchemaAndRoundTrips(t *testing.T) {
	m := mapping(t)
	f, err := mds2.Fill(exampleRun(), m)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, f.WriteJSON(&b))
	var back mds2.Form
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	assert.Equal(t, *f, back)
	assert.Contains(t, b.String(), `"schema": "ward-mds2/1"`)
}

// Device-supplied text (an identity, a reason) reaches the workbook as
// plain strings: control characters do not break it and a leading "="
// stays text, never a formula.
func TestWorkbookHoldsHostileTextAsText(t *testing.T) {
	m := mapping(t)
	run := exampleRun()
	run.Targets[0].Identity.Manufacturer = "=HYPERLINK(\"http://x\")\x1b[31m\x00"
	run.Targets[0].Controls[0].Reason = "=cmd|' /C calc'!A0 \x00\x07 found"
	f, err := mds2.Fill(run, m)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, f.WriteXLSX(&b, 0, m))
	x, err := excelize.OpenReader(&b)
	require.NoError(t, err)
	defer x.Close()
	rows, err := x.GetRows(mds2.SheetName)
	require.NoError(t, err)
	found := false
	for i, r := range rows {
		for c := 1; c <= 8; c++ {
			ref, _ := excelize.CoordinatesToCellName(c, i+1)
			fm, err := x.GetCellFormula(mds2.SheetName, ref)
			require.NoError(t, err)
			assert.Empty(t, fm, ref)
		}
		if len(r) > 0 && r[0] == "DOC-1" {
			found = true
			assert.NotContains(t, r[2], "\x1b")
			assert.NotContains(t, r[2], "\x00")
		}
	}
	assert.True(t, found)
	_, err = x.GetRows(mds2.InfoSheetName)
	require.NoError(t, err)
	assert.Error(t, f.WriteXLSX(&b, 1, m), "no second target")
}

// With more than one target the table says which row is whose.
func TestTableNamesTheTargetWhenThereAreMany(t *testing.T) {
	m := mapping(t)
	run := exampleRun()
	second := run.Targets[0]
	second.URI = "sim://patient-monitor"
	second.Controls = []evidence.Control{{ID: "HIPAA-164.312-a-2-iv", Outcome: evidence.Satisfied}}
	run.Targets = append(run.Targets, second)
	f, err := mds2.Fill(run, m)
	require.NoError(t, err)
	cols, rows := f.Table()
	assert.Equal(t, "Target", cols[0])
	require.Len(t, rows, 2*len(m.Questions()))
	for _, r := range rows {
		if r[1] == "STCF-1" {
			want := map[string]string{"sim://infusion-pump": "No", "sim://patient-monitor": "Yes"}[r[0]]
			assert.Equal(t, want, r[3], r[0])
		}
	}
}
