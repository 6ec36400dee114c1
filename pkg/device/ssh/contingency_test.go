package ssh_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wardsec/ward/internal/sshdtest"
	"github.com/wardsec/ward/pkg/evidence"
)

// An SSH target cannot be put through an outage (the driver has no outage
// control): emergency mode operation is not applicable there, with the
// reason, never satisfied.
func TestEmergencyModeNotApplicableOverSSH(t *testing.T) {
	s := sshdtest.Start(t)
	const id = "HIPAA-164.308-a-7-ii-C"
	res := runHarness(t, s.Target("profile="+writeProfile(t, deviceRoot(t, true), nil)), id)
	c := control1(t, res, id)
	assert.Equal(t, evidence.NotApplicable, c.Outcome)
	assert.Contains(t, c.Reason, "outage control")
	for _, s := range res.Scenarios {
		assert.Equal(t, evidence.ScenarioNotApplicable, s.Status, s.Name)
	}
}
