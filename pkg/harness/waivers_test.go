package harness_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
)

func TestApplyWaivers(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse(control.DateLayout, s); return d }
	w := func(id, ctl string, expires string, targets ...string) control.Waiver {
		return control.Waiver{ID: id, Control: ctl, Targets: targets, Justification: "accepted for " + id,
			Approver: "CISO", Expires: day(expires), Ticket: "https://t.example/" + id}
	}
	const pump = "sim://infusion-pump?weaken=no-auth"
	for name, tc := range map[string]struct {
		outcome evidence.Outcome
		uri     string
		ws      []control.Waiver
		want    evidence.Outcome
		applied bool   // Waiver set and applied
		info    bool   // Waiver set at all
		reason  string // substring of the new reason
	}{
		"waived":                {evidence.NotSatisfied, pump, []control.Waiver{w("W1", "C-1", "2027-01-31", "sim://*")}, evidence.Waived, true, true, "waived by W1 (approved by CISO, until 2027-01-31): accepted for W1; finding: failed"},
		"all targets":           {evidence.NotSatisfied, pump, []control.Waiver{w("W1", "C-1", "2027-01-31")}, evidence.Waived, true, true, "accepted for W1"},
		"expires today":         {evidence.NotSatisfied, pump, []control.Waiver{w("W1", "C-1", "2026-11-23")}, evidence.Waived, true, true, "W1"},
		"expired ignored":       {evidence.NotSatisfied, pump, []control.Waiver{w("W1", "C-1", "2026-11-22")}, evidence.NotSatisfied, false, true, "failed; waiver W1 expired on 2026-11-22 and was ignored"},
		"expired then valid":    {evidence.NotSatisfied, pump, []control.Waiver{w("W1", "C-1", "2026-01-01"), w("W2", "C-1", "2027-01-01")}, evidence.Waived, true, true, "waived by W2"},
		"glob does not match":   {evidence.NotSatisfied, "tcp://10.0.0.5:7000", []control.Waiver{w("W1", "C-1", "2027-01-31", "sim://*")}, evidence.NotSatisfied, false, false, "failed"},
		"other control":         {evidence.NotSatisfied, pump, []control.Waiver{w("W1", "C-2", "2027-01-31")}, evidence.NotSatisfied, false, false, "failed"},
		"satisfied untouched":   {evidence.Satisfied, pump, []control.Waiver{w("W1", "C-1", "2027-01-31")}, evidence.Satisfied, false, true, "failed"},
		"error not waived":      {evidence.Error, pump, []control.Waiver{w("W1", "C-1", "2027-01-31")}, evidence.Error, false, true, "failed"},
		"not applicable stays":  {evidence.NotApplicable, pump, []control.Waiver{w("W1", "C-1", "2027-01-31")}, evidence.NotApplicable, false, true, "failed"},
		"no waivers":            {evidence.NotSatisfied, pump, nil, evidence.NotSatisfied, false, false, "failed"},
		"second glob matches":   {evidence.NotSatisfied, pump, []control.Waiver{w("W1", "C-1", "2027-01-31", "tcp://*", "sim://infusion-pump*")}, evidence.Waived, true, true, "W1"},
		"satisfied and expired": {evidence.Satisfied, pump, []control.Waiver{w("W1", "C-1", "2020-01-01")}, evidence.Satisfied, false, true, "failed"},
	} {
		t.Run(name, func(t *testing.T) {
			run := &evidence.Run{Targets: []evidence.Target{{URI: tc.uri, Controls: []evidence.Control{
				{ID: "C-1", Outcome: tc.outcome, Reason: "failed"},
				{ID: "C-3", Outcome: evidence.NotSatisfied, Reason: "untouched"},
			}}}}
			harness.ApplyWaivers(run, tc.ws, now)
			c := run.Targets[0].Controls[0]
			assert.Equal(t, tc.want, c.Outcome)
			assert.Contains(t, c.Reason, tc.reason)
			if !tc.info {
				assert.Nil(t, c.Waiver)
			} else if assert.NotNil(t, c.Waiver) {
				assert.Equal(t, tc.applied, c.Waiver.Applied)
				assert.NotEmpty(t, c.Waiver.Approver)
				assert.True(t, strings.HasPrefix(c.Waiver.Ticket, "https://"))
				if !tc.applied {
					assert.NotEmpty(t, c.Waiver.Note)
				}
			}
			other := run.Targets[0].Controls[1]
			assert.Equal(t, evidence.NotSatisfied, other.Outcome, "a waiver applies to its control only")
			assert.Nil(t, other.Waiver)
		})
	}
}
