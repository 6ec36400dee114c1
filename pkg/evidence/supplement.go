package evidence

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Supplement is what a caller adds to one target's evidence beside Ward's
// own results: files stored with the target and signed like every other
// file of the bundle, and tables shown on the target's report page. Ward's
// MDS2 form (pkg/mds2) is one: the filled workbook and its JSON, and the
// form as a table.
type Supplement struct {
	Files  []SupplementFile
	Tables []Table
}

// SupplementFile is one file of a Supplement. In a bundle of more than one
// target it is stored at targets/<NNNN>/<Name>, beside the target's page;
// in a one-target bundle at <Name>, beside report.html.
type SupplementFile struct {
	// Name is a plain file name: lower-case letters, digits, '.', '-' and
	// '_', starting with a letter or digit, at most 64 bytes, and none of
	// the names the bundle reserves.
	Name string
	// What is one line the report shows next to the file's link.
	What string
	Data []byte
}

// Table is a titled table of plain-text cells shown on a target's report
// page, in its own section after the controls. Cells are escaped like
// everything the report shows; a cell of a link column holds one bundle
// object path (objects/sha256/...) per line, each shown as a link, and any
// other line as text.
type Table struct {
	// ID names the section's anchor: a lower-case letter, then letters,
	// digits and '-', at most 40 bytes.
	ID      string `json:"id"`
	Title   string `json:"title"`
	Summary string `json:"summary,omitempty"`
	// Files lists the names of the supplement's files the section links
	// to (the form as a workbook, say).
	Files       []string   `json:"files,omitempty"`
	Columns     []string   `json:"columns"`
	Rows        [][]string `json:"rows"`
	LinkColumns []int      `json:"link_columns,omitempty"`
}

// Supplementer makes the supplement of the target at index. It is given the
// target as the bundle stores it, its artifacts' Path, SHA256 and Size
// filled in, and must not keep or modify it. A nil Supplement adds nothing;
// an error fails the target's AddTarget, and so the bundle. It may be
// called from several goroutines at once.
type Supplementer func(index int, t *Target) (*Supplement, error)

// WithSupplement has every target's supplement made by fn and stored with
// it (see Supplement).
func WithSupplement(fn Supplementer) WriteOption {
	return WriteOption{func(c *writeConfig) error {
		if fn == nil {
			return errors.New("WithSupplement: nil function")
		}
		c.supplement = fn
		return nil
	}}
}

// ErrBadSupplement reports a Supplement that cannot be stored.
var ErrBadSupplement = errors.New("evidence: bad supplement")

var (
	supplementName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	tableID        = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)
)

// checkSupplement validates s: file names plain, unique and not reserved,
// tables well formed and naming files s has.
func checkSupplement(s *Supplement) error {
	names := map[string]bool{}
	for _, f := range s.Files {
		if !supplementName.MatchString(f.Name) || strings.Contains(f.Name, "..") {
			return fmt.Errorf("%w: file name %s is not a plain lower-case name", ErrBadSupplement, quotePath(f.Name))
		}
		if reservedRoot(f.Name) {
			return fmt.Errorf("%w: file name %s is reserved by the bundle", ErrBadSupplement, quotePath(f.Name))
		}
		if names[f.Name] {
			return fmt.Errorf("%w: two files named %s", ErrBadSupplement, quotePath(f.Name))
		}
		names[f.Name] = true
	}
	ids := map[string]bool{}
	for _, t := range s.Tables {
		if !tableID.MatchString(t.ID) {
			return fmt.Errorf("%w: table id %s", ErrBadSupplement, quotePath(t.ID))
		}
		if ids[t.ID] {
			return fmt.Errorf("%w: two tables with id %s", ErrBadSupplement, t.ID)
		}
		ids[t.ID] = true
		if len(t.Columns) == 0 {
			return fmt.Errorf("%w: table %s has no columns", ErrBadSupplement, t.ID)
		}
		for i, r := range t.Rows {
			if len(r) != len(t.Columns) {
				return fmt.Errorf("%w: table %s row %d has %d cells for %d columns", ErrBadSupplement, t.ID, i+1, len(r), len(t.Columns))
			}
		}
		for _, c := range t.LinkColumns {
			if c < 0 || c >= len(t.Columns) {
				return fmt.Errorf("%w: table %s: link column %d out of range", ErrBadSupplement, t.ID, c)
			}
		}
		for _, n := range t.Files {
			if !names[n] {
				return fmt.Errorf("%w: table %s names file %s the supplement does not have", ErrBadSupplement, t.ID, quotePath(n))
			}
		}
	}
	return nil
}

// reservedRoot reports whether name, at the bundle root, would take a name
// the bundle uses itself.
func reservedRoot(name string) bool {
	switch strings.ToLower(name) {
	case ManifestFile, SignatureFile, PublicKeyFile, ResultsFile, JUnitFile, AssessmentResultsFile, POAMFile, ReportFile,
		ArtifactsDir, ObjectsDir, TargetsDir, cucumberFile, scratchDir:
		return true
	}
	return false
}

// objectLink matches a bundle object path, the only text a table shows as
// a link.
var objectLink = regexp.MustCompile(`^objects/sha256/[0-9a-f]{2}/[0-9a-f]{62}$`)

// pageTable is a Table as a page shows it: with the bundle paths of the
// files it names.
type pageTable struct {
	Table
	files []reportFile
}

type reportTable struct {
	Anchor, Title, Summary string
	Files                  []reportFile
	Columns                []string
	Rows                   [][][]reportLine // row, cell, line
}

// reportLine is one line of a cell: text, or a link to a bundle object
// shown by its short digest with the full path as its title.
type reportLine struct{ Text, Href, Title string }

// reportTables renders tables for a page whose links climb up (a prefix
// of "../" to the bundle root).
func reportTables(tables []pageTable, up string) []reportTable {
	out := make([]reportTable, 0, len(tables))
	for _, t := range tables {
		rt := reportTable{Anchor: "supplement-" + t.ID, Title: t.Title, Summary: t.Summary, Columns: t.Columns,
			Rows: make([][][]reportLine, len(t.Rows))}
		for _, f := range t.files {
			rt.Files = append(rt.Files, reportFile{Path: up + f.Path, What: f.What})
		}
		link := map[int]bool{}
		for _, c := range t.LinkColumns {
			link[c] = true
		}
		for ri, row := range t.Rows {
			cells := make([][]reportLine, len(row))
			for ci, cell := range row {
				if cell == "" {
					continue
				}
				for line := range strings.SplitSeq(cell, "\n") {
					l := reportLine{Text: line}
					if link[ci] && objectLink.MatchString(line) {
						sum := strings.ReplaceAll(strings.TrimPrefix(line, ObjectsDir+"/sha256/"), "/", "")
						l = reportLine{Text: "sha256:" + sum[:12] + "…", Href: up + line, Title: line}
					}
					cells[ci] = append(cells[ci], l)
				}
			}
			rt.Rows[ri] = cells
		}
		out = append(out, rt)
	}
	return out
}

// pageTables gives rec's tables the bundle paths of their files, which are
// stored under dir ("" for the bundle root, else ending in a slash).
func pageTables(rec *supplementRecord, dir string) []pageTable {
	what := map[string]string{}
	for _, f := range rec.Files {
		what[f.Name] = f.What
	}
	out := make([]pageTable, len(rec.Tables))
	for i, t := range rec.Tables {
		out[i].Table = t
		for _, n := range t.Files {
			out[i].files = append(out[i].files, reportFile{Path: dir + n, What: what[n]})
		}
	}
	return out
}
