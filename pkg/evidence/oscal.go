package evidence

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/wardsec/ward/pkg/oscal"
)

// The derived files Write adds to every bundle, beside results.json and
// junit.xml. Their names are reserved: WithFile rejects them.
const (
	// AssessmentResultsFile is the run as OSCAL assessment results.
	AssessmentResultsFile = "assessment-results.json"
	// POAMFile is the OSCAL plan of action and milestones for every finding
	// that is not satisfied.
	POAMFile = "poam.json"
	// ReportFile is the self-contained HTML report.
	ReportFile = "report.html"
)

// OSCALVersion is the OSCAL model version of the documents Ward writes.
const OSCALVersion = oscal.Version

// OSCALNamespace is the ns of the props Ward defines itself (outcome,
// severity, sha256, ...). Props without ns use OSCAL's own names.
const OSCALNamespace = oscal.WardNamespace

// remediationDays is how long a not-satisfied control may stay open, by
// severity, counted from the end of the run. Unknown severities get the high
// figure: an unrated gap is not assumed to be minor.
var remediationDays = map[string]int{"critical": 15, "high": 30, "medium": 90, "low": 180}

const defaultRemediationDays = 30

// RemediationDeadline is the POA&M deadline for a control of the given
// severity found not satisfied in run: the end of the run (its start if it
// has no end) plus 15 days for critical, 30 for high, 90 for medium and 180
// for low; 30 for any other severity. It is truncated to the second, in UTC.
func RemediationDeadline(run *Run, severity string) time.Time {
	days, ok := remediationDays[strings.ToLower(strings.TrimSpace(severity))]
	if !ok {
		days = defaultRemediationDays
	}
	return runEnd(run).Add(time.Duration(days) * 24 * time.Hour).UTC().Truncate(time.Second)
}

// controlDeadline is when a control's open finding must be closed: the
// expiry of the waiver that accepted its risk (the end of that day, UTC),
// otherwise RemediationDeadline by severity.
func controlDeadline(run *Run, c Control) time.Time {
	if c.Outcome == Waived && c.Waiver != nil && c.Waiver.Applied {
		if d, err := time.Parse("2006-01-02", c.Waiver.Expires); err == nil {
			return d.Add(24*time.Hour - time.Second).UTC()
		}
	}
	return RemediationDeadline(run, c.Severity)
}

func runEnd(run *Run) time.Time {
	return nonZeroTime(run.Finished, run.Started)
}

// oscalState maps a Ward outcome onto OSCAL's two finding states. Only a
// satisfied control is "satisfied": not-applicable (not checked on this
// target), error (the check could not run) and waived (not satisfied, risk
// accepted) are all "not-satisfied", with status reason "other" and Ward's
// outcome kept in a prop and the remarks. See docs/evidence-bundle.md.
func oscalState(o Outcome) (state, reason string) {
	switch o {
	case Satisfied:
		return "satisfied", "pass"
	case NotSatisfied:
		return "not-satisfied", "fail"
	default:
		return "not-satisfied", "other"
	}
}

// outcomeRemarks explains the mapping for the outcomes OSCAL cannot express.
func outcomeRemarks(o Outcome) string {
	switch o {
	case Satisfied, NotSatisfied:
		return ""
	case NotApplicable:
		return "Ward outcome not-applicable: the target lacks a capability the scenarios need, so the control was not checked on it. It is not shown to be satisfied; the POA&M asks for other evidence."
	case Error:
		return "Ward outcome error: the check could not establish an outcome (a harness or target fault), so the control is not shown to be satisfied."
	case Waived:
		return "Ward outcome waived: the control is not satisfied on this target and a waiver accepts the risk; the POA&M item records it as deviation-approved."
	case NotAssessed:
		return "Ward outcome not-assessed: a procedural control that no attestation covers on this target, so it was not assessed. It is not shown to be satisfied; the POA&M asks for an attestation."
	}
	return fmt.Sprintf("Ward outcome %q is not one Ward defines; treated as not satisfied.", string(o))
}

func (b *oscalBuilder) version() string {
	if v := propValue(b.run.Tool.Version); v != "" {
		return v
	}
	return "unknown"
}

func (b *oscalBuilder) toolLabel() string {
	name := propValue(b.run.Tool.Name)
	if name == "" {
		name = "ward"
	}
	return name + " " + b.version()
}

func (b *oscalBuilder) metadata(title string, props []oscal.Prop) oscal.Metadata {
	return oscal.Metadata{
		Title:        mdLine(title),
		LastModified: oscalTime(runEnd(b.run)),
		Version:      b.version(),
		OSCALVersion: OSCALVersion,
		Props:        props,
		Roles: []oscal.Role{{
			ID:          "assessor",
			Title:       "Assessor",
			Description: "Ran the checks and recorded the results. For Ward runs this is the harness itself; the person accountable is whoever holds the key that signed the bundle.",
		}},
		Parties: []oscal.Party{{
			UUID:      b.party,
			Type:      "organization",
			Name:      "Ward automated assessment (" + b.toolLabel() + ")",
			ShortName: "Ward",
			Props:     props1(wardProp("tool-version", b.version())),
			Remarks:   "The Ward compliance harness, which produced this document. The evidence bundle's manifest.json names the key that signed it.",
		}},
		ResponsibleParties: []oscal.ResponsibleParty{{RoleID: "assessor", PartyUUIDs: []string{b.party}}},
	}
}

func (b *oscalBuilder) runProps() []oscal.Prop {
	return props(
		wardProp("run-id", b.run.ID),
		wardProp("catalogue-digest", b.run.Catalogue.Digest),
		wardProp("catalogue-source", b.run.Catalogue.Source),
		wardProp("fips", strconv.FormatBool(b.run.Tool.FIPS)),
	)
}

func (b *oscalBuilder) assessmentAssets() *oscal.AssessmentAssets {
	return &oscal.AssessmentAssets{
		Components: []oscal.Component{{
			UUID:        b.toolComp,
			Type:        "software",
			Title:       mdLine(b.toolLabel()),
			Description: "Ward, the compliance harness that ran the Gherkin scenarios against the targets and derived each control's outcome.",
			Props:       props(oscal.Prop{Name: "version", Value: b.version()}, wardProp("fips", strconv.FormatBool(b.run.Tool.FIPS))),
			Status:      oscal.ComponentStatus{State: "operational"},
		}},
		AssessmentPlatforms: []oscal.Platform{{
			UUID:           b.platform,
			Title:          mdLine(b.toolLabel()),
			UsesComponents: []oscal.ComponentRef{{ComponentUUID: b.toolComp}},
		}},
	}
}

func (b *oscalBuilder) origins() []oscal.Origin {
	return []oscal.Origin{{Actors: []oscal.Actor{{Type: "tool", ActorUUID: b.toolComp}}}}
}

// firmware 3.1.4".
func identityLine(t *Target) string {
	id := t.Identity
	var parts []string
	if s := strings.TrimSpace(strings.TrimSpace(id.Manufacturer) + " " + strings.TrimSpace(id.Model)); s != "" {
		parts = append(parts, s)
	}
	if id.Serial != "" {
		parts = append(parts, "serial "+id.Serial)
	}
	if id.Firmware != "" {
		parts = append(parts, "firmware "+id.Firmware)
	}
	if id.UDI != "" {
		parts = append(parts, "UDI "+id.UDI)
	}
	return oneLine(strings.Join(parts, ", "))
}

// artifactRef returns an artifact's bundle path and SHA-256, computing them
// as Write does (the content-addressed object) when the run has not been
// through Write.
func artifactRef(s *Scenario, a *Artifact) (p, sum string, size int64) {
	p, sum, size = a.Path, a.SHA256, a.Size
	if sum == "" {
		sum = sha256hex(a.Data)
		size = int64(len(a.Data))
	}
	if p == "" {
		p = objectPath(sum)
	}
	return p, sum, size
}

func scenarioTime(run *Run, t *Target, s *Scenario) time.Time {
	for _, c := range []time.Time{s.Started, t.Started, run.Started, run.Finished} {
		if !c.IsZero() {
			return c
		}
	}
	return time.Unix(0, 0)
}

func featureLocation(s *Scenario) string {
	if s.URI == "" {
		return ""
	}
	return s.URI + ":" + strconv.Itoa(s.Line)
}

func outcomeLabel(o Outcome) string {
	switch o {
	case Satisfied:
		return "Satisfied"
	case NotSatisfied:
		return "Not satisfied"
	case NotApplicable:
		return "Not applicable (not checked)"
	case Waived:
		return "Waived"
	case Error:
		return "Error (not checked)"
	case NotAssessed:
		return "Not assessed (no attestation)"
	}
	return "Unknown outcome " + strconv.Quote(string(o))
}

// riskStatus is the OSCAL risk status for a Ward outcome: a waiver is an
// approved deviation; a control that could not be checked is under
// investigation; anything else is open.
func riskStatus(o Outcome) string {
	switch o {
	case Waived:
		return "deviation-approved"
	case NotApplicable, NotAssessed:
		return "investigating"
	}
	return "open"
}

// remediationText is what the POA&M asks for, by outcome.
func remediationText(c *Control) string {
	fix := strings.TrimSpace(c.Remediation)
	if fix == "" {
		fix = "Bring the device in line with the requirement, then run ward check again to show it."
	}
	switch c.Outcome {
	case NotApplicable:
		return "Show this control by other means: an attestation with evidence, or a target or driver that supports what the scenarios need (then run ward check again); or record why the control does not apply to this device."
	case NotAssessed:
		return "Assess this procedural control: supply an attestation that covers this target, with its evidence (ward check --attestations FILE), and run ward check again."
	case Error:
		return "Fix what kept the check from running and run ward check again; until then the control is unverified. If it then fails: " + fix
	case Waived:
		return "Accepted under a waiver until it expires; remediate before then: " + fix
	}
	return fix
}

func deadlineReason(severity string) string {
	days, ok := remediationDays[strings.ToLower(strings.TrimSpace(severity))]
	if !ok {
		return fmt.Sprintf("Severity %q is not rated; %d days from the end of the run, as for high.", severity, defaultRemediationDays)
	}
	return fmt.Sprintf("Severity %s: %d days from the end of the run.", strings.ToLower(strings.TrimSpace(severity)), days)
}

func nonZeroTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Unix(0, 0)
}

func nonEmpty(s, fallback string) string {
	if strings.TrimSpace(s) == "" {
		return fallback
	}
	return s
}

// oscalTime formats t for OSCAL's date-time-with-timezone: RFC 3339 in UTC.
// The schema only admits years 1900 to 2999; a time outside them (a run that
// recorded none) is written as the Unix epoch.
func oscalTime(t time.Time) string {
	if y := t.UTC().Year(); y < 1900 || y > 2999 {
		t = time.Unix(0, 0)
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func wardProp(name, value string) oscal.Prop {
	return oscal.Prop{Name: name, NS: OSCALNamespace, Value: propValue(value)}
}

// props drops props whose value is empty: OSCAL forbids empty strings.
func props(ps ...oscal.Prop) []oscal.Prop {
	out := ps[:0:0]
	for _, p := range ps {
		if p.Value != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func props1(p oscal.Prop) []oscal.Prop { return props(p) }

// propValue makes s an OSCAL string: whitespace runs (newlines included)
// become one space and the ends are trimmed.
func propValue(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// oneLine is propValue for text that becomes markup.
func oneLine(s string) string { return propValue(s) }

// mdLine is a markup-line: escaped, one line, never empty.
func mdLine(s string) string {
	if l := mdEscape(oneLine(s)); l != "" {
		return l
	}
	return "(untitled)"
}

// mdEscape backslash-escapes the characters that would make text from a
// device or a catalogue into Markdown or HTML markup (emphasis, links, code,
// raw HTML, tables), so that an OSCAL viewer shows it as written.
func mdEscape(s string) string {
	const special = "\\`*_[]<>&|~#"
	if !strings.ContainsAny(s, special) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if r < 0x80 && strings.ContainsRune(special, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// oscalToken returns id as an OSCAL token (an XML NCName): Ward's control
// ids usually are ("HIPAA-164.312-b"); otherwise every character a token
// cannot hold becomes "_", and "_" is prefixed if id does not start with a
// letter or "_" ("524B-b-2" becomes "_524B-b-2").
func oscalToken(id string) string {
	if isOSCALToken(id) {
		return id
	}
	var b strings.Builder
	for i, r := range id {
		if i == 0 && !unicode.IsLetter(r) && r != '_' {
			b.WriteByte('_')
		}
		if unicode.IsLetter(r) || unicode.IsNumber(r) || r == '.' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

func isOSCALToken(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || r == '_':
		case i > 0 && (unicode.IsNumber(r) || r == '.' || r == '-'):
		default:
			return false
		}
	}
	return true
}
