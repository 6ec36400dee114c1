package control_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/control"
)

// The methods are the three the loader accepts, spelled as in HCL and
// JSON; anything else is not a method.
func TestMethodValid(t *testing.T) {
	for _, m := range []control.Method{control.MethodScenario, control.MethodAttestation, control.MethodScenarioAndAttestation} {
		assert.True(t, m.Valid(), m)
	}
	for _, m := range []control.Method{"", "Scenario", "scenario + attestation", "attestation+scenario", "waiver"} {
		assert.False(t, m.Valid(), m)
	}
	b, err := json.Marshal(control.Verification{Method: control.MethodScenarioAndAttestation})
	require.NoError(t, err)
	assert.JSONEq(t, `{"method":"scenario+attestation"}`, string(b))
	var v control.Verification
	require.NoError(t, json.Unmarshal([]byte(`{"method":"attestation"}`), &v))
	assert.Equal(t, control.MethodAttestation, v.Method)
	assert.True(t, v.NeedsAttestation())
	assert.False(t, v.NeedsScenarios())
}
