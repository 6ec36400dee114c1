package evidence

import (
	"strings"
	"testing"
)

// waivedRun is sampleRun with the waived control carrying its waiver, and
// an unused (expired) waiver on the failing one.
func waivedRun() *Run {
	run := sampleRun()
	cs := run.Targets[0].Controls
	cs[3].Waiver = &WaiverInfo{ID: "W-CP", Justification: "Plan <in> review\nsecond line", Approver: "Jane Roe", Expires: "2027-01-31", Ticket: "https://tracker.example/SEC-1", Applied: true}
	cs[0].Attestation = &AttestationInfo{ID: "A-T", AttestedBy: "Sam Lee", Date: "2026-06-01", Expires: "2027-06-01", Accepted: true,
		Evidence: []Artifact{{Name: "roster.pdf", Path: "attestations/A-T/roster.pdf", MediaType: "application/pdf", SHA256: strings.Repeat("cd", 32), Size: 10}}}
	cs[1].Waiver = &WaiverInfo{ID: "W-OLD", Justification: "old", Approver: "Al", Expires: "2020-01-01", Note: "waiver W-OLD expired on 2020-01-01 and was ignored"}
	return run
}

func TestWaiverInOSCAL(t *testing.T) {
	run := waivedRun()
	ar, err := AssessmentResults(run)
	if err != nil {
		t.Fatal(err)
	}
	validateOSCAL(t, AssessmentResultsFile, ar)
	checkRefs(t, AssessmentResultsFile, ar)
	poam, err := POAM(run)
	if err != nil {
		t.Fatal(err)
	}
	validateOSCAL(t, POAMFile, poam)

	d := decodeAR(t, run)
	var waived, expired bool
	for _, f := range d.AR.Results[0].Findings {
		switch propOf(f.Props, "waiver-id") {
		case "W-CP":
			waived = true
			for name, want := range map[string]string{"waiver-applied": "true", "waiver-approver": "Jane Roe", "waiver-expires": "2027-01-31",
				"waiver-ticket": "https://tracker.example/SEC-1", "waiver-justification": "Plan <in> review second line"} {
				if got := propOf(f.Props, name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		case "W-OLD":
			expired = true
			if got := propOf(f.Props, "waiver-applied"); got != "false" {
				t.Errorf("expired waiver applied = %q", got)
			}
		}
	}
	for _, f := range d.AR.Results[0].Findings {
		if propOf(f.Props, "attestation-id") == "A-T" && propOf(f.Props, "attestation-evidence") != "attestations/A-T/roster.pdf sha256:"+strings.Repeat("cd", 32) {
			t.Errorf("attestation evidence prop = %q", propOf(f.Props, "attestation-evidence"))
		}
	}
	if !waived || !expired {
		t.Errorf("findings lack waiver props: waived %v, expired %v", waived, expired)
	}
}

func TestWaiverInReport(t *testing.T) {
	run := waivedRun()
	page, err := targetReportHTML(run, &run.Targets[0], "SHA256:test", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Waiver <code>W-CP</code> applied: approved by Jane Roe, expires 2027-01-31, ticket <code>https://tracker.example/SEC-1</code>. Justification: Plan &lt;in&gt; review",
		"Attestation <code>A-T</code> accepted: attested by Sam Lee on 2026-06-01, expires 2027-06-01. Evidence <code>attestations/A-T/roster.pdf</code>",
		"Waiver <code>W-OLD</code> not applied (waiver W-OLD expired on 2020-01-01 and was ignored)",
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
