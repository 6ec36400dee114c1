package evidence

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
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
const OSCALVersion = "1.2.2"

// OSCALNamespace is the ns of the props Ward defines itself (outcome,
// severity, sha256, ...). Props without ns use OSCAL's own names.
const OSCALNamespace = "https://github.com/wardsec/ward/ns/oscal"

// uuidDomain starts every hashed UUID input, so Ward's OSCAL UUIDs cannot
// collide with other SHA-256-derived identifiers.
const uuidDomain = "ward-oscal-uuid/1\n"

// oscalUUID returns the UUID of one element of a run's OSCAL documents: the
// first 16 bytes of SHA-256(uuidDomain || for each of runID and parts: its
// length as 8 bytes big-endian || its bytes), with the version nibble set to
// 5 and the RFC 4122 variant bits. The shape is that of a name-based (v5)
// UUID, which the OSCAL schema accepts, but the hash is SHA-256 rather than
// RFC 4122's SHA-1, which FIPS 140-3 mode does not offer. The same run always
// yields the same UUIDs, so documents are reproducible and the assessment
// results and POA&M of one run name a finding or observation alike.
func oscalUUID(runID string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(uuidDomain))
	var n [8]byte
	for _, p := range append([]string{runID}, parts...) {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	u := h.Sum(sum[:0])[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], u[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], u[10:16])
	return string(out[:])
}

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

// AssessmentResults renders run as an OSCAL 1.2.2 assessment-results
// document (assessment-results.json): one result for the run, its reviewed
// controls, an observation per scenario execution (method TEST) and a
// finding per control and target. See docs/evidence-bundle.md for the
// mapping. Artifacts are referenced at their bundle paths; their SHA-256 is
// taken from Artifact.SHA256, or computed from Data when that is empty.
func AssessmentResults(run *Run) ([]byte, error) {
	if run == nil {
		return nil, errors.New("evidence: AssessmentResults: nil run")
	}
	b := newOSCALBuilder(run)
	doc := oscalARDocument{AssessmentResults: b.assessmentResults()}
	out, err := marshalJSON(&doc)
	if err != nil {
		return nil, fmt.Errorf("evidence: encoding %s: %w", AssessmentResultsFile, err)
	}
	return out, nil
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
	b := newOSCALBuilder(run)
	doc := oscalPOAMDocument{POAM: b.poam()}
	out, err := marshalJSON(&doc)
	if err != nil {
		return nil, fmt.Errorf("evidence: encoding %s: %w", POAMFile, err)
	}
	return out, nil
}

// oscalBuilder computes the elements both documents share.
type oscalBuilder struct {
	run                       *Run
	party, toolComp, platform string
	targets                   []targetIDs
}

type targetIDs struct {
	item     string         // inventory-item uuid
	scenario map[string]int // Scenario.ID -> first index
	obs      []string       // observation uuid per scenario
	finding  []string       // finding uuid per control
	evidence [][]string     // back-matter resource uuid per scenario, per artifact
}

func newOSCALBuilder(run *Run) *oscalBuilder {
	b := &oscalBuilder{
		run:      run,
		party:    oscalUUID(run.ID, "party", "ward"),
		toolComp: oscalUUID(run.ID, "component", "ward"),
		platform: oscalUUID(run.ID, "assessment-platform", "ward"),
		targets:  make([]targetIDs, len(run.Targets)),
	}
	for ti := range run.Targets {
		t := &run.Targets[ti]
		tn := strconv.Itoa(ti)
		ids := &b.targets[ti]
		ids.item = oscalUUID(run.ID, "target", tn)
		ids.scenario = make(map[string]int, len(t.Scenarios))
		ids.obs = make([]string, len(t.Scenarios))
		ids.evidence = make([][]string, len(t.Scenarios))
		for si := range t.Scenarios {
			s := &t.Scenarios[si]
			if _, dup := ids.scenario[s.ID]; !dup {
				ids.scenario[s.ID] = si
			}
			sn := strconv.Itoa(si)
			ids.obs[si] = oscalUUID(run.ID, "observation", tn, sn)
			for ai := range s.Artifacts {
				ids.evidence[si] = append(ids.evidence[si], oscalUUID(run.ID, "evidence", tn, sn, strconv.Itoa(ai)))
			}
		}
		ids.finding = make([]string, len(t.Controls))
		for ci := range t.Controls {
			ids.finding[ci] = oscalUUID(run.ID, "finding", tn, strconv.Itoa(ci))
		}
	}
	return b
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

func (b *oscalBuilder) metadata(title string, props []oscalProp) oscalMetadata {
	return oscalMetadata{
		Title:        mdLine(title),
		LastModified: oscalTime(runEnd(b.run)),
		Version:      b.version(),
		OSCALVersion: OSCALVersion,
		Props:        props,
		Roles: []oscalRole{{
			ID:          "assessor",
			Title:       "Assessor",
			Description: "Ran the checks and recorded the results. For Ward runs this is the harness itself; the person accountable is whoever holds the key that signed the bundle.",
		}},
		Parties: []oscalParty{{
			UUID:      b.party,
			Type:      "organization",
			Name:      "Ward automated assessment (" + b.toolLabel() + ")",
			ShortName: "Ward",
			Props:     props1(wardProp("tool-version", b.version())),
			Remarks:   "The Ward compliance harness, which produced this document. The evidence bundle's manifest.json names the key that signed it.",
		}},
		ResponsibleParties: []oscalResponsibleParty{{RoleID: "assessor", PartyUUIDs: []string{b.party}}},
	}
}

func (b *oscalBuilder) runProps() []oscalProp {
	return props(
		wardProp("run-id", b.run.ID),
		wardProp("catalogue-digest", b.run.Catalogue.Digest),
		wardProp("catalogue-source", b.run.Catalogue.Source),
		wardProp("fips", strconv.FormatBool(b.run.Tool.FIPS)),
	)
}

func (b *oscalBuilder) assessmentAssets() *oscalAssessmentAssets {
	return &oscalAssessmentAssets{
		Components: []oscalComponent{{
			UUID:        b.toolComp,
			Type:        "software",
			Title:       mdLine(b.toolLabel()),
			Description: "Ward, the compliance harness that ran the Gherkin scenarios against the targets and derived each control's outcome.",
			Props:       props(oscalProp{Name: "version", Value: b.version()}, wardProp("fips", strconv.FormatBool(b.run.Tool.FIPS))),
			Status:      oscalCompStatus{State: "operational"},
		}},
		AssessmentPlatforms: []oscalPlatform{{
			UUID:           b.platform,
			Title:          mdLine(b.toolLabel()),
			UsesComponents: []oscalComponRef{{ComponentUUID: b.toolComp}},
		}},
	}
}

func (b *oscalBuilder) origins() []oscalOrigin {
	return []oscalOrigin{{Actors: []oscalActor{{Type: "tool", ActorUUID: b.toolComp}}}}
}

func (b *oscalBuilder) inventoryItem(ti int) oscalInventoryItem {
	t := &b.run.Targets[ti]
	id := t.Identity
	desc := "Target " + mdEscape(t.URI)
	if d := identityLine(t); d != "" {
		desc += ": " + mdEscape(d)
	}
	item := oscalInventoryItem{
		UUID:        b.targets[ti].item,
		Description: desc + ".",
		Props: props(
			oscalProp{Name: "uri", Value: propValue(t.URI)},
			oscalProp{Name: "hardware-model", Value: propValue(id.Model)},
			oscalProp{Name: "serial-number", Value: propValue(id.Serial)},
			oscalProp{Name: "software-version", Value: propValue(id.Firmware), Class: "firmware"},
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

// identityLine describes a device in words: "Acme IP-200, serial 42,
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
// as Write does when the run has not been through Write.
func artifactRef(s *Scenario, a *Artifact) (p, sum string, size int64) {
	p, sum, size = a.Path, a.SHA256, a.Size
	if p == "" {
		p = path.Join(ArtifactsDir, s.ID, a.Name)
	}
	if sum == "" {
		sum = sha256hex(a.Data)
		size = int64(len(a.Data))
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

func (b *oscalBuilder) observation(ti, si int) (oscalObservation, []oscalResource) {
	t := &b.run.Targets[ti]
	s := &t.Scenarios[si]
	ids := &b.targets[ti]

	var d strings.Builder
	fmt.Fprintf(&d, "Scenario %q", s.Name)
	if s.Feature != "" {
		fmt.Fprintf(&d, " of feature %q", s.Feature)
	}
	if s.URI != "" {
		fmt.Fprintf(&d, " (%s:%d)", s.URI, s.Line)
	}
	fmt.Fprintf(&d, " was run against %s: %s", t.URI, s.Status)
	if s.Reason != "" {
		fmt.Fprintf(&d, ": %s", s.Reason)
	}
	desc := mdEscape(oneLine(d.String())) + "."
	if len(s.Steps) > 0 {
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

	obs := oscalObservation{
		UUID:        ids.obs[si],
		Title:       mdLine(s.Name),
		Description: desc,
		Props: props(
			wardProp("scenario-id", s.ID),
			wardProp("scenario-status", string(s.Status)),
			wardProp("feature-file", featureLocation(s)),
		),
		Methods:   []string{"TEST"},
		Types:     []string{"control-objective"},
		Origins:   b.origins(),
		Subjects:  []oscalSubjectRef{{SubjectUUID: ids.item, Type: "inventory-item", Title: mdLine(t.URI)}},
		Collected: oscalTime(scenarioTime(b.run, t, s)),
	}
	if len(s.Artifacts) == 0 {
		// The steps in results.json are then the only record.
		obs.RelevantEvidence = append(obs.RelevantEvidence, oscalRelevantEvidence{
			Href:        ResultsFile,
			Description: mdEscape(fmt.Sprintf("The scenario's record in %s (target %d, scenario id %q): every step with its status and what it observed.", ResultsFile, ti+1, s.ID)),
		})
	}
	var res []oscalResource
	for ai := range s.Artifacts {
		a := &s.Artifacts[ai]
		p, sum, size := artifactRef(s, a)
		rid := ids.evidence[si][ai]
		desc := fmt.Sprintf("Artifact %q attached by the scenario (%d bytes", a.Name, size)
		if a.MediaType != "" {
			desc += ", " + a.MediaType
		}
		obs.RelevantEvidence = append(obs.RelevantEvidence, oscalRelevantEvidence{
			Href:        p,
			Description: mdEscape(oneLine(desc + ").")),
			Props:       props(wardProp("sha256", sum)),
			Links:       []oscalLink{{Href: "#" + rid, Rel: "reference"}},
		})
		res = append(res, oscalResource{
			UUID:  rid,
			Title: mdLine(p),
			RLinks: []oscalRLink{{
				Href:      p,
				MediaType: propValue(a.MediaType),
				Hashes:    []oscalHash{{Algorithm: "SHA-256", Value: sum}},
			}},
		})
	}
	if s.Reason != "" {
		obs.Remarks = mdEscape(s.Reason)
	}
	return obs, res
}

func featureLocation(s *Scenario) string {
	if s.URI == "" {
		return ""
	}
	return s.URI + ":" + strconv.Itoa(s.Line)
}

func (b *oscalBuilder) finding(ti, ci int) oscalFinding {
	t := &b.run.Targets[ti]
	c := &t.Controls[ci]
	ids := &b.targets[ti]
	state, reason := oscalState(c.Outcome)

	ps := props(
		wardProp("control-id", c.ID),
		wardProp("outcome", string(c.Outcome)),
		wardProp("framework", c.Framework),
		wardProp("control-status", c.Status),
		wardProp("severity", c.Severity),
	)
	for _, cit := range c.Citations {
		ps = append(ps, props(wardProp("citation", cit))...)
	}
	ps = append(ps, props(wardProp("target-uri", t.URI))...)
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

	f := oscalFinding{
		UUID:        ids.finding[ci],
		Title:       mdLine(c.ID + " " + c.Title + " on " + t.URI),
		Description: mdEscape(oneLine(outcomeLabel(c.Outcome)+" on "+t.URI+": "+nonEmpty(c.Reason, "no reason recorded"))) + ".",
		Props:       ps,
		Origins:     b.origins(),
		Target: oscalFindingTarget{
			Type:        "objective-id",
			TargetID:    oscalToken(c.ID),
			Title:       mdLine(nonEmpty(c.Title, c.ID)),
			Description: mdEscape(c.Requirement),
			Status:      oscalObjectiveStatus{State: state, Reason: reason, Remarks: outcomeRemarks(c.Outcome)},
		},
	}
	if c.Outcome == NotApplicable {
		f.Target.ImplementationStatus = &oscalImplStatus{State: "not-applicable", Remarks: "Not checked on this target: " + mdEscape(oneLine(c.Reason))}
	}
	seen := make(map[int]bool, len(c.Scenarios))
	var missing []string
	for _, sid := range c.Scenarios {
		si, ok := ids.scenario[sid]
		if !ok {
			missing = append(missing, sid)
			continue
		}
		if !seen[si] {
			seen[si] = true
			f.RelatedObservations = append(f.RelatedObservations, oscalRelatedObs{ObservationUUID: ids.obs[si]})
		}
	}
	if len(missing) > 0 {
		f.Remarks = mdEscape(fmt.Sprintf("The results name scenarios the run did not record: %s.", strings.Join(missing, ", ")))
	}
	return f
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

func (b *oscalBuilder) reviewedControls() oscalReviewedControls {
	var sel []oscalSelectByID
	seen := map[string]bool{}
	for ti := range b.run.Targets {
		for _, c := range b.run.Targets[ti].Controls {
			tok := oscalToken(c.ID)
			if !seen[tok] {
				seen[tok] = true
				sel = append(sel, oscalSelectByID{ControlID: tok})
			}
		}
	}
	rc := oscalReviewedControls{
		Description: "The controls of Ward's catalogue selected for this run. Control ids are Ward's own (see the catalogue in the bundle's results.json); ids that are not OSCAL tokens have their other characters replaced by \\_ and the original kept in the findings' control-id prop.",
	}
	if len(sel) == 0 {
		rc.ControlSelections = []oscalControlSelection{{
			IncludeAll: &struct{}{},
			Remarks:    "The run assessed no control on any target; OSCAL requires a selection, so include-all stands for the (empty) selection of the run.",
		}}
		return rc
	}
	rc.ControlSelections = []oscalControlSelection{{IncludeControls: sel}}
	return rc
}

func (b *oscalBuilder) planResource() oscalResource {
	cat := b.run.Catalogue
	return oscalResource{
		UUID:  oscalUUID(b.run.ID, "assessment-plan"),
		Title: "Ward assessment plan: the control catalogue and features of this run",
		Description: "Ward keeps no separate OSCAL assessment plan: the plan is its control catalogue and Gherkin features, " +
			"identified by the catalogue digest, as selected for this run. import-ap points at this resource so that the " +
			"reference resolves inside the bundle.",
		Props: props(
			wardProp("catalogue-digest", cat.Digest),
			wardProp("catalogue-source", cat.Source),
			wardProp("catalogue-controls", strconv.Itoa(cat.Controls)),
		),
		RLinks: []oscalRLink{{Href: ResultsFile, MediaType: "application/json"}},
	}
}

func (b *oscalBuilder) assessmentResults() oscalAssessmentResults {
	run := b.run
	plan := b.planResource()
	result := oscalResult{
		UUID:  oscalUUID(run.ID, "result"),
		Title: mdLine("Ward run " + run.ID),
		Description: mdEscape(fmt.Sprintf("%s checked %d control(s) of the %s catalogue on %d target(s).",
			b.toolLabel(), countControls(run), nonEmpty(run.Catalogue.Source, "unnamed"), len(run.Targets))),
		Start:            oscalTime(nonZeroTime(run.Started, run.Finished)),
		Props:            b.runProps(),
		LocalDefinitions: &oscalLocalDefs{AssessmentAssets: b.assessmentAssets()},
		ReviewedControls: b.reviewedControls(),
	}
	if !run.Finished.IsZero() {
		result.End = oscalTime(run.Finished)
	}
	resources := []oscalResource{plan}
	for ti := range run.Targets {
		t := &run.Targets[ti]
		result.LocalDefinitions.InventoryItems = append(result.LocalDefinitions.InventoryItems, b.inventoryItem(ti))
		for si := range t.Scenarios {
			o, res := b.observation(ti, si)
			result.Observations = append(result.Observations, o)
			resources = append(resources, res...)
		}
		for ci := range t.Controls {
			result.Findings = append(result.Findings, b.finding(ti, ci))
		}
	}
	return oscalAssessmentResults{
		UUID:       oscalUUID(run.ID, "assessment-results"),
		Metadata:   b.metadata("Ward assessment results: run "+run.ID, b.runProps()),
		ImportAP:   oscalImport{Href: "#" + plan.UUID, Remarks: "Placeholder: points at the back-matter resource describing Ward's catalogue, which serves as the assessment plan."},
		Results:    []oscalResult{result},
		BackMatter: &oscalBackMatter{Resources: resources},
	}
}

func (b *oscalBuilder) poam() oscalPOAM {
	run := b.run
	p := oscalPOAM{
		UUID:             oscalUUID(run.ID, "poam"),
		LocalDefinitions: &oscalLocalDefs{AssessmentAssets: b.assessmentAssets()},
	}
	var resources []oscalResource
	for ti := range run.Targets {
		t := &run.Targets[ti]
		tn := strconv.Itoa(ti)
		ids := &b.targets[ti]
		obsIncluded := make([]bool, len(t.Scenarios))
		openHere := false
		for ci := range t.Controls {
			c := &t.Controls[ci]
			if state, _ := oscalState(c.Outcome); state == "satisfied" {
				continue
			}
			openHere = true
			cn := strconv.Itoa(ci)
			f := b.finding(ti, ci)
			riskID := oscalUUID(run.ID, "risk", tn, cn)
			f.RelatedRisks = []oscalAssociatedRisk{{RiskUUID: riskID}}
			for _, sid := range c.Scenarios {
				if si, ok := ids.scenario[sid]; ok {
					obsIncluded[si] = true
				}
			}
			deadline := controlDeadline(run, *c)
			p.Risks = append(p.Risks, b.risk(ti, ci, riskID, deadline, f.RelatedObservations))
			p.Findings = append(p.Findings, f)
			p.POAMItems = append(p.POAMItems, b.poamItem(ti, ci, f, riskID, deadline))
		}
		if !openHere {
			continue
		}
		p.LocalDefinitions.InventoryItems = append(p.LocalDefinitions.InventoryItems, b.inventoryItem(ti))
		for si := range t.Scenarios {
			if obsIncluded[si] {
				o, res := b.observation(ti, si)
				p.Observations = append(p.Observations, o)
				resources = append(resources, res...)
			}
		}
	}
	open := len(p.POAMItems)
	mprops := append(b.runProps(), wardProp("open-items", strconv.Itoa(open)))
	p.Metadata = b.metadata("Ward plan of action and milestones: run "+run.ID, mprops)
	if open == 0 {
		p.POAMItems = []oscalPOAMItem{{
			UUID:        oscalUUID(run.ID, "poam-item", "none"),
			Title:       "No open items",
			Description: mdEscape("Every control was satisfied on every target of run " + run.ID + "; nothing needs remediation. OSCAL requires at least one POA&M item, so this item says so."),
			Props:       props(wardProp("placeholder", "true")),
			Origins:     b.origins(),
		}}
	}
	if len(resources) > 0 {
		p.BackMatter = &oscalBackMatter{Resources: resources}
	}
	return p
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

func (b *oscalBuilder) risk(ti, ci int, id string, deadline time.Time, obs []oscalRelatedObs) oscalRisk {
	run := b.run
	t := &run.Targets[ti]
	c := &t.Controls[ci]
	tn, cn := strconv.Itoa(ti), strconv.Itoa(ci)
	who := t.URI
	if d := identityLine(t); d != "" {
		who += " (" + d + ")"
	}
	stmt := fmt.Sprintf("%s %s", c.ID, nonEmpty(c.Title, ""))
	if len(c.Citations) > 0 {
		stmt += " (" + strings.Join(c.Citations, "; ") + ")"
	}
	stmt += " is " + strings.ToLower(outcomeLabel(c.Outcome)) + " on " + who + ": " + nonEmpty(c.Reason, "no reason recorded") + "."
	statement := mdEscape(oneLine(stmt))
	if c.Requirement != "" {
		statement += "\n\nRequirement: " + mdEscape(c.Requirement)
	}
	return oscalRisk{
		UUID:        id,
		Title:       mdLine(c.ID + " " + outcomeLabel(c.Outcome) + " on " + t.URI),
		Description: mdEscape(oneLine(nonEmpty(c.Reason, outcomeLabel(c.Outcome)))),
		Statement:   statement,
		Props: props(
			wardProp("severity", c.Severity),
			wardProp("outcome", string(c.Outcome)),
			wardProp("control-id", c.ID),
			wardProp("target-uri", t.URI),
		),
		Status:   riskStatus(c.Outcome),
		Origins:  b.origins(),
		Deadline: deadline.Format(time.RFC3339),
		Remediations: []oscalResponse{{
			UUID:        oscalUUID(run.ID, "remediation", tn, cn),
			Lifecycle:   "recommendation",
			Title:       mdLine("Remediate " + c.ID + " on " + t.URI),
			Description: mdEscape(remediationText(c)),
			Origins:     b.origins(),
			Tasks: []oscalTask{{
				UUID:        oscalUUID(run.ID, "milestone", tn, cn),
				Type:        "milestone",
				Title:       mdLine("Remediated by " + deadline.Format("2006-01-02")),
				Description: mdEscape(deadlineReason(c.Severity)),
				Timing:      &oscalTiming{OnDate: &oscalOnDate{Date: deadline.Format(time.RFC3339)}},
			}},
		}},
		RelatedObservations: obs,
	}
}

func deadlineReason(severity string) string {
	days, ok := remediationDays[strings.ToLower(strings.TrimSpace(severity))]
	if !ok {
		return fmt.Sprintf("Severity %q is not rated; %d days from the end of the run, as for high.", severity, defaultRemediationDays)
	}
	return fmt.Sprintf("Severity %s: %d days from the end of the run.", strings.ToLower(strings.TrimSpace(severity)), days)
}

func (b *oscalBuilder) poamItem(ti, ci int, f oscalFinding, riskID string, deadline time.Time) oscalPOAMItem {
	run := b.run
	t := &run.Targets[ti]
	c := &t.Controls[ci]
	item := oscalPOAMItem{
		UUID:        oscalUUID(run.ID, "poam-item", strconv.Itoa(ti), strconv.Itoa(ci)),
		Title:       mdLine(c.ID + " " + c.Title + ": " + strings.ToLower(outcomeLabel(c.Outcome)) + " on " + t.URI),
		Description: mdEscape(oneLine(nonEmpty(c.Reason, outcomeLabel(c.Outcome)))) + "\n\nRemediation: " + mdEscape(remediationText(c)),
		Props: props(
			wardProp("deadline", deadline.Format(time.RFC3339)),
			wardProp("severity", c.Severity),
			wardProp("outcome", string(c.Outcome)),
			wardProp("control-id", c.ID),
			wardProp("target-uri", t.URI),
		),
		Origins:             b.origins(),
		RelatedFindings:     []oscalRelatedFinding{{FindingUUID: f.UUID}},
		RelatedObservations: f.RelatedObservations,
		RelatedRisks:        []oscalAssociatedRisk{{RiskUUID: riskID}},
	}
	if r := outcomeRemarks(c.Outcome); r != "" {
		item.Remarks = r
	}
	return item
}

func countControls(run *Run) int {
	seen := map[string]bool{}
	for _, t := range run.Targets {
		for _, c := range t.Controls {
			seen[c.ID] = true
		}
	}
	return len(seen)
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

func wardProp(name, value string) oscalProp {
	return oscalProp{Name: name, NS: OSCALNamespace, Value: propValue(value)}
}

// props drops props whose value is empty: OSCAL forbids empty strings.
func props(ps ...oscalProp) []oscalProp {
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

func props1(p oscalProp) []oscalProp { return props(p) }

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
