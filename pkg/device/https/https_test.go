package https_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/mgmttest"
	"github.com/wardsec/ward/internal/pki"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
	"github.com/wardsec/ward/pkg/sim"
)

// served starts the management API for dev on loopback and returns a
// target URI that trusts it (by CA file when byFile, else by pin).
func served(t testing.TB, dev device.Device, byFile bool, opts ...https.ServerOption) string {
	t.Helper()
	if !byFile {
		return mgmttest.Target(t, dev, opts...)
	}
	addr, ca := mgmttest.Serve(t, dev, opts...)
	f := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(f, ca.CertPEM(), 0o600))
	return "https://" + addr + "?ca=" + url.QueryEscape(f)
}

func open(t testing.TB, target string) (device.Device, error) {
	t.Helper()
	reg := device.NewRegistry()
	require.NoError(t, https.Register(reg))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return reg.Open(ctx, target)
}

func pump(t testing.TB) *sim.Pump {
	t.Helper()
	p, err := sim.New(context.Background(), "infusion-pump")
	require.NoError(t, err)
	return p
}

// Errors cross the network as the same pkg/device sentinels.
func TestErrorsKeepTheirMeaningOverTheNetwork(t *testing.T) {
	p := pump(t)
	d, err := open(t, served(t, p, true))
	require.NoError(t, err)
	defer d.Close()
	ctx := context.Background()

	id, err := d.Identify(ctx)
	require.NoError(t, err)
	assert.Equal(t, "SIM-IP-000001", id.Serial)

	a, err := device.As[device.Authenticator](d, "login")
	require.NoError(t, err)
	_, err = a.Login(ctx, device.Credentials{User: "nobody.here", Password: "wrong"})
	assert.ErrorIs(t, err, device.ErrDenied)

	prov, _ := device.As[device.Provisioner](d, "provisioning")
	require.NoError(t, prov.CreateUser(ctx, "ravi.patel", "Correct-Horse-Battery-9", "biomed"))
	_, err = a.Login(ctx, device.Credentials{User: "ravi.patel", Password: "Correct-Horse-Battery-9"})
	assert.ErrorIs(t, err, device.ErrSecondFactorRequired)
	assert.ErrorIs(t, err, device.ErrDenied, "a missing second factor is a refusal too")
	assert.ErrorIs(t, prov.CreateUser(ctx, "nurse", "Correct-Horse-Battery-9", "clinician"), device.ErrDenied, "shared name")

	pd, _ := device.As[device.PatientData](d, "patient data")
	_, err = pd.ReadPatient(ctx, "forged-token", "P-1001")
	assert.ErrorIs(t, err, device.ErrUnauthenticated)
	assert.NotErrorIs(t, err, device.ErrDenied)

	op, _ := device.As[device.Operator](d, "operations")
	err = op.Perform(ctx, "x", "coffee.brew")
	var ue *device.UnsupportedError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, ue.Capability, "coffee.brew")

	st, _ := device.As[device.RawStorage](d, "raw storage")
	names, err := st.ListStored(ctx)
	require.NoError(t, err)
	assert.Contains(t, names, "audit/log.jsonl")
	require.NoError(t, st.WriteStored(ctx, "dir/with space/x", []byte("abc")))
	got, err := st.ReadStored(ctx, "dir/with space/x")
	require.NoError(t, err)
	assert.Equal(t, "abc", string(got))
	direct, _ := p.ReadStored(ctx, "dir/with space/x")
	assert.Equal(t, "abc", string(direct), "the write reached the device")

	cc, _ := device.As[device.ClockControl](d, "clock")
	t0, err := cc.DeviceTime(ctx)
	require.NoError(t, err)
	require.NoError(t, cc.AdvanceClock(ctx, time.Hour))
	t1, _ := cc.DeviceTime(ctx)
	assert.Equal(t, time.Hour, t1.Sub(t0).Round(time.Second))
	assert.Error(t, cc.AdvanceClock(ctx, -time.Hour))
}

// identityOnly is a device maker's device with no capability but identity.
type identityOnly struct{}

func (identityOnly) Identify(context.Context) (device.Identity, error) {
	return device.Identity{Manufacturer: "Acme", Model: "T-1", Serial: "7", Firmware: "1"}, nil
}
func (identityOnly) Close() error { return nil }

// A capability the served device lacks is unsupported on the client too,
// though the driver's Go type has the method.
func TestMissingCapabilitiesStayMissing(t *testing.T) {
	d, err := open(t, served(t, identityOnly{}, false))
	require.NoError(t, err)
	defer d.Close()
	_, err = device.As[device.PatientData](d, "patient data")
	assert.ErrorIs(t, err, device.ErrUnsupported)
	_, err = device.As[device.Authenticator](d, "login")
	assert.ErrorIs(t, err, device.ErrUnsupported)
	// Asked anyway, the server says unsupported as well.
	_, err = d.(device.PatientData).ReadPatient(context.Background(), "", "P-1")
	assert.ErrorIs(t, err, device.ErrUnsupported)
	id, err := d.Identify(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "Acme", id.Manufacturer)
}

// patientsOff has the methods of device.PatientData but says, through
// device.CapabilitySet, that the capability is switched off.
type patientsOff struct{ identityOnly }

func (patientsOff) ReadPatient(context.Context, string, string) ([]byte, error) {
	return []byte("should never be served"), nil
}
func (patientsOff) WritePatient(context.Context, string, string, []byte) error { return nil }
func (patientsOff) HasCapability(c reflect.Type) bool {
	return c != reflect.TypeFor[device.PatientData]()
}

// A device that declares a capability off (device.CapabilitySet) is served
// without it, though its type has the methods.
func TestServedCapabilitiesRespectCapabilitySet(t *testing.T) {
	d, err := open(t, served(t, patientsOff{}, false))
	require.NoError(t, err)
	defer d.Close()
	_, err = device.As[device.PatientData](d, "patient data")
	assert.ErrorIs(t, err, device.ErrUnsupported)
	_, err = d.(device.PatientData).ReadPatient(context.Background(), "", "P-1")
	assert.ErrorIs(t, err, device.ErrUnsupported, "the server refuses the call too")
}

// Malformed API input is refused with 400 and changes nothing.
func TestMalformedRequestsAreRefused(t *testing.T) {
	p := pump(t)
	target := served(t, p, false)
	u, _ := url.Parse(target)
	d, err := open(t, target)
	require.NoError(t, err)
	defer d.Close()
	before, _ := p.ListStored(context.Background())
	cfg := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // raw probe of a test server
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 5 * time.Second}
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/v1/device/users", `{"user":"a.b","password":"x","role":"biomed","extra":1}`},
		{"POST", "/v1/device/users", `{"user":`},
		{"POST", "/v1/device/users", `{"user":"a.b"} {"user":"c.d"}`},
		{"POST", "/v1/device/login", `[]`},
		{"POST", "/v1/device/clock/advance", `{"nanoseconds":"soon"}`},
		{"GET", "/v1/device/activity?from=yesterday", ``},
		{"POST", "/v1/units", ``},
		{"GET", "/v1/units/nope/identity", ``},
		{"GET", "/v2/whatever", ``},
	} {
		req, _ := http.NewRequest(tc.method, "https://"+u.Host+tc.path, strings.NewReader(tc.body))
		resp, err := c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.GreaterOrEqual(t, resp.StatusCode, 400, "%s %s", tc.method, tc.path)
		assert.Less(t, resp.StatusCode, 502, "%s %s", tc.method, tc.path)
	}
	after, _ := p.ListStored(context.Background())
	assert.Equal(t, before, after)
	_, err = d.Identify(context.Background())
	assert.NoError(t, err, "still serving")
}

// Bad targets fail at once as usage errors.
func TestBadTargets(t *testing.T) {
	for _, target := range []string{
		"https://",
		"https://127.0.0.1:1/path",
		"https://127.0.0.1:1?colour=red",
		"https://127.0.0.1:1?ca-sha256=abc",
		"https://127.0.0.1:1?ca=/nonexistent.pem",
		"https://127.0.0.1:1?timeout=-1s",
		"https://127.0.0.1:1?cert=x.pem",
	} {
		_, err := open(t, target)
		assert.ErrorIs(t, err, device.ErrBadTarget, target)
	}
}

// A device that cannot be reached, fails TLS or hangs gives one line of
// error within the target's timeout, never a stall.
func TestUnreachableUntrustedAndHangingDevices(t *testing.T) {
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := free.Addr().String()
	free.Close()

	// Speaks TLS with a certificate from a CA the target does not pin.
	untrusted := served(t, identityOnly{}, false)
	u, _ := url.Parse(untrusted)
	otherCA, _ := pki.NewCA("other", time.Now())
	wrongPin := "https://" + u.Host + "?ca-sha256=" + otherCA.Fingerprint() + "&timeout=3s"

	// Accepts the connection and never says anything.
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	defer silent.Close()
	go acceptForever(silent, func(c net.Conn) {})

	// Completes TLS, reads the request, sends headers and half a body,
	// then hangs.
	ca, _ := pki.NewCA("hang", time.Now())
	leaf, _ := ca.Issue("d", pki.Localhost, false, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	hang, _ := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS13})
	defer hang.Close()
	go acceptForever(hang, func(c net.Conn) {
		buf := make([]byte, 4096)
		_, _ = c.Read(buf)
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"api\":"))
	})
	f := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(f, ca.CertPEM(), 0o600))

	for name, tc := range map[string]struct {
		target string
		want   string
	}{
		"unreachable":    {"https://" + closed + "?timeout=3s", "connection refused"},
		"untrusted":      {wrongPin, "pinned CA"},
		"silent":         {"https://" + silent.Addr().String() + "?timeout=1s", "timeout"},
		"hangs mid-body": {"https://" + hang.Addr().String() + "?timeout=1s&ca=" + url.QueryEscape(f), "deadline"},
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := open(t, tc.target)
			require.Error(t, err)
			assert.Less(t, time.Since(start), 10*time.Second)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "\n")
			assert.False(t, errors.Is(err, device.ErrBadTarget), "a network failure is not a usage error")
		})
	}
}

func acceptForever(ln net.Listener, h func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			h(c)
			time.Sleep(30 * time.Second)
			c.Close()
		}()
	}
}
