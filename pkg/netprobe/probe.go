package netprobe

import (
	"bufio"
	"context"
	"crypto/fips140"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	xssh "golang.org/x/crypto/ssh"

	"github.com/wardsec/ward/pkg/device"
)

// Kinds of finding.
const (
	// KindDefaultCredentials: a login mechanism accepted a vendor default.
	KindDefaultCredentials = device.FindingDefaultCredentials
	// KindUnauthenticated: a clinical or management protocol grants
	// access to any caller (DICOM association from an unknown AE title,
	// MQTT without credentials, telnet without login, anonymous FTP,
	// SNMP community "public").
	KindUnauthenticated = device.FindingUnauthenticated
	// KindWeakCertificate: a certificate is expired, has a short key, a
	// SHA-1 or MD5 signature, is self-signed and not pinned, or does not
	// name the host.
	KindWeakCertificate = device.FindingWeakCertificate
	// KindLegacyTLS: a service accepted SSL 3.0, TLS 1.0 or TLS 1.1.
	KindLegacyTLS = device.FindingLegacyTLS
)

// Finding is one problem a probe found on one service.
type Finding struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// Service is what the probes learned about one TCP port.
type Service struct {
	Port int `json:"port"`
	// Protocol is one of "mllp", "http", "https", "dicom", "mqtt",
	// "telnet", "ftp", "ssh", "tls" (inner protocol unknown), "unknown".
	Protocol string `json:"protocol"`
	// Banner is the printable start of what the service said first, if
	// anything (bounded; never raw device bytes).
	Banner string   `json:"banner,omitempty"`
	TLS    *TLSInfo `json:"tls,omitempty"`
	// Checked lists what was tried, one line each, for the evidence.
	Checked  []string  `json:"checked"`
	Findings []Finding `json:"findings"`
	// CredentialsTested is set when a login mechanism was found and
	// credentials were tried on it; NoLogin when the protocol as seen has
	// no password login at all (a client certificate is required first,
	// or the protocol has none), so there was nothing to try.
	CredentialsTested bool `json:"credentials_tested"`
	NoLogin           bool `json:"no_login"`
	// AccessTested is set when the service gave a definite answer to a
	// caller without credentials (let in, or refused).
	AccessTested bool `json:"access_tested"`
}

func (s *Service) check(format string, args ...any) {
	s.Checked = append(s.Checked, fmt.Sprintf(format, args...))
}

func (s *Service) find(kind, format string, args ...any) {
	s.Findings = append(s.Findings, Finding{Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

// Prober identifies services and probes them. Build one with NewProber.
type Prober struct {
	timeout     time.Duration
	bannerWait  time.Duration
	creds       []Credential
	maxAttempts int
	serverName  string
	roots       *x509.CertPool
	now         func() time.Time
}

// ProbeOption configures a Prober.
type ProbeOption func(*Prober) error

// WithTimeout bounds each connection and each read (default 3 s).
func WithTimeout(d time.Duration) ProbeOption {
	return func(p *Prober) error {
		if d <= 0 {
			return fmt.Errorf("netprobe: timeout %v is not positive", d)
		}
		p.timeout = d
		return nil
	}
}

// WithBannerWait bounds how long a new connection waits for a service
// that speaks first (SSH, FTP, telnet) before probing it (default: the
// timeout, at most 1.5 s).
func WithBannerWait(d time.Duration) ProbeOption {
	return func(p *Prober) error {
		if d <= 0 {
			return fmt.Errorf("netprobe: banner wait %v is not positive", d)
		}
		p.bannerWait = d
		return nil
	}
}

// WithCredentials adds credentials to try after the built-in defaults.
func WithCredentials(c ...Credential) ProbeOption {
	return func(p *Prober) error { p.creds = append(p.creds, c...); return nil }
}

// WithMaxAttempts bounds the logins tried per service (default 12).
func WithMaxAttempts(n int) ProbeOption {
	return func(p *Prober) error {
		if n < 0 {
			return fmt.Errorf("netprobe: negative attempt count %d", n)
		}
		p.maxAttempts = n
		return nil
	}
}

// WithServerName is the name certificates must be valid for (default:
// the address probed).
func WithServerName(name string) ProbeOption {
	return func(p *Prober) error { p.serverName = name; return nil }
}

// WithRoots pins the CA the device's owner trusts for its certificates;
// a certificate that verifies against it is not judged self-signed.
func WithRoots(r *x509.CertPool) ProbeOption {
	return func(p *Prober) error { p.roots = r; return nil }
}

// WithClock sets the time certificates are judged at (default time.Now).
func WithClock(now func() time.Time) ProbeOption {
	return func(p *Prober) error { p.now = now; return nil }
}

// NewProber returns a prober that tries DefaultCredentials and then any
// added with WithCredentials.
func NewProber(opts ...ProbeOption) (*Prober, error) {
	p := &Prober{timeout: 3 * time.Second, maxAttempts: 12, creds: DefaultCredentials(), now: time.Now}
	for _, o := range opts {
		if err := o(p); err != nil {
			return nil, err
		}
	}
	if p.bannerWait == 0 {
		p.bannerWait = min(p.timeout, 1500*time.Millisecond)
	}
	return p, nil
}

// portHint orders the cleartext recognisers: the protocol usually found
// on a port is tried first.
func portHint(port int) string {
	switch port {
	case 80, 8000, 8008, 8080, 8081, 8088, 8888:
		return "http"
	case 104, 11112, 4242:
		return "dicom"
	case 1883:
		return "mqtt"
	case 2575:
		return "mllp"
	}
	return ""
}

// ProbeTCP identifies the service at addr and probes it. hint is the
// protocol the device declares there ("" when unknown); what the service
// answers wins over it.
func (p *Prober) ProbeTCP(ctx context.Context, addr netip.AddrPort, hint string) (s Service) {
	s = Service{Port: int(addr.Port()), Protocol: "unknown", Checked: []string{}, Findings: []Finding{}}
	defer func() {
		if len(p.attempts()) == 0 {
			s.CredentialsTested = false // nothing was tried: no claim
		}
	}()
	a := addr.String()
	name := p.serverName
	if name == "" {
		name = addr.Addr().String()
	}
	// 1. Does it speak first?
	if c, err := dialTCP(ctx, a, p.timeout); err == nil {
		b := readSome(c, 512, p.bannerWait)
		c.Close()
		switch {
		case len(b) > 0 && b[0] == iac:
			s.Protocol = "telnet"
			p.telnet(ctx, a, &s)
			return s
		case len(b) > 0:
			s.Banner = printable(b, maxBanner)
			switch {
			case strings.HasPrefix(string(b), "SSH-"):
				s.Protocol = "ssh"
				s.Banner = printable(b[:min(len(b), strings.IndexByte(string(b)+"\n", '\n'))], maxBanner)
				p.sshLogins(ctx, a, &s)
			case strings.HasPrefix(string(b), "220"):
				s.Protocol = "ftp"
				p.ftp(ctx, a, &s)
			case promptRe(string(b)) != "":
				s.Protocol = "telnet"
				p.telnet(ctx, a, &s)
			}
			return s
		}
	} else {
		s.check("no TCP connection: %s", oneLine(err))
		return s
	}
	// 2. TLS?
	info, silent := probeTLS(ctx, a, name, p.roots, p.timeout)
	if info == nil && silent && p.roots != nil {
		// The device declares TLS here and the service said nothing: a
		// busy device; ask once more before concluding.
		s.check("silent to a TLS ClientHello for %v; asked again", p.timeout)
		info, _ = probeTLS(ctx, a, name, p.roots, 2*p.timeout)
	}
	if info != nil {
		s.TLS = info
		s.Protocol = "tls"
		p.judgeTLS(&s, name)
		if hint != "" && hint != "unknown" {
			s.Protocol = hint
		}
		if info.ClientCertRequired {
			s.NoLogin, s.AccessTested = true, true
			s.check("TLS requires a client certificate: no password login is reachable without one")
			return s
		}
		if slices.ContainsFunc(info.Versions, func(v uint16) bool { return v >= VersionTLS12 }) {
			p.httpsProbe(ctx, a, name, &s)
		}
		if s.Protocol == "mllp" {
			s.NoLogin = true
			s.check("HL7 v2 over MLLP has no password login")
		}
		return s
	}
	s.check("no ServerHello for TLS 1.0 to 1.3 (or SSL 3.0): no TLS")
	// 3. Cleartext recognisers, the likely one first.
	order := []string{"http", "mqtt", "dicom", "mllp"}
	if h := portHint(s.Port); h != "" {
		order = append([]string{h}, slices.DeleteFunc(order, func(x string) bool { return x == h })...)
	}
	if hint != "" && slices.Contains(order, hint) {
		order = append([]string{hint}, slices.DeleteFunc(order, func(x string) bool { return x == hint })...)
	}
	for _, proto := range order {
		if ctx.Err() != nil {
			return s
		}
		var ok bool
		switch proto {
		case "http":
			ok = p.http(ctx, a, name, &s)
		case "mqtt":
			ok = p.mqtt(ctx, a, &s)
		case "dicom":
			ok = p.dicom(ctx, a, &s)
		case "mllp":
			var ack string
			if ok, ack = mllpTry(ctx, a, p.timeout); ok {
				s.Protocol = "mllp"
				s.AccessTested = true
				s.NoLogin = true
				s.check("answered an HL7 query over MLLP in cleartext (acknowledgement %q); HL7 v2 has no password login", ack)
				if ack == "AA" || ack == "CA" {
					s.find(KindUnauthenticated, "HL7 feed accepted a query from an unknown peer in cleartext (MSA %s)", ack)
				}
			}
		}
		if ok {
			return s
		}
	}
	s.check("recognised none of HTTP, MQTT, DICOM, HL7/MLLP, telnet, FTP, SSH")
	return s
}

func oneLine(err error) string { return printable([]byte(err.Error()), 120) }

func (p *Prober) judgeTLS(s *Service, name string) {
	info := s.TLS
	var vs []string
	for _, v := range info.Versions {
		vs = append(vs, VersionName(v))
		if v < VersionTLS12 {
			s.find(KindLegacyTLS, "accepts %s", VersionName(v))
		}
	}
	if len(vs) == 0 {
		s.check("answered in TLS, but no handshake completed")
		return
	}
	s.check("TLS versions accepted: %s", strings.Join(vs, ", "))
	if len(info.Chain) == 0 {
		s.check("no certificate read (only versions below TLS 1.2 answered)")
		return
	}
	now := p.now()
	for i, c := range info.Chain {
		role := "leaf"
		if i > 0 {
			role = "chain certificate " + strconv.Itoa(i)
		}
		s.check("%s %q: %s %d, %s, valid %s to %s", role, c.Subject, c.KeyType, c.KeyBits, c.SigAlg,
			c.NotBefore.UTC().Format(time.DateOnly), c.NotAfter.UTC().Format(time.DateOnly))
		// A self-signed root's own signature algorithm does not matter
		// to a client that trusts it by key; every other one does.
		for _, pr := range c.Problems(now) {
			if i > 0 && c.SelfSigned && strings.HasPrefix(pr, "signed with") {
				continue
			}
			s.find(KindWeakCertificate, "%s %q: %s", role, c.Subject, pr)
		}
	}
	leaf := info.Chain[0]
	switch {
	case p.roots != nil && !info.Verified:
		s.find(KindWeakCertificate, "leaf %q does not verify against the CA declared for it", leaf.Subject)
	case p.roots == nil && leaf.SelfSigned:
		s.find(KindWeakCertificate, "leaf %q is self-signed and no CA is pinned for it", leaf.Subject)
	}
	if !info.HostnameMatch {
		s.find(KindWeakCertificate, "leaf %q is not valid for %s", leaf.Subject, printable([]byte(name), 80))
	}
}

// loginWait bounds the wait for the answer to a password: login
// programs delay failures on purpose (PAM's pam_faildelay, /bin/login,
// vsftpd), by seconds.
func (p *Prober) loginWait() time.Duration { return 3 * p.timeout }

// attempts returns the credentials to try, bounded.
func (p *Prober) attempts() []Credential {
	return p.creds[:min(len(p.creds), p.maxAttempts)]
}

// lockoutSlow reports a growing delay: an attempt much slower than the first.
func lockoutSlow(first, this time.Duration) bool {
	return first > 0 && this > 3*first && this > time.Second
}

func (p *Prober) http(ctx context.Context, a, name string, s *Service) bool {
	c, err := dialTCP(ctx, a, p.timeout)
	if err != nil {
		return false
	}
	ans, ok := httpRequest(c, name, "/", "", p.timeout)
	c.Close()
	if !ok {
		return false
	}
	s.Protocol = "http"
	s.Banner = ans.line
	s.check("answered HTTP in cleartext: %s", ans.line)
	if ans.server != "" {
		s.check("Server header: %s", ans.server)
	}
	p.basicLogins(ctx, s, ans, func() (net.Conn, error) { return dialTCP(ctx, a, p.timeout) }, name)
	return true
}

func (p *Prober) httpsProbe(ctx context.Context, a, name string, s *Service) {
	dial := func() (net.Conn, error) {
		raw, err := dialTCP(ctx, a, p.timeout)
		if err != nil {
			return nil, err
		}
		tc := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, ServerName: name, MinVersion: tls.VersionTLS12}) // inspection: certificate judged separately
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, err
		}
		return tc, nil
	}
	c, err := dial()
	if err != nil {
		return
	}
	ans, ok := httpRequest(c, name, "/", "", p.timeout)
	c.Close()
	if !ok {
		return
	}
	s.Protocol = "https"
	s.Banner = ans.line
	s.check("answered HTTP over TLS: %s", ans.line)
	if ans.server != "" {
		s.check("Server header: %s", ans.server)
	}
	p.basicLogins(ctx, s, ans, dial, name)
}

// adminPaths are where device web consoles commonly sit, tried for an
// HTTP Basic challenge when / has none.
var adminPaths = []string{"/admin/", "/admin", "/login", "/config/", "/setup/", "/cgi-bin/", "/service/"}

// basicLogins tries the credentials with HTTP Basic on the first of /
// and adminPaths that challenges for it.
func (p *Prober) basicLogins(ctx context.Context, s *Service, first httpAnswer, dial func() (net.Conn, error), name string) {
	path := "/"
	if first.status != 401 || !first.basic {
		path = ""
		for _, ap := range adminPaths {
			c, err := dial()
			if err != nil {
				break
			}
			a, ok := httpRequest(c, name, ap, "", p.timeout)
			c.Close()
			if ok && a.status == 401 && a.basic {
				path, first = ap, a
				break
			}
			first.digest = first.digest || a.digest
		}
	}
	if path == "" {
		if first.digest {
			s.check("HTTP Digest challenge: not tried (Basic only)")
		} else {
			s.check("no HTTP Basic challenge at / or %s: no password login found", strings.Join(adminPaths, " "))
		}
		return
	}
	s.check("HTTP Basic challenge at %s", path)
	var firstDur time.Duration
	for i, cr := range p.attempts() {
		if ctx.Err() != nil {
			return
		}
		start := time.Now()
		c, err := dial()
		if err != nil {
			s.check("HTTP Basic: stopped after %d attempts: %s", i, oneLine(err))
			return
		}
		ans, ok := httpRequest(c, name, path, "Basic "+base64.StdEncoding.EncodeToString([]byte(cr.User+":"+cr.Password)), p.timeout)
		c.Close()
		d := time.Since(start)
		if i == 0 {
			firstDur = d
		}
		switch {
		case !ok:
			s.check("HTTP Basic: stopped after %d attempts: no HTTP answer", i+1)
			return
		case ans.status == 429 || ans.status == 503:
			s.check("HTTP Basic: stopped after %d attempts: lockout sign (%s)", i+1, ans.line)
			return
		case ans.status < 400:
			s.CredentialsTested = true
			s.find(KindDefaultCredentials, "HTTP Basic accepted %s (%s)", cr, ans.line)
			return
		case ans.status == 401 || ans.status == 403:
			s.CredentialsTested = true // a definite refusal
			if lockoutSlow(firstDur, d) {
				s.check("HTTP Basic: stopped after %d attempts: answers slowing down (lockout sign)", i+1)
				return
			}
		default:
			s.check("HTTP Basic: stopped after %d attempts: unexpected answer %s", i+1, ans.line)
			return
		}
	}
	s.check("HTTP Basic: refused %d default credentials", len(p.attempts()))
}

func (p *Prober) sshLogins(ctx context.Context, a string, s *Service) {
	// First no credentials at all: a server that accepts the "none"
	// method lets anyone in.
	switch err := sshNone(ctx, a, p.timeout); {
	case err == nil:
		s.AccessTested = true
		s.find(KindUnauthenticated, "SSH opened a session without any credentials")
		return
	case strings.Contains(err.Error(), "unable to authenticate"):
		s.AccessTested = true
	default:
		s.check("SSH: no answer to a login without credentials: %s", oneLine(err))
		return
	}
	// Up to two passwords of one user per connection, as a person
	// retrying would: servers that penalise each failed connection
	// (OpenSSH PerSourcePenalties) see fewer, and even a strict
	// MaxAuthTries (the client's initial "none" counts on some servers)
	// is not reached.
	type batch struct {
		user string
		pws  []string
	}
	var batches []batch
	for _, cr := range p.attempts() {
		i := slices.IndexFunc(batches, func(b batch) bool { return b.user == cr.User && len(b.pws) < sshPerConn })
		if i < 0 {
			batches = append(batches, batch{user: cr.User})
			i = len(batches) - 1
		}
		batches[i].pws = append(batches[i].pws, cr.Password)
	}
	var firstDur time.Duration
	tried := 0
	for i, b := range batches {
		if ctx.Err() != nil {
			return
		}
		user := b.user
		start := time.Now()
		pw, n, err := sshPasswords(ctx, a, user, b.pws, p.timeout)
		d := time.Since(start)
		if i == 0 {
			firstDur = d
		}
		if err == nil {
			s.CredentialsTested = true
			s.find(KindDefaultCredentials, "SSH password login accepted %s", Credential{user, pw})
			return
		}
		msg := strings.ToLower(err.Error())
		if !strings.Contains(msg, "unable to authenticate") {
			s.check("SSH: stopped after %d attempts: %s", tried+n, oneLine(err))
			return
		}
		if n == 0 {
			s.NoLogin = true
			s.check("SSH offers no password login")
			return
		}
		tried += n
		s.CredentialsTested = true // a definite refusal
		if lockoutSlow(firstDur, d) && i > 0 {
			s.check("SSH: stopped after %d attempts: answers slowing down (lockout sign)", tried)
			return
		}
	}
	s.check("SSH: refused %d default credentials", len(p.attempts()))
}

// sshNone asks for a session with no credentials at all (the "none"
// method).
func sshNone(ctx context.Context, a string, timeout time.Duration) error {
	conn, err := dialTCP(ctx, a, timeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	cfg := &xssh.ClientConfig{
		User: "ward-probe",
		// Nothing is sent over a session; the host key does not matter.
		HostKeyCallback: xssh.InsecureIgnoreHostKey(),
		Timeout:         timeout,
	}
	fipsSuites(cfg)
	c, chans, reqs, err := xssh.NewClientConn(conn, a, cfg)
	if err != nil {
		return err
	}
	xssh.NewClient(c, chans, reqs).Close()
	return nil
}

// sshPerConn is how many passwords one SSH connection tries.
const sshPerConn = 2

// sshPasswords logs in as user trying each password in turn on one
// connection. It returns the password that worked, how many the server
// was asked, and the login error.
func sshPasswords(ctx context.Context, a, user string, passwords []string, timeout time.Duration) (string, int, error) {
	conn, err := dialTCP(ctx, a, timeout*time.Duration(1+len(passwords)))
	if err != nil {
		return "", 0, err
	}
	defer conn.Close()
	asked := 0
	next := func() (string, error) {
		if asked >= len(passwords) {
			return "", errors.New("no more passwords")
		}
		asked++
		return passwords[asked-1], nil
	}
	cfg := &xssh.ClientConfig{
		User: user,
		Auth: []xssh.AuthMethod{xssh.RetryableAuthMethod(xssh.PasswordCallback(next), len(passwords))},
		// Only whether a password opens a session is asked; nothing is
		// sent over it, so the host key does not matter here.
		HostKeyCallback: xssh.InsecureIgnoreHostKey(),
		Timeout:         timeout,
	}
	fipsSuites(cfg)
	c, chans, reqs, err := xssh.NewClientConn(conn, a, cfg)
	if err != nil {
		return "", asked, err
	}
	xssh.NewClient(c, chans, reqs).Close()
	return passwords[asked-1], asked, nil
}

// fipsSuites restricts cfg to approved suites in FIPS 140-3 mode, where Go
// refuses X25519 and GCM with counter nonces (SSH's AES-GCM).
func fipsSuites(cfg *xssh.ClientConfig) {
	if fips140.Enabled() {
		cfg.KeyExchanges = []string{xssh.KeyExchangeECDHP256, xssh.KeyExchangeECDHP384, xssh.KeyExchangeECDHP521}
		cfg.Ciphers = []string{xssh.CipherAES256CTR, xssh.CipherAES128CTR}
		cfg.MACs = []string{xssh.HMACSHA256ETM, xssh.HMACSHA512ETM, xssh.HMACSHA256}
	}
}

func (p *Prober) ftp(ctx context.Context, a string, s *Service) {
	try := func(cr Credential) (int, error) {
		c, err := dialTCP(ctx, a, p.timeout)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		r := bufio.NewReader(&limitedConn{c, 16 << 10})
		_ = c.SetDeadline(time.Now().Add(p.timeout))
		if ftpReply(r) != 220 {
			return 0, errors.New("no 220 greeting")
		}
		code := ftpCommand(c, r, "USER "+cr.User, p.timeout)
		if code == 230 {
			return 230, nil
		}
		if code != 331 {
			return code, nil
		}
		// A refusal may come late: stock PAM and vsftpd delay failures.
		code = ftpCommand(c, r, "PASS "+cr.Password, p.loginWait())
		_, _ = c.Write([]byte("QUIT\r\n"))
		return code, nil
	}
	// A definite answer to a login is 230 (in) or a 5xx refusal.
	definite := func(code int) bool { return code == 230 || code >= 500 && code < 600 }
	switch code, err := try(Credential{"anonymous", "ward-probe@example.invalid"}); {
	case err == nil && code == 230:
		s.AccessTested = true
		s.find(KindUnauthenticated, "FTP accepts anonymous login")
	case err == nil && definite(code):
		s.AccessTested = true
		s.check("FTP anonymous login refused (%d)", code)
	default:
		s.check("FTP anonymous login: no definite answer")
	}
	for i, cr := range p.attempts() {
		code, err := try(cr)
		switch {
		case err != nil:
			s.check("FTP: stopped after %d attempts: %s", i, oneLine(err))
			return
		case code == 421:
			s.check("FTP: stopped after %d attempts: lockout sign (421)", i+1)
			return
		case !definite(code):
			s.check("FTP: stopped after %d attempts: unexpected reply %d", i+1, code)
			return
		}
		s.CredentialsTested = true
		if code == 230 {
			s.find(KindDefaultCredentials, "FTP accepted %s", cr)
			return
		}
	}
	s.check("FTP: refused %d default credentials", len(p.attempts()))
}

func (p *Prober) telnet(ctx context.Context, a string, s *Service) {
	c, err := dialTCP(ctx, a, p.timeout)
	if err != nil {
		return
	}
	text := telnetRead(c, p.timeout)
	c.Close()
	s.Banner = printable([]byte(text), maxBanner)
	switch promptRe(text) {
	case "login", "password":
		s.AccessTested = true
		s.check("telnet asks for a login")
	case "shell":
		s.AccessTested = true
		s.find(KindUnauthenticated, "telnet gives a shell prompt without any login")
		return
	default:
		s.check("telnet: no login prompt recognised")
		return
	}
	for i, cr := range p.attempts() {
		if ctx.Err() != nil {
			return
		}
		ok, definite, err := p.telnetLogin(ctx, a, cr)
		switch {
		case err != nil:
			s.check("telnet: stopped after %d attempts: %s", i, oneLine(err))
			return
		case !definite:
			s.check("telnet: stopped after %d attempts: no definite answer to the login", i+1)
			return
		}
		s.CredentialsTested = true
		if ok {
			s.find(KindDefaultCredentials, "telnet login accepted %s", cr)
			return
		}
	}
	s.check("telnet: refused %d default credentials", len(p.attempts()))
}

// telnetLogin tries cr: accepted means a shell prompt and no failure
// text; definite is false when the answer was neither.
func (p *Prober) telnetLogin(ctx context.Context, a string, cr Credential) (accepted, definite bool, err error) {
	c, err := dialTCP(ctx, a, p.timeout)
	if err != nil {
		return false, false, err
	}
	defer c.Close()
	text := telnetRead(c, p.timeout)
	if promptRe(text) == "login" {
		_, _ = c.Write([]byte(cr.User + "\r\n"))
		text = telnetRead(c, p.timeout)
	}
	if promptRe(text) != "password" {
		return false, deniedText(text), nil
	}
	_, _ = c.Write([]byte(cr.Password + "\r\n"))
	// A refusal may come late: /bin/login delays failures by seconds.
	_ = c.SetDeadline(time.Now().Add(p.loginWait() + p.timeout))
	after := telnetRead(c, p.loginWait())
	denied := deniedText(after)
	accepted = !denied && promptRe(after) == "shell"
	return accepted, accepted || denied, nil
}

func (p *Prober) mqtt(ctx context.Context, a string, s *Service) bool {
	rc, sub, retained := mqttTryRetained(ctx, a, nil, true, p.timeout)
	if rc < 0 {
		return false
	}
	s.Protocol = "mqtt"
	s.AccessTested = rc == 0 || rc == 2 || rc == 4 || rc == 5
	switch rc {
	case 0:
		detail := "MQTT broker accepted a CONNECT without credentials"
		if sub {
			detail += " and granted a subscription to every topic (#)"
		}
		if retained > 0 {
			detail += fmt.Sprintf(", delivering %d retained messages to it at once", retained)
		}
		s.find(KindUnauthenticated, "%s", detail)
		return true
	case 4, 5:
		s.check("MQTT refused a CONNECT without credentials (return code %d)", rc)
	default:
		s.check("MQTT answered CONNECT with return code %d", rc)
		return true
	}
	for i, cr := range p.attempts() {
		rc, _ := mqttTry(ctx, a, &cr, false, p.timeout)
		switch {
		case rc == 0:
			s.CredentialsTested = true
			s.find(KindDefaultCredentials, "MQTT accepted %s", cr)
			return true
		case rc == 4 || rc == 5:
			s.CredentialsTested = true // a definite refusal
		default:
			s.check("MQTT: stopped after %d attempts: return code %d", i+1, rc)
			return true
		}
	}
	s.check("MQTT: refused %d default credentials", len(p.attempts()))
	return true
}

func (p *Prober) dicom(ctx context.Context, a string, s *Service) bool {
	ans, ok := dicomTry(ctx, a, p.timeout)
	if !ok {
		return false
	}
	s.Protocol = "dicom"
	s.AccessTested = true
	s.NoLogin = true // DICOM associations carry no password in the base standard
	switch {
	case ans.PDU == dicomPDUAssocAC && ans.ContextAccepted:
		d := fmt.Sprintf("DICOM accepted an association from unknown calling AE %q to unknown called AE %q", dicomProbeCallerAE, dicomProbeCalledAE)
		if ans.EchoStatus == 0 {
			d += " and answered C-ECHO with success"
		}
		s.find(KindUnauthenticated, "%s", d)
	case ans.PDU == dicomPDUAssocAC:
		s.check("DICOM accepted the association but no presentation context")
	case ans.PDU == dicomPDUAssocRJ:
		s.check("DICOM rejected the association from an unknown AE (result %d, source %d, reason %d)", ans.Result, ans.Source, ans.Reason)
	default:
		s.check("DICOM aborted the association request")
	}
	return true
}

// Host is the result of surveying one address.
type Host struct {
	Addr     netip.Addr   `json:"addr"`
	Open     []int        `json:"open"`
	Services []Service    `json:"services"`
	SNMP     []SNMPResult `json:"snmp"`
	Scan     time.Duration
	Probe    time.Duration
}

// ProbeHost scans addr's ports with sc, then probes every open one (eight
// at a time) and the UDP ports asked for with SNMP.
func (p *Prober) ProbeHost(ctx context.Context, sc *Scanner, addr netip.Addr, tcp, udp []int) (*Host, error) {
	h := &Host{Addr: addr}
	start := time.Now()
	open, err := sc.Scan(ctx, addr, tcp)
	h.Scan = time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", addr, err)
	}
	h.Open = open
	h.Services = make([]Service, len(open))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	start = time.Now()
	for i, port := range open {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			h.Services[i] = p.ProbeTCP(ctx, netip.AddrPortFrom(addr, uint16(port)), "")
		})
	}
	wg.Wait()
	for _, port := range udp {
		r, err := ProbeSNMP(ctx, netip.AddrPortFrom(addr, uint16(port)).String(), p.timeout)
		if err != nil {
			return nil, fmt.Errorf("snmp %s:%d: %w", addr, port, err)
		}
		h.SNMP = append(h.SNMP, r)
	}
	h.Probe = time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return h, nil
}
