package https

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/device"
)

// Scheme is the URI scheme of the driver.
const Scheme = "https"

// DefaultTimeout bounds each request (connect, TLS, response) unless the
// target says otherwise (?timeout=10s).
const DefaultTimeout = 30 * time.Second

// Driver opens https:// targets. It keeps one HTTP client per target
// (address, trust and client certificate), so the scenarios of a run reuse
// connections and TLS sessions.
type Driver struct {
	mu      sync.Mutex
	clients map[string]*http.Client
	resolve func(ctx context.Context, host string) ([]net.IP, error)
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
}

// DriverOption configures NewDriver.
type DriverOption func(*Driver)

// WithResolver replaces the DNS lookup of a target's host name (default
// net.DefaultResolver). The driver resolves each target once and pins the
// first address: every later request dials that address.
func WithResolver(f func(ctx context.Context, host string) ([]net.IP, error)) DriverOption {
	return func(d *Driver) { d.resolve = f }
}

// WithDialContext replaces the TCP dialer (default net.Dialer with the
// target's timeout); it is given the pinned address. Tests use it to dial
// from inside a network namespace.
func WithDialContext(f func(ctx context.Context, network, addr string) (net.Conn, error)) DriverOption {
	return func(d *Driver) { d.dial = f }
}

// NewDriver returns a driver with an empty connection cache.
func NewDriver(opts ...DriverOption) *Driver {
	d := &Driver{clients: map[string]*http.Client{}}
	for _, o := range opts {
		o(d)
	}
	if d.resolve == nil {
		d.resolve = func(ctx context.Context, host string) ([]net.IP, error) {
			return net.DefaultResolver.LookupIP(ctx, "ip", host)
		}
	}
	return d
}

// Register adds an https driver to r.
func Register(r *device.Registry) error { return r.Register(Scheme, NewDriver().Open) }

// Open is the device.Opener for targets such as
//
//	https://127.0.0.1:8443?ca=/etc/ward/device-ca.pem
//	https://10.0.0.7:8443?ca-sha256=HEX&cert=client.pem&key=client-key.pem&timeout=10s
//
// ca names a PEM file of CAs that verify the device; ca-sha256 pins a CA
// (or the device certificate itself) by the SHA-256 of its DER form, which
// must appear in the chain the device sends; with neither, the system
// roots are used. cert and key give a client certificate for devices that
// require mutual TLS. A simulator (ward sim serve) gives each Open a fresh
// unit, deleted again on Close.
func (d *Driver) Open(ctx context.Context, u *url.URL) (device.Device, error) {
	if u.Scheme != Scheme {
		return nil, fmt.Errorf("%w: scheme %q is not %q", device.ErrBadTarget, u.Scheme, Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%w: https target needs host:port", device.ErrBadTarget)
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("%w: https target takes no path, got %q", device.ErrBadTarget, u.Path)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("%w: query: %v", device.ErrBadTarget, err)
	}
	timeout := DefaultTimeout
	for k := range q {
		switch k {
		case "ca", "ca-sha256", "cert", "key":
		case "timeout":
			if timeout, err = time.ParseDuration(q.Get(k)); err != nil || timeout <= 0 {
				return nil, fmt.Errorf("%w: timeout %q: want a positive duration such as 10s", device.ErrBadTarget, q.Get(k))
			}
		default:
			return nil, fmt.Errorf("%w: unknown https parameter %q (known: ca, ca-sha256, cert, key, timeout)", device.ErrBadTarget, k)
		}
	}
	client, err := d.client(ctx, u, q, timeout)
	if err != nil {
		return nil, err
	}
	dev := &Device{c: client, root: "https://" + u.Host, timeout: timeout, caps: map[reflect.Type]bool{}}
	if err := dev.connect(ctx); err != nil {
		return nil, err
	}
	if dev.caps[reflect.TypeFor[device.Network]()] {
		return &NetworkDevice{dev}, nil
	}
	return dev, nil
}

func (d *Driver) client(ctx context.Context, u *url.URL, q url.Values, timeout time.Duration) (*http.Client, error) {
	key := u.Host + "?" + q.Encode()
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.clients[key]; ok {
		return c, nil
	}
	cfg, err := clientTLS(u.Hostname(), q)
	if err != nil {
		return nil, err
	}
	pinned, err := d.pin(ctx, u, timeout)
	if err != nil {
		return nil, err
	}
	dial := d.dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext
	}
	origin := canonicalHost(u)
	c := &http.Client{
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			return checkRedirect(origin, req, via)
		},
		Transport: &http.Transport{
			// Every connection goes to the address pinned when the target
			// was first opened: a DNS answer that changes mid-run cannot
			// move the target, and no other host is ever dialled.
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if !strings.EqualFold(addr, origin) {
					return nil, fmt.Errorf("%w: dial %s", ErrOffTarget, addr)
				}
				return dial(ctx, network, pinned)
			},
			TLSClientConfig:       cfg,
			TLSHandshakeTimeout:   timeout,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   16,
			IdleConnTimeout:       60 * time.Second,
			ForceAttemptHTTP2:     true,
			// A proxy from the environment would be another host.
			Proxy: nil,
		}}
	d.clients[key] = c
	return c, nil
}

// ErrOffTarget reports a request the driver refused because it would leave
// the target: a redirect to another scheme, host or port, or a dial to an
// address other than the target's.
var ErrOffTarget = errors.New("https: refused to leave the target")

// maxRedirects bounds redirects within the target (the API itself never
// redirects; a device that loops is cut short).
const maxRedirects = 3

// canonicalHost is u's host:port with the default port filled in, as
// net/http names the address it dials.
func canonicalHost(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "443"
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// checkRedirect follows a redirect only to the same scheme, host and port
// as the target: anything else would make Ward fetch (and later send back
// to the device, or sign into evidence) what another host serves.
func checkRedirect(origin string, req *http.Request, via []*http.Request) error {
	if req.URL.Scheme != Scheme || !strings.EqualFold(canonicalHost(req.URL), origin) {
		return fmt.Errorf("%w: device redirected to %s://%s", ErrOffTarget, req.URL.Scheme, req.URL.Host)
	}
	if len(via) > maxRedirects {
		return fmt.Errorf("%w: more than %d redirects", ErrOffTarget, maxRedirects)
	}
	return nil
}

// pin resolves the target's host once and returns the address every
// request of this client dials.
func (d *Driver) pin(ctx context.Context, u *url.URL, timeout time.Duration) (string, error) {
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
	}
	if ip := net.ParseIP(host); ip != nil {
		return net.JoinHostPort(ip.String(), port), nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ips, err := d.resolve(ctx, host)
	if err != nil {
		return "", fmt.Errorf("https: resolve %s: %w", host, err)
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("https: resolve %s: no address", host)
	}
	return net.JoinHostPort(ips[0].String(), port), nil
}

// clientTLS builds the client's TLS: TLS 1.3 (the management API is ours
// to define, and 1.3 has only approved, forward-secret suites), trusting
// what the target says.
func clientTLS(host string, q url.Values) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, ServerName: host}
	if f := q.Get("ca"); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%w: ca: %v", device.ErrBadTarget, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: ca %s holds no PEM certificate", device.ErrBadTarget, f)
		}
		cfg.RootCAs = pool
	}
	if pin := strings.ToLower(q.Get("ca-sha256")); pin != "" {
		if b, err := hex.DecodeString(pin); err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("%w: ca-sha256 must be 64 hex digits", device.ErrBadTarget)
		}
		if cfg.RootCAs != nil {
			return nil, fmt.Errorf("%w: give ca or ca-sha256, not both", device.ErrBadTarget)
		}
		// Verification is ours: the pinned certificate must be in the
		// chain sent, and the leaf must verify up to it for this host.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error { return verifyPinned(cs, host, pin) }
	}
	cert, key := q.Get("cert"), q.Get("key")
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("%w: cert and key go together", device.ErrBadTarget)
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("%w: client certificate: %v", device.ErrBadTarget, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// ErrPin reports a device whose certificate chain lacks the pinned
// certificate or does not verify up to it.
var ErrPin = errors.New("https: device certificate does not match the pinned CA")

func verifyPinned(cs tls.ConnectionState, host, pin string) error {
	if len(cs.PeerCertificates) == 0 {
		return ErrPin
	}
	var anchor *x509.Certificate
	for _, c := range cs.PeerCertificates {
		sum := sha256.Sum256(c.Raw)
		if hex.EncodeToString(sum[:]) == pin {
			anchor = c
		}
	}
	if anchor == nil {
		return ErrPin
	}
	roots := x509.NewCertPool()
	roots.AddCert(anchor)
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host}); err != nil {
		return fmt.Errorf("%w: %v", ErrPin, err)
	}
	return nil
}

// Device is a device reached through the management API. Its Go type has
// every capability's methods; HasCapability says which the device really
// has, so device.As reports the others unsupported.
type Device struct {
	c       *http.Client
	root    string // https://host:port
	base    string // root + /v1/device or /v1/units/{id}
	unit    string
	timeout time.Duration
	caps    map[reflect.Type]bool
	names   []string
}

var _ device.CapabilitySet = (*Device)(nil)

// connect learns whether the server is a simulator (and makes a unit)
// and what the device can do.
func (d *Device) connect(ctx context.Context) error {
	var svc serviceInfo
	if err := d.call(ctx, "GET", d.root+"/v1/service", "", nil, &svc); err != nil {
		if ce := cleartext(ctx, strings.TrimPrefix(d.root, "https://"), d.timeout); ce != nil {
			return ce
		}
		return err
	}
	if svc.API != APIVersion {
		return fmt.Errorf("https %s: speaks %q, not %q", d.root, svc.API, APIVersion)
	}
	d.base = d.root + "/v1/device"
	if svc.Units {
		var u unitInfo
		if err := d.call(ctx, "POST", d.root+"/v1/units", "", nil, &u); err != nil {
			return err
		}
		d.unit, d.base = u.ID, d.root+"/v1/units/"+url.PathEscape(u.ID)
	}
	var ci capsInfo
	if err := d.get(ctx, "/capabilities", "", &ci); err != nil {
		_ = d.Close()
		return err
	}
	for _, name := range ci.Capabilities {
		for _, c := range capabilities {
			if c.name == name {
				d.caps[c.typ] = true
				d.names = append(d.names, name)
			}
		}
	}
	return nil
}

// HasCapability implements device.CapabilitySet.
func (d *Device) HasCapability(t reflect.Type) bool { return d.caps[t] }

// Capabilities lists the capabilities the device reported.
func (d *Device) Capabilities() []string { return append([]string(nil), d.names...) }

// call does one request bounded by the target's timeout. body is sent as
// JSON unless it is []byte; out receives JSON unless it is *[]byte.
func (d *Device) call(ctx context.Context, method, u, token string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "application/octet-stream"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("https: %w", err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := d.c.Do(req)
	if err != nil {
		return d.transportError(method, u, err)
	}
	defer resp.Body.Close()
	limit := answerLimit(out)
	if resp.StatusCode >= 300 {
		limit = MaxSmallAnswer // an error says what went wrong in a line
	}
	if resp.ContentLength > limit {
		return fmt.Errorf("%w: https %s %s: device announces %d bytes, over %d", ErrTooLarge, method, strings.TrimPrefix(u, d.root), resp.ContentLength, limit)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return d.transportError(method, u, err)
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("%w: https %s %s: answer over %d bytes", ErrTooLarge, method, strings.TrimPrefix(u, d.root), limit)
	}
	if resp.StatusCode >= 300 {
		return decodeError(resp.StatusCode, data)
	}
	switch o := out.(type) {
	case nil:
	case *[]byte:
		*o = data
	default:
		if err := json.Unmarshal(data, o); err != nil {
			return fmt.Errorf("https %s %s: bad response: %v", method, strings.TrimPrefix(u, d.root), err)
		}
		if l, ok := reflect.ValueOf(o).Elem().Interface().(listing); ok && l.entries() > MaxListing {
			return fmt.Errorf("%w: https %s %s: %d entries, over %d", ErrTooLarge, method, strings.TrimPrefix(u, d.root), l.entries(), MaxListing)
		}
	}
	return nil
}

// transportError says in one line why the device could not be reached.
func (d *Device) transportError(method, u string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s %s: %w", method, u, err)
}

func (d *Device) get(ctx context.Context, path, token string, out any) error {
	return d.call(ctx, "GET", d.base+path, token, nil, out)
}

func (d *Device) post(ctx context.Context, path, token string, body, out any) error {
	return d.call(ctx, "POST", d.base+path, token, body, out)
}

// Identify implements device.Device.
func (d *Device) Identify(ctx context.Context) (device.Identity, error) {
	var id device.Identity
	err := d.get(ctx, "/identity", "", &id)
	return id, err
}

// ScratchUnit implements device.Scratch: a unit the driver made on a
// networked simulator (POST /v1/units) is deleted when the driver closes;
// the device itself (/v1/device) is not scratch, whatever serves it.
func (d *Device) ScratchUnit() bool { return d.unit != "" }

// Close implements device.Device: a simulator unit is deleted.
func (d *Device) Close() error {
	if d.unit == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	err := d.call(ctx, "DELETE", d.root+"/v1/units/"+url.PathEscape(d.unit), "", nil, nil)
	d.unit = ""
	return err
}

// Login implements device.Authenticator.
func (d *Device) Login(ctx context.Context, c device.Credentials) (string, error) {
	var t tokenInfo
	err := d.post(ctx, "/login", "", credentials{User: c.User, Password: c.Password, Source: c.Source, OTP: c.OTP}, &t)
	return t.Token, err
}

// Logout implements device.Authenticator.
func (d *Device) Logout(ctx context.Context, token string) error {
	return d.post(ctx, "/logout", token, nil, nil)
}

// BreakGlass implements device.EmergencyAccess.
func (d *Device) BreakGlass(ctx context.Context, c device.Credentials, reason string) (string, error) {
	var t tokenInfo
	req := breakGlassReq{credentials: credentials{User: c.User, Password: c.Password, Source: c.Source, OTP: c.OTP}, Reason: reason}
	err := d.post(ctx, "/break-glass", "", req, &t)
	return t.Token, err
}

// Perform implements device.Operator.
func (d *Device) Perform(ctx context.Context, token, operation string) error {
	return d.post(ctx, "/operations/"+url.PathEscape(operation), token, nil, nil)
}

// ReviewActivity implements device.ActivityReviewer.
func (d *Device) ReviewActivity(ctx context.Context, token string, from, to time.Time) (device.ActivityReport, error) {
	q := url.Values{}
	if !from.IsZero() {
		q.Set("from", from.Format(time.RFC3339Nano))
	}
	if !to.IsZero() {
		q.Set("to", to.Format(time.RFC3339Nano))
	}
	var rep device.ActivityReport
	path := "/activity"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	err := d.get(ctx, path, token, &rep)
	return rep, err
}

// ReadPatient implements device.PatientData.
func (d *Device) ReadPatient(ctx context.Context, token, id string) ([]byte, error) {
	var b []byte
	err := d.get(ctx, "/patients/"+url.PathEscape(id), token, &b)
	return b, err
}

// WritePatient implements device.PatientData.
func (d *Device) WritePatient(ctx context.Context, token, id string, data []byte) error {
	return d.call(ctx, "PUT", d.base+"/patients/"+url.PathEscape(id), token, bytesBody(data), nil)
}

// bytesBody makes nil data an empty body, still sent as bytes.
func bytesBody(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// AuditLog implements device.AuditSource.
func (d *Device) AuditLog(ctx context.Context) (device.AuditExport, error) {
	var e device.AuditExport
	err := d.get(ctx, "/audit", "", &e)
	return e, err
}

// CreateBackup implements device.Backupper.
func (d *Device) CreateBackup(ctx context.Context, token string) ([]byte, error) {
	var b []byte
	err := d.post(ctx, "/backups", token, nil, &b)
	return b, err
}

// RestoreBackup implements device.Backupper.
func (d *Device) RestoreBackup(ctx context.Context, token string, backup []byte) error {
	return d.post(ctx, "/restore", token, bytesBody(backup), nil)
}

// ExportConfig implements device.ConfigExporter.
func (d *Device) ExportConfig(ctx context.Context, token string) ([]byte, error) {
	var b []byte
	err := d.get(ctx, "/config", token, &b)
	return b, err
}

// Decommission implements device.Decommissioner.
func (d *Device) Decommission(ctx context.Context, token string) error {
	return d.post(ctx, "/decommission", token, nil, nil)
}

// ListStored implements device.RawStorage.
func (d *Device) ListStored(ctx context.Context) ([]string, error) {
	var n namesInfo
	err := d.get(ctx, "/storage", "", &n)
	return n.Names, err
}

// ReadStored implements device.RawStorage.
func (d *Device) ReadStored(ctx context.Context, name string) ([]byte, error) {
	var b []byte
	err := d.get(ctx, "/storage/"+escapePath(name), "", &b)
	return b, err
}

// WriteStored implements device.RawStorage.
func (d *Device) WriteStored(ctx context.Context, name string, data []byte) error {
	return d.call(ctx, "PUT", d.base+"/storage/"+escapePath(name), "", bytesBody(data), nil)
}

// escapePath escapes each element of a slash-separated storage name.
func escapePath(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// CreateUser implements device.Provisioner.
func (d *Device) CreateUser(ctx context.Context, user, password, role string) error {
	return d.post(ctx, "/users", "", userReq{User: user, Password: password, Role: role}, nil)
}

// DeleteUser implements device.AccountRemover.
func (d *Device) DeleteUser(ctx context.Context, user string) error {
	return d.call(ctx, "DELETE", d.base+"/users/"+url.PathEscape(user), "", nil, nil)
}

// ExportStorageKey implements device.KeyCustodian.
func (d *Device) ExportStorageKey(ctx context.Context) (string, []byte, error) {
	var k keyInfo
	err := d.post(ctx, "/storage-key", "", nil, &k)
	return k.ID, k.Key, err
}

// EnrollTOTP implements device.MFAProvisioner.
func (d *Device) EnrollTOTP(ctx context.Context, user string) (string, error) {
	var t totpInfo
	err := d.post(ctx, "/totp", "", totpReq{User: user}, &t)
	return t.URI, err
}

// DeviceTime implements device.ClockControl.
func (d *Device) DeviceTime(ctx context.Context) (time.Time, error) {
	var c clockInfo
	err := d.get(ctx, "/clock", "", &c)
	return c.Time, err
}

// AdvanceClock implements device.ClockControl.
func (d *Device) AdvanceClock(ctx context.Context, by time.Duration) error {
	return d.post(ctx, "/clock/advance", "", advanceReq{Nanoseconds: int64(by)}, nil)
}

// Endpoints implements device.Transport.
func (d *Device) Endpoints(ctx context.Context) ([]device.Endpoint, error) {
	var e endpointsInfo
	err := d.get(ctx, "/transport/endpoints", "", &e)
	return e.Endpoints, err
}

// IssueClientCertificate implements device.ClientCertIssuer.
func (d *Device) IssueClientCertificate(ctx context.Context, name string, notBefore, notAfter time.Time) ([]byte, []byte, error) {
	var c clientCertInfo
	err := d.post(ctx, "/transport/client-certificate", "", clientCertReq{Name: name, NotBefore: notBefore, NotAfter: notAfter}, &c)
	return c.Cert, c.Key, err
}

// Settings implements device.ClinicalSettings.
func (d *Device) Settings(ctx context.Context) (map[string]string, error) {
	var s settingsInfo
	err := d.get(ctx, "/settings", "", &s)
	return s.Settings, err
}

// ForwardLogs implements device.LogForwarder.
func (d *Device) ForwardLogs(ctx context.Context, token string, c device.LogCollector) error {
	return d.call(ctx, "PUT", d.base+"/log-forwarding", token, c, nil)
}

// UpdateStatus implements device.Updater.
func (d *Device) UpdateStatus(ctx context.Context) (device.UpdateStatus, error) {
	var st device.UpdateStatus
	err := d.get(ctx, "/update", "", &st)
	return st, err
}

// InstallUpdate implements device.Updater. A refusal matches
// device.ErrUpdateRefused, an injected power cut device.ErrPowerLoss.
func (d *Device) InstallUpdate(ctx context.Context, token, target string) error {
	return d.post(ctx, "/update/install", token, installReq{Target: target}, nil)
}

// Restart implements device.Updater.
func (d *Device) Restart(ctx context.Context) error {
	return d.post(ctx, "/update/restart", "", nil, nil)
}

// PublishRelease implements device.UpdatePublisher (development builds).
func (d *Device) PublishRelease(ctx context.Context, r device.Release) (string, error) {
	var t targetInfo
	err := d.post(ctx, "/update/releases", "", releaseReq{Newer: r.Newer, Signer: r.Signer, Tampered: r.Tampered,
		Expired: r.Expired, NoSBOM: r.NoSBOM, FailsHealthCheck: r.FailsHealthCheck}, &t)
	return t.Target, err
}

// InterruptNextUpdate implements device.UpdatePublisher (development builds).
func (d *Device) InterruptNextUpdate(ctx context.Context, phase string) error {
	return d.post(ctx, "/update/interrupt", "", phaseReq{Phase: phase}, nil)
}

// QueryIdentity implements device.IdentityQuerier.
func (d *Device) QueryIdentity(ctx context.Context, token string) (device.Identity, error) {
	var id device.Identity
	err := d.get(ctx, "/identity/session", token, &id)
	return id, err
}

// ProvisionedIdentity implements device.ProvisionedIdentity (test builds).
func (d *Device) ProvisionedIdentity(ctx context.Context) (device.Identity, error) {
	var id device.Identity
	err := d.get(ctx, "/identity/provisioned", "", &id)
	return id, err
}

// ListeningPorts implements device.PortLister.
func (d *Device) ListeningPorts(ctx context.Context) ([]device.ListeningPort, error) {
	var p portsInfo
	err := d.get(ctx, "/ports", "", &p)
	return p.Ports, err
}

// DocumentedPorts implements device.PortLister.
func (d *Device) DocumentedPorts(ctx context.Context) ([]device.ListeningPort, error) {
	var p portsInfo
	err := d.get(ctx, "/ports/documented", "", &p)
	return p.Ports, err
}

// InstalledPatches implements device.PatchReporter.
func (d *Device) InstalledPatches(ctx context.Context, token string) ([]string, error) {
	var p patchesInfo
	err := d.get(ctx, "/patches", token, &p)
	return p.Patches, err
}

// ReleasedPatches implements device.PatchBulletin (test builds).
func (d *Device) ReleasedPatches(ctx context.Context) ([]device.ReleasedPatch, error) {
	var b bulletinInfo
	if err := d.get(ctx, "/patches/released", "", &b); err != nil {
		return nil, err
	}
	out := make([]device.ReleasedPatch, 0, len(b.Patches))
	for _, p := range b.Patches {
		out = append(out, device.ReleasedPatch{ID: p.ID, Released: p.Released, Criticality: p.Criticality})
	}
	return out, nil
}

// SecuritySettings implements device.SecurityConfig.
func (d *Device) SecuritySettings(ctx context.Context, token string) (map[string]string, error) {
	var s settingsInfo
	err := d.get(ctx, "/security-settings", token, &s)
	return s.Settings, err
}

// ChangeSecuritySetting implements device.SecurityConfig.
func (d *Device) ChangeSecuritySetting(ctx context.Context, token, name, value string) error {
	return d.call(ctx, "PUT", d.base+"/security-settings/"+url.PathEscape(name), token, valueReq{Value: value}, nil)
}

// ResetSecuritySettings implements device.SecurityConfig.
func (d *Device) ResetSecuritySettings(ctx context.Context, token string) error {
	return d.post(ctx, "/security-settings/reset", token, nil, nil)
}

// SecureBaseline implements device.SecureBaseline (test builds).
func (d *Device) SecureBaseline(ctx context.Context) (map[string]string, error) {
	var s settingsInfo
	err := d.get(ctx, "/security-baseline", "", &s)
	return s.Settings, err
}

// PlantedValues implements device.PlantedData (test builds).
func (d *Device) PlantedValues(ctx context.Context) ([]string, error) {
	var v valuesInfo
	err := d.get(ctx, "/planted", "", &v)
	return v.Values, err
}

// HostFacts implements device.HostConfig.
func (d *Device) HostFacts(ctx context.Context) (device.HostFacts, error) {
	var f device.HostFacts
	err := d.get(ctx, "/host-config", "", &f)
	return f, err
}

// NetworkDevice is the driver's device for a device that reports the
// network capability: a Device whose ListeningPorts and DocumentedPorts
// are device.Network's (no Go type can have both those and
// device.PortLister's, so no device serves both).
type NetworkDevice struct{ *Device }

var _ device.Network = (*NetworkDevice)(nil)

// ProbeFrom implements device.Network.
func (d *Device) ProbeFrom(ctx context.Context, zone, proto string, port int) (device.ProbeResult, error) {
	var p probeInfo
	err := d.post(ctx, "/network/probe", "", probeReq{Zone: zone, Proto: proto, Port: port}, &p)
	return device.ProbeResult{Reachable: p.Reachable, Detail: p.Detail}, err
}

// Connect implements device.Network; a refusal matches device.ErrBlocked.
func (d *Device) Connect(ctx context.Context, peer string, port int) error {
	return d.post(ctx, "/network/connect", "", connectReq{Peer: peer, Port: port}, nil)
}

// ListeningPorts implements device.Network.
func (d *NetworkDevice) ListeningPorts(ctx context.Context) ([]device.Port, error) {
	return d.netPorts(ctx, "/network/ports")
}

// DocumentedPorts implements device.Network.
func (d *NetworkDevice) DocumentedPorts(ctx context.Context) ([]device.Port, error) {
	return d.netPorts(ctx, "/network/ports/documented")
}

func (d *Device) netPorts(ctx context.Context, path string) ([]device.Port, error) {
	var p netPortsInfo
	if err := d.get(ctx, path, "", &p); err != nil {
		return nil, err
	}
	out := make([]device.Port, 0, len(p.Ports))
	for _, x := range p.Ports {
		out = append(out, device.Port{Proto: x.Proto, Port: x.Port, Service: x.Service})
	}
	return out, nil
}

// InjectTraffic implements device.Network.
func (d *Device) InjectTraffic(ctx context.Context, flows int) error {
	return d.post(ctx, "/network/traffic", "", trafficReq{Flows: flows}, nil)
}

// NetworkEvents implements device.Network.
func (d *Device) NetworkEvents(ctx context.Context) ([]device.NetworkEvent, error) {
	var e netEventsInfo
	if err := d.get(ctx, "/network/events", "", &e); err != nil {
		return nil, err
	}
	out := make([]device.NetworkEvent, 0, len(e.Events))
	for _, x := range e.Events {
		out = append(out, device.NetworkEvent{Time: x.Time, Kind: x.Kind, Peer: x.Peer, Detail: x.Detail, Notified: x.Notified})
	}
	return out, nil
}

// Quarantine implements device.Network.
func (d *Device) Quarantine(ctx context.Context) (device.QuarantineState, error) {
	var q quarantineInfo
	err := d.get(ctx, "/network/quarantine", "", &q)
	return device.QuarantineState{Device: q.Device, Segment: q.Segment}, err
}
