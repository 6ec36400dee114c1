package harness_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
)

// withChecks gives an attestation a checklist "item 1", "item 2", ... with
// the given done flags.
func withChecks(a harness.Attestation, done ...bool) harness.Attestation {
	for i, d := range done {
		a.Checklist = append(a.Checklist, control.ChecklistItem{Item: fmt.Sprintf("item %d", i+1), Done: d})
	}
	return a
}

func TestApplyAttestations(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse(control.DateLayout, s); return d }
	cat := &control.Catalogue{Controls: []control.Control{
		{ID: "P-1", Verification: control.Verification{Method: control.MethodAttestation, MaxAge: "365d"}},
		{ID: "S-1", Verification: control.Verification{Method: control.MethodScenario}},
	}}
	file := evidence.Artifact{Name: "roster.pdf", Path: "attestations/A/roster.pdf", SHA256: "ab", Size: 2}
	att := func(id, ctl, date, expires string, missing ...string) harness.Attestation {
		return harness.Attestation{Attestation: control.Attestation{ID: id, Control: ctl, AttestedBy: "Sam", Date: day(date), Expires: day(expires), Targets: []string{"*"}},
			Files: []evidence.Artifact{file}, Missing: missing}
	}
	for name, tc := range map[string]struct {
		ctl     string
		outcome evidence.Outcome
		as      []harness.Attestation
		want    evidence.Outcome
		reason  string
		info    bool
	}{
		"accepted":                {"P-1", evidence.NotSatisfied, []harness.Attestation{att("A", "P-1", "2026-06-01", "2027-06-01")}, evidence.Satisfied, "attested by Sam on 2026-06-01, valid until 2027-06-01; evidence: roster.pdf", true},
		"none":                    {"P-1", evidence.NotSatisfied, nil, evidence.NotSatisfied, "no attestation was supplied", false},
		"other control":           {"P-1", evidence.NotSatisfied, []harness.Attestation{att("A", "P-2", "2026-06-01", "2027-06-01")}, evidence.NotSatisfied, "no attestation was supplied", false},
		"expired":                 {"P-1", evidence.NotSatisfied, []harness.Attestation{att("A", "P-1", "2026-06-01", "2026-11-22")}, evidence.NotSatisfied, "attestation A expired on 2026-11-22", true},
		"too old":                 {"P-1", evidence.NotSatisfied, []harness.Attestation{att("A", "P-1", "2025-06-01", "2027-06-01")}, evidence.NotSatisfied, "older than the control's max_age 365d", true},
		"missing evidence":        {"P-1", evidence.NotSatisfied, []harness.Attestation{att("A", "P-1", "2026-06-01", "2027-06-01", "policy.pdf")}, evidence.NotSatisfied, "evidence missing: policy.pdf", true},
		"second one valid":        {"P-1", evidence.NotSatisfied, []harness.Attestation{att("A", "P-1", "2020-06-01", "2021-06-01"), att("B", "P-1", "2026-06-01", "2027-06-01")}, evidence.Satisfied, "attested by Sam", true},
		"scenario control":        {"S-1", evidence.NotSatisfied, []harness.Attestation{att("A", "S-1", "2026-06-01", "2027-06-01")}, evidence.NotSatisfied, "untouched", false},
		"checklist all done":      {"P-1", evidence.NotSatisfied, []harness.Attestation{withChecks(att("A", "P-1", "2026-06-01", "2027-06-01"), true, true)}, evidence.Satisfied, "attested by Sam", true},
		"checklist item not done": {"P-1", evidence.NotSatisfied, []harness.Attestation{withChecks(att("A", "P-1", "2026-06-01", "2027-06-01"), true, false)}, evidence.NotSatisfied, "checklist items not done: item 2", true},
		"target error kept":       {"P-1", evidence.Error, []harness.Attestation{att("A", "P-1", "2026-06-01", "2027-06-01")}, evidence.Error, "untouched", false},
	} {
		t.Run(name, func(t *testing.T) {
			reason := "untouched"
			if tc.ctl == "P-1" && tc.outcome == evidence.NotSatisfied {
				reason = "verified by attestation, and no attestation was supplied"
			}
			run := &evidence.Run{Targets: []evidence.Target{{URI: "sim://x", Controls: []evidence.Control{{ID: tc.ctl, Outcome: tc.outcome, Reason: reason}}}}}
			harness.ApplyAttestations(run, cat, tc.as, now)
			c := run.Targets[0].Controls[0]
			assert.Equal(t, tc.want, c.Outcome)
			assert.Contains(t, c.Reason, tc.reason)
			if !tc.info {
				assert.Nil(t, c.Attestation)
				return
			}
			if assert.NotNil(t, c.Attestation) {
				assert.Equal(t, tc.want == evidence.Satisfied, c.Attestation.Accepted)
				assert.Equal(t, []evidence.Artifact{file}, c.Attestation.Evidence)
			}
		})
	}
}

// One unit's attestation used to satisfy the control on every target of a
// fleet. Now it covers the targets its globs match; the others stay not
// assessed.
func TestAttestationCoversOnlyItsTargets(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cat := &control.Catalogue{Controls: []control.Control{
		{ID: "P-1", Verification: control.Verification{Method: control.MethodAttestation}},
	}}
	a := harness.Attestation{Attestation: control.Attestation{ID: "PM-UNIT-7", Control: "P-1", AttestedBy: "Ravi",
		Date: now.AddDate(0, 0, -3), Expires: now.AddDate(1, 0, 0), Targets: []string{"ssh://*@10.0.0.7*"}}}
	run := &evidence.Run{}
	for _, uri := range []string{"ssh://root@10.0.0.7:22", "ssh://root@10.0.0.8:22"} {
		run.Targets = append(run.Targets, evidence.Target{URI: uri, Controls: []evidence.Control{
			{ID: "P-1", Outcome: evidence.NotAssessed, Reason: harness.NotAssessedReason}}})
	}
	harness.ApplyAttestations(run, cat, []harness.Attestation{a}, now)
	assert.Equal(t, evidence.Satisfied, run.Targets[0].Controls[0].Outcome)
	assert.Equal(t, evidence.NotAssessed, run.Targets[1].Controls[0].Outcome)
	assert.Nil(t, run.Targets[1].Controls[0].Attestation)
}
