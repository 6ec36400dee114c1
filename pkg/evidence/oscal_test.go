package evidence

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/wardsec/ward/pkg/oscal"
)

// oscalSchemaFile is NIST's OSCAL 1.2.2 "complete" JSON Schema, copied from
// the usnistgov/OSCAL release so the tests run from a clean clone.
var oscalSchemaFile = filepath.Join("testdata", "oscal", "oscal_complete_schema-1.2.2.json")

var oscalSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	f, err := os.Open(oscalSchemaFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	// The schema is draft-07 and says so, but be explicit: later drafts
	// treat "format" as an annotation only.
	c.DefaultDraft(jsonschema.Draft7)
	// Check formats (date-time, uri, uri-reference, email) as assertions.
	c.AssertFormat()
	// Patterns: the schema's tokens use \p{L} and \p{N}, which ECMA-262
	// engines reject without the u flag (regexp2 in ECMAScript mode, for
	// one). The default engine, Go's regexp (RE2 syntax), supports Unicode
	// classes and compiles every pattern of the schema, so no
	// UseRegexpEngine is needed; keep the default rather than a
	// "compatible" engine that silently accepts patterns it misreads.
	const id = "http://csrc.nist.gov/ns/oscal/1.0/1.2.2/oscal-complete-schema.json"
	if err := c.AddResource(id, doc); err != nil {
		return nil, err
	}
	return c.Compile(id)
})

func validateOSCAL(t *testing.T, name string, data []byte) {
	t.Helper()
	sch, err := oscalSchema()
	if err != nil {
		t.Fatalf("compiling %s: %v", oscalSchemaFile, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("%s does not validate against OSCAL 1.2.2:\n%v", name, err)
	}
}

func checkRefs(t *testing.T, name string, data []byte) {
	t.Helper()
	ps, err := CheckOSCALReferences(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, p := range ps {
		t.Errorf("%s: %s", name, p)
	}
}

// passingRun is vectorRun with every control satisfied.
func passingRun() *Run {
	r := vectorRun()
	r.ID = "passing-run"
	t := &r.Targets[0]
	t.Controls[1].Outcome, t.Controls[1].Reason = Satisfied, "all 1 scenarios passed"
	t.Scenarios[1].Status = ScenarioPassed
	t.Scenarios[1].Steps[0].Status, t.Scenarios[1].Steps[0].Error = "passed", ""
	return r
}

// oddRun has what the OSCAL mapping must survive: ids that are not tokens,
// no times, empty identities, hostile text, a control naming a scenario
// that was not recorded, a duplicate control, no artifacts.
func oddRun() *Run {
	return &Run{
		ID:   "odd\nrun <&>",
		Tool: Tool{Name: "  ", Version: " "},
		Targets: []Target{
			{URI: "", Controls: []Control{
				{ID: "524B-b-2", Framework: "fdca-524b", Title: "\n", Outcome: "mystery", Severity: "catastrophic", Scenarios: []string{"gone"}},
				{ID: "", Outcome: Waived, Severity: "LOW"},
				{ID: "524B-b-2", Outcome: Error},
			}},
			{URI: "sim://x", Identity: deviceIdentity("  "), Controls: []Control{
				{ID: "HIPAA-164.312(a)(2)(iv)", Title: "*bold* [link](javascript:alert(1)) <script>", Outcome: NotApplicable, Reason: "a\nb", Scenarios: []string{"s", "s"}},
			}, Scenarios: []Scenario{{ID: "s", Name: "", Status: ScenarioNotApplicable, Steps: []Step{{Keyword: "Given", Text: "x", Status: "skipped", Observed: "<b>\n</b>"}}}}},
		},
	}
}

func emptyRun() *Run {
	return &Run{ID: "empty", Tool: Tool{Name: "ward", Version: "1"}, Started: t0, Finished: t0}
}

func TestOSCALValidatesAgainstSchema(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  *Run
	}{
		{"passing", passingRun()},
		{"failing", sampleRun()},
		{"vector", vectorRun()},
		{"odd", oddRun()},
		{"empty", emptyRun()},
		{"fleet", fleetRun(t, 3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ar, err := AssessmentResults(tc.run)
			if err != nil {
				t.Fatal(err)
			}
			validateOSCAL(t, AssessmentResultsFile, ar)
			checkRefs(t, AssessmentResultsFile, ar)
			poam, err := POAM(tc.run)
			if err != nil {
				t.Fatal(err)
			}
			validateOSCAL(t, POAMFile, poam)
			checkRefs(t, POAMFile, poam)
		})
	}
}

// TestOSCALSchemaRejects makes sure the validation above can fail: each
// edit breaks the schema.
func TestOSCALSchemaRejects(t *testing.T) {
	ar, err := AssessmentResults(sampleRun())
	if err != nil {
		t.Fatal(err)
	}
	sch, err := oscalSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, old, new string }{
		{"uuid-version-1", `"uuid": "`, `"uuid": "00000000-0000-1000-8000-000000000000", "x": "`},
		{"bad-state", `"state":"not-satisfied"`, `"state":"failed"`},
		{"bad-method", `"TEST"`, `""`},
		{"bad-date", `"collected":"2025-`, `"collected":"1025-`},
		{"unknown-field", `"reviewed-controls": {`, `"reviewed-controls": {"x": 1,`},
		{"empty-prop", `"value":"high"`, `"value":""`},
		{"bad-token", `"control-id": "HIPAA-164.312_d_"`, `"control-id": "1 2"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := strings.Replace(string(ar), tc.old, tc.new, 1)
			if edited == string(ar) {
				t.Fatalf("%q not found", tc.old)
			}
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(edited))
			if err != nil {
				t.Fatal(err)
			}
			if sch.Validate(inst) == nil {
				t.Errorf("schema accepted the edit")
			}
		})
	}
}

// oscalGoldens are the committed outputs for sampleRun and passingRun;
// regenerate with `go test -run TestOSCALGolden -update`.
func TestOSCALGolden(t *testing.T) {
	for _, tc := range []struct {
		file string
		run  *Run
		fn   func(*Run) ([]byte, error)
	}{
		{"sample-assessment-results.json", sampleRun(), AssessmentResults},
		{"sample-poam.json", sampleRun(), POAM},
		{"passing-poam.json", passingRun(), POAM},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := tc.fn(tc.run)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := tc.fn(tc.run)
			if !bytes.Equal(got, again) {
				t.Fatal("two renderings of the same run differ")
			}
			golden := filepath.Join("testdata", "oscal", tc.file)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs (-want +got; -update to accept):\n%s", golden, diff)
			}
		})
	}
}

// Only the parts of the documents the mapping tests read.
type arDoc struct {
	AR struct {
		UUID     string `json:"uuid"`
		Metadata struct {
			Version      string `json:"version"`
			OSCALVersion string `json:"oscal-version"`
			LastModified string `json:"last-modified"`
		} `json:"metadata"`
		ImportAP struct {
			Href string `json:"href"`
		} `json:"import-ap"`
		Results []struct {
			Start            string `json:"start"`
			End              string `json:"end"`
			ReviewedControls struct {
				ControlSelections []struct {
					IncludeControls []struct {
						ControlID string `json:"control-id"`
					} `json:"include-controls"`
				} `json:"control-selections"`
			} `json:"reviewed-controls"`
			Observations []oscal.Observation `json:"observations"`
			Findings     []oscal.Finding     `json:"findings"`
		} `json:"results"`
		BackMatter oscal.BackMatter `json:"back-matter"`
	} `json:"assessment-results"`
}

type poamDoc struct {
	P oscal.POAM `json:"plan-of-action-and-milestones"`
}

func propOf(ps []oscal.Prop, name string) string {
	for _, p := range ps {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

func decodeAR(t *testing.T, run *Run) arDoc {
	t.Helper()
	data, err := AssessmentResults(run)
	if err != nil {
		t.Fatal(err)
	}
	var d arDoc
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func decodePOAM(t *testing.T, run *Run) poamDoc {
	t.Helper()
	data, err := POAM(run)
	if err != nil {
		t.Fatal(err)
	}
	var d poamDoc
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestOSCALAssessmentResultsMapping(t *testing.T) {
	run := sampleRun()
	run.Targets[0].Controls[1].Requirement = "Verify that a person seeking access is the one claimed."
	d := decodeAR(t, run).AR
	if d.Metadata.Version != "0.1.0" || d.Metadata.OSCALVersion != "1.2.2" || d.Metadata.LastModified != "2025-03-14T09:28:23Z" {
		t.Errorf("metadata = %+v", d.Metadata)
	}
	if len(d.Results) != 1 {
		t.Fatalf("%d results, want one per run", len(d.Results))
	}
	res := d.Results[0]
	if res.Start != "2025-03-14T09:26:53Z" || res.End != "2025-03-14T09:28:23Z" {
		t.Errorf("result start/end = %s %s", res.Start, res.End)
	}
	var ids []string
	for _, c := range res.ReviewedControls.ControlSelections[0].IncludeControls {
		ids = append(ids, c.ControlID)
	}
	if diff := cmp.Diff([]string{"HIPAA-164.312_a__2__iv_", "HIPAA-164.312_d_", "FDA-APPX1-UPDATE", "HIPAA-164.308_a__7_", "HIPAA-164.312_b_"}, ids); diff != "" {
		t.Errorf("reviewed controls (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(d.ImportAP.Href, "#") || d.BackMatter.Resources[0].UUID != d.ImportAP.Href[1:] {
		t.Errorf("import-ap %q does not name the first back-matter resource", d.ImportAP.Href)
	}

	// One observation per scenario execution, with its evidence.
	if len(res.Observations) != len(run.Targets[0].Scenarios) {
		t.Fatalf("%d observations, want %d", len(res.Observations), len(run.Targets[0].Scenarios))
	}
	o := res.Observations[0]
	if diff := cmp.Diff([]string{"TEST"}, o.Methods); diff != "" {
		t.Error(diff)
	}
	if o.Collected != "2025-03-14T09:26:55Z" || o.Subjects[0].Type != "inventory-item" || propOf(o.Props, "scenario-id") != "s-atrest-1" {
		t.Errorf("observation = %+v", o)
	}
	resources := map[string]oscal.Resource{}
	for _, r := range d.BackMatter.Resources {
		resources[r.UUID] = r
	}
	// Artifacts are cited at their content-addressed path, which is their
	// SHA-256: the manifest lists it, nothing repeats it.
	for i, a := range run.Targets[0].Scenarios[0].Artifacts {
		ev := o.RelevantEvidence[i]
		if ev.Href != "objects/sha256/"+sha256hex(a.Data)[:2]+"/"+sha256hex(a.Data)[2:] || !strings.Contains(ev.Description, a.Name) {
			t.Errorf("evidence %d = %+v", i, ev)
		}
	}
	// The catalogue's text is stated once, in the control's back-matter
	// resource, which each finding on the control links to.
	for _, f := range res.Findings {
		c := run.Targets[0].Controls[slices.IndexFunc(run.Targets[0].Controls, func(c Control) bool { return oscalToken(c.ID) == f.Target.TargetID })]
		if len(f.Links) != 1 {
			t.Fatalf("finding %s links %v, want its control's resource", c.ID, f.Links)
		}
		r := resources[strings.TrimPrefix(f.Links[0].Href, "#")]
		if r.Title != mdLine(c.ID+" "+c.Title) || r.Description != mdEscape(c.Requirement) || propOf(r.Props, "severity") != c.Severity {
			t.Errorf("resource of %s = %+v", c.ID, r)
		}
	}
	if ev := res.Observations[2].RelevantEvidence; len(ev) != 1 || ev[0].Href != ResultsFile {
		t.Errorf("a scenario without artifacts points at results.json: %+v", ev)
	}

	// One finding per control and target, its state from the outcome.
	type st struct{ Outcome, State, Reason, Impl string }
	var got []st
	for _, f := range res.Findings {
		impl := ""
		if f.Target.ImplementationStatus != nil {
			impl = f.Target.ImplementationStatus.State
		}
		if f.Target.Type != "objective-id" {
			t.Errorf("finding target type %q", f.Target.Type)
		}
		got = append(got, st{propOf(f.Props, "outcome"), f.Target.Status.State, f.Target.Status.Reason, impl})
	}
	want := []st{
		{"satisfied", "satisfied", "pass", ""},
		{"not-satisfied", "not-satisfied", "fail", ""},
		{"not-applicable", "not-satisfied", "other", "not-applicable"},
		{"waived", "not-satisfied", "other", ""},
		{"error", "not-satisfied", "other", ""},
		{"error", "not-satisfied", "other", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("finding states (-want +got):\n%s", diff)
	}
	// The failing control links both its scenarios' observations.
	obsOf := map[string]string{}
	for _, o := range res.Observations {
		obsOf[o.UUID] = propOf(o.Props, "scenario-id")
	}
	var linked []string
	for _, r := range res.Findings[1].RelatedObservations {
		linked = append(linked, obsOf[r.ObservationUUID])
	}
	if diff := cmp.Diff([]string{"s-mfa-1", "s-mfa-2"}, linked); diff != "" {
		t.Errorf("related observations (-want +got):\n%s", diff)
	}
}

func TestOSCALPOAMMapping(t *testing.T) {
	run := sampleRun()
	run.Targets[0].Controls[1].Remediation = "Require a second factor for privileged roles."
	ar := decodeAR(t, run).AR
	p := decodePOAM(t, run).P

	findings := map[string]oscal.Finding{}
	for _, f := range ar.Results[0].Findings {
		findings[f.UUID] = f
	}
	// One item per finding that is not satisfied, in order.
	var notSatisfied []string
	for _, f := range ar.Results[0].Findings {
		if f.Target.Status.State == "not-satisfied" {
			notSatisfied = append(notSatisfied, f.UUID)
		}
	}
	var linked []string
	for _, item := range p.POAMItems {
		if len(item.RelatedFindings) != 1 || len(item.RelatedRisks) != 1 {
			t.Fatalf("item %q: %d findings, %d risks", item.Title, len(item.RelatedFindings), len(item.RelatedRisks))
		}
		linked = append(linked, item.RelatedFindings[0].FindingUUID)
	}
	if diff := cmp.Diff(notSatisfied, linked); diff != "" {
		t.Errorf("POA&M items' findings (-want +got):\n%s", diff)
	}
	// The findings in the POA&M are the assessment results' (same uuids,
	// same observations), plus the risk.
	for _, f := range p.Findings {
		a, ok := findings[f.UUID]
		if !ok {
			t.Errorf("POA&M finding %s is not in the assessment results", f.UUID)
			continue
		}
		if diff := cmp.Diff(a.RelatedObservations, f.RelatedObservations); diff != "" {
			t.Errorf("finding %s observations differ:\n%s", f.UUID, diff)
		}
	}

	risks := map[string]oscal.Risk{}
	for _, r := range p.Risks {
		risks[r.UUID] = r
	}
	type item struct{ Control, Outcome, Status, Deadline string }
	var got []item
	for _, it := range p.POAMItems {
		r := risks[it.RelatedRisks[0].RiskUUID]
		if r.Deadline != propOf(it.Props, "deadline") || r.Remediations[0].Tasks[0].Timing.OnDate.Date != r.Deadline {
			t.Errorf("%s: deadlines disagree: risk %s, prop %s", it.Title, r.Deadline, propOf(it.Props, "deadline"))
		}
		got = append(got, item{propOf(it.Props, "control-id"), propOf(it.Props, "outcome"), r.Status, r.Deadline})
	}
	// Run end 2025-03-14T09:28:23Z; high is 30 days, medium 90; the
	// unopened target's control has no severity, so high's 30.
	want := []item{
		{"HIPAA-164.312(d)", "not-satisfied", "open", "2025-04-13T09:28:23Z"},
		{"FDA-APPX1-UPDATE", "not-applicable", "investigating", "2025-04-13T09:28:23Z"},
		{"HIPAA-164.308(a)(7)", "waived", "deviation-approved", "2025-06-12T09:28:23Z"},
		{"HIPAA-164.312(b)", "error", "open", "2025-04-13T09:28:23Z"},
		{"HIPAA-164.312(d)", "error", "open", "2025-04-13T09:28:23Z"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("POA&M items (-want +got):\n%s", diff)
	}
	if r := risks[p.POAMItems[0].RelatedRisks[0].RiskUUID]; r.Remediations[0].Description != "Require a second factor for privileged roles." {
		t.Errorf("remediation = %q, want the control's", r.Remediations[0].Description)
	}
	if !strings.Contains(p.POAMItems[0].Description, "Require a second factor") {
		t.Errorf("item description does not carry the remediation: %q", p.POAMItems[0].Description)
	}
	if n := propOf(p.Metadata.Props, "open-items"); n != "5" {
		t.Errorf("open-items = %q", n)
	}

	// A passing run: one placeholder item, and nothing else.
	pp := decodePOAM(t, passingRun()).P
	if len(pp.POAMItems) != 1 || propOf(pp.POAMItems[0].Props, "placeholder") != "true" || len(pp.Findings) != 0 || len(pp.Risks) != 0 || propOf(pp.Metadata.Props, "open-items") != "0" {
		t.Errorf("passing POA&M = %+v", pp)
	}
}

func TestRemediationDeadline(t *testing.T) {
	run := &Run{Started: t0, Finished: t0.Add(90*time.Minute + 500*time.Millisecond)}
	end := t0.Add(90 * time.Minute)
	for sev, days := range map[string]int{"critical": 15, "high": 30, "medium": 90, "low": 180, "Low ": 180, "": 30, "severe": 30} {
		if got, want := RemediationDeadline(run, sev), end.AddDate(0, 0, days); !got.Equal(want) {
			t.Errorf("%q: %v, want %v", sev, got, want)
		}
	}
	if got := RemediationDeadline(&Run{Started: t0}, "low"); !got.Equal(t0.AddDate(0, 0, 180)) {
		t.Errorf("no end time: %v", got)
	}
}

var uuidV5RE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestOSCALUUID(t *testing.T) {
	// The vector in docs/evidence-bundle.md.
	if got, want := oscal.UUID("vector-run-1", "finding", "0", "1"), "1ed4b34f-b31b-5a01-96bb-e446fd93ef69"; got != want {
		t.Errorf("oscalUUID = %s, want %s", got, want)
	}
	seen := map[string]bool{}
	for _, parts := range [][]string{{"a", "b"}, {"ab"}, {"a", "", "b"}, {"", "ab"}, {"b", "a"}} {
		u := oscal.UUID("run", parts...)
		if !uuidV5RE.MatchString(u) {
			t.Errorf("%q: %s is not a version 5 UUID", parts, u)
		}
		if seen[u] {
			t.Errorf("%q: %s collides", parts, u)
		}
		seen[u] = true
	}
	if oscal.UUID("run-a", "x") == oscal.UUID("run-b", "x") {
		t.Error("different runs share a UUID")
	}
	// Every uuid of a document is different from every other.
	other := sampleRun()
	other.ID = "another-run"
	a, _ := AssessmentResults(sampleRun())
	b, _ := AssessmentResults(other)
	uuidRE := regexp.MustCompile(`"uuid": "([^"]+)"`)
	inA := map[string]bool{}
	for _, m := range uuidRE.FindAllStringSubmatch(string(a), -1) {
		inA[m[1]] = true
	}
	for _, m := range uuidRE.FindAllStringSubmatch(string(b), -1) {
		if inA[m[1]] {
			t.Errorf("uuid %s appears in the documents of two runs", m[1])
		}
	}
}

func TestOSCALToken(t *testing.T) {
	for in, want := range map[string]string{
		"HIPAA-164.312-b":         "HIPAA-164.312-b",
		"524B-b-2":                "_524B-b-2",
		"HIPAA-164.312(a)(2)(iv)": "HIPAA-164.312_a__2__iv_",
		"":                        "_",
		"é-1":                     "é-1",
		"a b":                     "a_b",
	} {
		if got := oscalToken(in); got != want {
			t.Errorf("oscalToken(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkdownEscape(t *testing.T) {
	if got, want := mdEscape(`a *b* [c](d) <e> & f_g \ `+"`h`"), `a \*b\* \[c\](d) \<e\> \& f\_g \\ \`+"`h\\`"; got != want {
		t.Errorf("mdEscape = %q, want %q", got, want)
	}
}

// editJSON decodes doc, applies fn to it and encodes it again.
func editJSON(t *testing.T, doc []byte, fn func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// at walks m along a path of keys and indexes.
func at(m any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m = m.(map[string]any)[k]
		case int:
			m = m.([]any)[k]
		}
	}
	return m
}

func TestCheckOSCALReferences(t *testing.T) {
	ar, err := AssessmentResults(sampleRun())
	if err != nil {
		t.Fatal(err)
	}
	poam, err := POAM(sampleRun())
	if err != nil {
		t.Fatal(err)
	}
	result := func(m map[string]any) map[string]any {
		return at(m, "assessment-results", "results", 0).(map[string]any)
	}
	finding := func(m map[string]any, i int) map[string]any { return at(result(m), "findings", i).(map[string]any) }
	obs := func(m map[string]any, i int) map[string]any { return at(result(m), "observations", i).(map[string]any) }
	const (
		f1obs0 = "/assessment-results/results/0/findings/1/related-observations/0/observation-uuid"
	)
	for _, tc := range []struct {
		name   string
		doc    []byte
		edit   func(m map[string]any)
		want   []string // pointers
		detail string
	}{
		{"ok/assessment-results", ar, func(map[string]any) {}, nil, ""},
		{"ok/poam", poam, func(map[string]any) {}, nil, ""},
		{"fail/observation-removed", ar, func(m map[string]any) {
			r := result(m)
			r["observations"] = slices.Delete(r["observations"].([]any), 1, 2) // s-mfa-1
		}, []string{f1obs0}, "names no observation"},
		{"fail/dangling-observation-uuid", ar, func(m map[string]any) {
			at(finding(m, 1), "related-observations", 0).(map[string]any)["observation-uuid"] = "12345678-1234-5678-9abc-123456789abc"
		}, []string{f1obs0}, "observation-uuid 12345678-1234-5678-9abc-123456789abc names no observation"},
		{"fail/observation-uuid-names-a-finding", ar, func(m map[string]any) {
			at(finding(m, 1), "related-observations", 0).(map[string]any)["observation-uuid"] = finding(m, 0)["uuid"]
		}, []string{f1obs0}, "names a finding"},
		{"fail/subject-not-inventory-item", ar, func(m map[string]any) {
			at(obs(m, 0), "subjects", 0).(map[string]any)["subject-uuid"] = obs(m, 1)["uuid"]
		}, []string{"/assessment-results/results/0/observations/0/subjects/0/subject-uuid"}, "names a observation"},
		{"fail/tool-actor-missing", ar, func(m map[string]any) {
			obs(m, 2)["origins"] = []any{map[string]any{"actors": []any{map[string]any{"type": "tool", "actor-uuid": "00000000-0000-4000-8000-000000000000"}}}}
		}, []string{"/assessment-results/results/0/observations/2/origins/0/actors/0/actor-uuid"}, "names no component"},
		{"fail/party-missing", ar, func(m map[string]any) {
			at(m, "assessment-results", "metadata", "responsible-parties", 0).(map[string]any)["party-uuids"] = []any{"00000000-0000-4000-8000-000000000000"}
		}, []string{"/assessment-results/metadata/responsible-parties/0/party-uuids/0"}, "names no party"},
		{"fail/duplicate-uuid", ar, func(m map[string]any) {
			obs(m, 1)["uuid"] = obs(m, 0)["uuid"]
		}, []string{f1obs0, "/assessment-results/results/0/observations/1/uuid"}, ""},
		{"fail/href-fragment", ar, func(m map[string]any) {
			at(m, "assessment-results", "import-ap").(map[string]any)["href"] = "#nowhere"
		}, []string{"/assessment-results/import-ap/href"}, "href #nowhere names no element"},
		{"fail/target-id-not-reviewed", ar, func(m map[string]any) {
			at(finding(m, 0), "target").(map[string]any)["target-id"] = "HIPAA-999"
		}, []string{"/assessment-results/results/0/findings/0/target/target-id"}, "not one of the reviewed controls"},
		{"fail/poam-risk-missing", poam, func(m map[string]any) {
			p := at(m, "plan-of-action-and-milestones").(map[string]any)
			p["risks"] = p["risks"].([]any)[1:]
		}, []string{
			"/plan-of-action-and-milestones/findings/0/related-risks/0/risk-uuid",
			"/plan-of-action-and-milestones/poam-items/0/related-risks/0/risk-uuid",
		}, "risk-uuid"},
		{"fail/poam-finding-missing", poam, func(m map[string]any) {
			p := at(m, "plan-of-action-and-milestones").(map[string]any)
			p["findings"] = p["findings"].([]any)[:4]
		}, []string{"/plan-of-action-and-milestones/poam-items/4/related-findings/0/finding-uuid"}, "names no finding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := editJSON(t, tc.doc, tc.edit)
			ps, err := CheckOSCALReferences(bytes.NewReader(doc))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.Pointer)
				if tc.detail != "" && !strings.Contains(p.Detail, tc.detail) {
					t.Errorf("detail %q does not contain %q", p.Detail, tc.detail)
				}
				if strings.Contains(p.String(), "\n") {
					t.Errorf("problem spans lines: %q", p)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s\n%v", diff, ps)
			}
		})
	}
}

// TestCheckOSCALReferencesStreams reads documents one byte at a time, so
// every token crosses a buffer boundary.
func TestCheckOSCALReferencesStreams(t *testing.T) {
	ar, _ := AssessmentResults(sampleRun())
	bad := editJSON(t, ar, func(m map[string]any) {
		at(m, "assessment-results", "import-ap").(map[string]any)["href"] = "#nowhere\u00e9\"x"
	})
	for _, doc := range [][]byte{ar, bad} {
		want, err := CheckOSCALReferences(bytes.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		got, err := CheckOSCALReferences(&oneByteReader{doc})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("byte-at-a-time differs:\n%s", diff)
		}
	}
}

type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}

// A finding whose risk a waiver accepted is due when the waiver expires,
// not by the severity rule.
func TestWaivedDeadlineIsTheWaiverExpiry(t *testing.T) {
	run := &Run{Started: t0, Finished: t0}
	waived := Control{Outcome: Waived, Severity: "low", Waiver: &WaiverInfo{ID: "W", Expires: "2027-01-31", Applied: true}}
	if got, want := controlDeadline(run, waived), time.Date(2027, 1, 31, 23, 59, 59, 0, time.UTC); !got.Equal(want) {
		t.Errorf("waived: %v, want %v", got, want)
	}
	unused := Control{Outcome: NotSatisfied, Severity: "low", Waiver: &WaiverInfo{ID: "W", Expires: "2027-01-31"}}
	if got, want := controlDeadline(run, unused), RemediationDeadline(run, "low"); !got.Equal(want) {
		t.Errorf("waiver not applied: %v, want %v", got, want)
	}
}
