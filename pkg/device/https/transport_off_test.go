package https_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
)

// transportOff has the method of device.Transport but says, through
// device.CapabilitySet, that it lists no services.
type transportOff struct{ identityOnly }

func (transportOff) Endpoints(context.Context) ([]device.Endpoint, error) {
	return []device.Endpoint{{Name: "should-never-be-served", Protocol: "mllp", Address: "127.0.0.1:1"}}, nil
}
func (transportOff) HasCapability(c reflect.Type) bool {
	return c != reflect.TypeFor[device.Transport]()
}

// The endpoint listing honours a capability declared off as every other
// route does: without the server's own listener the device has no
// transport capability at all, and with it the listing is that listener
// alone.
func TestEndpointsRespectCapabilitySet(t *testing.T) {
	t.Run("alone", func(t *testing.T) {
		d, err := open(t, served(t, transportOff{}, false))
		require.NoError(t, err)
		defer d.Close()
		_, err = device.As[device.Transport](d, device.Label[device.Transport]())
		assert.ErrorIs(t, err, device.ErrUnsupported)
		_, err = d.(device.Transport).Endpoints(context.Background())
		assert.ErrorIs(t, err, device.ErrUnsupported, "the server refuses the call too")
	})
	t.Run("with the API's own listener", func(t *testing.T) {
		self := device.Endpoint{Name: "management-api", Protocol: "https", Address: "127.0.0.1:2"}
		d, err := open(t, served(t, transportOff{}, false, https.WithEndpoint(self)))
		require.NoError(t, err)
		defer d.Close()
		tr, err := device.As[device.Transport](d, device.Label[device.Transport]())
		require.NoError(t, err)
		eps, err := tr.Endpoints(context.Background())
		require.NoError(t, err)
		assert.Equal(t, []device.Endpoint{self}, eps)
	})
}
