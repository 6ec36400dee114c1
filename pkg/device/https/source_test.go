package https_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// sourceSeer is a device whose logout records, as a device's audit trail
// would, the source the request's context carries.
type sourceSeer struct{ seen chan string }

func (sourceSeer) Identify(context.Context) (device.Identity, error) {
	return device.Identity{Manufacturer: "Acme", Model: "Seer", Serial: "1", Firmware: "1"}, nil
}
func (sourceSeer) Close() error { return nil }
func (sourceSeer) Login(context.Context, device.Credentials) (string, error) {
	return "t", nil
}
func (s sourceSeer) Logout(ctx context.Context, _ string) error {
	s.seen <- audit.SourceFrom(ctx)
	return nil
}

// TestRequestSourceReachesTheDevice: what a device records while serving
// a management request, without a source of its own, names the client.
func TestRequestSourceReachesTheDevice(t *testing.T) {
	dev := sourceSeer{seen: make(chan string, 1)}
	d, err := open(t, served(t, dev, false))
	require.NoError(t, err)
	defer d.Close()
	a, ok := d.(device.Authenticator)
	require.True(t, ok)
	require.NoError(t, a.Logout(context.Background(), "t"))
	src := <-dev.seen
	assert.True(t, strings.HasPrefix(src, "127.0.0.1:"), "source %q, want the client's address", src)
}
