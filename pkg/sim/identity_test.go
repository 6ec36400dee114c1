package sim

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each profile's units carry its own model and serial prefix: a patient
// monitor never reports an infusion pump's serial number, in what it
// announces, in its provisioned identity or in the reference identity a
// weakened identity query reports.
func TestProfilesReportTheirOwnSerials(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		profile, model, prefix string
	}{
		{"infusion-pump", "SIM-IP-100 infusion pump", "SIM-IP-"},
		{"patient-monitor", "SIM-PM-200 patient monitor", "SIM-PM-"},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			p, err := New(ctx, tc.profile)
			require.NoError(t, err)
			id, err := p.Identify(ctx)
			require.NoError(t, err)
			assert.Equal(t, tc.model, id.Model)
			assert.Equal(t, tc.prefix+"000001", id.Serial)
			assert.True(t, strings.HasSuffix(id.UDI, "(21)"+id.Serial), id.UDI)
			// The model's own prefix: "SIM-PM-200" goes with "SIM-PM-".
			assert.True(t, strings.HasPrefix(id.Model, tc.prefix), "%s / %s", id.Model, id.Serial)
			prov, err := p.ProvisionedIdentity(ctx)
			require.NoError(t, err)
			assert.Equal(t, id, prov)

			assert.Equal(t, tc.model, p.factory.Model)
			assert.Equal(t, tc.prefix+"000000", p.factory.Serial)
			assert.NotEqual(t, id.Serial, p.factory.Serial, "the reference unit is another unit")
			assert.True(t, strings.HasSuffix(p.factory.UDI, "(21)"+p.factory.Serial))

			// A serial given on the target wins, in the UDI too.
			q, err := New(ctx, tc.profile, WithSerial(tc.prefix+"000042"))
			require.NoError(t, err)
			id, err = q.Identify(ctx)
			require.NoError(t, err)
			assert.Equal(t, tc.prefix+"000042", id.Serial)
			assert.Equal(t, "(01)00000000000000(21)"+tc.prefix+"000042", id.UDI)
		})
	}
}
