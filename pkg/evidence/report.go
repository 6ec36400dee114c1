package evidence

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The report's template, style sheet and script, embedded so the report is
// one self-contained file.
var (
	//go:embed report/report.html.tmpl
	reportTemplateText string
	//go:embed report/report.css
	reportCSS string
	//go:embed report/report.js
	reportJS string
)

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"join": strings.Join,
	"inc":  func(i int) int { return i + 1 },
	"bytes": func(n int64) string {
		switch {
		case n < 1<<10:
			return strconv.FormatInt(n, 10) + " bytes"
		case n < 1<<20:
			return strconv.FormatFloat(float64(n)/(1<<10), 'f', 1, 64) + " KiB"
		}
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	},
}).Parse(reportTemplateText))

// cspHash is the Content-Security-Policy source for an inline element.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// reportCSP forbids every request (scripts, styles, images, fonts, frames,
// forms, connections) except the report's own inline style and script,
// named by hash. It is the browser's guarantee that the report works
// offline and that nothing in it can reach out.
var reportCSP = "default-src 'none'; style-src " + cspHash(reportCSS) + "; script-src " + cspHash(reportJS) +
	"; img-src 'none'; base-uri 'none'; form-action 'none'"

// outcomeOrder is the order the report lists outcomes in: problems first.
var outcomeOrder = []Outcome{NotSatisfied, Error, Waived, NotAssessed, NotApplicable, Satisfied}

var outcomeHelp = map[Outcome]string{
	Satisfied:     "every scenario that checks the control passed",
	NotSatisfied:  "a scenario found the device does not meet the control; the plan of action (poam.json) has a deadline",
	Error:         "the check itself could not run, so nothing is proven",
	NotApplicable: "the device or its driver lacks what the check needs, so it was not checked",
	Waived:        "not met, and the risk is accepted by a waiver",
	NotAssessed:   "a procedural control no attestation covers on this target, so nobody has said whether it is met",
}

// Report renders run as report.html: one self-contained HTML page for
// auditors. For a run of one target it is the device's page: a run
// summary, the device, each framework's controls grouped by HIPAA section
// or FDA premarket Appendix 1 category, every control's result with the
// scenarios, steps, observed values and artifacts behind it, and how to
// verify the bundle signed by the key with the given fingerprint
// (Fingerprint). For a run of several targets it is the fleet view: one
// row per device and one column per control, with counts, filters, a
// search and the controls described once (a bundle's report.html also
// links each row to the device's own page; Report has no bundle, so its
// rows link nowhere). Either makes no network request (its
// Content-Security-Policy forbids them), works without JavaScript
// (everything is shown; scripts only add filters) and prints. See
// docs/report.md.
func Report(run *Run, keyFingerprint string) ([]byte, error) {
	if run == nil {
		return nil, errors.New("evidence: Report: nil run")
	}
	if len(run.Targets) > 1 {
		catalogue, rows := fleetRows(run)
		return fleetReportHTML(run, catalogue, rows, keyFingerprint, nil)
	}
	return reportWithFiles(run, keyFingerprint, nil)
}

// reportWithFiles renders the device page for every target of run (all
// of them on one page: what report.html held before the fleet view, still
// what Write produces until the bundle writes a page per target), listing
// extra files of the bundle too.
func reportWithFiles(run *Run, keyFingerprint string, extras []reportFile) ([]byte, error) {
	data := buildReport(run, keyFingerprint)
	data.Files = append(data.Files, extras...)
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("evidence: rendering %s: %w", ReportFile, err)
	}
	return buf.Bytes(), nil
}

type reportData struct {
	CSP         string
	CSS         template.CSS
	JS          template.JS
	Run         *Run
	ToolLabel   string
	Started     string
	Finished    string
	Duration    string
	Fingerprint string
	Counts      []reportCount
	Total       int
	// Coverage is, per framework, how many results reached a verdict.
	Coverage   []Coverage
	Targets    []reportTarget
	Frameworks []*reportFramework
	Files      []reportFile
	Deadlines  []reportDeadline
	// Attention lists the results that are not satisfied, problems first,
	// at most maxAttention of them; AttentionMore counts the rest.
	Attention     []reportAttention
	AttentionMore int
	// Up is the link back to the fleet view from a device's own page
	// stored below the bundle root; "" on a one-device bundle's report.
	Up string
	// Tables are the target's supplement tables (WithSupplement).
	Tables []reportTable
}

// maxAttention bounds the "Needs attention" list at the top of the report.
const maxAttention = 50

type reportAttention struct {
	ControlID, Title, TargetURI, Anchor, Label, Deadline string
	Outcome                                              Outcome
}

type reportCount struct {
	Outcome Outcome
	Label   string
	Help    string
	N       int
}

type reportTarget struct {
	Anchor   string
	URI      string
	Identity string
	Target   *Target
	Error    string
	Counts   []reportCount
}

type reportFramework struct {
	key, sortKey string
	Anchor       string
	Name         string
	Groups       []*reportGroup
	groups       map[string]*reportGroup
	Counts       []reportCount
	// layout is the catalogue's description of it, nil when guessed.
	layout *reportLayoutFramework
}

type reportGroup struct {
	key      string
	order    string
	Anchor   string
	Title    string
	Controls []*reportControl
	controls map[string]*reportControl
}

type reportControl struct {
	Anchor      string
	ID          string
	Title       string
	Framework   string
	Citations   []string
	Status      string
	Severity    string
	Requirement string
	Remediation string
	Results     []reportResult
}

type reportResult struct {
	Anchor       string
	TargetURI    string
	TargetAnchor string
	Outcome      Outcome
	Label        string
	Reason       string
	Deadline     string
	Waiver       *WaiverInfo
	Attestation  *AttestationInfo
	Scenarios    []reportScenario
	Missing      []string
}

type reportScenario struct {
	*Scenario
	Location  string
	Started   string
	Duration  string
	Artifacts []reportArtifact
}

type reportArtifact struct {
	Name, Path, MediaType, SHA256 string
	Size                          int64
}

type reportFile struct {
	Path, What string
}

type reportDeadline struct {
	Severity string
	Days     int
}

// defaultReportFiles are the bundle's files every report lists.
func defaultReportFiles() []reportFile {
	return []reportFile{
		{ResultsFile, "every result in full (Ward's own format)"},
		{AssessmentResultsFile, "the results as OSCAL 1.2.2 assessment results"},
		{POAMFile, "the plan of action and milestones (OSCAL 1.2.2) for every control not satisfied"},
		{JUnitFile, "the results as JUnit XML, for CI dashboards"},
		{ManifestFile, "the SHA-256 of every file in the bundle, signed in " + SignatureFile},
	}
}

// reportDeadlines are the plan of action's deadlines by severity.
func reportDeadlines() []reportDeadline {
	var out []reportDeadline
	for _, s := range []string{"critical", "high", "medium", "low"} {
		out = append(out, reportDeadline{s, remediationDays[s]})
	}
	return out
}

func buildReport(run *Run, fingerprint string) *reportData {
	d := &reportData{
		CSP:         reportCSP,
		CSS:         template.CSS(reportCSS),
		JS:          template.JS(reportJS),
		Run:         run,
		ToolLabel:   (&oscalBuilder{run: run}).toolLabel(),
		Started:     reportTime(run.Started),
		Finished:    reportTime(run.Finished),
		Fingerprint: fingerprint,
		Files:       defaultReportFiles(),
		Deadlines:   reportDeadlines(),
	}
	if !run.Started.IsZero() && !run.Finished.IsZero() && !run.Finished.Before(run.Started) {
		d.Duration = run.Finished.Sub(run.Started).Round(time.Millisecond).String()
	}

	total := map[Outcome]int{}
	frameworks := map[string]*reportFramework{}
	layout := newReportLayout(run.Frameworks)
	anchors := map[string]int{}
	for ti := range run.Targets {
		t := &run.Targets[ti]
		rt := reportTarget{
			Anchor:   uniqueAnchor(anchors, "target-"+strconv.Itoa(ti+1)),
			URI:      t.URI,
			Identity: identityLine(t),
			Target:   t,
			Error:    t.Error,
		}
		per := map[Outcome]int{}
		scen := make(map[string]int, len(t.Scenarios))
		for si := range t.Scenarios {
			if _, dup := scen[t.Scenarios[si].ID]; !dup {
				scen[t.Scenarios[si].ID] = si
			}
		}
		for ci := range t.Controls {
			c := &t.Controls[ci]
			total[c.Outcome]++
			per[c.Outcome]++
			fw := layout.framework(frameworks, c)
			g := fw.group(c)
			rc := g.controls[c.ID]
			if rc == nil {
				rc = &reportControl{
					Anchor:      uniqueAnchor(anchors, "control-"+anchorText(c.ID)),
					ID:          c.ID,
					Title:       c.Title,
					Framework:   fw.Name,
					Citations:   c.Citations,
					Status:      c.Status,
					Severity:    c.Severity,
					Requirement: c.Requirement,
					Remediation: c.Remediation,
				}
				g.controls[c.ID] = rc
				g.Controls = append(g.Controls, rc)
			}
			res := reportResult{
				Anchor:       uniqueAnchor(anchors, rc.Anchor+"-"+strconv.Itoa(ti+1)),
				TargetURI:    t.URI,
				TargetAnchor: rt.Anchor,
				Outcome:      c.Outcome,
				Label:        outcomeLabelShort(c.Outcome),
				Reason:       c.Reason,
				Waiver:       c.Waiver,
				Attestation:  c.Attestation,
			}
			if c.Outcome != Satisfied {
				res.Deadline = controlDeadline(run, *c).Format("2006-01-02")
			}
			for _, sid := range c.Scenarios {
				si, ok := scen[sid]
				if !ok {
					res.Missing = append(res.Missing, sid)
					continue
				}
				res.Scenarios = append(res.Scenarios, reportScenarioOf(&t.Scenarios[si]))
			}
			rc.Results = append(rc.Results, res)
		}
		rt.Counts = countsOf(per)
		d.Targets = append(d.Targets, rt)
	}
	d.Counts = countsOf(total)
	var all []Control
	for _, t := range run.Targets {
		all = append(all, t.Controls...)
	}
	d.Coverage = CoverageOf(all)
	for _, n := range total {
		d.Total += n
	}

	for _, fw := range frameworks {
		d.Frameworks = append(d.Frameworks, fw)
		per := map[Outcome]int{}
		for _, g := range fw.Groups {
			slices.SortFunc(g.Controls, func(a, b *reportControl) int { return naturalCompare(a.ID, b.ID) })
			for _, c := range g.Controls {
				for _, r := range c.Results {
					per[r.Outcome]++
				}
			}
		}
		fw.Counts = countsOf(per)
		slices.SortFunc(fw.Groups, func(a, b *reportGroup) int { return naturalCompare(a.order, b.order) })
		fw.Anchor = uniqueAnchor(anchors, "framework-"+anchorText(fw.key))
		for _, g := range fw.Groups {
			g.Anchor = uniqueAnchor(anchors, fw.Anchor+"-"+anchorText(g.key))
		}
	}
	slices.SortFunc(d.Frameworks, func(a, b *reportFramework) int { return strings.Compare(a.sortKey, b.sortKey) })

	// Needs attention: in report order, problems first.
	var att []reportAttention
	for _, fw := range d.Frameworks {
		for _, g := range fw.Groups {
			for _, c := range g.Controls {
				for _, r := range c.Results {
					if r.Outcome != Satisfied {
						att = append(att, reportAttention{c.ID, c.Title, r.TargetURI, r.Anchor, r.Label, r.Deadline, r.Outcome})
					}
				}
			}
		}
	}
	rank := func(o Outcome) int {
		if i := slices.Index(outcomeOrder, o); i >= 0 {
			return i
		}
		return len(outcomeOrder)
	}
	slices.SortStableFunc(att, func(a, b reportAttention) int { return rank(a.Outcome) - rank(b.Outcome) })
	if len(att) > maxAttention {
		d.AttentionMore = len(att) - maxAttention
		att = att[:maxAttention]
	}
	d.Attention = att
	return d
}

// countsOf lists every outcome in report order, then any unknown ones.
func countsOf(m map[Outcome]int) []reportCount {
	var out []reportCount
	for _, o := range outcomeOrder {
		out = append(out, reportCount{o, outcomeLabelShort(o), outcomeHelp[o], m[o]})
	}
	var other []Outcome
	for o := range m {
		if !slices.Contains(outcomeOrder, o) {
			other = append(other, o)
		}
	}
	slices.Sort(other)
	for _, o := range other {
		out = append(out, reportCount{o, outcomeLabelShort(o), "an outcome this version of Ward does not know", m[o]})
	}
	return out
}

func outcomeLabelShort(o Outcome) string {
	switch o {
	case Satisfied:
		return "Satisfied"
	case NotSatisfied:
		return "Not satisfied"
	case NotApplicable:
		return "Not applicable"
	case Waived:
		return "Waived"
	case Error:
		return "Error"
	case NotAssessed:
		return "Not assessed"
	}
	return "Unknown (" + string(o) + ")"
}

func reportScenarioOf(s *Scenario) reportScenario {
	rs := reportScenario{Scenario: s, Location: featureLocation(s), Started: reportTime(s.Started)}
	if s.Duration > 0 {
		rs.Duration = s.Duration.Round(time.Microsecond).String()
	}
	for ai := range s.Artifacts {
		a := &s.Artifacts[ai]
		p, sum, size := artifactRef(s, a)
		rs.Artifacts = append(rs.Artifacts, reportArtifact{Name: a.Name, Path: p, MediaType: a.MediaType, SHA256: sum, Size: size})
	}
	return rs
}

func reportTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// reportLayout is where the report puts each control: its framework's
// heading and order, and its section, from the run's Frameworks (the
// catalogue's). A framework the run does not describe falls back to the
// guesses below.
type reportLayout struct {
	frameworks map[string]reportLayoutFramework
}

type reportLayoutFramework struct {
	order    int
	name     string
	sections bool
	// section of each control id: key, order and title.
	section map[string][3]string
}

func newReportLayout(fws []Framework) *reportLayout {
	l := &reportLayout{frameworks: map[string]reportLayoutFramework{}}
	for i, f := range fws {
		id := strings.TrimSpace(f.ID)
		if _, dup := l.frameworks[id]; dup || id == "" {
			continue
		}
		lf := reportLayoutFramework{order: i, name: f.Name, sections: len(f.Sections) > 0, section: map[string][3]string{}}
		if lf.name == "" {
			lf.name = id
		}
		for si, sec := range f.Sections {
			for _, c := range sec.Controls {
				if _, dup := lf.section[c]; !dup {
					lf.section[c] = [3]string{sec.ID, fmt.Sprintf("%04d", si), sec.Title}
				}
			}
		}
		l.frameworks[id] = lf
	}
	return l
}

// framework returns the report framework of c in m, adding it.
func (l *reportLayout) framework(m map[string]*reportFramework, c *Control) *reportFramework {
	key := strings.TrimSpace(c.Framework)
	if fw := m[key]; fw != nil {
		return fw
	}
	lf, known := l.frameworks[key]
	if !known {
		fw := frameworkFor(m, c)
		return fw
	}
	fw := &reportFramework{key: key, Name: lf.name, sortKey: fmt.Sprintf("%04d", lf.order), groups: map[string]*reportGroup{}, layout: &lf}
	m[key] = fw
	return fw
}

// The guesses for results without the catalogue's Frameworks (written
// before the run carried them): framework names and order, HIPAA sections
// from the first 164.3xx of a control's citations or id, FDA Appendix 1
// categories from a citation or the area in the id.
var knownFrameworks = []struct{ key, name string }{
	{"hipaa-security-rule", "HIPAA Security Rule (45 CFR Part 164 Subpart C)"},
	{"hipaa-nprm-2025", "HIPAA Security Rule: proposed changes (NPRM, 2025; not in force)"},
	{"fda-premarket", "FDA premarket cybersecurity guidance, Appendix 1"},
	{"fdca-524b", "FD&C Act section 524B (cyber devices)"},
}

// HIPAA Security Rule sections by number.
var hipaaSections = map[string]string{
	"164.302": "Applicability",
	"164.304": "Definitions",
	"164.306": "Security standards: general rules",
	"164.308": "Administrative safeguards",
	"164.310": "Physical safeguards",
	"164.312": "Technical safeguards",
	"164.314": "Organizational requirements",
	"164.316": "Policies and procedures and documentation requirements",
}

// FDA premarket guidance Appendix 1 security control categories.
var fdaCategories = map[string]string{
	"A": "Authentication",
	"B": "Authorization",
	"C": "Cryptography",
	"D": "Code, Data, and Execution Integrity",
	"E": "Confidentiality",
	"F": "Event Detection and Logging",
	"G": "Resiliency and Recovery",
	"H": "Firmware and Software Updates",
}

// fdaIDCategories guesses the Appendix 1 category from a Ward control id's
// area when no citation names it (FDA-PMC-AUTHN-1 is A).
var fdaIDCategories = map[string]string{
	"AUTHN": "A", "AUTHZ": "B", "CRYPTO": "C", "INTEG": "D", "CONF": "E",
	"LOG": "F", "DETECT": "F", "RESIL": "G", "UPD": "H",
}

var (
	hipaaSectionRE = regexp.MustCompile(`164\.(3\d\d)`)
	fdaCitationRE  = regexp.MustCompile(`(?i)\b(?:appendix\s*1|app1)\W{0,3}(?:section\s+)?([A-H])\b`)
	fdaIDRE        = regexp.MustCompile(`^FDA-PMC-([A-Z]+)`)
)

// frameworkFor is the guessed report framework of c in m, adding it.
func frameworkFor(m map[string]*reportFramework, c *Control) *reportFramework {
	key := strings.TrimSpace(c.Framework)
	if fw := m[key]; fw != nil {
		return fw
	}
	fw := &reportFramework{key: key, groups: map[string]*reportGroup{}}
	fw.Name, fw.sortKey = key, "9 "+key
	if key == "" {
		fw.Name, fw.key, fw.sortKey = "Other controls", "other", "99"
	}
	for i, k := range knownFrameworks {
		if k.key == key {
			fw.Name, fw.sortKey = k.name, strconv.Itoa(i)
		}
	}
	m[key] = fw
	return fw
}

// group returns the group of c in fw: its section as the catalogue
// declares it; else its HIPAA section, its FDA Appendix 1 category, or
// one group for other frameworks.
func (fw *reportFramework) group(c *Control) *reportGroup {
	key, order, title := "all", "0", "Controls"
	text := strings.Join(append(slices.Clone(c.Citations), c.ID), " ")
	switch {
	case fw.layout != nil:
		if fw.layout.sections {
			key, order, title = "other", "9999", "Other sections"
			if s, ok := fw.layout.section[c.ID]; ok {
				key, order, title = s[0], s[1], s[2]
			}
		}
	case strings.HasPrefix(fw.key, "hipaa") || strings.HasPrefix(c.ID, "HIPAA-") || strings.HasPrefix(c.ID, "NPRM-"):
		key, order, title = "other", "999", "Other sections"
		if m := hipaaSectionRE.FindStringSubmatch(text); m != nil {
			sec := "164." + m[1]
			key, order, title = sec, sec, "§ "+sec
			if name := hipaaSections[sec]; name != "" {
				title += " " + name
			}
		}
	case strings.HasPrefix(fw.key, "fda") || strings.HasPrefix(c.ID, "FDA-"):
		cat := ""
		if m := fdaCitationRE.FindStringSubmatch(strings.Join(c.Citations, " ")); m != nil {
			cat = strings.ToUpper(m[1])
		} else if m := fdaIDRE.FindStringSubmatch(c.ID); m != nil {
			cat = fdaIDCategories[m[1]]
		}
		key, order, title = "other", "Z", "Other categories"
		if name := fdaCategories[cat]; name != "" {
			key, order, title = "appendix-1-"+cat, cat, "Appendix 1, "+cat+": "+name
		}
	}
	g := fw.groups[key]
	if g == nil {
		g = &reportGroup{key: key, order: order, Title: title, controls: map[string]*reportControl{}}
		fw.groups[key] = g
		fw.Groups = append(fw.Groups, g)
	}
	return g
}

// anchorText makes s usable in an HTML id and a URL fragment.
func anchorText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func uniqueAnchor(seen map[string]int, a string) string {
	seen[a]++
	if n := seen[a]; n > 1 {
		return a + "~" + strconv.Itoa(n)
	}
	return a
}

// naturalCompare orders strings with embedded numbers by value, so that
// 164.308 comes before 164.312 and FDA-PMC-LOG-2 before FDA-PMC-LOG-10.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := len(na) - len(nb); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
