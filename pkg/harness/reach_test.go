package harness_test

import (
	"context"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/internal/hostiletest"
	"github.com/wardsec/ward/internal/netlab"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
)

// countingListener accepts on addr and counts connections.
func countingListener(t *testing.T, addr string) (net.Listener, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	var n atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln, &n
}

// checkForeignEndpoint runs the cleartext scenario against a device that
// lists its "HL7 feed" at foreign, and returns that scenario.
func checkForeignEndpoint(t *testing.T, reg *device.Registry, target string, opts ...harness.Option) evidence.Scenario {
	t.Helper()
	opts = append(opts, harness.WithControls("HIPAA-164.312-e-2-ii"), harness.WithConcurrency(1))
	res, _, err := harness.New(reg, catalogue(t), features.FS, opts...).Check(context.Background(), target)
	require.NoError(t, err)
	require.Empty(t, res.Error)
	for _, s := range res.Scenarios {
		if strings.Contains(s.Name, "cleartext") {
			return s
		}
	}
	t.Fatalf("no cleartext scenario ran: %+v", res.Scenarios)
	return evidence.Scenario{}
}

func foreignDevice(t *testing.T, foreign string, opts ...hostiletest.Option) *hostiletest.Device {
	hd := hostiletest.New(t, opts...)
	hd.SetCapabilities("transport")
	hd.Handle("GET", "/transport/endpoints", hostiletest.JSON(map[string]any{"endpoints": []device.Endpoint{
		{Name: "hl7-feed", Protocol: "mllp", Address: foreign},
	}}))
	return hd
}

// A device on 127.0.0.2 lists its feed at a service on 127.0.0.1 (another
// host): the harness sends it nothing, the scenario is not applicable and
// names the address; an operator's --allow-host lets it through.
func TestForeignEndpointGetsNoTraffic(t *testing.T) {
	devLn, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	ln, hits := countingListener(t, "127.0.0.1:0")
	hd := foreignDevice(t, ln.Addr().String(), hostiletest.WithListener(devLn), hostiletest.WithHosts("127.0.0.2"))
	reg := device.NewRegistry()
	require.NoError(t, https.Register(reg))

	s := checkForeignEndpoint(t, reg, hd.Target())
	assert.Equal(t, evidence.ScenarioNotApplicable, s.Status)
	assert.Contains(t, s.Reason, ln.Addr().String())
	assert.Contains(t, s.Reason, "--allow-host")
	assert.Zero(t, hits.Load(), "the harness connected to the foreign endpoint")

	allow, err := harness.ParseAllowHost(ln.Addr().String())
	require.NoError(t, err)
	s = checkForeignEndpoint(t, reg, hd.Target(), harness.WithAllowHosts(allow))
	// The listener hangs up without a word: judged, it proves nothing
	// either way, so the scenario is not applicable for that reason, not
	// for the foreign address.
	assert.NotContains(t, s.Reason, "--allow-host", s.Reason)
	assert.NotZero(t, hits.Load(), "an allowed endpoint was not checked")
}

// The same in network namespaces: the device sits in its own namespace
// and lists a service on the loopback of Ward's host, which only Ward can
// reach.
func TestForeignEndpointNetns(t *testing.T) {
	lab, err := netlab.New()
	if err != nil {
		if os.Getenv("WARD_REQUIRE_REAL") == "1" {
			t.Fatal(err)
		}
		t.Skipf("network namespaces: %v", err)
	}
	t.Cleanup(func() { _ = lab.Close() })
	ctx := context.Background()
	require.NoError(t, lab.AddNS(ctx, "ward"))
	require.NoError(t, lab.AddNS(ctx, "dev"))
	_, _, err = lab.Link(ctx, "ward", []string{"10.78.0.1/30"}, "dev", []string{"10.78.0.2/30"})
	require.NoError(t, err)
	var devLn net.Listener
	require.NoError(t, lab.In("dev", func() (err error) { devLn, err = net.Listen("tcp", "10.78.0.2:8443"); return }))

	ln, hits := countingListener(t, "127.0.0.1:0") // Ward's host only
	require.Error(t, lab.Dial("dev", "10.78.0.2", ln.Addr().String(), 500e6), "the device must not reach the service itself")
	hd := foreignDevice(t, ln.Addr().String(), hostiletest.WithListener(devLn), hostiletest.WithHosts("10.78.0.2"))
	// Ward reaches the device through the lab link.
	drv := https.NewDriver(https.WithDialContext(func(ctx context.Context, network, addr string) (c net.Conn, err error) {
		err = lab.In("ward", func() (err error) { c, err = (&net.Dialer{}).DialContext(ctx, network, addr); return })
		return c, err
	}))
	reg := device.NewRegistry()
	require.NoError(t, reg.Register(https.Scheme, drv.Open))

	s := checkForeignEndpoint(t, reg, hd.Target("timeout=5s"))
	assert.Equal(t, evidence.ScenarioNotApplicable, s.Status)
	assert.Contains(t, s.Reason, ln.Addr().String())
	assert.Zero(t, hits.Load(), "the harness connected to the host-only service for the device")
}

func TestParseAllowHost(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.7": "10.0.0.7", "10.0.0.7:2575": "10.0.0.7:2575", "Feed.Example.": "feed.example",
		"[::1]:443": "[::1]:443", "::1": "::1",
	} {
		got, err := harness.ParseAllowHost(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "host:0", "host:x", "a/b", "user@host", ":80"} {
		_, err := harness.ParseAllowHost(bad)
		assert.ErrorIs(t, err, harness.ErrConfig, bad)
	}
}
