package evidence

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardsec/ward/pkg/device"
)

// The fleet view's template, style and script. Its style sheet is the
// device page's (report.css) plus fleet.css plus the column rules built
// for the run's catalogue, so the page's CSP hash is computed per page.
var (
	//go:embed report/fleet.html.tmpl
	fleetTemplateText string
	//go:embed report/fleet.css
	fleetCSS string
	//go:embed report/fleet.js
	fleetJS string
)

var fleetTemplate = template.Must(template.New("fleet").Funcs(template.FuncMap{
	"inc": func(i int) int { return i + 1 },
}).Parse(fleetTemplateText))

// FleetRow is one target's line in the fleet view.
type FleetRow struct {
	URI      string
	Identity device.Identity
	Error    string
	Outcomes map[string]Outcome // control id -> outcome
	Detail   string             // bundle-relative path of this target's own page, "" when none
}

// fleetLead is the number of cells before the first control in a device
// row: number, device, model, serial, firmware, counts. The column rules
// built by fleetColumnCSS count on it.
const fleetLead = 6

// fleetChunk is how many device rows share a tbody. The style sheet lets
// the browser skip laying out and painting a tbody while it is off screen
// (content-visibility), which is most of the cost of opening a large
// fleet; 50 rows is about one screen.
const fleetChunk = 50

// maxFleetText bounds each device-supplied text shown in a fleet row (the
// device's own page shows it whole): a device cannot bloat the fleet page.
const maxFleetText = 200

// fleetMark is how the fleet matrix shows one outcome: a one-letter code
// (the cell's class and the row's data-o letter) and a symbol, so a cell
// is readable without colour.
type fleetMark struct {
	Outcome Outcome
	Code    string
	Symbol  string
	Label   string
	Help    string
}

// fleetMarks are the outcomes in report order. Satisfied cells carry no
// class (the common case, to keep the page small).
var fleetMarks = []fleetMark{
	{NotSatisfied, "n", "✗", "", ""},
	{Error, "e", "!", "", ""},
	{Waived, "w", "W", "", ""},
	{NotAssessed, "q", "?", "", ""},
	{NotApplicable, "a", "–", "", ""},
	{Satisfied, "s", "✓", "", ""},
}

// Marks for a control absent from a device's results and for an outcome
// this version does not know.
var (
	fleetMissing = fleetMark{"", "m", "·", "Not recorded", "the device's results do not name this control"}
	fleetUnknown = fleetMark{"", "u", "U", "Unknown outcome", "an outcome this version of Ward does not know"}
)

func init() {
	for i := range fleetMarks {
		fleetMarks[i].Label = outcomeLabelShort(fleetMarks[i].Outcome)
		fleetMarks[i].Help = outcomeHelp[fleetMarks[i].Outcome]
	}
}

func markOf(o Outcome) fleetMark {
	for _, m := range fleetMarks {
		if m.Outcome == o {
			return m
		}
	}
	return fleetUnknown
}

type fleetData struct {
	CSP         string
	CSS         template.CSS
	JS          template.JS
	Run         *Run
	ToolLabel   string
	Started     string
	Finished    string
	Duration    string
	Fingerprint string
	Devices     int
	Total       int
	// Counts are results per outcome; DeviceCounts devices with at least
	// one result of the outcome.
	Counts       []reportCount
	DeviceCounts []reportCount
	Coverage     []Coverage
	Frameworks   []*fleetFramework
	Columns      []*fleetColumn
	Marks        []fleetMark
	Body         template.HTML
	Detail       bool
	Files        []reportFile
	Deadlines    []reportDeadline
}

type fleetFramework struct {
	*reportFramework
	Index       int
	First, Last int // 0-based columns, Last exclusive
	Span        int
	Groups      []*fleetGroup
}

type fleetGroup struct {
	Title, Anchor string
	Columns       []*fleetColumn
}

type fleetColumn struct {
	Index     int
	ID        string
	Anchor    string
	Control   Control
	Framework *fleetFramework
	Counts    []reportCount
	counts    map[Outcome]int
	// Other counts the devices on which it is not satisfied (any other
	// outcome, or not recorded).
	Other int
}

// fleetReportHTML renders report.html for a run of more than one target: run is the header plus the slim
// targets (Summary above: Controls without Requirement/Remediation, Scenarios nil); catalogue is one
// Control per control id carrying Title/Framework/Citations/Severity/Requirement/Remediation once.
//
// The page has one row per device and one column per control, grouped by
// framework and section; the catalogue's text is shown once, in the
// control legend. Everything device-supplied is escaped, and bounded to
// maxFleetText per field.
func fleetReportHTML(run *Run, catalogue []Control, rows []FleetRow, fingerprint string, extras []reportFile) ([]byte, error) {
	if run == nil {
		return nil, fmt.Errorf("evidence: rendering %s: nil run", ReportFile)
	}
	d := &fleetData{
		Run:         run,
		ToolLabel:   (&oscalBuilder{run: run}).toolLabel(),
		Started:     reportTime(run.Started),
		Finished:    reportTime(run.Finished),
		Fingerprint: fingerprint,
		Devices:     len(rows),
		Marks:       append(slices.Clone(fleetMarks), fleetMissing),
		Files:       append(defaultReportFiles(), extras...),
		Deadlines:   reportDeadlines(),
	}
	if !run.Started.IsZero() && !run.Finished.IsZero() && !run.Finished.Before(run.Started) {
		d.Duration = run.Finished.Sub(run.Started).Round(time.Millisecond).String()
	}
	d.Frameworks, d.Columns = fleetColumns(run.Frameworks, catalogue, rows)
	total := map[Outcome]int{}
	devices := map[Outcome]int{}
	cover := map[string]map[Outcome]int{}
	var body strings.Builder
	body.Grow(len(rows) * (300 + 8*len(d.Columns)))
	codes := make([]byte, len(d.Columns))
	per := map[Outcome]int{}
	for ri := range rows {
		r := &rows[ri]
		clear(per)
		for i, c := range d.Columns {
			o, ok := r.Outcomes[c.ID]
			if !ok {
				codes[i] = fleetMissing.Code[0]
				c.Other++
				continue
			}
			codes[i] = markOf(o).Code[0]
			per[o]++
			c.counts[o]++
			if o != Satisfied {
				c.Other++
			}
			fw := c.Control.Framework
			if cover[fw] == nil {
				cover[fw] = map[Outcome]int{}
			}
			cover[fw][o]++
		}
		for o, n := range per {
			total[o] += n
			devices[o]++
		}
		if ri > 0 && ri%fleetChunk == 0 {
			body.WriteString("</tbody>\n<tbody>\n")
		}
		writeFleetRow(&body, ri, r, codes, per)
	}
	d.Body = template.HTML(body.String())
	if len(run.Targets) == len(rows) && len(rows) > 0 {
		// The run's own results (results.json) are what the counts
		// report; rows may fold a control listed twice on a device.
		clear(total)
		clear(devices)
		clear(cover)
		for _, t := range run.Targets {
			clear(per)
			for _, c := range t.Controls {
				per[c.Outcome]++
				if cover[c.Framework] == nil {
					cover[c.Framework] = map[Outcome]int{}
				}
				cover[c.Framework][c.Outcome]++
			}
			for o, n := range per {
				total[o] += n
				devices[o]++
			}
		}
	}
	d.Counts = countsOf(total)
	d.DeviceCounts = countsOf(devices)
	for _, n := range total {
		d.Total += n
	}
	d.Coverage = coverageFromCounts(cover)
	for _, c := range d.Columns {
		c.Counts = countsOf(c.counts)
	}
	for _, r := range rows {
		if r.Detail != "" {
			d.Detail = true
			break
		}
	}

	css := reportCSS + fleetCSS + fleetColumnCSS(d.Frameworks, d.Columns)
	d.CSS, d.JS = template.CSS(css), template.JS(fleetJS)
	d.CSP = "default-src 'none'; style-src " + cspHash(css) + "; script-src " + cspHash(fleetJS) +
		"; img-src 'none'; base-uri 'none'; form-action 'none'"
	var buf bytes.Buffer
	buf.Grow(body.Len() + 64<<10)
	if err := fleetTemplate.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("evidence: rendering %s: %w", ReportFile, err)
	}
	return buf.Bytes(), nil
}

// targetReportHTML renders the one-device page for t (today's report content for a one-target run);
// run supplies the header (run.Targets is ignored). Links to artifacts and
// bundle files are relative to the bundle's root: right for report.html
// of a one-target bundle. A page stored deeper uses targetReportHTMLAt.
func targetReportHTML(run *Run, t *Target, fingerprint string, extras []reportFile, tables ...pageTable) ([]byte, error) {
	return targetReportHTMLAt(run, t, fingerprint, extras, "", tables...)
}

// targetReportHTMLAt is targetReportHTML for a page stored in the bundle
// directory dir (slash-separated, relative to the bundle root, such as
// "targets/0001"): its links to bundle files climb out of dir, and it links
// back to the fleet view (report.html at the root).
func targetReportHTMLAt(run *Run, t *Target, fingerprint string, extras []reportFile, dir string, tables ...pageTable) ([]byte, error) {
	if run == nil || t == nil {
		return nil, fmt.Errorf("evidence: rendering %s: nil run or target", ReportFile)
	}
	one := *run
	one.Targets = []Target{*t}
	d := buildReport(&one, fingerprint)
	d.Files = append(d.Files, extras...)
	up := ""
	if dir = strings.Trim(dir, "/"); dir != "" && dir != "." {
		up = strings.Repeat("../", strings.Count(dir, "/")+1)
		d.Up = up + ReportFile
		for i := range d.Files {
			d.Files[i].Path = up + d.Files[i].Path
		}
		for _, fw := range d.Frameworks {
			for _, g := range fw.Groups {
				for _, c := range g.Controls {
					for _, r := range c.Results {
						for _, s := range r.Scenarios {
							for ai := range s.Artifacts {
								s.Artifacts[ai].Path = up + s.Artifacts[ai].Path
							}
						}
					}
				}
			}
		}
	}
	d.Tables = reportTables(tables, up)
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("evidence: rendering %s: %w", ReportFile, err)
	}
	return buf.Bytes(), nil
}

// fleetRows is the fleet view of run's targets, without detail pages.
func fleetRows(run *Run) (catalogue []Control, rows []FleetRow) {
	seen := map[string]bool{}
	for _, t := range run.Targets {
		r := FleetRow{URI: t.URI, Identity: t.Identity, Error: t.Error, Outcomes: make(map[string]Outcome, len(t.Controls))}
		for _, c := range t.Controls {
			// A control listed twice shows its worse outcome: a doubt is
			// never satisfied.
			if prev, dup := r.Outcomes[c.ID]; !dup || outcomeRank(c.Outcome) < outcomeRank(prev) {
				r.Outcomes[c.ID] = c.Outcome
			}
			if !seen[c.ID] {
				seen[c.ID] = true
				catalogue = append(catalogue, c)
			}
		}
		rows = append(rows, r)
	}
	return catalogue, rows
}

// outcomeRank orders outcomes problems first, unknown ones before all.
func outcomeRank(o Outcome) int {
	if i := slices.Index(outcomeOrder, o); i >= 0 {
		return i
	}
	return -1
}

// fleetColumns orders the catalogue as the device page does (framework,
// then HIPAA section or FDA category, then id), adding a column for any
// control a row names that the catalogue lacks.
func fleetColumns(layout []Framework, catalogue []Control, rows []FleetRow) ([]*fleetFramework, []*fleetColumn) {
	frameworks := map[string]*reportFramework{}
	l := newReportLayout(layout)
	var cols []*fleetColumn
	add := func(c Control) {
		fw := l.framework(frameworks, &c)
		g := fw.group(&c)
		if _, dup := g.controls[c.ID]; dup {
			return
		}
		rc := &reportControl{ID: c.ID}
		g.controls[c.ID] = rc
		g.Controls = append(g.Controls, rc)
		cols = append(cols, &fleetColumn{ID: c.ID, Control: c, counts: map[Outcome]int{}})
	}
	known := map[string]bool{}
	for _, c := range catalogue {
		known[c.ID] = true
		add(c)
	}
	var extra []string
	for _, r := range rows {
		for id := range r.Outcomes {
			if !known[id] {
				known[id] = true
				extra = append(extra, id)
			}
		}
	}
	slices.Sort(extra)
	for _, id := range extra {
		add(Control{ID: id, Title: "(not in the catalogue)"})
	}
	byID := map[string]*fleetColumn{}
	for _, c := range cols {
		byID[c.ID] = c
	}

	var fws []*reportFramework
	for _, fw := range frameworks {
		fws = append(fws, fw)
	}
	slices.SortFunc(fws, func(a, b *reportFramework) int { return strings.Compare(a.sortKey, b.sortKey) })
	anchors := map[string]int{}
	var outF []*fleetFramework
	var outC []*fleetColumn
	for fi, fw := range fws {
		ff := &fleetFramework{reportFramework: fw, Index: fi, First: len(outC)}
		fw.Anchor = uniqueAnchor(anchors, "framework-"+anchorText(fw.key))
		slices.SortFunc(fw.Groups, func(a, b *reportGroup) int { return naturalCompare(a.order, b.order) })
		for _, g := range fw.Groups {
			slices.SortFunc(g.Controls, func(a, b *reportControl) int { return naturalCompare(a.ID, b.ID) })
			fg := &fleetGroup{Title: g.Title, Anchor: uniqueAnchor(anchors, fw.Anchor+"-"+anchorText(g.key))}
			for _, rc := range g.Controls {
				c := byID[rc.ID]
				c.Index = len(outC)
				c.Anchor = uniqueAnchor(anchors, "control-"+anchorText(c.ID))
				c.Framework = ff
				fg.Columns = append(fg.Columns, c)
				outC = append(outC, c)
			}
			ff.Groups = append(ff.Groups, fg)
		}
		ff.Last = len(outC)
		ff.Span = ff.Last - ff.First
		outF = append(outF, ff)
	}
	return outF, outC
}

// writeFleetRow writes one device's row. Its markup is compact (cells'
// end tags omitted, as HTML allows; satisfied cells without a class): at
// 46 controls it is most of the page. Every text is escaped.
func writeFleetRow(b *strings.Builder, i int, r *FleetRow, codes []byte, per map[Outcome]int) {
	b.WriteString(`<tr data-o="`)
	b.Write(codes)
	b.WriteString(`"><td>`)
	b.WriteString(strconv.Itoa(i + 1))
	b.WriteString(`<th scope="row">`)
	if href := detailHref(r.Detail); href != "" {
		b.WriteString(`<a href="`)
		b.WriteString(template.HTMLEscapeString(href))
		b.WriteString(`">`)
		b.WriteString(fleetText(r.URI))
		b.WriteString(`</a>`)
	} else {
		b.WriteString(fleetText(r.URI))
	}
	if r.Error != "" {
		b.WriteString(`<br><strong class="bad">Could not be opened:</strong> `)
		b.WriteString(fleetText(r.Error))
	}
	b.WriteString(`<td>`)
	b.WriteString(fleetText(r.Identity.Model))
	// The UDI, the device's regulatory identifier, is the serial's
	// tooltip (and found by the search), not a column of its own.
	if r.Identity.UDI != "" {
		b.WriteString(`<td title="UDI `)
		b.WriteString(fleetText(r.Identity.UDI))
		b.WriteString(`">`)
	} else {
		b.WriteString(`<td>`)
	}
	b.WriteString(fleetText(r.Identity.Serial))
	b.WriteString(`<td>`)
	b.WriteString(fleetText(r.Identity.Firmware))
	b.WriteString(`<td class="k">`)
	sep := ""
	for _, m := range fleetMarks {
		if n := per[m.Outcome]; n > 0 {
			b.WriteString(sep)
			b.WriteString(strconv.Itoa(n))
			b.WriteString(m.Symbol)
			sep = " "
		}
	}
	for _, o := range unknownOutcomes(per) {
		b.WriteString(sep)
		b.WriteString(strconv.Itoa(per[o]))
		b.WriteString(fleetUnknown.Symbol)
		sep = " "
	}
	for _, c := range codes {
		if c == 's' {
			b.WriteString(`<td>✓`)
			continue
		}
		m := fleetUnknown
		if c == fleetMissing.Code[0] {
			m = fleetMissing
		}
		for _, fm := range fleetMarks {
			if fm.Code[0] == c {
				m = fm
			}
		}
		b.WriteString(`<td class="`)
		b.WriteString(m.Code)
		b.WriteString(`">`)
		b.WriteString(m.Symbol)
	}
	b.WriteByte('\n')
}

func unknownOutcomes(m map[Outcome]int) []Outcome {
	var out []Outcome
	for o := range m {
		if markOf(o) == fleetUnknown {
			out = append(out, o)
		}
	}
	slices.Sort(out)
	return out
}

// fleetText escapes s for HTML text, cut to maxFleetText bytes (at a rune
// boundary) with an ellipsis.
func fleetText(s string) string {
	if len(s) > maxFleetText {
		cut := maxFleetText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return template.HTMLEscapeString(s)
}

// detailHref is the link to a row's own page, or "" when there is none or
// it is not a relative path inside the bundle.
func detailHref(p string) string {
	if p == "" {
		return ""
	}
	if _, ok := bundleRef(p); !ok || strings.Contains(p, "..") || strings.ContainsAny(p, "?#\\") {
		return ""
	}
	return (&url.URL{Path: p}).String()
}

// fleetColumnCSS is the style built for the run's columns: each
// framework header spans its columns, and the rules that hide the columns
// a filter leaves out. The script only sets one class on the table ("c<i>"
// for control i, "g<i>" for framework i), so a filter never touches the
// cells. Device rows have fleetLead cells before the controls, the
// control id row none, the count row one.
func fleetColumnCSS(fws []*fleetFramework, cols []*fleetColumn) string {
	var b strings.Builder
	hide := func(cls string, keep func(offset int) string) {
		fmt.Fprintf(&b, "#fleet.%[1]s tbody>tr>:nth-child(n+%[2]d)%[3]s,#fleet.%[1]s tr.i>*%[4]s,#fleet.%[1]s tr.n>:nth-child(n+2)%[5]s{display:none}\n",
			cls, fleetLead+1, keep(fleetLead), keep(0), keep(1))
	}
	for _, fw := range fws {
		fmt.Fprintf(&b, "#fleet tr.f>.g%d{grid-column:span %d}\n", fw.Index, max(fw.Span, 1))
	}
	for _, c := range cols {
		k := c.Index + 1
		hide("c"+strconv.Itoa(c.Index), func(off int) string { return ":not(:nth-child(" + strconv.Itoa(off+k) + "))" })
		fmt.Fprintf(&b, "#fleet.c%d tr.f>.g:not(.g%d){display:none}\n", c.Index, c.Framework.Index)
	}
	for _, fw := range fws {
		a, z := fw.First+1, fw.Last
		hide("g"+strconv.Itoa(fw.Index), func(off int) string {
			return ":not(:nth-child(n+" + strconv.Itoa(off+a) + "):nth-child(-n+" + strconv.Itoa(off+z) + "))"
		})
		fmt.Fprintf(&b, "#fleet.g%[1]d tr.f>.g:not(.g%[1]d){display:none}\n", fw.Index)
	}
	return b.String()
}

// coverageFromCounts is CoverageOf over results counted per framework and
// outcome, so the fleet view need not build a Control per result.
func coverageFromCounts(m map[string]map[Outcome]int) []Coverage {
	all := Coverage{Framework: "all"}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]Coverage, 0, len(names)+1)
	for _, n := range names {
		c := Coverage{Framework: n}
		for o, k := range m[n] {
			c.Total += k
			switch o {
			case Satisfied, NotSatisfied, Waived:
				c.Assessed += k
			case NotApplicable:
				c.NotApplicable += k
			default:
				c.NotAssessed += k
			}
		}
		all.Total += c.Total
		all.Assessed += c.Assessed
		all.NotApplicable += c.NotApplicable
		all.NotAssessed += c.NotAssessed
		out = append(out, c)
	}
	if len(names) > 1 {
		out = append(out, all)
	}
	return out
}
