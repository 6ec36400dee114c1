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
// (target unavailable) are left alone.
func ApplyAttestations(run *evidence.Run, cat *control.Catalogue, as []Attestation, now time.Time) {
	for ti := range run.Targets {
		t := &run.Targets[ti]
		for ci := range t.Controls {
			c := &t.Controls[ci]
			ctl, ok := cat.Control(c.ID)
			if !ok || ctl.Verification.Method != control.MethodAttestation || c.Outcome == evidence.Error {
				continue
			}
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
			if accepted {
				var names []string
				for _, f := range considered.Files {
					names = append(names, f.Name)
				}
				c.Outcome = evidence.Satisfied
				c.Reason = fmt.Sprintf("attested by %s on %s, valid until %s; evidence: %s",
					considered.AttestedBy, considered.Date.Format(control.DateLayout), considered.Expires.Format(control.DateLayout), strings.Join(names, ", "))
				continue
			}
			c.Outcome = evidence.NotSatisfied
			c.Reason = "verified by attestation, and no valid attestation was supplied: " + strings.Join(problems, "; ")
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
