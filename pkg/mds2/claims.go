package mds2

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/wardsec/ward/internal/inputlimit"
	"github.com/wardsec/ward/internal/safetext"
)

// Limits on an imported form. A completed MDS2 is a few hundred rows and
// well under a megabyte; these leave room and stop a hostile file (a zip
// bomb, a million rows) before it costs memory.
const (
	MaxFormFile      = 16 << 20 // bytes of the xlsx or CSV file
	maxUnzipped      = 64 << 20 // bytes of all zip entries, uncompressed
	maxZipEntries    = 1000
	maxRows          = 5000
	maxHeaderRow     = 20 // the header must be among the first rows
	maxCell          = 4000
	maxClaimedAnswer = 200
)

// ErrBadForm reports an imported form Ward refuses to read: another
// layout or version, a missing sheet, merged cells, formulas, an unknown
// question id, an unreadable answer. The error names the sheet and cell
// (or the CSV line).
var ErrBadForm = errors.New("mds2: cannot read the form")

// Claim is a vendor's answer to one question.
type Claim struct {
	ID string `json:"id"`
	// Answer is Yes, No, N/A, "See Note", "" (no answer) or, for a
	// question whose answer is text (DOC-1), that text.
	Answer string `json:"answer"`
	Note   string `json:"note,omitempty"`
	// Where is the cell ("MDS2!C12") or CSV line ("line 12") it came from.
	Where string `json:"where"`
}

func badForm(where, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBadForm, where, fmt.Sprintf(format, args...))
}

// header aliases, compared lower-cased with spaces squeezed.
var (
	idHeaders     = []string{"question id", "id", "question #", "question number"}
	answerHeaders = []string{"answer", "response", "yes, no, n/a, or see note", "yes/no/n/a/see note"}
	noteHeaders   = []string{"notes", "note", "note #", "see note", "comments"}
)

func norm(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// columns finds the id, answer and note columns in a header row; -1 when
// absent.
func columns(row []string) (id, answer, note int) {
	id, answer, note = -1, -1, -1
	for i, c := range row {
		n := norm(c)
		switch {
		case id < 0 && slices.Contains(idHeaders, n):
			id = i
		case answer < 0 && slices.Contains(answerHeaders, n):
			answer = i
		case note < 0 && slices.Contains(noteHeaders, n):
			note = i
		}
	}
	return id, answer, note
}

// claimRows turns the rows after the header into claims, checking each
// question id against m. cell names a cell for errors.
func claimRows(rows [][]string, first, idCol, ansCol, noteCol int, m *Mapping, cell func(col, row int) string) ([]Claim, error) {
	var claims []Claim
	seen := map[string]string{}
	get := func(r []string, c int) string {
		if c < 0 || c >= len(r) {
			return ""
		}
		return strings.TrimSpace(r[c])
	}
	for k, r := range rows {
		rowNo := first + k
		id, ans := get(r, idCol), get(r, ansCol)
		for _, c := range []int{idCol, ansCol, noteCol} {
			if len(get(r, c)) > maxCell {
				return nil, badForm(cell(c, rowNo), "cell longer than %d bytes", maxCell)
			}
		}
		switch {
		case id == "" && ans == "":
			continue
		case id == "":
			return nil, badForm(cell(ansCol, rowNo), "an answer (%s) with no question id", safetext.Quote(safetext.Clip(ans, 40)))
		case sectionRe.MatchString(id) && ans == "":
			continue // a section heading
		case !questionRe.MatchString(id):
			if ans == "" {
				continue // a title or instruction row
			}
			return nil, badForm(cell(idCol, rowNo), "%s is not a question id such as AUTH-1", safetext.Quote(safetext.Clip(id, 40)))
		}
		if _, ok := m.Question(id); !ok {
			return nil, badForm(cell(idCol, rowNo), "%s is not a question of %s (a form of another version?)", safetext.Quote(id), m.Standard)
		}
		if prev, dup := seen[id]; dup {
			return nil, badForm(cell(idCol, rowNo), "question %s again (first at %s)", id, prev)
		}
		seen[id] = cell(idCol, rowNo)
		claims = append(claims, Claim{ID: id, Answer: normAnswer(ans), Note: safetext.Clip(get(r, noteCol), maxCell), Where: cell(ansCol, rowNo)})
	}
	if len(claims) == 0 {
		return nil, badForm(cell(idCol, first), "no question rows below the header")
	}
	return claims, nil
}

// normAnswer maps the answer spellings seen on completed forms to Yes,
// No, N/A and See Note; anything else is kept (clipped) as text.
func normAnswer(s string) string {
	switch norm(strings.TrimSuffix(strings.TrimSpace(s), ".")) {
	case "yes", "y":
		return Yes
	case "no", "n":
		return No
	case "n/a", "na", "not applicable":
		return NA
	case "see note", "see notes":
		return "See Note"
	}
	return safetext.Clip(s, maxClaimedAnswer)
}

// ReadClaimsCSV reads a completed form exported as CSV: a header row with
// a "Question ID" and an "Answer" column (optionally "Notes"), then one
// row per question; section heading rows (a section code and no answer)
// are skipped. Any row it cannot read is an error naming its line: there
// is no partial read.
func ReadClaimsCSV(r io.Reader, m *Mapping) ([]Claim, error) {
	data, err := inputlimit.Read(r, "form", MaxFormFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadForm, err)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a spreadsheet's byte-order mark
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var rows [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadForm, err)
		}
		if len(rows) >= maxRows {
			return nil, badForm(fmt.Sprintf("line %d", len(rows)+1), "more than %d rows", maxRows)
		}
		rows = append(rows, rec)
	}
	line := func(_, row int) string { return fmt.Sprintf("line %d", row) }
	for h := 0; h < len(rows) && h < maxHeaderRow; h++ {
		id, ans, note := columns(rows[h])
		if id >= 0 && ans >= 0 {
			return claimRows(rows[h+1:], h+2, id, ans, note, m, line)
		}
	}
	return nil, badForm("CSV", "no header row with a \"Question ID\" and an \"Answer\" column in the first %d lines", maxHeaderRow)
}

// checkZip refuses an xlsx whose zip would unpack to more than Ward reads
// (a zip bomb) before excelize opens it. archive/zip refuses entries that
// unpack to more than they declare, so the declared sizes bound the work.
func checkZip(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%w: not an xlsx workbook (not a zip file): %w", ErrBadForm, err)
	}
	if len(zr.File) > maxZipEntries {
		return fmt.Errorf("%w: the workbook holds %d parts, more than %d", ErrBadForm, len(zr.File), maxZipEntries)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > maxUnzipped {
			return fmt.Errorf("%w: the workbook unpacks to more than %d bytes (a zip bomb?)", ErrBadForm, maxUnzipped)
		}
	}
	return nil
}

// ReadClaimsXLSX reads a completed form from an xlsx workbook: sheet
// "MDS2" with a header row (in its first rows) holding "Question ID" and
// "Answer" (or the NEMA heading "Yes, No, N/A, or See Note") columns.
// Merged cells over a question row in those columns (a merged section
// heading is allowed), formulas instead of values, unknown
// question ids and a missing sheet are errors naming the sheet and cell:
// there is no partial read.
func ReadClaimsXLSX(r io.Reader, m *Mapping) ([]Claim, error) {
	data, err := inputlimit.Read(r, "form", MaxFormFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadForm, err)
	}
	if err := checkZip(data); err != nil {
		return nil, err
	}
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		RawCellValue: true, UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzipped,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadForm, err)
	}
	defer x.Close()
	sheet := ""
	for _, s := range x.GetSheetList() {
		if strings.EqualFold(strings.TrimSpace(s), SheetName) {
			sheet = s
			break
		}
	}
	if sheet == "" {
		names := x.GetSheetList()
		for i, n := range names {
			names[i] = safetext.Quote(safetext.Clip(n, 40))
		}
		return nil, fmt.Errorf("%w: no sheet %q (the workbook has %s); is this the HN 1-2019 form?", ErrBadForm, SheetName, strings.Join(names, ", "))
	}
	qsheet := safetext.Clip(sheet, 40)
	cell := func(col, row int) string {
		if col < 0 {
			col = 0
		}
		ref, _ := excelize.CoordinatesToCellName(col+1, row)
		return qsheet + "!" + ref
	}
	rowsIt, err := x.Rows(sheet)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadForm, err)
	}
	var rows [][]string
	for rowsIt.Next() {
		if len(rows) >= maxRows {
			rowsIt.Close()
			return nil, badForm(qsheet, "more than %d rows", maxRows)
		}
		cols, err := rowsIt.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			rowsIt.Close()
			return nil, fmt.Errorf("%w: %s row %d: %w", ErrBadForm, qsheet, len(rows)+1, err)
		}
		rows = append(rows, cols)
	}
	if err := rowsIt.Close(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadForm, err)
	}
	h := -1
	var idCol, ansCol, noteCol int
	for i := 0; i < len(rows) && i < maxHeaderRow; i++ {
		if idCol, ansCol, noteCol = columns(rows[i]); idCol >= 0 && ansCol >= 0 {
			h = i
			break
		}
	}
	if h < 0 {
		return nil, badForm(qsheet, "no header row with a \"Question ID\" and an \"Answer\" column in the first %d rows (another layout?)", maxHeaderRow)
	}
	// Merged cells would hide which row an answer belongs to. A merge
	// within one heading row (its id cell holds no question id, as the
	// form's section titles do) hides nothing and is allowed.
	merged, err := x.GetMergeCells(sheet)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadForm, err)
	}
	for _, mc := range merged {
		c1, r1, err1 := excelize.CellNameToCoordinates(mc.GetStartAxis())
		c2, r2, err2 := excelize.CellNameToCoordinates(mc.GetEndAxis())
		if err1 != nil || err2 != nil {
			return nil, badForm(qsheet, "unreadable merged range")
		}
		if r2 <= h+1 {
			continue // the header and the titles above it
		}
		covers := false
		for _, c := range []int{idCol, ansCol, noteCol} {
			covers = covers || (c >= 0 && c+1 >= c1 && c+1 <= c2)
		}
		if !covers {
			continue
		}
		heading := r1 == r2 && r1 > h+1 && r1 <= len(rows) && !questionRe.MatchString(strings.TrimSpace(cellAt(rows[r1-1], idCol)))
		if !heading {
			return nil, badForm(qsheet+"!"+mc.GetStartAxis()+":"+mc.GetEndAxis(), "merged cells over a question row; unmerge them so each question has its own id and answer cell")
		}
	}
	// Formulas: the cached value may be stale or absent; a claim must be
	// what the vendor typed.
	for k := h + 1; k < len(rows); k++ {
		for _, c := range []int{idCol, ansCol} {
			ref, _ := excelize.CoordinatesToCellName(c+1, k+1)
			fm, err := x.GetCellFormula(sheet, ref)
			if err != nil {
				return nil, fmt.Errorf("%w: %s!%s: %w", ErrBadForm, qsheet, ref, err)
			}
			if fm != "" {
				return nil, badForm(qsheet+"!"+ref, "a formula instead of a value; paste the values")
			}
		}
	}
	return claimRows(rows[h+1:], h+2, idCol, ansCol, noteCol, m, cell)
}

func cellAt(r []string, c int) string {
	if c < 0 || c >= len(r) {
		return ""
	}
	return r[c]
}
