package https_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
)

// biomedSession makes a biomed account on d through the API, enrols its
// authenticator and logs it in with a code for the device's clock.
func biomedSession(t testing.TB, d device.Device) string {
	t.Helper()
	ctx := context.Background()
	const user, pw = "ravi.patel", "Correct-Horse-Battery-9"
	require.NoError(t, d.(device.Provisioner).CreateUser(ctx, user, pw, "biomed"))
	uri, err := d.(device.MFAProvisioner).EnrollTOTP(ctx, user)
	require.NoError(t, err)
	key, err := otp.NewKeyFromURL(uri)
	require.NoError(t, err)
	now, err := d.(device.ClockControl).DeviceTime(ctx)
	require.NoError(t, err)
	code, err := totp.GenerateCodeCustom(key.Secret(), now, totp.ValidateOpts{
		Period: uint(key.Period()), Digits: key.Digits(), Algorithm: key.Algorithm()})
	require.NoError(t, err)
	tok, err := d.(device.Authenticator).Login(ctx, device.Credentials{User: user, Password: pw, OTP: code})
	require.NoError(t, err)
	return tok
}

// Firmware updates over the network: installing needs a session, a
// refused image and an injected power cut keep their sentinels, and the
// status is the device's own, SBOM included.
func TestUpdatesOverTheNetwork(t *testing.T) {
	p := pump(t)
	d, err := open(t, served(t, p, false))
	require.NoError(t, err)
	defer d.Close()
	ctx := context.Background()
	u, err := device.As[device.Updater](d, "updates")
	require.NoError(t, err)
	pub, err := device.As[device.UpdatePublisher](d, "update publishing")
	require.NoError(t, err)
	tok := biomedSession(t, d)

	before, err := u.UpdateStatus(ctx)
	require.NoError(t, err)
	direct, err := p.UpdateStatus(ctx)
	require.NoError(t, err)
	assert.Equal(t, direct, before, "the status crosses the network unchanged")
	assert.NotEmpty(t, before.SBOM)

	target, err := pub.PublishRelease(ctx, device.Release{Newer: true})
	require.NoError(t, err)
	assert.ErrorIs(t, u.InstallUpdate(ctx, "forged-token", target), device.ErrUnauthenticated)
	require.NoError(t, u.InstallUpdate(ctx, tok, target))
	after, err := u.UpdateStatus(ctx)
	require.NoError(t, err)
	assert.Equal(t, before.Version+1, after.Version)
	assert.Equal(t, "installed", after.LastResult)
	assert.True(t, after.Verified)

	next, err := pub.PublishRelease(ctx, device.Release{Newer: true})
	require.NoError(t, err)
	require.NoError(t, pub.InterruptNextUpdate(ctx, "write"))
	err = u.InstallUpdate(ctx, tok, next)
	assert.ErrorIs(t, err, device.ErrPowerLoss)
	assert.NotErrorIs(t, err, device.ErrUpdateRefused)
	require.NoError(t, u.Restart(ctx))
	st, err := u.UpdateStatus(ctx)
	require.NoError(t, err)
	assert.Equal(t, after.Version, st.Version, "after the power cut the old image runs")
	assert.Equal(t, "interrupted", st.LastResult)

	// The attacker's repository stays in place of the maker's from here on.
	evil, err := pub.PublishRelease(ctx, device.Release{Newer: true, Signer: "attacker"})
	require.NoError(t, err)
	err = u.InstallUpdate(ctx, tok, evil)
	assert.ErrorIs(t, err, device.ErrUpdateRefused)
	assert.NotErrorIs(t, err, device.ErrPowerLoss)
	st, _ = p.UpdateStatus(ctx)
	assert.Equal(t, after.Version, st.Version, "the attacker's image does not run")
	assert.Equal(t, "untrusted", st.LastResult)

	var ue *device.UnsupportedError
	assert.ErrorAs(t, pub.InterruptNextUpdate(ctx, "teatime"), &ue)
}

// Identity, patches, security configuration and planted data over the
// network: what needs a session refuses a forged one, and every answer is
// the device's own.
func TestInventoryAndConfigOverTheNetwork(t *testing.T) {
	p := pump(t)
	d, err := open(t, served(t, p, true))
	require.NoError(t, err)
	defer d.Close()
	ctx := context.Background()
	tok := biomedSession(t, d)

	q, err := device.As[device.IdentityQuerier](d, "identity query")
	require.NoError(t, err)
	_, err = q.QueryIdentity(ctx, "forged-token")
	assert.ErrorIs(t, err, device.ErrUnauthenticated)
	id, err := q.QueryIdentity(ctx, tok)
	require.NoError(t, err)
	want, _ := p.QueryIdentity(ctx, tok)
	assert.Equal(t, want, id)
	assert.NotEmpty(t, id.UDI)
	pi, err := device.As[device.ProvisionedIdentity](d, "provisioned identity")
	require.NoError(t, err)
	prov, err := pi.ProvisionedIdentity(ctx)
	require.NoError(t, err)
	want, _ = p.ProvisionedIdentity(ctx)
	assert.Equal(t, want, prov)

	pr, err := device.As[device.PatchReporter](d, "patches")
	require.NoError(t, err)
	_, err = pr.InstalledPatches(ctx, "")
	assert.ErrorIs(t, err, device.ErrUnauthenticated)
	installed, err := pr.InstalledPatches(ctx, tok)
	require.NoError(t, err)
	direct, _ := p.InstalledPatches(ctx, tok)
	assert.Equal(t, direct, installed)
	pb, err := device.As[device.PatchBulletin](d, "bulletin")
	require.NoError(t, err)
	rel, err := pb.ReleasedPatches(ctx)
	require.NoError(t, err)
	drel, _ := p.ReleasedPatches(ctx)
	require.Len(t, rel, len(drel))
	for i := range rel {
		assert.Equal(t, drel[i].ID, rel[i].ID)
		assert.Equal(t, drel[i].Criticality, rel[i].Criticality)
		// Dated on the unit's running clock, read twice.
		assert.WithinDuration(t, drel[i].Released, rel[i].Released, time.Minute)
	}

	sc, err := device.As[device.SecurityConfig](d, "security config")
	require.NoError(t, err)
	_, err = sc.SecuritySettings(ctx, "forged-token")
	assert.ErrorIs(t, err, device.ErrUnauthenticated)
	assert.ErrorIs(t, sc.ChangeSecuritySetting(ctx, "forged-token", "usb_mass_storage", "enabled"), device.ErrUnauthenticated)
	assert.ErrorIs(t, sc.ResetSecuritySettings(ctx, ""), device.ErrUnauthenticated)
	base, err := device.As[device.SecureBaseline](d, "baseline")
	require.NoError(t, err)
	baseline, err := base.SecureBaseline(ctx)
	require.NoError(t, err)
	set, err := sc.SecuritySettings(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, baseline, set)
	assert.ErrorIs(t, sc.ChangeSecuritySetting(ctx, tok, "usb_mass_storage", "sometimes"), device.ErrDenied)
	assert.ErrorIs(t, sc.ChangeSecuritySetting(ctx, tok, "usb/mass storage", "enabled"), device.ErrDenied, "an odd name is one unknown setting")
	require.NoError(t, sc.ChangeSecuritySetting(ctx, tok, "usb_mass_storage", "enabled"))
	onDevice, _ := p.SecuritySettings(ctx, tok)
	assert.Equal(t, "enabled", onDevice["usb_mass_storage"], "the change reached the device")
	require.NoError(t, sc.ResetSecuritySettings(ctx, tok))
	onDevice, _ = p.SecuritySettings(ctx, tok)
	assert.Equal(t, baseline, onDevice)

	pd, err := device.As[device.PlantedData](d, "planted data")
	require.NoError(t, err)
	vals, err := pd.PlantedValues(ctx)
	require.NoError(t, err)
	dvals, _ := p.PlantedValues(ctx)
	assert.Equal(t, dvals, vals)
	assert.NotEmpty(t, vals)
}

// portDevice is a device maker's device that lists its ports.
type portDevice struct {
	identityOnly
	listening, documented []device.ListeningPort
}

func (p portDevice) ListeningPorts(context.Context) ([]device.ListeningPort, error) {
	return p.listening, nil
}

func (p portDevice) DocumentedPorts(context.Context) ([]device.ListeningPort, error) {
	return p.documented, nil
}

func TestPortsOverTheNetwork(t *testing.T) {
	dev := portDevice{
		listening:  []device.ListeningPort{{Proto: "tcp", Address: "0.0.0.0", Port: 2575}, {Proto: "udp", Address: "::", Port: 514}},
		documented: nil,
	}
	d, err := open(t, served(t, dev, false))
	require.NoError(t, err)
	defer d.Close()
	pl, err := device.As[device.PortLister](d, "ports")
	require.NoError(t, err)
	got, err := pl.ListeningPorts(context.Background())
	require.NoError(t, err)
	assert.Equal(t, dev.listening, got)
	doc, err := pl.DocumentedPorts(context.Background())
	require.NoError(t, err)
	assert.Empty(t, doc, "documents no port: an empty list, not an error")
	assert.ElementsMatch(t, []string{"port-lister"}, d.(*https.Device).Capabilities())
}

// A device without the new capabilities reports them unsupported, on the
// client and, asked anyway, on the server.
func TestNewCapabilitiesMissingStayMissing(t *testing.T) {
	d, err := open(t, served(t, identityOnly{}, false))
	require.NoError(t, err)
	defer d.Close()
	ctx := context.Background()
	hd := d.(*https.Device)
	assert.Empty(t, hd.Capabilities())
	for name, call := range map[string]func() error{
		"updater":              func() error { _, err := hd.UpdateStatus(ctx); return err },
		"install":              func() error { return hd.InstallUpdate(ctx, "t", "x") },
		"restart":              func() error { return hd.Restart(ctx) },
		"update-publisher":     func() error { _, err := hd.PublishRelease(ctx, device.Release{Newer: true}); return err },
		"interrupt":            func() error { return hd.InterruptNextUpdate(ctx, "write") },
		"planted-data":         func() error { _, err := hd.PlantedValues(ctx); return err },
		"port-lister":          func() error { _, err := hd.ListeningPorts(ctx); return err },
		"documented-ports":     func() error { _, err := hd.DocumentedPorts(ctx); return err },
		"identity-querier":     func() error { _, err := hd.QueryIdentity(ctx, "t"); return err },
		"provisioned-identity": func() error { _, err := hd.ProvisionedIdentity(ctx); return err },
		"patch-reporter":       func() error { _, err := hd.InstalledPatches(ctx, "t"); return err },
		"patch-bulletin":       func() error { _, err := hd.ReleasedPatches(ctx); return err },
		"security-config":      func() error { _, err := hd.SecuritySettings(ctx, "t"); return err },
		"change-setting":       func() error { return hd.ChangeSecuritySetting(ctx, "t", "a", "b") },
		"reset-settings":       func() error { return hd.ResetSecuritySettings(ctx, "t") },
		"secure-baseline":      func() error { _, err := hd.SecureBaseline(ctx); return err },
	} {
		assert.ErrorIs(t, call(), device.ErrUnsupported, name)
	}
	for _, as := range []func() error{
		func() error { _, err := device.As[device.Updater](d, "u"); return err },
		func() error { _, err := device.As[device.UpdatePublisher](d, "u"); return err },
		func() error { _, err := device.As[device.PlantedData](d, "u"); return err },
		func() error { _, err := device.As[device.PortLister](d, "u"); return err },
		func() error { _, err := device.As[device.IdentityQuerier](d, "u"); return err },
		func() error { _, err := device.As[device.ProvisionedIdentity](d, "u"); return err },
		func() error { _, err := device.As[device.PatchReporter](d, "u"); return err },
		func() error { _, err := device.As[device.PatchBulletin](d, "u"); return err },
		func() error { _, err := device.As[device.SecurityConfig](d, "u"); return err },
		func() error { _, err := device.As[device.SecureBaseline](d, "u"); return err },
	} {
		assert.ErrorIs(t, as(), device.ErrUnsupported)
	}
}

// bigSBOM is an updater whose running image carries an SBOM of n bytes.
type bigSBOM struct {
	identityOnly
	n int
}

func (b bigSBOM) UpdateStatus(context.Context) (device.UpdateStatus, error) {
	return device.UpdateStatus{Firmware: "1", Version: 1, SBOM: bytes.Repeat([]byte("{}"), b.n/2)}, nil
}
func (bigSBOM) InstallUpdate(context.Context, string, string) error { return nil }
func (bigSBOM) Restart(context.Context) error                       { return nil }

// The server bounds the SBOM it sends: a status over the limit is an
// error, never a response of unbounded size.
func TestOversizedSBOMIsRefused(t *testing.T) {
	ctx := context.Background()
	small, err := open(t, served(t, bigSBOM{n: 1 << 20}, false))
	require.NoError(t, err)
	defer small.Close()
	st, err := small.(device.Updater).UpdateStatus(ctx)
	require.NoError(t, err)
	assert.Len(t, st.SBOM, 1<<20)

	big, err := open(t, served(t, bigSBOM{n: 16<<20 + 2}, false))
	require.NoError(t, err)
	defer big.Close()
	_, err = big.(device.Updater).UpdateStatus(ctx)
	var re *https.RemoteError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 500, re.Status)
	assert.Contains(t, err.Error(), "SBOM")
	assert.NotErrorIs(t, err, device.ErrUnsupported)
}

// Every error code survives the trip: the status is the first code's, and
// errors.Is on the client matches each sentinel the device's error did.
func TestUpdateErrorsMapToSentinels(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		is     []error
		isNot  []error
	}{
		{errors.Join(device.ErrUpdateRefused, errors.New("untrusted")), 409, []error{device.ErrUpdateRefused}, []error{device.ErrPowerLoss, device.ErrDenied}},
		{device.ErrPowerLoss, 503, []error{device.ErrPowerLoss}, []error{device.ErrUpdateRefused}},
		{errors.Join(device.ErrDenied, device.ErrUpdateRefused), 403, []error{device.ErrDenied, device.ErrUpdateRefused}, []error{device.ErrPowerLoss}},
	} {
		d, err := open(t, served(t, failingUpdater{err: tc.err}, false))
		require.NoError(t, err)
		err = d.(device.Updater).InstallUpdate(context.Background(), "tok", "img")
		var re *https.RemoteError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, tc.status, re.Status, tc.err.Error())
		for _, s := range tc.is {
			assert.ErrorIs(t, err, s)
		}
		for _, s := range tc.isNot {
			assert.NotErrorIs(t, err, s)
		}
		d.Close()
	}
}

type failingUpdater struct {
	identityOnly
	err error
}

func (failingUpdater) UpdateStatus(context.Context) (device.UpdateStatus, error) {
	return device.UpdateStatus{}, nil
}
func (f failingUpdater) InstallUpdate(context.Context, string, string) error { return f.err }
func (failingUpdater) Restart(context.Context) error                         { return nil }

// Malformed requests to the new endpoints are refused and change nothing.
func TestMalformedUpdateAndConfigRequests(t *testing.T) {
	p := pump(t)
	target := served(t, p, false)
	u, _ := url.Parse(target)
	ctx := context.Background()
	before, err := p.UpdateStatus(ctx)
	require.NoError(t, err)
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/v1/device/update/install", `{"target":1}`},
		{"POST", "/v1/device/update/install", `{"target":"x","force":true}`},
		{"POST", "/v1/device/update/releases", `{"newer":true,"signer":"maker","evil":1}`},
		{"POST", "/v1/device/update/releases", `{"newer":true} {"newer":true}`},
		{"POST", "/v1/device/update/interrupt", `{"phase":["write"]}`},
		{"PUT", "/v1/device/security-settings/usb_mass_storage", `{"value":"enabled"`},
		{"PUT", "/v1/device/security-settings/usb_mass_storage", strings.Repeat(" ", 2<<20) + `{"value":"enabled"}`},
	} {
		code := rawRequest(t, u.Host, tc.method, tc.path, tc.body)
		assert.Equal(t, 400, code, "%s %s", tc.method, tc.path)
	}
	after, err := p.UpdateStatus(ctx)
	require.NoError(t, err)
	assert.Equal(t, before, after, "no release published, nothing installed")
	// An interrupt that was refused is not armed: the next install runs.
	d, err := open(t, target)
	require.NoError(t, err)
	defer d.Close()
	tok := biomedSession(t, d)
	rel, err := p.PublishRelease(ctx, device.Release{Newer: true})
	require.NoError(t, err)
	require.NoError(t, d.(device.Updater).InstallUpdate(ctx, tok, rel))
	set, _ := p.SecuritySettings(ctx, tok)
	base, _ := p.SecureBaseline(ctx)
	assert.Equal(t, base, set, "no setting changed")
}

// rawRequest sends one request as any HTTPS client could and returns the
// status.
func rawRequest(t *testing.T, host, method, path, body string) int {
	t.Helper()
	cfg := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // raw probe of a test server
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 5 * time.Second}
	req, err := http.NewRequest(method, "https://"+host+path, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}
