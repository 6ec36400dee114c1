package inventory

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// ImportError says where in an imported file a problem is: the line (1 is
// the first) and, when known, the column (CSV) or key (JSON).
type ImportError struct {
	Line   int
	Column string
	Err    error
}

func (e *ImportError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d, column %q: %v", e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *ImportError) Unwrap() error { return e.Err }

// Is makes every ImportError match ErrInvalid.
func (e *ImportError) Is(t error) bool { return t == ErrInvalid }

// RecordColumns are the CSV columns of records, in the order Ward writes
// them. Lists (software, patches) are separated by ";".
var RecordColumns = []string{"asset_id", "manufacturer", "model", "serial", "udi", "type", "zone", "location", "owner",
	"phi", "firmware", "software", "sbom", "end_of_support", "last_scan", "last_pentest", "patches", "last_seen", "seen_firmware"}

// PatchColumns are the CSV columns of patches.
var PatchColumns = []string{"id", "manufacturer", "model", "released", "criticality", "title"}

const maxCSVRows = 1_000_000

// maxCSV bounds a CSV file's bytes: 200,000 records of a few hundred
// bytes each, twice the devices of the largest health systems.
const maxCSV = 64 << 20

// errCSVTooLarge is what capReader returns past maxCSV.
var errCSVTooLarge = fmt.Errorf("%w: larger than %d bytes", ErrInvalid, maxCSV)

// capReader fails, rather than ending early, once more than left bytes
// were read: a cut-off file must not parse as a shorter valid one.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, errCSVTooLarge
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return 0, errCSVTooLarge
	}
	return n, err
}

// csvRows reads a CSV file whose first row names its columns (any order,
// a subset of known, including every one of required). It calls row with
// each data row's line and a getter by column name.
func csvRows(r io.Reader, known, required []string, row func(line int, get func(string) string) error) error {
	cr := csv.NewReader(&capReader{r: r, left: maxCSV})
	cr.FieldsPerRecord = -1 // ragged rows get our own message, with the line
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return &ImportError{Line: 1, Err: errors.New("empty file: want a header row naming the columns")}
	}
	if err != nil {
		return csvErr(err)
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(known, h) {
			return &ImportError{Line: 1, Column: h, Err: fmt.Errorf("%w: unknown column (known: %s)", ErrInvalid, strings.Join(known, ", "))}
		}
		if _, dup := col[h]; dup {
			return &ImportError{Line: 1, Column: h, Err: fmt.Errorf("%w: column appears twice", ErrInvalid)}
		}
		col[h] = i
	}
	for _, c := range required {
		if _, ok := col[c]; !ok {
			return &ImportError{Line: 1, Column: c, Err: fmt.Errorf("%w: required column missing", ErrInvalid)}
		}
	}
	width := len(head)
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		if n >= maxCSVRows {
			return &ImportError{Line: line, Err: fmt.Errorf("%w: more than %d rows", ErrInvalid, maxCSVRows)}
		}
		if len(rec) != width {
			return &ImportError{Line: line, Err: fmt.Errorf("%w: %d fields, the header has %d", ErrInvalid, len(rec), width)}
		}
		get := func(c string) string {
			i, ok := col[c]
			if !ok {
				return ""
			}
			return strings.TrimSpace(unguard(strings.TrimSpace(rec[i])))
		}
		if err := row(line, get); err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				return &ImportError{Line: line, Column: fe.Field, Err: err}
			}
			return &ImportError{Line: line, Err: err}
		}
	}
}

func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &ImportError{Line: pe.Line, Err: fmt.Errorf("%w: %v", ErrInvalid, pe.Err)}
	}
	return err
}

// guard defuses spreadsheet formula injection: a cell starting with = + -
// @ (or a tab or CR) is run as a formula by spreadsheet programs, so a
// hostile asset name or firmware string could run commands on the biomed's
// workstation when the export is opened. A spreadsheet may also split a
// cell where Ward's CSV did not: opened with ';' as the separator (most
// European locales), "1.4.2;=cmd|' /C calc'!A0" is two cells, the second a
// formula, and quoting cannot prevent it because the quote is then in the
// middle of a field. So every place a cell could start under ',', ';' or
// tab separators (the start, and after each separator-like character, past
// spaces) that holds a trigger or the quote itself gets a "'" first, which
// spreadsheets show as text and unguard removes on import.
func guard(s string) string {
	if !needsGuard(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	start := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if start {
			if c == ' ' {
				b.WriteByte(c)
				continue
			}
			if isTrigger(c) {
				b.WriteByte('\'')
			}
			start = false
		}
		b.WriteByte(c)
		if isSeparator(c) {
			start = true
		}
	}
	return b.String()
}

func needsGuard(s string) bool {
	start := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if start {
			if c == ' ' {
				continue
			}
			if isTrigger(c) {
				return true
			}
			start = false
		}
		if isSeparator(c) {
			start = true
		}
	}
	return false
}

// isTrigger: a cell starting with it is a formula (or the guard quote).
func isTrigger(c byte) bool { return strings.IndexByte("=+-@\t\r'", c) >= 0 }

// isSeparator: a spreadsheet may start a new cell after it.
func isSeparator(c byte) bool { return strings.IndexByte(",;\t\r\n", c) >= 0 }

// unguard undoes guard.
func unguard(s string) string {
	if strings.IndexByte(s, '\'') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if start {
			if c == ' ' {
				b.WriteByte(c)
				continue
			}
			start = false
			if c == '\'' && i+1 < len(s) && isTrigger(s[i+1]) {
				continue // the guard's quote; the next byte is kept as is
			}
		}
		b.WriteByte(c)
		if isSeparator(c) {
			start = true
		}
	}
	return b.String()
}

func guardRow(row []string) []string {
	for i, v := range row {
		row[i] = guard(v)
	}
	return row
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for p := range strings.SplitSeq(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func dateField(get func(string) string, col string) (Date, error) {
	d, err := ParseDate(get(col))
	if err != nil {
		return d, fieldErr(col, "%v", err)
	}
	return d, nil
}

// ReadRecordsCSV reads records from CSV (columns: RecordColumns; asset_id
// and phi are required). Errors are *ImportError with line and column.
func ReadRecordsCSV(r io.Reader) ([]Record, error) {
	var out []Record
	seen := map[string]int{}
	err := csvRows(r, RecordColumns, []string{"asset_id", "phi"}, func(line int, get func(string) string) error {
		rec := Record{
			AssetID: get("asset_id"), Manufacturer: get("manufacturer"), Model: get("model"), Serial: get("serial"),
			UDI: get("udi"), Type: get("type"), Zone: get("zone"), Location: get("location"), Owner: get("owner"),
			PHI: PHI(strings.ToLower(get("phi"))), Firmware: get("firmware"), Software: splitList(get("software")),
			SBOM: get("sbom"), Patches: splitList(get("patches")), SeenFirmware: get("seen_firmware"),
		}
		var err error
		if rec.EndOfSupport, err = dateField(get, "end_of_support"); err != nil {
			return err
		}
		if rec.LastScan, err = dateField(get, "last_scan"); err != nil {
			return err
		}
		if rec.LastPenTest, err = dateField(get, "last_pentest"); err != nil {
			return err
		}
		if s := get("last_seen"); s != "" {
			if rec.LastSeen, err = time.Parse(time.RFC3339, s); err != nil {
				return fieldErr("last_seen", "%q is not an RFC 3339 time", s)
			}
		}
		if err := rec.validate(); err != nil {
			return err
		}
		if first, dup := seen[rec.AssetID]; dup {
			return fieldErr("asset_id", "%q repeats line %d", rec.AssetID, first)
		}
		seen[rec.AssetID] = line
		out = append(out, rec)
		return nil
	})
	return out, err
}

// ReadPatchesCSV reads released patches from CSV (columns: PatchColumns;
// id, model, released and criticality are required).
func ReadPatchesCSV(r io.Reader) ([]Patch, error) {
	var out []Patch
	err := csvRows(r, PatchColumns, []string{"id", "model", "released", "criticality"}, func(_ int, get func(string) string) error {
		p := Patch{ID: get("id"), Manufacturer: get("manufacturer"), Model: get("model"),
			Criticality: Criticality(strings.ToLower(get("criticality"))), Title: get("title")}
		var err error
		if p.Released, err = dateField(get, "released"); err != nil {
			return err
		}
		if err := p.validate(); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// WriteRecordsCSV writes records with every column of RecordColumns.
func WriteRecordsCSV(w io.Writer, recs []Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(RecordColumns); err != nil {
		return err
	}
	for _, r := range recs {
		if err := cw.Write(guardRow(row(r))); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WritePatchesCSV writes patches with every column of PatchColumns.
func WritePatchesCSV(w io.Writer, ps []Patch) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(PatchColumns); err != nil {
		return err
	}
	for _, p := range ps {
		if err := cw.Write(guardRow([]string{p.ID, p.Manufacturer, p.Model, p.Released.String(), string(p.Criticality), p.Title})); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
