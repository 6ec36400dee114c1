package inventory

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// spreadsheetCells splits one CSV line the way a spreadsheet does when it
// opens a file with sep as separator: a quote opens a quoted field only at
// the start of a field; elsewhere it is an ordinary character.
func spreadsheetCells(line string, sep byte) []string {
	var cells []string
	for i := 0; i <= len(line); {
		var cell strings.Builder
		if i < len(line) && line[i] == '"' {
			i++
			for i < len(line) {
				if line[i] == '"' {
					if i+1 < len(line) && line[i+1] == '"' {
						cell.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				cell.WriteByte(line[i])
				i++
			}
		}
		for i < len(line) && line[i] != sep {
			cell.WriteByte(line[i])
			i++
		}
		cells = append(cells, cell.String())
		i++
	}
	return cells
}

// formula reports whether a spreadsheet would evaluate cell.
func formula(cell string) bool {
	c := strings.TrimLeft(cell, " ")
	return c != "" && strings.ContainsRune("=+-@", rune(c[0]))
}

// Attack: a firmware version that is harmless under ',' but splits into a
// formula under ';' (European locales), and its relatives. No cell of the
// export is a formula under either separator (or tab), and everything
// imports back unchanged.
func TestCSVExportSafeUnderEverySeparator(t *testing.T) {
	recs := []Record{{
		AssetID: "pump-1", PHI: PHINone,
		Firmware: "1.4.2;=cmd|' /C calc'!A0", Location: "ward 3, @SUM(1)", Owner: "bio;  +1+1",
		Model: "ok;-2", Serial: "  =x", Manufacturer: "a;'b", Type: "t\t=HYPERLINK(\"http://x\")",
	}}
	var b bytes.Buffer
	if err := WriteRecordsCSV(&b, recs); err != nil {
		t.Fatal(err)
	}
	for _, sep := range []byte{',', ';', '\t'} {
		for _, line := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n")[1:] {
			for _, cell := range spreadsheetCells(strings.TrimRight(line, "\r"), sep) {
				if formula(cell) {
					t.Errorf("separator %q: cell %q is a formula", sep, cell)
				}
			}
		}
	}
	back, err := ReadRecordsCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 1 || back[0].Firmware != recs[0].Firmware || back[0].Location != recs[0].Location ||
		back[0].Owner != recs[0].Owner || back[0].Model != recs[0].Model || back[0].Manufacturer != recs[0].Manufacturer ||
		back[0].Type != recs[0].Type {
		t.Errorf("round trip changed the record:\n got %+v\nwant %+v", back, recs)
	}
}

func FuzzGuard(f *testing.F) {
	for _, s := range []string{"", "1.4.2;=cmd|' /C calc'!A0", "'", "a;'=b", "\t=1", " , @x", "=", "x;\r-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g := guard(s)
		if u := unguard(g); u != s {
			t.Fatalf("unguard(guard(%q)) = %q", s, u)
		}
		// Wherever a spreadsheet could start a cell, no formula starts.
		start := true
		for i := 0; i < len(g); i++ {
			c := g[i]
			if start {
				if c == ' ' {
					continue
				}
				if strings.IndexByte("=+-@", c) >= 0 {
					t.Fatalf("guard(%q) = %q: a cell could start with %q at %d", s, g, c, i)
				}
				start = false
			}
			if strings.IndexByte(",;\t\r\n", c) >= 0 {
				start = true
			}
		}
	})
}

// endless yields a CSV header and then one field that never ends.
type endless struct{ head []byte }

func (e *endless) Read(p []byte) (int, error) {
	if len(e.head) > 0 {
		n := copy(p, e.head)
		e.head = e.head[n:]
		return n, nil
	}
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// Attack: an inventory CSV that never ends is refused past maxCSV bytes
// with ErrInvalid, not read until memory runs out.
func TestCSVImportIsBounded(t *testing.T) {
	_, err := ReadRecordsCSV(&endless{head: []byte("asset_id,phi\na,")})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("ReadRecordsCSV = %v, want a size error", err)
	}
}
