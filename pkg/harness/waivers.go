package harness

import (
	"fmt"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/evidence"
)

// ApplyWaivers applies ws to run in place, as of now. A control that is
// not-satisfied on a target selected by an unexpired waiver for it
// becomes waived, with the waiver's details recorded and its
// justification in the reason. An expired waiver is not applied: the
// control keeps its outcome and its reason says the waiver expired. A
// waiver for a control that is satisfied, not applicable or in error is
// recorded as unused (error stays error: a check that could not run
// cannot be waived). The first matching unexpired waiver wins; ws are
// tried in order.
func ApplyWaivers(run *evidence.Run, ws []control.Waiver, now time.Time) {
	for ti := range run.Targets {
		applyWaivers(&run.Targets[ti], ws, now)
	}
}

// applyWaivers is ApplyWaivers for one target.
func applyWaivers(t *evidence.Target, ws []control.Waiver, now time.Time) {
	for ci := range t.Controls {
		c := &t.Controls[ci]
		var expired *control.Waiver
		var use *control.Waiver
		for i := range ws {
			w := &ws[i]
			if w.Control != c.ID || !w.Matches(t.URI) {
				continue
			}
			if w.Expired(now) {
				if expired == nil {
					expired = w
				}
				continue
			}
			use = w
			break
		}
		switch {
		case use != nil && c.Outcome == evidence.NotSatisfied:
			c.Outcome = evidence.Waived
			c.Waiver = waiverInfo(use, true, "")
			c.Reason = fmt.Sprintf("waived by %s (approved by %s, until %s): %s; finding: %s",
				use.ID, use.Approver, use.Expires.Format(control.DateLayout), strings.TrimRight(use.Justification, ". "), c.Reason)
		case use != nil:
			c.Waiver = waiverInfo(use, false, fmt.Sprintf("not used: the control is %s", c.Outcome))
		case expired != nil:
			note := fmt.Sprintf("waiver %s expired on %s and was ignored", expired.ID, expired.Expires.Format(control.DateLayout))
			c.Waiver = waiverInfo(expired, false, note)
			if c.Outcome == evidence.NotSatisfied {
				c.Reason += "; " + note
			}
		}
	}
}

func waiverInfo(w *control.Waiver, applied bool, note string) *evidence.WaiverInfo {
	return &evidence.WaiverInfo{
		ID: w.ID, Justification: w.Justification, Approver: w.Approver,
		Expires: w.Expires.Format(control.DateLayout), Ticket: w.Ticket,
		Applied: applied, Note: note,
	}
}
