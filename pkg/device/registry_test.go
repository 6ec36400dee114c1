package device_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
)

func TestRegistry(t *testing.T) {
	reg := device.NewRegistry()
	open := func(context.Context, *url.URL) (device.Device, error) { return thermometer{}, nil }
	require.NoError(t, reg.Register("acme", open))
	assert.Error(t, reg.Register("ACME", open), "a scheme is registered once, case-insensitively")
	assert.Error(t, reg.Register("", open))
	assert.Error(t, reg.Register("x", nil))
	assert.Equal(t, []string{"acme"}, reg.Schemes())

	for _, bad := range []string{"", "no-scheme", "other://x", "%zz://bad"} {
		_, err := reg.Open(context.Background(), bad)
		assert.ErrorIs(t, err, device.ErrBadTarget, bad)
	}
	d, err := reg.Open(context.Background(), "ACME://x")
	require.NoError(t, err)
	assert.NotNil(t, d)
}
