package https_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
)

// netDevice is a test build on a test network: it allows the EHR on 443,
// blocks everything else, and quarantines itself after a burst.
type netDevice struct {
	identityOnly
	mu     sync.Mutex
	events []device.NetworkEvent
	quar   bool
}

func (n *netDevice) ProbeFrom(_ context.Context, zone, proto string, port int) (device.ProbeResult, error) {
	if zone == "nowhere" {
		return device.ProbeResult{}, fmt.Errorf("%w: no zone %q", device.ErrUnsupported, zone)
	}
	ok := zone == "clinical" && proto == "tcp" && port == 2575
	return device.ProbeResult{Reachable: ok, Detail: "rule " + zone}, nil
}

func (n *netDevice) Connect(_ context.Context, peer string, port int) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if peer == "ehr" && port == 443 && !n.quar {
		return nil
	}
	t := time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)
	n.events = append(n.events, device.NetworkEvent{Time: t, Kind: "blocked-connection", Peer: peer, Detail: "deny by default", Notified: t.Add(2 * time.Second)})
	return fmt.Errorf("connect %s:%d: %w", peer, port, device.ErrBlocked)
}

func (n *netDevice) ListeningPorts(context.Context) ([]device.Port, error) {
	return []device.Port{{Proto: "tcp", Port: 2575, Service: "HL7 feed"}, {Proto: "tcp", Port: 22, Service: "ssh"}}, nil
}

func (n *netDevice) DocumentedPorts(context.Context) ([]device.Port, error) { return nil, nil }

func (n *netDevice) InjectTraffic(_ context.Context, flows int) error {
	if flows < 1 {
		return fmt.Errorf("%w: %d flows", device.ErrDenied, flows)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.quar = true
	n.events = append(n.events, device.NetworkEvent{Time: time.Date(2026, 11, 23, 10, 1, 0, 0, time.UTC), Kind: "quarantine"})
	return nil
}

func (n *netDevice) NetworkEvents(context.Context) ([]device.NetworkEvent, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]device.NetworkEvent(nil), n.events...), nil
}

func (n *netDevice) Quarantine(context.Context) (device.QuarantineState, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return device.QuarantineState{Device: n.quar}, nil
}

// The network capability over the API: probes, refusals (ErrBlocked),
// ports with their services, events with their times, quarantine.
func TestNetworkOverTheNetwork(t *testing.T) {
	dev := &netDevice{}
	d, err := open(t, served(t, dev, false))
	require.NoError(t, err)
	defer d.Close()
	ctx := context.Background()
	n, err := device.As[device.Network](d, "network")
	require.NoError(t, err)
	assert.IsType(t, &https.NetworkDevice{}, d)
	_, err = device.As[device.PortLister](d, "ports")
	assert.ErrorIs(t, err, device.ErrUnsupported, "network ports are not port-lister's")

	r, err := n.ProbeFrom(ctx, "clinical", "tcp", 2575)
	require.NoError(t, err)
	assert.Equal(t, device.ProbeResult{Reachable: true, Detail: "rule clinical"}, r)
	r, err = n.ProbeFrom(ctx, "guest", "tcp", 2575)
	require.NoError(t, err)
	assert.False(t, r.Reachable)
	_, err = n.ProbeFrom(ctx, "nowhere", "tcp", 1)
	assert.ErrorIs(t, err, device.ErrUnsupported)

	require.NoError(t, n.Connect(ctx, "ehr", 443))
	err = n.Connect(ctx, "203.0.113.9", 4444)
	assert.ErrorIs(t, err, device.ErrBlocked)
	assert.NotErrorIs(t, err, device.ErrDenied)

	ports, err := n.ListeningPorts(ctx)
	require.NoError(t, err)
	want, _ := dev.ListeningPorts(ctx)
	assert.Equal(t, want, ports)
	doc, err := n.DocumentedPorts(ctx)
	require.NoError(t, err)
	assert.Empty(t, doc)

	assert.ErrorIs(t, n.InjectTraffic(ctx, 0), device.ErrDenied)
	q, err := n.Quarantine(ctx)
	require.NoError(t, err)
	assert.False(t, q.Device)
	require.NoError(t, n.InjectTraffic(ctx, 500))
	q, err = n.Quarantine(ctx)
	require.NoError(t, err)
	assert.Equal(t, device.QuarantineState{Device: true}, q)
	assert.ErrorIs(t, n.Connect(ctx, "ehr", 443), device.ErrBlocked, "quarantined")

	evs, err := n.NetworkEvents(ctx)
	require.NoError(t, err)
	direct, _ := dev.NetworkEvents(ctx)
	require.Len(t, evs, len(direct))
	for i := range evs {
		assert.True(t, direct[i].Time.Equal(evs[i].Time), "event %d time", i)
		assert.True(t, direct[i].Notified.Equal(evs[i].Notified), "event %d notified", i)
		assert.Equal(t, direct[i].Kind, evs[i].Kind)
		assert.Equal(t, direct[i].Peer, evs[i].Peer)
		assert.Equal(t, direct[i].Detail, evs[i].Detail)
	}
	require.Len(t, evs, 3)
	assert.Equal(t, "quarantine", evs[1].Kind)
	assert.True(t, evs[1].Notified.IsZero(), "not notified stays zero")
	assert.False(t, evs[0].Notified.IsZero())
}

// A device without the network capability: the driver's plain Device,
// and the server answers unsupported when asked anyway.
func TestNetworkMissingStaysMissing(t *testing.T) {
	d, err := open(t, served(t, identityOnly{}, false))
	require.NoError(t, err)
	defer d.Close()
	_, err = device.As[device.Network](d, "network")
	assert.ErrorIs(t, err, device.ErrUnsupported)
	hd := d.(*https.Device)
	ctx := context.Background()
	_, err = hd.ProbeFrom(ctx, "guest", "tcp", 22)
	assert.ErrorIs(t, err, device.ErrUnsupported)
	assert.ErrorIs(t, hd.Connect(ctx, "ehr", 443), device.ErrUnsupported)
	assert.ErrorIs(t, hd.InjectTraffic(ctx, 1), device.ErrUnsupported)
	_, err = hd.NetworkEvents(ctx)
	assert.ErrorIs(t, err, device.ErrUnsupported)
	_, err = hd.Quarantine(ctx)
	assert.ErrorIs(t, err, device.ErrUnsupported)
	nd := &https.NetworkDevice{Device: hd}
	_, err = nd.ListeningPorts(ctx)
	assert.ErrorIs(t, err, device.ErrUnsupported)
}

// Malformed network requests are refused; a refused burst quarantines
// nothing.
func TestMalformedNetworkRequests(t *testing.T) {
	dev := &netDevice{}
	target := served(t, dev, false)
	host := target[len("https://"):]
	host = host[:len(host)-len("?ca-sha256=")-64]
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/v1/device/network/traffic", `{"flows":"lots"}`},
		{"POST", "/v1/device/network/traffic", `{"flows":10,"delay":1}`},
		{"POST", "/v1/device/network/probe", `{"zone":"guest","proto":"tcp","port":22} {}`},
		{"POST", "/v1/device/network/connect", `{"peer":["ehr"],"port":443}`},
	} {
		assert.Equal(t, 400, rawRequest(t, host, tc.method, tc.path, tc.body), "%s %s", tc.method, tc.path)
	}
	q, _ := dev.Quarantine(context.Background())
	assert.False(t, q.Device)
	evs, _ := dev.NetworkEvents(context.Background())
	assert.Empty(t, evs)
}
