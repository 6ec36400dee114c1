package inventory

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
)

// Row is a record with its assessment, as lists and reports show it.
type Row struct {
	Record     Record     `json:"record"`
	Assessment Assessment `json:"assessment"`
}

// Filter selects rows; zero fields select everything.
type Filter struct {
	Zone         string
	Risk         RiskClass // this class or higher
	PHI          PHI
	OverduePatch bool // only records missing a released patch past its window
}

// Rows assesses every record under pol on the day of now and returns those
// f selects, highest risk first, then by asset id.
func (inv *Inventory) Rows(f Filter, pol Policy, now time.Time) []Row {
	var out []Row
	for i := range inv.Records {
		r := &inv.Records[i]
		a := inv.Assess(r, pol, now)
		switch {
		case f.Zone != "" && !strings.EqualFold(f.Zone, r.Zone),
			f.Risk != "" && a.Class.rank() < f.Risk.rank(),
			f.PHI != "" && f.PHI != r.PHI,
			f.OverduePatch && !a.Overdue():
			continue
		}
		out = append(out, Row{Record: *r, Assessment: a})
	}
	slices.SortStableFunc(out, func(a, b Row) int {
		if d := b.Assessment.Class.rank() - a.Assessment.Class.rank(); d != 0 {
			return d
		}
		return strings.Compare(a.Record.AssetID, b.Record.AssetID)
	})
	return out
}

// ParseRisk reads a risk class name.
func ParseRisk(s string) (RiskClass, error) {
	c := RiskClass(strings.ToLower(s))
	if !slices.Contains(RiskClasses, c) {
		return "", fmt.Errorf("%w: risk %q is not one of low, medium, high, critical", ErrInvalid, s)
	}
	return c, nil
}

// ParsePHI reads a PHI handling value.
func ParsePHI(s string) (PHI, error) {
	p := PHI(strings.ToLower(s))
	if !slices.Contains(PHIValues, p) {
		return "", fmt.Errorf("%w: phi %q is not one of %s", ErrInvalid, s, phiList())
	}
	return p, nil
}

// Report is what the HTML view shows.
type Report struct {
	Title     string
	Generated time.Time
	Rows      []Row
	Unknown   []Observation // seen on the network, not inventoried
	Stale     []Record      // not seen recently
	StaleDays int
}

//go:embed report.html.tmpl
var tmplFS embed.FS

var reportTmpl = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format(time.RFC3339)
	},
	"join": strings.Join,
}).ParseFS(tmplFS, "report.html.tmpl"))

// WriteHTML renders rep as a self-contained HTML page (no scripts, no
// external resources); every value is escaped by html/template.
func WriteHTML(w io.Writer, rep Report) error {
	if rep.Title == "" {
		rep.Title = "Device inventory"
	}
	return reportTmpl.Execute(w, rep)
}

// WriteHTMLSection renders only the inventory section, for embedding in
// another report (the evidence bundle's report.html).
func WriteHTMLSection(w io.Writer, rep Report) error {
	return reportTmpl.ExecuteTemplate(w, "section", rep)
}
