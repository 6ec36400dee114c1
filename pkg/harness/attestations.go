package harness

import (
	"fmt"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/evidence"
)

// Attestation is a control.Attestation with its evidence files read:
// Files are stored in the bundle (Path, SHA256 and Size set), Missing
// are the evidence entries that could not be read.
type Attestation struct {
	control.Attestation
	Files   []evidence.Artifact
	Missing []string
}

// ApplyAttestations decides the controls of run verified by attestation
// (cat says which), in place, as of now. Only attestations that cover the
// target (control.Attestation.Covers) count; with none, the control stays
// not assessed. Such a control is satisfied only
// by an attestation for it that has not expired, is no older than the
// control's max_age, whose evidence files were all read and whose
// checklist (if any) has every item done; otherwise it
// stays not satisfied and its reason says why (no attestation, expired,
// too old, evidence missing). The first acceptable attestation, in order,
// wins; otherwise the last one considered is recorded. Controls in error
// (target unavailable) are left alone. A control verified by scenarios and
// attestation (control.MethodScenarioAndAttestation) is satisfied only
// when, besides an accepted attestation, every one of its scenarios passed
// on that target; when one did not, the scenarios' verdict stands and the
// attestation is only recorded.
func ApplyAttestations(run *evidence.Run, cat *control.Catalogue, as []Attestation, now time.Time) {
	for ti := range run.Targets {
		applyAttestations(&run.Targets[ti], cat, as, now)
	}
}

// applyAttestations is ApplyAttestations for one target.
func applyAttestations(t *evidence.Target, cat *control.Catalogue, as []Attestation, now time.Time) {
	for ci := range t.Controls {
		c := &t.Controls[ci]
		ctl, ok := cat.Control(c.ID)
		if !ok || !ctl.Verification.NeedsAttestation() || c.Outcome == evidence.Error {
			continue
		}
		// A control that needs scenarios too is satisfied only when
		// every one of them passed here; otherwise the scenarios'
		// verdict (failed, not applicable) stands whatever is attested.
		both := ctl.Verification.NeedsScenarios()
		behaved := both && scenariosPassed(t, c.Scenarios)
		var problems []string
		var considered *Attestation
		accepted := false
		for i := range as {
			a := &as[i]
			if a.Control != c.ID || !a.Covers(t.URI) {
				continue // another control, or another unit's attestation
			}
			considered = a
			switch {
			case a.Expired(now):
				problems = append(problems, fmt.Sprintf("attestation %s expired on %s", a.ID, a.Expires.Format(control.DateLayout)))
			case a.TooOld(ctl.Verification.MaxAge, now):
				problems = append(problems, fmt.Sprintf("attestation %s of %s is older than the control's max_age %s", a.ID, a.Date.Format(control.DateLayout), ctl.Verification.MaxAge))
			case len(a.Missing) > 0:
				problems = append(problems, fmt.Sprintf("attestation %s: evidence missing: %s", a.ID, strings.Join(a.Missing, ", ")))
			case len(undone(a.Checklist)) > 0:
				problems = append(problems, fmt.Sprintf("attestation %s: checklist items not done: %s", a.ID, strings.Join(undone(a.Checklist), "; ")))
			default:
				accepted = true
			}
			if accepted {
				break
			}
		}
		if considered == nil {
			continue // decide's not-assessed stands: nothing covers this target
		}
		c.Attestation = attestationInfo(considered, accepted)
		if both && !behaved {
			continue // decide's verdict on the behaviour stands
		}
		if accepted {
			var names []string
			for _, f := range considered.Files {
				names = append(names, f.Name)
			}
			c.Outcome = evidence.Satisfied
			c.Reason = fmt.Sprintf("attested by %s on %s, valid until %s; evidence: %s",
				considered.AttestedBy, considered.Date.Format(control.DateLayout), considered.Expires.Format(control.DateLayout), strings.Join(names, ", "))
			if both {
				c.Reason = fmt.Sprintf("all %d scenarios passed; written plan %s", len(c.Scenarios), c.Reason)
			}
			continue
		}
		c.Outcome = evidence.NotSatisfied
		c.Reason = "verified by attestation, and no valid attestation was supplied: " + strings.Join(problems, "; ")
		if both {
			c.Reason = fmt.Sprintf("all %d scenarios passed, but the written plan is %s", len(c.Scenarios), c.Reason)
		}
	}
}

func attestationInfo(a *Attestation, accepted bool) *evidence.AttestationInfo {
	info := &evidence.AttestationInfo{
		ID: a.ID, AttestedBy: a.AttestedBy,
		Date: a.Date.Format(control.DateLayout), Expires: a.Expires.Format(control.DateLayout),
		Evidence: []evidence.Artifact{}, Missing: a.Missing, Accepted: accepted,
	}
	for _, f := range a.Files {
		f.Data = nil
		info.Evidence = append(info.Evidence, f)
	}
	for _, c := range a.Checklist {
		info.Checklist = append(info.Checklist, evidence.ChecklistItem{Item: c.Item, Done: c.Done, Note: c.Note})
	}
	return info
}

// undone lists the checklist items that were not done.
func undone(items []control.ChecklistItem) []string {
	var out []string
	for _, c := range items {
		if !c.Done {
			out = append(out, c.Item)
		}
	}
	return out
}

// scenariosPassed reports whether the scenarios ids of target t all ran
// and passed (and there is at least one).
func scenariosPassed(t *evidence.Target, ids []string) bool {
	if len(ids) == 0 {
		return false
	}
	status := map[string]evidence.ScenarioStatus{}
	for _, s := range t.Scenarios {
		status[s.ID] = s.Status
	}
	for _, id := range ids {
		if st, ok := status[id]; !ok || st != evidence.ScenarioPassed {
			return false
		}
	}
	return true
}
