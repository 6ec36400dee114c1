package mds2

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/wardsec/ward/pkg/evidence"
)

// The names of the form's files and table in an evidence bundle.
const (
	BundleJSON  = "mds2.json"
	BundleXLSX  = "mds2.xlsx"
	BundleTable = "mds2"
)

// Supplement returns an evidence.Supplementer that fills the form for each
// target as the bundle stores it (evidence.WithSupplement): the target's
// form as mds2.json (a Form of that one target) and mds2.xlsx beside its
// report page, signed with the bundle, and the form as a table on the
// page. runID is the run's ID, recorded in the files.
func Supplement(m *Mapping, runID string) (evidence.Supplementer, error) {
	if m == nil {
		return nil, errors.New("mds2: Supplement needs a mapping")
	}
	return func(index int, t *evidence.Target) (*evidence.Supplement, error) {
		f := &Form{Schema: SchemaVersion, Form: m.ID, Standard: m.Standard, RunID: runID,
			Targets: []TargetForm{fillTarget(index, t, m)}}
		var js, xl bytes.Buffer
		if err := f.WriteJSON(&js); err != nil {
			return nil, err
		}
		if err := f.WriteXLSX(&xl, 0, m); err != nil {
			return nil, err
		}
		return &evidence.Supplement{
			Files: []evidence.SupplementFile{
				{Name: BundleXLSX, What: "the MDS2 form filled from this device's evidence, in the NEMA workbook's layout", Data: xl.Bytes()},
				{Name: BundleJSON, What: "the MDS2 form filled from this device's evidence, as JSON (" + SchemaVersion + ")", Data: js.Bytes()},
			},
			Tables: []evidence.Table{f.evidenceTable()},
		}, nil
	}, nil
}

// evidenceTable is the form of the first target as a report table.
func (f *Form) evidenceTable() evidence.Table {
	cols, rows := f.Table()
	t := f.Targets[0]
	var yes, no, other int
	for _, a := range t.Answers {
		switch {
		case !a.Answered:
		case a.Answer == Yes:
			yes++
		case a.Answer == No:
			no++
		default:
			other++
		}
	}
	link := -1
	for i, c := range cols {
		if c == "Evidence" {
			link = i
		}
	}
	return evidence.Table{
		ID:    BundleTable,
		Title: "MDS2 form (" + f.Standard + ")",
		Summary: fmt.Sprintf("Ward answered %d of the form's %d questions from this device's evidence (%d Yes, %d No, %d from its reported identity); "+
			"each answer names the controls and artifacts it rests on. The other %d are left for the maker, each with the reason. "+
			"An answer is never Yes from a control that was not satisfied, not applicable or not assessed.",
			t.Answered, len(t.Answers), yes, no, other, len(t.Answers)-t.Answered),
		Files:       []string{BundleXLSX, BundleJSON},
		Columns:     cols,
		Rows:        rows,
		LinkColumns: []int{link},
	}
}
