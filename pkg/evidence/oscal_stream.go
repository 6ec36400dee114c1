package evidence

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/oscal"
)

// The OSCAL documents are assembled in pieces so that a fleet's never has
// to be in memory at once: the observations of each target (the only part
// that needs its scenarios) are rendered when the target is added and kept
// on disk; everything else is rendered from the slim summary (controls
// without the catalogue's text) and the catalogue, which holds each
// control's requirement, remediation, title and citations once. Each
// finding links to its control's back-matter resource instead of repeating
// that text.

// AssessmentResults renders run as an OSCAL 1.2.2 assessment-results
// document (assessment-results.json): one result for the run, its reviewed
// controls, an observation per scenario execution (method TEST), a finding
// per control and target, and in the back matter one resource per control
// (its requirement, remediation and citations, which findings link to) and
// one per distinct artifact. See docs/evidence-bundle.md for the mapping.
// Artifacts are referenced at their bundle paths; their SHA-256 is taken
// from Artifact.SHA256, or computed from Data when that is empty.
func AssessmentResults(run *Run) ([]byte, error) {
	if run == nil {
		return nil, errors.New("evidence: AssessmentResults: nil run")
	}
	src := memorySource(run)
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := writeAssessmentResults(w, src); err != nil {
		return nil, fmt.Errorf("evidence: encoding %s: %w", AssessmentResultsFile, err)
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// POAM renders run's findings that are not satisfied as an OSCAL 1.2.2 plan
// of action and milestones (poam.json): a POA&M item per such finding, with
// a risk carrying the deadline (RemediationDeadline) and the control's
// remediation, and the findings, observations, targets and evidence they
// reference, so every reference resolves within the document. A run with no
// such finding gets one informational item saying so, because the schema
// requires at least one.
func POAM(run *Run) ([]byte, error) {
	if run == nil {
		return nil, errors.New("evidence: POAM: nil run")
	}
	src := memorySource(run)
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := writePOAM(w, src); err != nil {
		return nil, fmt.Errorf("evidence: encoding %s: %w", POAMFile, err)
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// oscalBuilder computes the elements both documents share. run is the
// header only: its Targets are not used.
type oscalBuilder struct {
	run                       *Run
	party, toolComp, platform string
}

func newOSCALBuilder(run *Run) *oscalBuilder {
	return &oscalBuilder{
		run:      run,
		party:    oscal.UUID(run.ID, "party", "ward"),
		toolComp: oscal.UUID(run.ID, "component", "ward"),
		platform: oscal.UUID(run.ID, "assessment-platform", "ward"),
	}
}

func (b *oscalBuilder) itemUUID(ti int) string {
	return oscal.UUID(b.run.ID, "target", strconv.Itoa(ti))
}
func (b *oscalBuilder) obsUUID(ti, si int) string {
	return oscal.UUID(b.run.ID, "observation", strconv.Itoa(ti), strconv.Itoa(si))
}
func (b *oscalBuilder) findingUUID(ti, ci int) string {
	return oscal.UUID(b.run.ID, "finding", strconv.Itoa(ti), strconv.Itoa(ci))
}
func (b *oscalBuilder) controlUUID(id string) string { return oscal.UUID(b.run.ID, "control", id) }

// targetSummary is what the assembly of the bundle's run-wide files keeps
// of one target: the slim target (Summary) and, per control, the scenario
// indexes its finding refers to.
type targetSummary struct {
	index   int
	t       Target // Scenarios nil; Controls without Requirement/Remediation
	related [][]int
	missing [][]string
	nScen   int
	junit   junitCounts
}

type junitCounts struct{ tests, failures, errors int }

// oscalSource is what the OSCAL documents are assembled from.
type oscalSource struct {
	head      *Run
	targets   []*targetSummary
	catalogue []Control
	// section copies a target's rendered section (sectionAR, sectionPOAM)
	// to w: its elements, each indented, separated by ",\n".
	section func(s *targetSummary, sec int, w io.Writer) error
}

// The sections of a target rendered when it is added.
const (
	sectionResults    = iota // the target as in results.json
	sectionJUnit             // its <testsuite>
	sectionAR                // its observations in the assessment results
	sectionPOAM              // its observations the POA&M needs
	sectionCucumber          // its cucumber features, tagged with the target
	sectionSupplement        // its supplement's tables and file names (JSON)
	numSections
)

// memorySource renders run's targets into memory: the source for
// AssessmentResults and POAM.
func memorySource(run *Run) *oscalSource {
	head := *run
	head.Targets = nil
	b := newOSCALBuilder(&head)
	src := &oscalSource{head: &head}
	secs := make([][numSections][]byte, len(run.Targets))
	cat := newCatalogue()
	for ti := range run.Targets {
		t := &run.Targets[ti]
		sum := summarize(ti, t)
		secs[ti][sectionAR] = b.observations(ti, t, nil, 5)
		secs[ti][sectionPOAM] = b.observations(ti, t, poamScenarios(t, sum), 3)
		src.targets = append(src.targets, sum)
		cat.add(ti, t.Controls)
	}
	src.catalogue = cat.list()
	src.section = func(s *targetSummary, sec int, w io.Writer) error {
		_, err := w.Write(secs[s.index][sec])
		return err
	}
	return src
}

// summarize makes the slim summary of target t at index ti.
func summarize(ti int, t *Target) *targetSummary {
	s := &targetSummary{index: ti, nScen: len(t.Scenarios)}
	s.t = slimTarget(t)
	first := make(map[string]int, len(t.Scenarios))
	for si := range t.Scenarios {
		if _, dup := first[t.Scenarios[si].ID]; !dup {
			first[t.Scenarios[si].ID] = si
		}
	}
	s.related = make([][]int, len(t.Controls))
	s.missing = make([][]string, len(t.Controls))
	for ci, c := range t.Controls {
		seen := map[int]bool{}
		for _, sid := range c.Scenarios {
			si, ok := first[sid]
			if !ok {
				s.missing[ci] = append(s.missing[ci], sid)
				continue
			}
			if !seen[si] {
				seen[si] = true
				s.related[ci] = append(s.related[ci], si)
			}
		}
	}
	return s
}

// slimTarget is t as Summary keeps it: no scenarios, and controls without
// the catalogue's requirement and remediation text or attestation data.
func slimTarget(t *Target) Target {
	slim := *t
	slim.Scenarios = nil
	slim.Controls = slices.Clone(t.Controls)
	for i := range slim.Controls {
		c := &slim.Controls[i]
		c.Requirement, c.Remediation = "", ""
		if a := c.Attestation; a != nil {
			cp := *a
			cp.Evidence = slices.Clone(a.Evidence)
			for j := range cp.Evidence {
				cp.Evidence[j].Data = nil
			}
			c.Attestation = &cp
		}
	}
	return slim
}

// poamScenarios marks the scenarios the POA&M cites: those of findings
// that are not satisfied.
func poamScenarios(t *Target, s *targetSummary) []bool {
	use := make([]bool, len(t.Scenarios))
	for ci, c := range t.Controls {
		if state, _ := oscalState(c.Outcome); state == "satisfied" {
			continue
		}
		for _, si := range s.related[ci] {
			use[si] = true
		}
	}
	return use
}

// catalogue collects one Control per control id, with the text the
// catalogue gives it, in the order of the first target (lowest index)
// that has it.
type catalogue struct {
	byID map[string]*catEntry
}

type catEntry struct {
	c       Control
	ti, pos int
}

func newCatalogue() *catalogue { return &catalogue{byID: map[string]*catEntry{}} }

func (c *catalogue) add(ti int, controls []Control) {
	for pos, ctl := range controls {
		e, ok := c.byID[ctl.ID]
		if ok && (e.ti < ti || e.ti == ti && e.pos <= pos) {
			continue
		}
		c.byID[ctl.ID] = &catEntry{c: catalogueEntry(ctl), ti: ti, pos: pos}
	}
}

// catalogueEntry keeps a control's catalogue fields and drops the
// per-target ones.
func catalogueEntry(c Control) Control {
	return Control{ID: c.ID, Framework: c.Framework, Title: c.Title, Citations: slices.Clone(c.Citations),
		Status: c.Status, Severity: c.Severity, Requirement: c.Requirement, Remediation: c.Remediation}
}

func (c *catalogue) list() []Control {
	es := make([]*catEntry, 0, len(c.byID))
	for _, e := range c.byID {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b *catEntry) int {
		if a.ti != b.ti {
			return a.ti - b.ti
		}
		return a.pos - b.pos
	})
	out := make([]Control, len(es))
	for i, e := range es {
		out[i] = e.c
	}
	return out
}

// jsonOut writes hand-assembled, indented JSON: the skeleton of a document
// around elements encoded one by one.
type jsonOut struct {
	w   *bufio.Writer
	err error
	buf bytes.Buffer
	ind bytes.Buffer
}

func indent(depth int) string { return strings.Repeat("  ", depth) }

// encode returns v as JSON indented for depth (its first line not
// prefixed), without HTML escaping.
func (j *jsonOut) encode(v any, depth int) []byte {
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		if j.err == nil {
			j.err = err
		}
		return nil
	}
	j.ind.Reset()
	if err := json.Indent(&j.ind, bytes.TrimSuffix(j.buf.Bytes(), []byte("\n")), indent(depth), "  "); err != nil && j.err == nil {
		j.err = err
	}
	return j.ind.Bytes()
}

// compact returns v as JSON on one line, without HTML escaping: the
// elements of a fleet's arrays (observations, findings, resources) are
// written one per line, which keeps the documents readable and greppable
// at a fraction of the size of indenting them.
func (j *jsonOut) compact(v any) []byte {
	j.buf.Reset()
	enc := json.NewEncoder(&j.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		if j.err == nil {
			j.err = err
		}
		return nil
	}
	return bytes.TrimSuffix(j.buf.Bytes(), []byte("\n"))
}

func (j *jsonOut) raw(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

func (j *jsonOut) bytes(b []byte) {
	if j.err == nil {
		_, j.err = j.w.Write(b)
	}
}

// field writes `"key": value` at depth, followed by a comma unless last.
func (j *jsonOut) field(depth int, key string, v any, last bool) {
	j.raw(indent(depth) + strconv.Quote(key) + ": ")
	j.bytes(j.encode(v, depth))
	if last {
		j.raw("\n")
	} else {
		j.raw(",\n")
	}
}

// array writes `"key": [` at depth, then lets fill add elements at
// depth+1 through elem (an encoded value) and section (pre-rendered
// elements), then `]`.
func (j *jsonOut) array(depth int, key string, last bool, fill func(elem func(v any), section func(func(io.Writer) error))) {
	j.raw(indent(depth) + strconv.Quote(key) + ": [\n")
	n := 0
	elem := func(v any) {
		if n > 0 {
			j.raw(",\n")
		}
		n++
		j.raw(indent(depth + 1))
		j.bytes(j.compact(v))
	}
	section := func(copyTo func(io.Writer) error) {
		if j.err != nil {
			return
		}
		cw := &countWriter{w: j.w}
		if n > 0 {
			// The comma is written only once the section proves non-empty.
			cw.pending = []byte(",\n")
		}
		if err := copyTo(cw); err != nil {
			j.err = err
		}
		if cw.n > 0 {
			n++
		}
	}
	fill(elem, section)
	j.raw("\n" + indent(depth) + "]")
	if last {
		j.raw("\n")
	} else {
		j.raw(",\n")
	}
}

// countWriter counts what passes through and writes pending before the
// first byte.
type countWriter struct {
	w       io.Writer
	pending []byte
	n       int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.pending != nil {
		if _, err := c.w.Write(c.pending); err != nil {
			return 0, err
		}
		c.pending = nil
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// renderElements encodes each of vs at depth (indented, one per element)
// and joins them with ",\n": a section.
func renderElements[T any](vs []T, depth int) []byte {
	var out bytes.Buffer
	j := &jsonOut{}
	for i := range vs {
		if i > 0 {
			out.WriteString(",\n")
		}
		out.WriteString(indent(depth))
		out.Write(j.compact(&vs[i]))
	}
	return out.Bytes()
}

// observations renders target ti's observations (only those with use[si]
// when use is not nil) at depth: a section.
func (b *oscalBuilder) observations(ti int, t *Target, use []bool, depth int) []byte {
	var obs []oscal.Observation
	for si := range t.Scenarios {
		if use == nil || use[si] {
			obs = append(obs, b.observation(ti, t, si))
		}
	}
	return renderElements(obs, depth)
}

func (b *oscalBuilder) observation(ti int, t *Target, si int) oscal.Observation {
	s := &t.Scenarios[si]
	// The scenario's name, feature and steps are the catalogue's wording,
	// the same on every target: results.json and the target's report page
	// have them. The observation says what happened here; the steps of a
	// scenario that did not pass are kept, as they show what went wrong.
	d := "Passed"
	if s.Status != ScenarioPassed {
		d = fmt.Sprintf("Scenario %q: %s", s.Name, s.Status)
	}
	if s.Reason != "" {
		d += ": " + s.Reason
	}
	desc := mdEscape(oneLine(d)) + "."
	if len(s.Steps) > 0 && s.Status != ScenarioPassed {
		var st strings.Builder
		st.WriteString("\n\nSteps:\n")
		for i, step := range s.Steps {
			line := strings.TrimSpace(step.Keyword) + " " + step.Text + ": " + step.Status
			if step.Observed != "" {
				line += "; observed: " + step.Observed
			}
			if step.Error != "" {
				line += "; error: " + step.Error
			}
			fmt.Fprintf(&st, "\n%d. %s", i+1, mdEscape(oneLine(line)))
		}
		desc += st.String()
	}
	obs := oscal.Observation{
		UUID:        b.obsUUID(ti, si),
		Description: desc,
		Props:       props(wardProp("scenario-id", s.ID)),
		Methods:     []string{"TEST"},
		Subjects:    []oscal.SubjectRef{{SubjectUUID: b.itemUUID(ti), Type: "inventory-item"}},
		Collected:   oscalTime(scenarioTime(b.run, t, s)),
	}
	if len(s.Artifacts) == 0 {
		obs.RelevantEvidence = append(obs.RelevantEvidence, oscal.RelevantEvidence{
			Href:        ResultsFile,
			Description: mdEscape(fmt.Sprintf("The scenario's record in %s (target %d, scenario id %q).", ResultsFile, ti+1, s.ID)),
		})
	}
	// An artifact's path is its SHA-256 (objects/sha256/...), which the
	// signed manifest lists: no digest is repeated here.
	for ai := range s.Artifacts {
		a := &s.Artifacts[ai]
		p, _, _ := artifactRef(s, a)
		obs.RelevantEvidence = append(obs.RelevantEvidence, oscal.RelevantEvidence{
			Href:        p,
			Description: mdLine(a.Name),
		})
	}
	if s.Reason != "" && s.Status == ScenarioPassed {
		obs.Remarks = mdEscape(s.Reason)
	}
	return obs
}

func (b *oscalBuilder) inventoryItem(ti int, t *Target) oscal.InventoryItem {
	id := t.Identity
	desc := "Target " + mdEscape(t.URI)
	if d := identityLine(t); d != "" {
		desc += ": " + mdEscape(d)
	}
	item := oscal.InventoryItem{
		UUID:        b.itemUUID(ti),
		Description: desc + ".",
		Props: props(
			oscal.Prop{Name: "uri", Value: propValue(t.URI)},
			oscal.Prop{Name: "hardware-model", Value: propValue(id.Model)},
			oscal.Prop{Name: "serial-number", Value: propValue(id.Serial)},
			oscal.Prop{Name: "software-version", Value: propValue(id.Firmware), Class: "firmware"},
			wardProp("manufacturer", id.Manufacturer),
			wardProp("udi", id.UDI),
			wardProp("target-uri", t.URI),
		),
	}
	if t.Error != "" {
		item.Remarks = "The target could not be opened: " + mdEscape(t.Error)
	}
	return item
}

// finding is the finding on control ci of target s. The control's
// catalogue text is not repeated: the finding links to its back-matter
// resource (controlResource).
func (b *oscalBuilder) finding(s *targetSummary, ci int) oscal.Finding {
	t := &s.t
	c := &t.Controls[ci]
	state, reason := oscalState(c.Outcome)
	ps := props(wardProp("outcome", string(c.Outcome)))
	if oscalToken(c.ID) != c.ID {
		ps = append(ps, props(wardProp("control-id", c.ID))...)
	}
	if w := c.Waiver; w != nil {
		ps = append(ps, props(
			wardProp("waiver-id", w.ID),
			wardProp("waiver-applied", strconv.FormatBool(w.Applied)),
			wardProp("waiver-approver", w.Approver),
			wardProp("waiver-expires", w.Expires),
			wardProp("waiver-ticket", w.Ticket),
			wardProp("waiver-justification", w.Justification),
		)...)
	}
	if a := c.Attestation; a != nil {
		ps = append(ps, props(
			wardProp("attestation-id", a.ID),
			wardProp("attestation-accepted", strconv.FormatBool(a.Accepted)),
			wardProp("attested-by", a.AttestedBy),
			wardProp("attestation-date", a.Date),
			wardProp("attestation-expires", a.Expires),
		)...)
		for _, e := range a.Evidence {
			ps = append(ps, props(wardProp("attestation-evidence", e.Path+" sha256:"+e.SHA256))...)
		}
	}
	f := oscal.Finding{
		UUID:        b.findingUUID(s.index, ci),
		Title:       mdLine(c.ID + " on target " + strconv.Itoa(s.index+1)),
		Description: mdEscape(oneLine(outcomeLabel(c.Outcome)+": "+nonEmpty(c.Reason, "no reason recorded"))) + ".",
		Props:       ps,
		Links:       []oscal.Link{{Href: "#" + b.controlUUID(c.ID), Rel: "reference"}},
		Target: oscal.FindingTarget{
			Type:     "objective-id",
			TargetID: oscalToken(c.ID),
			Status:   oscal.ObjectiveStatus{State: state, Reason: reason},
		},
	}
	if state != "satisfied" {
		f.Target.Status.Remarks = "Ward outcome " + string(c.Outcome) + outcomeNote(c.Outcome)
	}
	if c.Outcome == NotApplicable {
		f.Target.ImplementationStatus = &oscal.ImplementationStatus{State: "not-applicable"}
	}
	for _, si := range s.related[ci] {
		f.RelatedObservations = append(f.RelatedObservations, oscal.RelatedObservation{ObservationUUID: b.obsUUID(s.index, si)})
	}
	if m := s.missing[ci]; len(m) > 0 {
		f.Remarks = mdEscape(fmt.Sprintf("The results name scenarios the run did not record: %s.", strings.Join(m, ", ")))
	}
	return f
}

// outcomeNote ends a finding's status remark: the full explanation of each
// outcome is in the result's remarks, once.
func outcomeNote(o Outcome) string {
	switch o {
	case NotSatisfied:
		return "."
	case NotApplicable, Error, Waived, NotAssessed:
		return ": not shown to be satisfied (see the result's remarks)."
	}
	return ": not one Ward defines; treated as not satisfied."
}

// outcomesExplained is the result's remarks: what each Ward outcome OSCAL
// cannot express means.
func outcomesExplained() string {
	var parts []string
	for _, o := range []Outcome{NotApplicable, Error, Waived, NotAssessed} {
		parts = append(parts, outcomeRemarks(o))
	}
	return "Findings whose state is not-satisfied with reason other carry Ward's outcome in their outcome prop. " + strings.Join(parts, " ")
}

// controlResource is the back-matter resource of a catalogue control: its
// title, requirement, citations and remediation, which the findings on it
// link to.
func (b *oscalBuilder) controlResource(c *Control) oscal.Resource {
	ps := props(
		wardProp("control-id", c.ID),
		wardProp("framework", c.Framework),
		wardProp("control-status", c.Status),
		wardProp("severity", c.Severity),
	)
	for _, cit := range c.Citations {
		ps = append(ps, props(wardProp("citation", cit))...)
	}
	r := oscal.Resource{
		UUID:        b.controlUUID(c.ID),
		Title:       mdLine(c.ID + " " + c.Title),
		Description: mdEscape(c.Requirement),
		Props:       ps,
	}
	if fix := strings.TrimSpace(c.Remediation); fix != "" {
		r.Remarks = "Remediation: " + mdEscape(fix)
	}
	return r
}

func (b *oscalBuilder) reviewedControls(cat []Control) oscal.ReviewedControls {
	var sel []oscal.SelectByID
	seen := map[string]bool{}
	for _, c := range cat {
		tok := oscalToken(c.ID)
		if !seen[tok] {
			seen[tok] = true
			sel = append(sel, oscal.SelectByID{ControlID: tok})
		}
	}
	rc := oscal.ReviewedControls{
		Description: "The controls of Ward's catalogue selected for this run. Control ids are Ward's own (each control's text is in the back-matter resource its findings link to); ids that are not OSCAL tokens have their other characters replaced by \\_ and the original kept in the findings' control-id prop.",
	}
	if len(sel) == 0 {
		rc.ControlSelections = []oscal.ControlSelection{{
			IncludeAll: &struct{}{},
			Remarks:    "The run assessed no control on any target; OSCAL requires a selection, so include-all stands for the (empty) selection of the run.",
		}}
		return rc
	}
	rc.ControlSelections = []oscal.ControlSelection{{IncludeControls: sel}}
	return rc
}

func (b *oscalBuilder) planResource() oscal.Resource {
	cat := b.run.Catalogue
	return oscal.Resource{
		UUID:  oscal.UUID(b.run.ID, "assessment-plan"),
		Title: "Ward assessment plan: the control catalogue and features of this run",
		Description: "Ward keeps no separate OSCAL assessment plan: the plan is its control catalogue and Gherkin features, " +
			"identified by the catalogue digest, as selected for this run. import-ap points at this resource so that the " +
			"reference resolves inside the bundle.",
		Props: props(
			wardProp("catalogue-digest", cat.Digest),
			wardProp("catalogue-source", cat.Source),
			wardProp("catalogue-controls", strconv.Itoa(cat.Controls)),
		),
		RLinks: []oscal.RLink{{Href: ResultsFile, MediaType: "application/json"}},
	}
}

// writeAssessmentResults writes the assessment results of src to w.
func writeAssessmentResults(w *bufio.Writer, src *oscalSource) error {
	run := src.head
	b := newOSCALBuilder(run)
	j := &jsonOut{w: w}
	plan := b.planResource()
	nScen := 0
	for _, s := range src.targets {
		nScen += s.nScen
	}
	j.raw("{\n  \"assessment-results\": {\n")
	j.field(2, "uuid", oscal.UUID(run.ID, "assessment-results"), false)
	j.field(2, "metadata", b.metadata("Ward assessment results: run "+run.ID, b.runProps()), false)
	j.field(2, "import-ap", oscal.Import{Href: "#" + plan.UUID, Remarks: "Placeholder: points at the back-matter resource describing Ward's catalogue, which serves as the assessment plan."}, false)
	j.raw("    \"results\": [\n      {\n")
	j.field(4, "uuid", oscal.UUID(run.ID, "result"), false)
	j.field(4, "title", mdLine("Ward run "+run.ID), false)
	j.field(4, "description", mdEscape(fmt.Sprintf("%s checked %d control(s) of the %s catalogue on %d target(s).",
		b.toolLabel(), len(src.catalogue), nonEmpty(run.Catalogue.Source, "unnamed"), len(src.targets))), false)
	j.field(4, "start", oscalTime(nonZeroTime(run.Started, run.Finished)), false)
	if !run.Finished.IsZero() {
		j.field(4, "end", oscalTime(run.Finished), false)
	}
	if p := b.runProps(); p != nil {
		j.field(4, "props", p, false)
	}
	j.raw("        \"local-definitions\": {\n")
	if len(src.targets) > 0 {
		j.array(5, "inventory-items", false, func(elem func(any), _ func(func(io.Writer) error)) {
			for _, s := range src.targets {
				elem(b.inventoryItem(s.index, &s.t))
			}
		})
	}
	j.field(5, "assessment-assets", b.assessmentAssets(), true)
	j.raw("        },\n")
	j.field(4, "reviewed-controls", b.reviewedControls(src.catalogue), false)
	if nScen > 0 {
		j.array(4, "observations", false, func(_ func(any), section func(func(io.Writer) error)) {
			for _, s := range src.targets {
				if s.nScen > 0 {
					section(func(w io.Writer) error { return src.section(s, sectionAR, w) })
				}
			}
		})
	}
	nFind := 0
	for _, s := range src.targets {
		nFind += len(s.t.Controls)
	}
	if nFind > 0 {
		j.array(4, "findings", false, func(elem func(any), _ func(func(io.Writer) error)) {
			for _, s := range src.targets {
				for ci := range s.t.Controls {
					elem(b.finding(s, ci))
				}
			}
		})
	}
	j.field(4, "remarks", outcomesExplained(), true)
	j.raw("      }\n    ],\n")
	j.raw("    \"back-matter\": {\n")
	j.array(3, "resources", true, func(elem func(any), _ func(func(io.Writer) error)) {
		elem(plan)
		for i := range src.catalogue {
			elem(b.controlResource(&src.catalogue[i]))
		}
	})
	j.raw("    }\n  }\n}\n")
	return j.err
}

// writePOAM writes the plan of action and milestones of src to w.
func writePOAM(w *bufio.Writer, src *oscalSource) error {
	run := src.head
	b := newOSCALBuilder(run)
	j := &jsonOut{w: w}
	open := 0
	cited := map[string]bool{} // control ids of open findings
	var openTargets []*targetSummary
	for _, s := range src.targets {
		here := 0
		for _, c := range s.t.Controls {
			if state, _ := oscalState(c.Outcome); state != "satisfied" {
				here++
				cited[c.ID] = true
			}
		}
		if here > 0 {
			openTargets = append(openTargets, s)
		}
		open += here
	}
	catByID := make(map[string]*Control, len(src.catalogue))
	for i := range src.catalogue {
		catByID[src.catalogue[i].ID] = &src.catalogue[i]
	}
	mprops := append(b.runProps(), wardProp("open-items", strconv.Itoa(open)))

	j.raw("{\n  \"plan-of-action-and-milestones\": {\n")
	j.field(2, "uuid", oscal.UUID(run.ID, "poam"), false)
	j.field(2, "metadata", b.metadata("Ward plan of action and milestones: run "+run.ID, mprops), false)
	j.raw("    \"local-definitions\": {\n")
	if len(openTargets) > 0 {
		j.array(3, "inventory-items", false, func(elem func(any), _ func(func(io.Writer) error)) {
			for _, s := range openTargets {
				elem(b.inventoryItem(s.index, &s.t))
			}
		})
	}
	j.field(3, "assessment-assets", b.assessmentAssets(), true)
	j.raw("    },\n")
	// Observations are written only when some open finding cites a
	// scenario: an empty array would break the schema.
	hasObs := false
	for _, s := range openTargets {
		for ci, c := range s.t.Controls {
			if state, _ := oscalState(c.Outcome); state != "satisfied" && len(s.related[ci]) > 0 {
				hasObs = true
			}
		}
	}
	if hasObs {
		j.array(2, "observations", false, func(_ func(any), section func(func(io.Writer) error)) {
			for _, s := range openTargets {
				section(func(w io.Writer) error { return src.section(s, sectionPOAM, w) })
			}
		})
	}
	type openItem struct {
		s        *targetSummary
		ci       int
		riskID   string
		deadline time.Time
	}
	var items []openItem
	for _, s := range openTargets {
		for ci, c := range s.t.Controls {
			if state, _ := oscalState(c.Outcome); state == "satisfied" {
				continue
			}
			items = append(items, openItem{s, ci, oscal.UUID(run.ID, "risk", strconv.Itoa(s.index), strconv.Itoa(ci)), controlDeadline(run, c)})
		}
	}
	catOf := func(c *Control) *Control {
		if k := catByID[c.ID]; k != nil {
			return k
		}
		return c
	}
	if len(items) > 0 {
		j.array(2, "risks", false, func(elem func(any), _ func(func(io.Writer) error)) {
			for _, it := range items {
				f := b.finding(it.s, it.ci)
				elem(b.risk(it.s, it.ci, catOf(&it.s.t.Controls[it.ci]), it.riskID, it.deadline, f.RelatedObservations))
			}
		})
		j.array(2, "findings", false, func(elem func(any), _ func(func(io.Writer) error)) {
			for _, it := range items {
				f := b.finding(it.s, it.ci)
				f.RelatedRisks = []oscal.AssociatedRisk{{RiskUUID: it.riskID}}
				elem(f)
			}
		})
	}
	j.array(2, "poam-items", len(cited) == 0, func(elem func(any), _ func(func(io.Writer) error)) {
		if len(items) == 0 {
			elem(oscal.POAMItem{
				UUID:        oscal.UUID(run.ID, "poam-item", "none"),
				Title:       "No open items",
				Description: mdEscape("Every control was satisfied on every target of run " + run.ID + "; nothing needs remediation. OSCAL requires at least one POA&M item, so this item says so."),
				Props:       props(wardProp("placeholder", "true")),
				Origins:     b.origins(),
			})
		}
		for _, it := range items {
			f := b.finding(it.s, it.ci)
			elem(b.poamItem(it.s, it.ci, catOf(&it.s.t.Controls[it.ci]), f, it.riskID, it.deadline))
		}
	})
	if len(cited) > 0 {
		j.raw("    \"back-matter\": {\n")
		j.array(3, "resources", true, func(elem func(any), _ func(func(io.Writer) error)) {
			for i := range src.catalogue {
				if cited[src.catalogue[i].ID] {
					elem(b.controlResource(&src.catalogue[i]))
				}
			}
		})
		j.raw("    }\n")
	}
	j.raw("  }\n}\n")
	return j.err
}

// risk is the POA&M risk of control ci of target s; cat is the control as
// the catalogue gives it (title, citations, remediation).
func (b *oscalBuilder) risk(s *targetSummary, ci int, cat *Control, id string, deadline time.Time, obs []oscal.RelatedObservation) oscal.Risk {
	run := b.run
	t := &s.t
	c := &t.Controls[ci]
	tn, cn := strconv.Itoa(s.index), strconv.Itoa(ci)
	who := t.URI
	if d := identityLine(t); d != "" {
		who += " (" + d + ")"
	}
	stmt := fmt.Sprintf("%s %s", c.ID, nonEmpty(cat.Title, ""))
	if len(cat.Citations) > 0 {
		stmt += " (" + strings.Join(cat.Citations, "; ") + ")"
	}
	stmt += " is " + strings.ToLower(outcomeLabel(c.Outcome)) + " on " + who + ": " + nonEmpty(c.Reason, "no reason recorded") + "."
	full := *c
	full.Remediation = cat.Remediation
	return oscal.Risk{
		UUID:        id,
		Title:       mdLine(c.ID + " " + outcomeLabel(c.Outcome) + " on " + t.URI),
		Description: mdEscape(oneLine(nonEmpty(c.Reason, outcomeLabel(c.Outcome)))),
		Statement:   mdEscape(oneLine(stmt)) + " The requirement is in the control's back-matter resource.",
		Props: props(
			wardProp("severity", c.Severity),
			wardProp("outcome", string(c.Outcome)),
			wardProp("control-id", c.ID),
			wardProp("target-uri", t.URI),
		),
		Status:   riskStatus(c.Outcome),
		Origins:  b.origins(),
		Deadline: deadline.Format(time.RFC3339),
		Remediations: []oscal.Response{{
			UUID:        oscal.UUID(run.ID, "remediation", tn, cn),
			Lifecycle:   "recommendation",
			Title:       mdLine("Remediate " + c.ID + " on " + t.URI),
			Description: mdEscape(remediationText(&full)),
			Origins:     b.origins(),
			Tasks: []oscal.Task{{
				UUID:        oscal.UUID(run.ID, "milestone", tn, cn),
				Type:        "milestone",
				Title:       mdLine("Remediated by " + deadline.Format("2006-01-02")),
				Description: mdEscape(deadlineReason(c.Severity)),
				Timing:      &oscal.Timing{OnDate: &oscal.OnDate{Date: deadline.Format(time.RFC3339)}},
			}},
		}},
		RelatedObservations: obs,
	}
}

func (b *oscalBuilder) poamItem(s *targetSummary, ci int, cat *Control, f oscal.Finding, riskID string, deadline time.Time) oscal.POAMItem {
	t := &s.t
	c := &t.Controls[ci]
	full := *c
	full.Remediation = cat.Remediation
	item := oscal.POAMItem{
		UUID:        oscal.UUID(b.run.ID, "poam-item", strconv.Itoa(s.index), strconv.Itoa(ci)),
		Title:       mdLine(c.ID + " " + cat.Title + ": " + strings.ToLower(outcomeLabel(c.Outcome)) + " on " + t.URI),
		Description: mdEscape(oneLine(nonEmpty(c.Reason, outcomeLabel(c.Outcome)))) + "\n\nRemediation: " + mdEscape(remediationText(&full)),
		Props: props(
			wardProp("deadline", deadline.Format(time.RFC3339)),
			wardProp("severity", c.Severity),
			wardProp("outcome", string(c.Outcome)),
			wardProp("control-id", c.ID),
			wardProp("target-uri", t.URI),
		),
		Origins:             b.origins(),
		RelatedFindings:     []oscal.RelatedFinding{{FindingUUID: f.UUID}},
		RelatedObservations: f.RelatedObservations,
		RelatedRisks:        []oscal.AssociatedRisk{{RiskUUID: riskID}},
	}
	if r := outcomeRemarks(c.Outcome); r != "" {
		item.Remarks = r
	}
	return item
}
