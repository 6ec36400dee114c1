package harness_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
)

// behavioural is the embedded catalogue's controls that scenarios verify,
// including those that need an attestation as well (emergency mode
// operation); withPlans supplies those attestations.
func behavioural(t testing.TB) *control.Catalogue {
	t.Helper()
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	require.False(t, diags.HasErrors(), "embedded catalogue: %v", diags)
	auto := *cat
	auto.Controls = nil
	for _, c := range cat.Controls {
		if c.Verification.NeedsScenarios() {
			auto.Controls = append(auto.Controls, c)
		}
	}
	return &auto
}

// withPlans applies a current, complete attestation to every control of
// res that needs one besides its scenarios, as `ward check --attestations`
// does, and returns the result.
func withPlans(t testing.TB, cat *control.Catalogue, res evidence.Target) evidence.Target {
	t.Helper()
	now := time.Now().UTC()
	var as []harness.Attestation
	for _, c := range cat.Controls {
		if c.Verification.NeedsAttestation() {
			as = append(as, harness.Attestation{
				Attestation: control.Attestation{ID: "A-" + c.ID, Control: c.ID, AttestedBy: "Sam Lee",
					Date: now.AddDate(0, -1, 0), Expires: now.AddDate(0, 6, 0), Targets: []string{"*"}},
				Files: []evidence.Artifact{{Name: "plan.pdf", Path: "attestations/A/plan.pdf", SHA256: "ab", Size: 2}},
			})
		}
	}
	run := &evidence.Run{Targets: []evidence.Target{res}}
	harness.ApplyAttestations(run, cat, as, now)
	return run.Targets[0]
}

// The emergency-mode control passes its scenarios on the secure simulator
// and is still not assessed until its written plan is attested.
func TestEmergencyModeNeedsScenariosAndPlan(t *testing.T) {
	cat := behavioural(t)
	const id = "HIPAA-164.308-a-7-ii-C"
	r := harness.New(simRegistry(t), cat, features.FS, harness.WithControls(id))
	res, _, err := r.Check(context.Background(), "sim://infusion-pump")
	require.NoError(t, err)
	require.Len(t, res.Controls, 1)
	c := res.Controls[0]
	assert.Equal(t, evidence.NotAssessed, c.Outcome)
	assert.Contains(t, c.Reason, "scenarios passed; the written plan is verified by attestation, and no attestation covers this target")
	require.NotEmpty(t, c.Scenarios)
	for _, s := range res.Scenarios {
		assert.Equal(t, evidence.ScenarioPassed, s.Status, "%s: %s", s.Name, s.Reason)
	}
	got := withPlans(t, cat, res).Controls[0]
	assert.Equal(t, evidence.Satisfied, got.Outcome, got.Reason)
	assert.Contains(t, got.Reason, "written plan attested by Sam Lee")

	// With the plan attested, a pump that stops therapy still fails.
	res, _, err = r.Check(context.Background(), "sim://infusion-pump?weaken=outage-stops-therapy")
	require.NoError(t, err)
	got = withPlans(t, cat, res).Controls[0]
	assert.Equal(t, evidence.NotSatisfied, got.Outcome)
	assert.Contains(t, got.Reason, "runs at \"0\" mL/h")
	require.NotNil(t, got.Attestation, "the attestation is recorded even when the behaviour fails")
}

// ApplyAttestations on a control verified both ways: only passed
// scenarios plus an accepted attestation satisfy it.
func TestApplyAttestationsScenarioAndAttestation(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse(control.DateLayout, s); return d }
	cat := &control.Catalogue{Controls: []control.Control{
		{ID: "B-1", Verification: control.Verification{Method: control.MethodScenarioAndAttestation, Evidence: []string{"plan"}, MaxAge: "365d"}},
	}}
	file := evidence.Artifact{Name: "plan.pdf", Path: "attestations/A/plan.pdf", SHA256: "ab", Size: 2}
	valid := []harness.Attestation{{Attestation: control.Attestation{ID: "A", Control: "B-1", AttestedBy: "Sam", Date: day("2026-06-01"), Expires: day("2027-06-01"), Targets: []string{"*"}}, Files: []evidence.Artifact{file}}}
	expired := []harness.Attestation{{Attestation: control.Attestation{ID: "A", Control: "B-1", AttestedBy: "Sam", Date: day("2025-06-01"), Expires: day("2026-06-01"), Targets: []string{"*"}}, Files: []evidence.Artifact{file}}}
	for name, tc := range map[string]struct {
		statuses []evidence.ScenarioStatus
		outcome  evidence.Outcome // what decide gave
		as       []harness.Attestation
		want     evidence.Outcome
		reason   string
	}{
		"passed and attested":       {[]evidence.ScenarioStatus{evidence.ScenarioPassed, evidence.ScenarioPassed}, evidence.NotAssessed, valid, evidence.Satisfied, "all 2 scenarios passed; written plan attested by Sam"},
		"passed, no attestation":    {[]evidence.ScenarioStatus{evidence.ScenarioPassed}, evidence.NotAssessed, nil, evidence.NotAssessed, "decided"},
		"passed, expired plan":      {[]evidence.ScenarioStatus{evidence.ScenarioPassed}, evidence.NotAssessed, expired, evidence.NotSatisfied, "all 1 scenarios passed, but the written plan is verified by attestation, and no valid attestation was supplied: attestation A expired"},
		"failed though attested":    {[]evidence.ScenarioStatus{evidence.ScenarioPassed, evidence.ScenarioFailed}, evidence.NotSatisfied, valid, evidence.NotSatisfied, "decided"},
		"not applicable, attested":  {[]evidence.ScenarioStatus{evidence.ScenarioNotApplicable}, evidence.NotApplicable, valid, evidence.NotApplicable, "decided"},
		"no scenarios, attested":    {nil, evidence.Error, valid, evidence.Error, "decided"},
		"error scenario, attested":  {[]evidence.ScenarioStatus{evidence.ScenarioError}, evidence.Error, valid, evidence.Error, "decided"},
		"partly passed (NA+passed)": {[]evidence.ScenarioStatus{evidence.ScenarioPassed, evidence.ScenarioNotApplicable}, evidence.NotApplicable, valid, evidence.NotApplicable, "decided"},
	} {
		t.Run(name, func(t *testing.T) {
			tgt := evidence.Target{URI: "sim://x"}
			c := evidence.Control{ID: "B-1", Outcome: tc.outcome, Reason: "decided", Scenarios: []string{}}
			for i, st := range tc.statuses {
				id := string(rune('a' + i))
				tgt.Scenarios = append(tgt.Scenarios, evidence.Scenario{ID: id, Status: st})
				c.Scenarios = append(c.Scenarios, id)
			}
			tgt.Controls = []evidence.Control{c}
			run := &evidence.Run{Targets: []evidence.Target{tgt}}
			harness.ApplyAttestations(run, cat, tc.as, now)
			got := run.Targets[0].Controls[0]
			assert.Equal(t, tc.want, got.Outcome)
			assert.Contains(t, got.Reason, tc.reason)
		})
	}
}
