package device_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
)

// inside sees the device from a login; outside probes its network.
type inside struct {
	u      *url.URL
	closed *int
}

func (d inside) Identify(context.Context) (device.Identity, error) {
	return device.Identity{Model: "from inside"}, nil
}
func (d inside) Close() error { *d.closed++; return nil }
func (d inside) ListeningPorts(context.Context) ([]device.ListeningPort, error) {
	return []device.ListeningPort{{Proto: "tcp", Port: 22}}, nil
}
func (d inside) DocumentedPorts(context.Context) ([]device.ListeningPort, error) { return nil, nil }

type outside struct {
	u      *url.URL
	closed *int
}

func (d outside) Identify(context.Context) (device.Identity, error) {
	return device.Identity{Model: "from outside"}, nil
}
func (d outside) Close() error { *d.closed++; return nil }
func (d outside) Endpoints(context.Context) ([]device.Endpoint, error) {
	return []device.Endpoint{{Name: "web", Protocol: "http", Address: d.u.Host + ":80"}}, nil
}
func (d outside) ListeningPorts(context.Context) ([]device.ListeningPort, error) {
	return []device.ListeningPort{{Proto: "tcp", Port: 80}}, nil
}
func (d outside) DocumentedPorts(context.Context) ([]device.ListeningPort, error) { return nil, nil }

func combinedRegistry(t *testing.T) (*device.Registry, *[]*url.URL, *int) {
	t.Helper()
	var opened []*url.URL
	closed := 0
	reg := device.NewRegistry()
	require.NoError(t, reg.Register("in", func(_ context.Context, u *url.URL) (device.Device, error) {
		opened = append(opened, u)
		if u.Query().Get("fail") != "" {
			return nil, device.ErrBadTarget
		}
		return inside{u, &closed}, nil
	}))
	require.NoError(t, reg.Register("out", func(_ context.Context, u *url.URL) (device.Device, error) {
		opened = append(opened, u)
		return outside{u, &closed}, nil
	}))
	require.NoError(t, reg.RegisterCombined("in+out", "in", "out"))
	return reg, &opened, &closed
}

func TestCombinedTargetSplitsAndPrefersThePrimary(t *testing.T) {
	reg, opened, closed := combinedRegistry(t)
	d, err := reg.Open(context.Background(), "in+out://root@[2001:db8::7]:2222?key=k&out.ports=1-1024")
	require.NoError(t, err)
	require.Len(t, *opened, 2)
	assert.Equal(t, "in://root@[2001:db8::7]:2222?key=k", (*opened)[0].String())
	assert.Equal(t, "out://[2001:db8::7]?ports=1-1024", (*opened)[1].String(), "no user, port or foreign parameter")

	id, err := d.Identify(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "from inside", id.Model, "identity from the primary")

	// Both parts list ports: the primary answers. Only the secondary has
	// network services: it answers.
	pl, err := device.As[device.PortLister](d, "port listing")
	require.NoError(t, err)
	ports, _ := pl.ListeningPorts(context.Background())
	assert.Equal(t, 22, ports[0].Port)
	tr, err := device.As[device.Transport](d, "network services")
	require.NoError(t, err)
	eps, _ := tr.Endpoints(context.Background())
	assert.Equal(t, "[2001:db8::7]:80", eps[0].Address)
	// Neither has it: unsupported, named.
	_, err = device.As[device.ClinicalSettings](d, "clinical settings")
	assert.ErrorIs(t, err, device.ErrUnsupported)
	assert.ErrorContains(t, err, "clinical settings")

	require.NoError(t, d.Close())
	assert.Equal(t, 2, *closed)
	s, ok := d.(device.Scratch)
	require.True(t, ok)
	assert.False(t, s.ScratchUnit(), "parts that are not scratch make no scratch unit")
}

func TestCombinedTargetErrors(t *testing.T) {
	reg, _, closed := combinedRegistry(t)
	for _, target := range []string{
		"in+out://h?nope.x=1", // a part the scheme does not combine
		"in+out://h?in.key=1", // the primary takes its parameters unprefixed
		"in+out:///no-host",   // no host
		"in+out://h?x=%zz",    // bad query
		"in+out://h?fail=1",   // the primary refuses its URI
	} {
		_, err := reg.Open(context.Background(), target)
		assert.ErrorIs(t, err, device.ErrBadTarget, target)
	}
	assert.Zero(t, *closed, "nothing opened is left open")
	assert.Error(t, reg.RegisterCombined("x", "in"), "one part is no combination")
}
