package mds2

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// The workbook's layout (docs/mds2.md). The question sheet follows the
// NEMA workbook: question id, question, answer, notes; Ward adds the
// basis of each answer in the columns after them, and a sheet "Ward"
// naming the run and the device.
const (
	SheetName     = "MDS2"
	InfoSheetName = "Ward"
)

var sheetColumns = []string{"Question ID", "Question", "Answer", "Notes", "Ward basis", "Controls", "Outcomes", "Evidence"}

// WriteJSON writes the form as indented JSON (schema SchemaVersion).
func (f *Form) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(f)
}

// notes is the Notes cell: the reason, and the mapping's note.
func (a Answer) notes() string {
	n := a.Reason
	if !a.Answered && a.Basis != "manual" {
		n = strings.TrimPrefix(n, "unanswered, for the maker: ")
		n = "For the maker: " + n
	} else if !a.Answered {
		n = "For the maker: Ward cannot answer this from evidence (" + n + ")"
	}
	if a.Note != "" {
		n += ". " + a.Note
	}
	return n
}

func (a Answer) cells() (controls, outcomes, evidence string) {
	var c, o, e []string
	for _, ce := range a.Controls {
		c = append(c, ce.ID)
		out := string(ce.Outcome)
		if out == "" {
			out = "not in run"
		}
		o = append(o, ce.ID+": "+out)
		e = append(e, ce.Artifacts...)
	}
	e = append(e, a.Observed...)
	return strings.Join(c, ", "), strings.Join(o, "; "), strings.Join(e, "\n")
}

// Table returns the form as rows for a report section: one row per
// question and target (the Target column only when the run has more than
// one target). The columns are the question's id and text, the answer, why
// (the reason, or what the maker must supply), each cited control with its
// outcome (one per line), and the evidence: artifact paths and
// observations, one per line. Cells are plain text; the caller escapes
// them for its output.
func (f *Form) Table() (columns []string, rows [][]string) {
	many := len(f.Targets) > 1
	columns = []string{"Question ID", "Question", "Answer", "Why", "Controls", "Evidence"}
	if many {
		columns = append([]string{"Target"}, columns...)
	}
	for _, t := range f.Targets {
		for _, a := range t.Answers {
			_, o, e := a.cells()
			row := []string{a.ID, a.Question, a.Answer, a.notes(), strings.ReplaceAll(o, "; ", "\n"), e}
			if many {
				row = append([]string{t.URI}, row...)
			}
			rows = append(rows, row)
		}
	}
	return columns, rows
}

// WriteXLSX writes target i of the form as a workbook in the layout of
// the NEMA MDS2 workbook (sheet "MDS2": question id, question, answer,
// notes, then Ward's basis), with a sheet "Ward" naming the run and the
// device. Section heading rows carry the section code and title.
func (f *Form) WriteXLSX(w io.Writer, i int, m *Mapping) error {
	if i < 0 || i >= len(f.Targets) {
		return fmt.Errorf("mds2: no target %d", i)
	}
	t := f.Targets[i]
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", SheetName); err != nil {
		return fmt.Errorf("mds2: xlsx: %w", err)
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return fmt.Errorf("mds2: xlsx: %w", err)
	}
	wrap, err := x.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return fmt.Errorf("mds2: xlsx: %w", err)
	}
	sw, err := x.NewStreamWriter(SheetName)
	if err != nil {
		return fmt.Errorf("mds2: xlsx: %w", err)
	}
	for col, width := range []float64{12, 60, 10, 60, 12, 30, 40, 60} {
		if err := sw.SetColWidth(col+1, col+1, width); err != nil {
			return fmt.Errorf("mds2: xlsx: %w", err)
		}
	}
	row := 1
	put := func(style int, vals ...string) error {
		cells := make([]any, len(vals))
		for k, v := range vals {
			cells[k] = excelize.Cell{Value: v, StyleID: style}
		}
		ref, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(ref, cells)
	}
	if err := put(bold, sheetColumns...); err != nil {
		return fmt.Errorf("mds2: xlsx: %w", err)
	}
	titles := map[string]string{}
	if m != nil {
		for _, s := range m.Sections {
			titles[s.Code] = s.Title
		}
	}
	section := ""
	for _, a := range t.Answers {
		if a.Section != section {
			section = a.Section
			if err := put(bold, section, titles[section]); err != nil {
				return fmt.Errorf("mds2: xlsx: %w", err)
			}
		}
		c, o, e := a.cells()
		if err := put(wrap, a.ID, a.Question, a.Answer, a.notes(), a.Basis, c, o, e); err != nil {
			return fmt.Errorf("mds2: xlsx: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("mds2: xlsx: %w", err)
	}
	if _, err := x.NewSheet(InfoSheetName); err != nil {
		return fmt.Errorf("mds2: xlsx: %w", err)
	}
	info := [][2]string{
		{"Form", f.Form}, {"Standard", f.Standard}, {"Schema", f.Schema}, {"Run", f.RunID},
		{"Target", t.URI}, {"Manufacturer", t.Identity.Manufacturer}, {"Model", t.Identity.Model},
		{"Serial", t.Identity.Serial}, {"Firmware", t.Identity.Firmware}, {"UDI", t.Identity.UDI},
		{"Answered from evidence", fmt.Sprintf("%d of %d", t.Answered, len(t.Answers))},
	}
	if t.Error != "" {
		info = append(info, [2]string{"Target error", t.Error})
	}
	for k, kv := range info {
		for c, v := range kv {
			ref, _ := excelize.CoordinatesToCellName(c+1, k+1)
			// SetCellStr never interprets a leading "=" as a formula.
			if err := x.SetCellStr(InfoSheetName, ref, v); err != nil {
				return fmt.Errorf("mds2: xlsx: %w", err)
			}
		}
	}
	if err := x.SetColWidth(InfoSheetName, "A", "B", 30); err != nil {
		return fmt.Errorf("mds2: xlsx: %w", err)
	}
	if _, err := x.WriteTo(w); err != nil {
		return fmt.Errorf("mds2: xlsx: %w", err)
	}
	return nil
}
