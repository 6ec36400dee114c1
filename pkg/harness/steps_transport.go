package harness

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardsec/ward/internal/pki"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/hl7"
)

// Transport checks: the harness connects to the device's network services
// directly, as any peer on the clinical network could (device.Transport),
// to check encryption and integrity in transit, mutual authentication,
// robustness against malformed HL7, and log forwarding.

// netTimeout bounds every connection, read and write a transport step makes.
const netTimeout = 10 * time.Second

// transportWorld is the transport steps' part of a scenario.
type transportWorld struct {
	feed      device.Endpoint
	cert      *tls.Certificate // the trusted peer's client certificate
	before    map[string]string
	answers   []string // services not protected in transit, and how
	legacy    []string // services that accepted TLS 1.0 or spoke no TLS
	unknown   []string // services the probes could not judge, and why
	accepted  []string // malformed messages acknowledged AA
	collector *collector5424
	// sessions resumes the trusted peer's TLS sessions (never shared with
	// another identity: a resumed session keeps its client certificate).
	sessions tls.ClientSessionCache
}

func tx(w *world) *transportWorld {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.tx == nil {
		w.tx = &transportWorld{}
	}
	return w.tx
}

func registerTransportSteps(s *StepSet) {
	s.Step(`^the harness connects in cleartext to each network service of the device$`, stepCleartextProbe)
	s.Step(`^no service answers in cleartext$`, stepNoCleartextAnswer)
	s.Step(`^the harness offers TLS 1\.0 with legacy cipher suites to each TLS service of the device$`, stepLegacyTLSProbe)
	s.Step(`^no service accepts TLS below 1\.2$`, stepNoLegacyTLS)
	s.Step(`^the harness is a trusted peer of the clinical feed$`, stepTrustedPeer)
	s.Step(`^the pump is programmed over the clinical feed at ([0-9.]+) mL/h$`, stepProgram)
	s.Step(`^an attacker on the path alters a programming message for ([0-9.]+) mL/h in transit$`, stepAlterInTransit)
	s.Step(`^the pump did not act on the altered message$`, stepSettingsUnchanged)
	s.Step(`^the pump's settings are unchanged$`, stepSettingsUnchanged)
	s.Step(`^the clinical feed proves its identity with a certificate from the device's CA$`, stepFeedIdentity)
	s.Step(`^a peer without a client certificate is refused by the clinical feed$`, func(ctx context.Context) error {
		return stepPeerRefused(ctx, "no client certificate", nil)
	})
	s.Step(`^a peer with a certificate from an authority the device does not trust is refused by the clinical feed$`, func(ctx context.Context) error {
		now := time.Now()
		ca, err := pki.NewCA("ward harness rogue CA", now)
		if err != nil {
			return err
		}
		c, err := ca.Issue("rogue interface engine", nil, true, now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil {
			return err
		}
		return stepPeerRefused(ctx, "a certificate from an untrusted CA", &c)
	})
	s.Step(`^a peer with an expired certificate from the device's own authority is refused by the clinical feed$`, func(ctx context.Context) error {
		w := worldFrom(ctx)
		c, err := issueClientCert(ctx, w, "expired interface engine", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2000, 1, 2, 0, 0, 0, 0, time.UTC))
		if err != nil {
			return err
		}
		return stepPeerRefused(ctx, "an expired certificate", c)
	})
	s.Step(`^the harness sends malformed HL7 messages to the clinical feed$`, stepSendMalformed)
	s.Step(`^none of the malformed messages was accepted$`, stepNoneAccepted)
	s.Step(`^the clinical feed still accepts a well-formed programming message$`, stepFeedStillWorks)
	s.Step(`^the harness runs a syslog collector over TLS$`, stepStartCollector)
	s.Step(`^"([^"]+)" points the device's log forwarding at the collector$`, stepForwardLogs)
	s.Step(`^within (\d+) seconds the collector receives an RFC 5424 message recording the login attempt of "([^"]+)"$`, stepCollectorReceived)
}

// endpoints returns the device's network services.
func endpoints(ctx context.Context, w *world) ([]device.Endpoint, error) {
	t, err := capability[device.Transport](w, device.Label[device.Transport]())
	if err != nil {
		return nil, err
	}
	eps, err := t.Endpoints(ctx)
	if errors.Is(err, device.ErrUnsupported) {
		return nil, skip(w, err)
	}
	if err != nil {
		return nil, fmt.Errorf("list the device's endpoints: %w", err)
	}
	if len(eps) == 0 {
		return nil, skip(w, &device.UnsupportedError{Capability: "network services (it lists none)"})
	}
	if err := w.reach.check(w.dev, eps); err != nil {
		return nil, skip(w, err)
	}
	return eps, nil
}

// feedEndpoint returns the device's HL7 feed.
func feedEndpoint(ctx context.Context, w *world) (device.Endpoint, error) {
	t := tx(w)
	if t.feed.Address != "" {
		return t.feed, nil
	}
	eps, err := endpoints(ctx, w)
	if err != nil {
		return device.Endpoint{}, err
	}
	for _, e := range eps {
		if e.Protocol == "mllp" {
			t.feed = e
			return e, nil
		}
	}
	return device.Endpoint{}, skip(w, &device.UnsupportedError{Capability: "an HL7 feed"})
}

// dial connects to ep as a peer would: TLS verified against the CA the
// device declares, when it declares one, presenting cert if given.
func dial(ctx context.Context, ep device.Endpoint, cert *tls.Certificate) (net.Conn, error) {
	return dialResume(ctx, ep, cert, nil)
}

// dialResume is dial with TLS session resumption through cache.
func dialResume(ctx context.Context, ep device.Endpoint, cert *tls.Certificate, cache tls.ClientSessionCache) (net.Conn, error) {
	d := &net.Dialer{Timeout: netTimeout}
	if len(ep.CA) == 0 {
		return d.DialContext(ctx, "tcp", ep.Address)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ep.CA) {
		return nil, fmt.Errorf("%s: the CA it declares is not PEM", ep.Name)
	}
	host, _, _ := net.SplitHostPort(ep.Address)
	cfg := &tls.Config{RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12, ClientSessionCache: cache}
	if w := worldFrom(ctx); w != nil && w.dev != nil {
		if cc, err := device.As[device.ClockControl](w.dev, device.Label[device.ClockControl]()); err == nil {
			// A test build whose clock the harness moves (this scenario or,
			// on a unit that is kept, an earlier one) issues and checks
			// certificates on that clock, as its peers then would: judge
			// its certificate at the device's time, not the harness's.
			cfg.Time = func() time.Time {
				if t, err := cc.DeviceTime(ctx); err == nil {
					return t
				}
				return time.Now()
			}
		}
	}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	raw, err := d.DialContext(ctx, "tcp", ep.Address)
	if err != nil {
		return nil, err
	}
	c := tls.Client(raw, cfg)
	_ = c.SetDeadline(time.Now().Add(netTimeout))
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	return c, nil
}

// exchange sends one HL7 message and returns the acknowledgement (frames
// without MSA, such as a monitor's observations, are skipped).
func exchange(c net.Conn, msg []byte) (*hl7.Message, error) {
	_ = c.SetDeadline(time.Now().Add(netTimeout))
	if err := hl7.WriteFrame(c, msg); err != nil {
		return nil, err
	}
	r := hl7.NewReader(c, 1<<20)
	for range 10 {
		f, err := r.ReadFrame()
		if err != nil {
			return nil, err
		}
		m, err := hl7.Parse(f)
		if err != nil {
			return nil, fmt.Errorf("the device answered with unparseable HL7: %w", err)
		}
		if _, ok := m.Segment("MSA"); ok {
			return m, nil
		}
	}
	return nil, errors.New("no acknowledgement among the device's messages")
}

func programMessage(rate string) []byte {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := fmt.Sprintf("WARD%X", b)
	return hl7.NewRGV(hl7.Header{SendingApp: "WARD-HARNESS", SendingFacility: "QA", Time: time.Now(), ControlID: id},
		hl7.Program{PatientID: "MRN-44120981", OrderID: "ORD-" + id, Drug: "normal saline", RateMLH: rate, VolumeML: "250"}).Encode()
}

// ackCode describes how the device answered (or did not).
func ackCode(m *hl7.Message, err error) string {
	if err != nil {
		return "no acknowledgement (" + oneLineErr(err) + ")"
	}
	code, reason := hl7.AckCode(m)
	if reason != "" {
		return code + ": " + reason
	}
	return code
}

func oneLineErr(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

func stepCleartextProbe(ctx context.Context) error {
	w := worldFrom(ctx)
	eps, err := endpoints(ctx, w)
	if err != nil {
		return err
	}
	t := tx(w)
	for _, ep := range eps {
		v := judgeCleartext(ctx, ep)
		w.observe("%s", v.observe)
		if v.finding != "" {
			t.answers = append(t.answers, v.finding)
		}
		if v.unknown != "" {
			t.unknown = append(t.unknown, v.unknown)
		}
	}
	return nil
}

func stepNoCleartextAnswer(ctx context.Context) error {
	w := worldFrom(ctx)
	t := tx(w)
	if len(t.answers) > 0 {
		return fmt.Errorf("not protected in transit: %s", strings.Join(t.answers, "; "))
	}
	return undetermined(w, t)
}

// undetermined makes a scenario that found nothing wrong, but could not
// observe every service, not applicable with the reason: a service the
// harness could not judge is never counted as protected.
func undetermined(w *world, t *transportWorld) error {
	if len(t.unknown) == 0 {
		return nil
	}
	return skip(w, &device.UnsupportedError{Capability: "services the harness can observe (" + strings.Join(t.unknown, "; ") + ")"})
}

func stepLegacyTLSProbe(ctx context.Context) error {
	w := worldFrom(ctx)
	eps, err := endpoints(ctx, w)
	if err != nil {
		return err
	}
	t := tx(w)
	// Every service is offered TLS 1.0, whatever the device declares: one
	// listed without a CA may speak TLS 1.0, or no TLS at all.
	for _, ep := range eps {
		v := judgeLegacy(ctx, ep)
		w.observe("%s", v.observe)
		if v.finding != "" {
			t.legacy = append(t.legacy, v.finding)
		}
		if v.unknown != "" {
			t.unknown = append(t.unknown, v.unknown)
		}
	}
	return nil
}

func stepNoLegacyTLS(ctx context.Context) error {
	w := worldFrom(ctx)
	t := tx(w)
	if len(t.legacy) > 0 {
		return fmt.Errorf("below TLS 1.2: %s", strings.Join(t.legacy, "; "))
	}
	return undetermined(w, t)
}

// issueClientCert asks a test build for a client certificate it trusts.
func issueClientCert(ctx context.Context, w *world, name string, notBefore, notAfter time.Time) (*tls.Certificate, error) {
	ci, err := capability[device.ClientCertIssuer](w, device.Label[device.ClientCertIssuer]())
	if err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := ci.IssueClientCertificate(ctx, name, notBefore, notAfter)
	if err != nil {
		return nil, fmt.Errorf("issue a client certificate: %w", err)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("the device's client certificate: %w", err)
	}
	return &c, nil
}

func settings(ctx context.Context, w *world) (map[string]string, error) {
	cs, err := capability[device.ClinicalSettings](w, device.Label[device.ClinicalSettings]())
	if err != nil {
		return nil, err
	}
	s, err := cs.Settings(ctx)
	if errors.Is(err, device.ErrUnsupported) {
		return nil, skip(w, err)
	}
	return s, err
}

func stepTrustedPeer(ctx context.Context) error {
	w := worldFrom(ctx)
	if _, err := feedEndpoint(ctx, w); err != nil {
		return err
	}
	c, err := issueClientCert(ctx, w, "ward-harness interface engine", time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	tx(w).cert = c
	tx(w).sessions = tls.NewLRUClientSessionCache(4)
	w.observe("the device issued the harness a client certificate (%s)", c.Leaf.Subject.CommonName)
	return nil
}

const rateKey = "channel_a.rate_ml_h"

func sameRate(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	return err1 == nil && err2 == nil && x == y
}

func stepProgram(ctx context.Context, rate string) error {
	w := worldFrom(ctx)
	ep, err := feedEndpoint(ctx, w)
	if err != nil {
		return err
	}
	if _, err := settings(ctx, w); err != nil {
		return err
	}
	t := tx(w)
	c, err := dialResume(ctx, ep, t.cert, t.sessions)
	if err != nil {
		return fmt.Errorf("connect to the HL7 feed: %w", err)
	}
	defer c.Close()
	m, err := exchange(c, programMessage(rate))
	if code, _ := hl7.AckCode(orEmpty(m)); err != nil || code != hl7.AA {
		return fmt.Errorf("the pump did not accept a well-formed order at %s mL/h: %s", rate, ackCode(m, err))
	}
	s, err := settings(ctx, w)
	if err != nil {
		return err
	}
	if !sameRate(s[rateKey], rate) {
		return fmt.Errorf("the pump acknowledged %s mL/h but runs at %q", rate, s[rateKey])
	}
	t.before = s
	w.observe("programmed at %s mL/h over the HL7 feed (%s), acknowledged AA", rate, ep.Address)
	return nil
}

func orEmpty(m *hl7.Message) *hl7.Message {
	if m == nil {
		return &hl7.Message{}
	}
	return m
}

func stepSettingsUnchanged(ctx context.Context) error {
	w := worldFrom(ctx)
	t := tx(w)
	if t.before == nil {
		return errors.New("scenario bug: the settings were not read before")
	}
	now, err := settings(ctx, w)
	if err != nil {
		return err
	}
	for k, v := range t.before {
		if now[k] != v {
			return fmt.Errorf("setting %s changed from %q to %q", k, v, now[k])
		}
	}
	w.observe("settings unchanged: %s = %s", rateKey, now[rateKey])
	return nil
}

// tamperProxy is an attacker on the path: it relays a connection and,
// once armed, alters the next bytes the peer sends. Where the order is
// readable it changes the rate; where it is not, it flips a bit.
type tamperProxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	armed   bool
	find    []byte
	replace []byte
	did     string
	conns   []net.Conn
}

func newTamperProxy(target string) (*tamperProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &tamperProxy{ln: ln, target: target}
	go p.serve()
	return p, nil
}

func (p *tamperProxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.DialTimeout("tcp", p.target, netTimeout)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(in, out); in.Close() }()
		go func() {
			buf := make([]byte, 32<<10)
			for {
				n, err := in.Read(buf)
				if n > 0 {
					chunk := p.tamper(buf[:n])
					if _, werr := out.Write(chunk); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			out.Close()
		}()
	}
}

func (p *tamperProxy) tamper(b []byte) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.armed {
		return b
	}
	p.armed = false
	if i := bytes.Index(b, p.find); i >= 0 {
		p.did = fmt.Sprintf("rewrote %q to %q in the readable order", p.find, p.replace)
		return append(append(append([]byte(nil), b[:i]...), p.replace...), b[i+len(p.find):]...)
	}
	if len(b) <= 5 {
		p.armed = true // a bare record header: alter the payload that follows
		return b
	}
	// The last byte is payload (under TLS, part of the record's tag), never
	// the record header, whose version field TLS 1.3 ignores.
	b = append([]byte(nil), b...)
	b[len(b)-1] ^= 0x01
	p.did = fmt.Sprintf("order not readable on the wire; flipped one bit of a %d-byte record", len(b))
	return b
}

func (p *tamperProxy) arm(find, replace string) {
	p.mu.Lock()
	p.armed, p.find, p.replace = true, []byte(find), []byte(replace)
	p.mu.Unlock()
}

func (p *tamperProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
}

func stepAlterInTransit(ctx context.Context, rate string) error {
	w := worldFrom(ctx)
	ep, err := feedEndpoint(ctx, w)
	if err != nil {
		return err
	}
	t := tx(w)
	if t.before == nil {
		return errors.New("scenario bug: the pump was not programmed first")
	}
	px, err := newTamperProxy(ep.Address)
	if err != nil {
		return err
	}
	defer px.close()
	via := ep
	via.Address = px.ln.Addr().String()
	c, err := dial(ctx, via, t.cert)
	if err != nil {
		return fmt.Errorf("connect to the HL7 feed through the path: %w", err)
	}
	defer c.Close()
	// One untouched round trip first, so the handshake is behind us.
	if m, err := exchange(c, programMessage(t.before[rateKey])); err != nil || orEmpty(m).Get("MSA-1") != hl7.AA {
		return fmt.Errorf("the pump refused an untouched order through the path: %s", ackCode(m, err))
	}
	if t.before, err = settings(ctx, w); err != nil {
		return err
	}
	altered := "9" + rate[1:]
	if rate[0] == '9' {
		altered = "1" + rate[1:]
	}
	px.arm("|"+rate+"|", "|"+altered+"|")
	m, err := exchange(c, programMessage(rate))
	px.mu.Lock()
	did := px.did
	px.mu.Unlock()
	w.observe("attacker %s; the device answered %s", did, ackCode(m, err))
	return nil
}

func stepFeedIdentity(ctx context.Context) error {
	w := worldFrom(ctx)
	ep, err := feedEndpoint(ctx, w)
	if err != nil {
		return err
	}
	if len(ep.CA) == 0 {
		return fmt.Errorf("the HL7 feed at %s presents no certificate: peers cannot authenticate the device", ep.Address)
	}
	c, err := dial(ctx, ep, tx(w).cert)
	if err != nil {
		return fmt.Errorf("the HL7 feed's certificate does not verify against the device's CA: %w", err)
	}
	defer c.Close()
	cs := c.(*tls.Conn).ConnectionState()
	w.observe("the HL7 feed presented %q, verified against the device's CA, over %s", cs.PeerCertificates[0].Subject.CommonName, tls.VersionName(cs.Version))
	// The check must be able to fail: a CA the device did not declare
	// must not verify it.
	other, err := pki.NewCA("ward harness other CA", time.Now())
	if err != nil {
		return err
	}
	wrong := ep
	wrong.CA = other.CertPEM()
	if c2, err := dial(ctx, wrong, tx(w).cert); err == nil {
		c2.Close()
		return errors.New("the harness accepted the feed's certificate under an unrelated CA: the check proves nothing")
	}
	return nil
}

// stepPeerRefused connects as a peer the device must not accept and sends
// an infusion order. The peer got a session if the device spoke HL7 to it
// at all (an acknowledgement, or a monitor's observations) or acted on the
// order.
func stepPeerRefused(ctx context.Context, what string, cert *tls.Certificate) error {
	w := worldFrom(ctx)
	ep, err := feedEndpoint(ctx, w)
	if err != nil {
		return err
	}
	before, serr := readClinicalSettings(ctx, w)
	if serr != nil {
		return serr
	}
	c, err := dial(ctx, ep, cert)
	if err != nil {
		w.observe("peer with %s: no session (%s)", what, oneLineErr(err))
		return nil
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(netTimeout))
	werr := hl7.WriteFrame(c, programMessage("42.5"))
	var heard []string
	r := hl7.NewReader(c, 1<<20)
	for werr == nil && len(heard) < 2 {
		f, err := r.ReadFrame()
		if err != nil {
			break
		}
		if m, err := hl7.Parse(f); err == nil {
			heard = append(heard, m.Type()+" "+m.Get("MSA-1"))
		}
	}
	after, serr := readClinicalSettings(ctx, w)
	if serr != nil {
		return serr
	}
	if len(heard) > 0 {
		return fmt.Errorf("a peer with %s got a session: the device sent it %s", what, strings.Join(heard, ", "))
	}
	if before != nil && !sameRate(before[rateKey], after[rateKey]) {
		return fmt.Errorf("a peer with %s changed the pump's rate to %s mL/h", what, after[rateKey])
	}
	w.observe("peer with %s: the device closed the session without a word", what)
	return nil
}

// readClinicalSettings is settings for steps that can do without: nil when the
// device has no clinical settings.
func readClinicalSettings(ctx context.Context, w *world) (map[string]string, error) {
	cs, err := device.As[device.ClinicalSettings](w.dev, device.Label[device.ClinicalSettings]())
	if err != nil {
		return nil, nil
	}
	s, err := cs.Settings(ctx)
	if errors.Is(err, device.ErrUnsupported) {
		return nil, nil
	}
	return s, err
}

// malformed are the hostile inputs of the robustness check, each sent on
// its own connection: broken framing, broken structure, and well-formed
// messages with values no pump may take.
func malformed() []struct{ name, raw string } {
	rxg := func(rate string) string { return "RXG|1|||^saline|250||mL||||||||" + rate + "|mL/h\r" }
	head := "MSH|^~\\&|WARD-HARNESS|QA|||20261123120000+0000||RGV^O15^RGV_O15|M1|P|2.6\rPID|1||MRN-44120981\rORC|RE|ORD-M1\r"
	frame := func(s string) string { return "\x0b" + s + "\x1c\r" }
	return []struct{ name, raw string }{
		{"garbage outside a frame", "\x00\xff\xfeGET / HTTP/1.1\r\n\r\n"},
		{"bad MSH delimiters", frame("MSH|^^\\&|X|Y|||20261123||RGV^O15|M2|P|2.6\rPID|1||MRN-44120981\rORC|RE|O\r" + rxg("999"))},
		{"lower-case segment name", frame(head + strings.ToLower(rxg("998")))},
		{"rate that is not a number", frame(head + rxg("fast"))},
		{"negative rate", frame(head + rxg("-50"))},
		{"rate beyond the pump's range", frame(head + rxg("1e9"))},
		{"unterminated escape in the rate", frame(head + rxg("\\X39"))},
		{"missing rate", frame(head + "RXG|1\r")},
		{"start block inside a frame", "\x0b" + head + "\x0b" + rxg("997") + "\x1c\r"},
		{"frame over the size limit", frame(head + "NTE|1||" + strings.Repeat("A", 200<<10) + "\r" + rxg("996"))},
		{"frame cut short", "\x0b" + head + rxg("995")},
		{"second MSH", frame(head + head + rxg("994"))},
	}
}

func stepSendMalformed(ctx context.Context) error {
	w := worldFrom(ctx)
	ep, err := feedEndpoint(ctx, w)
	if err != nil {
		return err
	}
	t := tx(w)
	var log bytes.Buffer
	for _, m := range malformed() {
		c, err := dialResume(ctx, ep, t.cert, t.sessions)
		if err != nil {
			return fmt.Errorf("connect to the HL7 feed: %w", err)
		}
		_ = c.SetDeadline(time.Now().Add(netTimeout))
		_, werr := io.WriteString(c, m.raw)
		if m.name == "frame cut short" {
			if cw, ok := c.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
		}
		ack, rerr := readAck(c)
		c.Close()
		if werr != nil && rerr == nil {
			rerr = werr
		}
		fmt.Fprintf(&log, "%s: %s\n", m.name, ackCode(ack, rerr))
		if code, _ := hl7.AckCode(orEmpty(ack)); code == hl7.AA {
			t.accepted = append(t.accepted, m.name)
		}
	}
	w.attach("malformed-hl7-answers.txt", "text/plain", log.Bytes())
	w.observe("sent %d malformed messages", len(malformed()))
	return nil
}

func readAck(c net.Conn) (*hl7.Message, error) {
	r := hl7.NewReader(c, 1<<20)
	for range 10 {
		f, err := r.ReadFrame()
		if err != nil {
			return nil, err
		}
		m, err := hl7.Parse(f)
		if err != nil {
			return nil, err
		}
		if _, ok := m.Segment("MSA"); ok {
			return m, nil
		}
	}
	return nil, errors.New("no acknowledgement")
}

func stepNoneAccepted(ctx context.Context) error {
	t := tx(worldFrom(ctx))
	if len(t.accepted) > 0 {
		return fmt.Errorf("the feed acknowledged malformed messages as accepted: %s", strings.Join(t.accepted, ", "))
	}
	return nil
}

func stepFeedStillWorks(ctx context.Context) error {
	w := worldFrom(ctx)
	if _, err := w.dev.Identify(ctx); err != nil {
		return fmt.Errorf("the device no longer answers: %w", err)
	}
	if err := stepProgram(ctx, "7.5"); err != nil {
		return fmt.Errorf("after the malformed input: %w", err)
	}
	return nil
}

// collector5424 is the harness's log collector: syslog over TLS (RFC
// 5425), octet-counted frames of RFC 5424 messages.
type collector5424 struct {
	ln     net.Listener
	ca     *pki.CA
	notify chan struct{} // a message arrived
	mu     sync.Mutex
	msgs   []syslogMessage
	bad    []string
}

func newCollector() (*collector5424, error) {
	now := time.Now()
	ca, err := pki.NewCA("ward harness log collector CA", now)
	if err != nil {
		return nil, err
	}
	leaf, err := ca.Issue("ward harness log collector", pki.Localhost, false, now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		return nil, err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, err
	}
	c := &collector5424{ln: ln, ca: ca, notify: make(chan struct{}, 1)}
	go c.serve()
	return c, nil
}

func (c *collector5424) serve() {
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			r := bufio.NewReader(conn)
			for {
				_ = conn.SetReadDeadline(time.Now().Add(time.Minute))
				f, err := readSyslogFrame(r)
				if err != nil {
					if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
						c.mu.Lock()
						c.bad = append(c.bad, oneLineErr(err))
						c.mu.Unlock()
					}
					return
				}
				m, err := parseSyslog(f)
				c.mu.Lock()
				if err != nil {
					c.bad = append(c.bad, oneLineErr(err))
				} else {
					c.msgs = append(c.msgs, m)
				}
				c.mu.Unlock()
				select {
				case c.notify <- struct{}{}:
				default:
				}
			}
		}()
	}
}

func stepStartCollector(ctx context.Context) error {
	w := worldFrom(ctx)
	if _, err := capability[device.LogForwarder](w, device.Label[device.LogForwarder]()); err != nil {
		return err
	}
	c, err := newCollector()
	if err != nil {
		return err
	}
	tx(w).collector = c
	w.onCleanup(func(context.Context) error { return c.ln.Close() })
	w.observe("collector listening on %s", c.ln.Addr())
	return nil
}

func stepForwardLogs(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	f, tok, err := withSession[device.LogForwarder](w, device.Label[device.LogForwarder](), user)
	if err != nil {
		return err
	}
	c := tx(w).collector
	if c == nil {
		return errors.New("scenario bug: no collector")
	}
	if err := f.ForwardLogs(ctx, tok, device.LogCollector{Address: c.ln.Addr().String(), CA: c.ca.CertPEM()}); err != nil {
		return fmt.Errorf("configure log forwarding: %w", err)
	}
	w.observe("%q pointed log forwarding at %s", user, c.ln.Addr())
	return nil
}

func stepCollectorReceived(ctx context.Context, secs int, user string) error {
	w := worldFrom(ctx)
	c := tx(w).collector
	if c == nil {
		return errors.New("scenario bug: no collector")
	}
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	user = w.deviceUser(user)
	for {
		c.mu.Lock()
		msgs, bad := append([]syslogMessage(nil), c.msgs...), append([]string(nil), c.bad...)
		c.mu.Unlock()
		for _, m := range msgs {
			for _, params := range m.Structured {
				if params["actor"] == user {
					w.observe("collector received %s/%s from %s: action %q, outcome %q", m.App, m.MsgID, m.Host, params["action"], params["outcome"])
					return nil
				}
			}
			if strings.Contains(m.Message, strconv.Quote(user)) {
				w.observe("collector received a message from %s naming %q", m.Host, user)
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("in %d s the collector got %d parseable messages, none about %q, and %d unparseable (%s)",
				secs, len(msgs), user, len(bad), strings.Join(bad, "; "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.notify:
		case <-time.After(time.Until(deadline)):
		}
	}
}
