package harness

import (
	"fmt"
	"slices"

	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/evidence"
)

// outcomes maps scenario results to control outcomes. A control is
// satisfied only when every scenario that verifies it ran and passed; one
// failed scenario makes it not-satisfied; a broken check makes it error; a
// control whose scenarios could not run on this target is not-applicable.
// A target-level failure (unreachable device) puts every control in error.
func outcomes(ctrls []control.Control, scns []evidence.Scenario, targetErr error) []evidence.Control {
	out := make([]evidence.Control, 0, len(ctrls))
	for _, c := range ctrls {
		ec := evidence.Control{
			ID: c.ID, Framework: c.Framework, Title: c.Title, Citations: c.Citations,
			Status: string(c.Status), Severity: string(c.Severity), Scenarios: []string{},
			Requirement: c.Requirement, Remediation: c.Remediation,
		}
		var mine []evidence.Scenario
		for _, s := range scns {
			if slices.Contains(s.Tags, "@"+c.ID) {
				mine = append(mine, s)
				ec.Scenarios = append(ec.Scenarios, s.ID)
			}
		}
		ec.Outcome, ec.Reason = decide(c, mine, targetErr)
		out = append(out, ec)
	}
	return out
}

func decide(c control.Control, mine []evidence.Scenario, targetErr error) (evidence.Outcome, string) {
	if targetErr != nil {
		return evidence.Error, "target unavailable: " + targetErr.Error()
	}
	switch c.Verification.Method {
	case control.MethodAttestation:
		return evidence.NotSatisfied, "verified by attestation, and no attestation was supplied"
	case control.MethodScenarioAndAttestation:
		// Both halves are needed: the behaviour decides first; passing
		// scenarios still leave the written plan unattested until
		// ApplyAttestations accepts one.
		o, why := decideScenarios(mine)
		if o == evidence.Satisfied {
			return evidence.NotSatisfied, why + ", but the written plan is verified by attestation and no attestation was supplied"
		}
		return o, why
	}
	return decideScenarios(mine)
}

// decideScenarios is the verdict of a control's scenarios alone.
func decideScenarios(mine []evidence.Scenario) (evidence.Outcome, string) {
	if len(mine) == 0 {
		return evidence.Error, "no scenario verifies this control"
	}
	count := map[evidence.ScenarioStatus]int{}
	var firstFailed, firstError, firstNA *evidence.Scenario
	for i := range mine {
		s := &mine[i]
		count[s.Status]++
		switch s.Status {
		case evidence.ScenarioFailed:
			if firstFailed == nil {
				firstFailed = s
			}
		case evidence.ScenarioError:
			if firstError == nil {
				firstError = s
			}
		case evidence.ScenarioNotApplicable:
			if firstNA == nil {
				firstNA = s
			}
		}
	}
	n := len(mine)
	switch {
	case firstFailed != nil:
		return evidence.NotSatisfied, fmt.Sprintf("%d of %d scenarios failed; first: %q: %s", count[evidence.ScenarioFailed], n, firstFailed.Name, firstFailed.Reason)
	case firstError != nil:
		return evidence.Error, fmt.Sprintf("%d of %d scenarios could not be evaluated; first: %q: %s", count[evidence.ScenarioError], n, firstError.Name, firstError.Reason)
	case firstNA != nil:
		if count[evidence.ScenarioPassed] > 0 {
			return evidence.NotApplicable, fmt.Sprintf("only partly checkable on this target: %d of %d scenarios could not run (%s)", count[evidence.ScenarioNotApplicable], n, firstNA.Reason)
		}
		return evidence.NotApplicable, "target lacks what the checks need: " + firstNA.Reason
	default:
		return evidence.Satisfied, fmt.Sprintf("all %d scenarios passed", n)
	}
}
