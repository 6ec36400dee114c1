package https_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
)

// An https:// target that serves plain HTTP is the device's finding (no
// TLS on its management API), told apart from an unreachable target.
func TestPlainHTTPManagementAPIIsCleartextError(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"api":"ward-device/1"}`))
	}))
	defer plain.Close()
	u, err := url.Parse("https://" + plain.Listener.Addr().String())
	require.NoError(t, err)
	_, err = https.NewDriver().Open(context.Background(), u)
	require.Error(t, err)
	assert.ErrorIs(t, err, device.ErrCleartext)
	var ce *device.CleartextError
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, plain.Listener.Addr().String(), ce.Address)
	assert.Contains(t, ce.Saw, "HTTP/")

	// A closed port stays an unreachable target, not a finding.
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.Listener.Addr().String()
	closed.Close()
	u, _ = url.Parse("https://" + addr)
	_, err = https.NewDriver().Open(context.Background(), u)
	require.Error(t, err)
	assert.NotErrorIs(t, err, device.ErrCleartext)
}
