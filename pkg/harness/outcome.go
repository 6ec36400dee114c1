package harness

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
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
		if ec.Outcome == evidence.NotApplicable {
			ec.Needs = needs(mine)
		}
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
		return evidence.NotAssessed, NotAssessedReason
	case control.MethodScenarioAndAttestation:
		// Both halves are needed: the behaviour decides first; passing
		// scenarios still leave the written plan not assessed until
		// ApplyAttestations accepts an attestation for it.
		o, why := decideScenarios(mine)
		if o == evidence.Satisfied {
			return evidence.NotAssessed, why + "; " + planNotAssessed
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

// NotAssessedReason is the reason of a procedural control that no
// attestation covers on a target.
const NotAssessedReason = "procedural control: no attestation covers this target (give one with --attestations)"

// planNotAssessed is why a control verified by scenarios and attestation
// whose scenarios passed is not assessed yet.
const planNotAssessed = "the written plan is verified by attestation, and no attestation covers this target (give one with --attestations)"

// needs phrases what a control's not-applicable scenarios lacked as what
// the device would have to offer, from the first one that says.
func needs(mine []evidence.Scenario) string {
	for _, s := range mine {
		if s.Status == evidence.ScenarioNotApplicable {
			return Offer(s.Reason)
		}
	}
	return ""
}

// offer words a capability the built-in steps ask for (its label in
// pkg/device's capability table) as what a device offers, for people
// reading why a control was not checked ("" for one it does not know).
func offer(label string) string {
	if c, ok := device.CapabilityLabelled(label); ok {
		return c.Needs()
	}
	// device.LabelOr: "ALTERNATIVE or LABEL", neither of which was there.
	for _, c := range device.Capabilities() {
		if alt, ok := strings.CutSuffix(label, " or "+c.Label()); ok && alt != "" {
			return c.Needs() + ", and no " + strings.TrimPrefix(alt, "a ") + " was given"
		}
	}
	return ""
}

// Offer rewrites a not-applicable reason ("target does not support
// login") as what the device would have to offer ("exposes no login").
// Reasons of another kind come back unchanged.
func Offer(reason string) string {
	const unsupported = "target does not support "
	i := strings.Index(reason, unsupported)
	if i < 0 {
		return reason
	}
	capName := reason[i+len(unsupported):]
	if o := offer(capName); o != "" {
		return o
	}
	return "offers no " + capName
}
