package https_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
)

// The outage control crosses the network: an outage begun over the API
// puts the pump in emergency mode with its alarm, ending it brings the
// pump back by itself, and an unknown kind stays ErrUnsupported.
func TestOutageControlOverTheNetwork(t *testing.T) {
	ctx := context.Background()
	d, err := open(t, served(t, pump(t), false))
	require.NoError(t, err)
	defer d.Close()
	caps, ok := d.(interface{ Capabilities() []string })
	require.True(t, ok)
	assert.Contains(t, caps.Capabilities(), "outage-control")
	oc, err := device.As[device.OutageControl](d, "outage control")
	require.NoError(t, err)

	st, err := oc.EmergencyStatus(ctx)
	require.NoError(t, err)
	assert.False(t, st.Active)
	assert.Empty(t, st.Alarms)

	require.ErrorIs(t, oc.BeginOutage(ctx, "meteor-strike"), device.ErrUnsupported)
	require.NoError(t, oc.BeginOutage(ctx, device.OutageQuarantine))
	st, err = oc.EmergencyStatus(ctx)
	require.NoError(t, err)
	assert.True(t, st.Active)
	assert.Equal(t, []string{device.OutageQuarantine}, st.Causes)
	require.Len(t, st.Alarms, 1)
	assert.Equal(t, "quarantined", st.Alarms[0].Kind)
	assert.True(t, st.Alarms[0].Active)
	assert.False(t, st.Since.IsZero())

	require.NoError(t, oc.EndOutage(ctx))
	st, err = oc.EmergencyStatus(ctx)
	require.NoError(t, err)
	assert.False(t, st.Active)
	require.Len(t, st.Alarms, 1)
	assert.False(t, st.Alarms[0].Active, "the alarm clears when the device leaves emergency mode")
}

// A device without the capability does not get it from the driver, and
// the server refuses the calls as unsupported.
func TestOutageControlMissingStaysMissing(t *testing.T) {
	ctx := context.Background()
	d, err := open(t, served(t, identityOnly{}, false))
	require.NoError(t, err)
	defer d.Close()
	_, err = device.As[device.OutageControl](d, "outage control")
	require.ErrorIs(t, err, device.ErrUnsupported)
	hd := d.(*https.Device)
	assert.ErrorIs(t, hd.BeginOutage(ctx, device.OutageNetworkCut), device.ErrUnsupported)
	assert.ErrorIs(t, hd.EndOutage(ctx), device.ErrUnsupported)
	_, err = hd.EmergencyStatus(ctx)
	assert.ErrorIs(t, err, device.ErrUnsupported)
}
