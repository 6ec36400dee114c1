package sim

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wardsec/ward/internal/pki"
	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/hl7"
)

// The unit's network side: an HL7 v2 feed over MLLP (docs/hl7.md) on
// loopback, started the first time its endpoints are asked for, and the
// forwarding of audit records to a syslog collector. A pump is programmed
// over the feed with RGV^O15 and answers RRG^O16; a patient monitor sends
// its observations as ORU^R01 to every peer that connects.

// feedLimit is the largest HL7 message the feed reads.
const feedLimit = 64 << 10

// feedIdle is how long the feed waits for a peer's next message.
const feedIdle = 30 * time.Second

type netState struct {
	monitor bool

	mu        sync.Mutex
	closed    bool
	ca        *pki.CA
	ln        net.Listener
	conns     map[net.Conn]bool
	rate      string // channel A's programmed rate, mL/h ("0" until programmed)
	order     string
	collector *forwarder
	extra     []*weakService // services only weakness toggles add (weakservices.go)
	wg        sync.WaitGroup
}

// authority returns the unit's CA, made on first use (key generation costs
// only the scenarios that use the network).
func (p *Pump) authority() (*pki.CA, error) {
	n := &p.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ca == nil {
		ca, err := pki.NewCA("ward simulated unit "+p.id.Serial, p.now())
		if err != nil {
			return nil, err
		}
		n.ca = ca
	}
	return n.ca, nil
}

// shortFeedKey is the weakness of a 1024-bit RSA feed key, which a FIPS
// 140-3 build cannot have (crypto/tls refuses such keys there).
const shortFeedKey = "short-feed-key"

// feedTLS is the feed's TLS: 1.2 or newer with Go's default (AEAD,
// forward-secret) suites, and a client certificate from the unit's CA
// required; weakness toggles loosen it.
func (p *Pump) feedTLS(ca *pki.CA) (*tls.Config, error) {
	now := p.now()
	var leaf tls.Certificate
	var err error
	if p.weak[shortFeedKey] {
		// The weakness: a key NIST SP 800-131A disallowed after 2013.
		short, kerr := rsa.GenerateKey(rand.Reader, 1024)
		if kerr != nil {
			return nil, fmt.Errorf("sim: short feed key: %w", kerr)
		}
		leaf, err = ca.IssueKey("hl7-feed "+p.id.Serial, pki.Localhost, false, short, now.Add(-time.Hour), now.AddDate(1, 0, 0))
	} else {
		leaf, err = ca.Issue("hl7-feed "+p.id.Serial, pki.Localhost, false, now.Add(-time.Hour), now.AddDate(1, 0, 0))
	}
	if err != nil {
		return nil, err
	}
	caPair, err := tls.X509KeyPair(ca.CertPEM(), ca.KeyPEM())
	if err != nil {
		return nil, err
	}
	leaf.Certificate = append(leaf.Certificate, caPair.Certificate[0])
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{leaf},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool(),
		Time:         p.now, // certificate validity on the unit's own clock
	}
	if p.weak["tls-downgrade"] {
		// The weakness: legacy clients welcome, TLS 1.0 and CBC suites.
		cfg.MinVersion = tls.VersionTLS10
		cfg.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}
	}
	if p.weak["no-client-auth"] {
		cfg.ClientAuth = tls.NoClientCert
	}
	return cfg, nil
}

// Endpoints implements device.Transport: the unit's HL7 feed, started on
// 127.0.0.1 on first call.
func (p *Pump) Endpoints(context.Context) ([]device.Endpoint, error) {
	ca, err := p.authority()
	if err != nil {
		return nil, err
	}
	n := &p.net
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, errors.New("sim: unit closed")
	}
	cleartext := p.weak["cleartext-transport"]
	if n.ln == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("sim: HL7 feed: %w", err)
		}
		if !cleartext {
			cfg, err := p.feedTLS(ca)
			if err != nil {
				ln.Close()
				return nil, err
			}
			ln = tls.NewListener(ln, cfg)
		}
		extra, err := p.startWeakServices(ca)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("sim: %w", err)
		}
		n.ln, n.conns, n.extra = ln, map[net.Conn]bool{}, extra
		n.wg.Add(1)
		go p.acceptFeed(ln)
	}
	ep := device.Endpoint{Name: "hl7-feed", Protocol: "mllp", Address: n.ln.Addr().String()}
	if !cleartext {
		ep.CA = ca.CertPEM()
		ep.ClientAuth = !p.weak["no-client-auth"]
	}
	eps := []device.Endpoint{ep}
	for _, s := range n.extra {
		eps = append(eps, s.ep)
	}
	return eps, nil
}

// IssueClientCertificate implements device.ClientCertIssuer (a test
// build): a client certificate from the unit's CA. Zero bounds mean a day
// either side of the unit's clock.
func (p *Pump) IssueClientCertificate(_ context.Context, name string, notBefore, notAfter time.Time) ([]byte, []byte, error) {
	ca, err := p.authority()
	if err != nil {
		return nil, nil, err
	}
	if notBefore.IsZero() {
		notBefore = p.now().Add(-24 * time.Hour)
	}
	if notAfter.IsZero() {
		notAfter = p.now().Add(24 * time.Hour)
	}
	if name == "" || !notAfter.After(notBefore) {
		return nil, nil, fmt.Errorf("sim: client certificate: %w: want a name and not_after after not_before", device.ErrDenied)
	}
	c, err := ca.Issue(name, nil, true, notBefore, notAfter)
	if err != nil {
		return nil, nil, err
	}
	return pki.PEM(c)
}

// Settings implements device.ClinicalSettings: channel A's programme.
func (p *Pump) Settings(context.Context) (map[string]string, error) {
	if p.net.monitor {
		return nil, &device.UnsupportedError{Capability: "clinical settings programmable over HL7 (a monitor has none)"}
	}
	p.net.mu.Lock()
	defer p.net.mu.Unlock()
	rate := p.net.rate
	if rate == "" {
		rate = "0"
	}
	return map[string]string{"channel_a.rate_ml_h": rate, "channel_a.order": p.net.order}, nil
}

func (p *Pump) closeNet() error {
	n := &p.net
	n.mu.Lock()
	n.closed = true
	ln := n.ln
	for c := range n.conns {
		c.Close()
	}
	fw := n.collector
	n.collector = nil
	extra := n.extra
	n.extra = nil
	n.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	for _, s := range extra {
		s.close()
	}
	if fw != nil {
		fw.stop()
	}
	n.wg.Wait()
	return nil
}

func (p *Pump) acceptFeed(ln net.Listener) {
	defer p.net.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.net.mu.Lock()
		if p.net.closed {
			p.net.mu.Unlock()
			c.Close()
			return
		}
		p.net.conns[c] = true
		p.net.wg.Add(1)
		p.net.mu.Unlock()
		go func() {
			defer p.net.wg.Done()
			p.serveFeed(c)
			p.net.mu.Lock()
			delete(p.net.conns, c)
			p.net.mu.Unlock()
		}()
	}
}

func (p *Pump) serveFeed(c net.Conn) {
	defer c.Close()
	peer := "hl7-peer"
	if tc, ok := c.(*tls.Conn); ok {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		if cs := tc.ConnectionState(); len(cs.PeerCertificates) > 0 {
			peer = cs.PeerCertificates[0].Subject.CommonName
		}
	}
	ctx := via(context.Background(), "hl7-feed")
	if p.net.monitor {
		if err := p.sendObservations(c); err != nil {
			return
		}
	}
	r := hl7.NewReader(c, feedLimit)
	for {
		_ = c.SetDeadline(time.Now().Add(feedIdle))
		frame, err := r.ReadFrame()
		if err != nil {
			if errors.Is(err, hl7.ErrFrame) || errors.Is(err, hl7.ErrTooLarge) {
				// Say why, then hang up: the stream cannot be resynchronised.
				_ = hl7.WriteFrame(c, hl7.NewAck(p.hl7Header(), nil, hl7.AR, err.Error()).Encode())
			}
			return
		}
		ack := p.handleHL7(ctx, peer, frame)
		if ack == nil {
			continue
		}
		if err := hl7.WriteFrame(c, ack.Encode()); err != nil {
			return
		}
	}
}

func (p *Pump) hl7Header() hl7.Header {
	return hl7.Header{SendingApp: "WARD-SIM", SendingFacility: p.id.Serial, Time: p.now(), ControlID: newToken()[:20]}
}

// handleHL7 acts on one message and returns the acknowledgement (nil for
// an acknowledgement the peer sent).
func (p *Pump) handleHL7(ctx context.Context, peer string, frame []byte) *hl7.Message {
	h := p.hl7Header()
	if p.weak["fragile-parser"] {
		p.fragileProgram(frame)
	}
	m, err := hl7.Parse(frame)
	if err != nil {
		p.recordFeed(ctx, peer, "hl7.receive", "message", audit.Failure, map[string]string{"reason": clipName(err.Error())})
		return hl7.NewAck(h, nil, hl7.AR, err.Error())
	}
	switch {
	case hl7.IsAck(m): // never acknowledge an acknowledgement, whatever its event
		return nil
	case m.Type() == "RGV^O15":
	default:
		return hl7.NewAck(h, m, hl7.AR, fmt.Sprintf("message type %q not accepted here", m.Type()))
	}
	if p.net.monitor {
		return hl7.NewAck(h, m, hl7.AR, "a patient monitor takes no infusion orders")
	}
	prog, err := hl7.ProgramOf(m)
	if err != nil {
		return hl7.NewAck(h, m, hl7.AR, err.Error())
	}
	rate, err := strconv.ParseFloat(prog.RateMLH, 64)
	if err != nil || math.IsNaN(rate) || rate <= 0 || rate > 999 {
		p.recordFeed(ctx, peer, string(access.InfusionProgram), "channel A", audit.Failure, map[string]string{"reason": "rate out of range"})
		return hl7.NewAck(h, m, hl7.AE, fmt.Sprintf("RXG-15 %q is not a rate in (0, 999] mL/h", clipName(prog.RateMLH)))
	}
	p.net.mu.Lock()
	p.net.rate, p.net.order = strconv.FormatFloat(rate, 'f', -1, 64), prog.OrderID
	p.net.mu.Unlock()
	p.recordFeed(ctx, peer, string(access.InfusionProgram), "channel A", audit.Success,
		map[string]string{"rate_ml_h": prog.RateMLH, "order": prog.OrderID})
	return hl7.NewAck(h, m, hl7.AA, "")
}

func (p *Pump) recordFeed(ctx context.Context, peer, action, object string, outcome audit.Outcome, detail map[string]string) {
	_ = p.record(ctx, audit.Event{Actor: peer, Source: "hl7-feed", Action: action, Object: object, Outcome: outcome, Detail: detail})
}

// fragileProgram is the fragile-parser weakness: an older code path that
// looks for an RXG segment by splitting lines itself, before and whatever
// the real parser says, and applies its rate (a bad number reads as 0).
func (p *Pump) fragileProgram(frame []byte) {
	for _, line := range strings.FieldsFunc(string(frame), func(r rune) bool { return r == '\r' || r == '\n' }) {
		f := strings.Split(line, "|")
		if f[0] != "RXG" || len(f) <= 15 {
			continue
		}
		v, _ := strconv.ParseFloat(strings.SplitN(f[15], "^", 2)[0], 64)
		p.net.mu.Lock()
		p.net.rate = strconv.FormatFloat(v, 'f', -1, 64)
		p.net.mu.Unlock()
	}
}

// sendObservations is the monitor's ORU^R01 to a peer that connected.
func (p *Pump) sendObservations(c net.Conn) error {
	now := p.now()
	m := hl7.NewORU(p.hl7Header(), "MRN-44120981", []hl7.Observation{
		{Code: "150456", Text: "MDC_PULS_OXIM_SAT_O2", System: "MDC", Value: "97", Units: "%", Time: now},
		{Code: "149530", Text: "MDC_PULS_OXIM_PULS_RATE", System: "MDC", Value: "72", Units: "/min", Time: now},
	})
	return hl7.WriteFrame(c, m.Encode())
}

// ForwardLogs implements device.LogForwarder: from now on every audit
// record also goes to the collector as RFC 5424 syslog over TLS. Changing
// it is a configuration change (biomed, administrator, service).
func (p *Pump) ForwardLogs(ctx context.Context, token string, c device.LogCollector) error {
	ctx = via(ctx, "management-api")
	cl, err := p.begin(ctx, token, access.ConfigChange, "log forwarding")
	if err != nil {
		return fmt.Errorf("sim: log forwarding: %w", err)
	}
	pool := x509.NewCertPool()
	if c.Address == "" || !pool.AppendCertsFromPEM(c.CA) {
		return fmt.Errorf("sim: log forwarding: %w: want an address and a PEM CA", device.ErrDenied)
	}
	fw := newForwarder(c.Address, pool, p.id.Serial, p.weak["no-log-forwarding"])
	p.net.mu.Lock()
	old := p.net.collector
	p.net.collector = fw
	p.net.mu.Unlock()
	if old != nil {
		old.stop()
	}
	return p.recordAs(ctx, cl, audit.Event{Actor: cl.User, Source: "management-api", Action: string(access.ConfigChange), Object: "log forwarding",
		Outcome: audit.Success, Detail: map[string]string{"collector": c.Address}})
}

// forward hands a record to the collector, if one is configured. It never
// blocks the operation: a full queue drops (the local log keeps it).
func (p *Pump) forward(r audit.Record) {
	p.net.mu.Lock()
	fw := p.net.collector
	p.net.mu.Unlock()
	if fw != nil {
		fw.send(r)
	}
}

type forwarder struct {
	addr   string
	roots  *x509.CertPool
	host   string
	broken bool // no-log-forwarding: accepted, never sent
	queue  chan audit.Record
	done   chan struct{}
	once   sync.Once
}

func newForwarder(addr string, roots *x509.CertPool, host string, broken bool) *forwarder {
	f := &forwarder{addr: addr, roots: roots, host: host, broken: broken, queue: make(chan audit.Record, 1024), done: make(chan struct{})}
	go f.run()
	return f
}

func (f *forwarder) send(r audit.Record) {
	select {
	case f.queue <- r:
	default:
	}
}

func (f *forwarder) stop() { f.once.Do(func() { close(f.done) }) }

func (f *forwarder) run() {
	var conn net.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for {
		var r audit.Record
		select {
		case <-f.done:
			return
		case r = <-f.queue:
		}
		if f.broken {
			continue
		}
		msg, err := audit.Syslog(r, f.host, "ward-sim")
		if err != nil {
			continue
		}
		if conn == nil {
			d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second},
				Config: &tls.Config{RootCAs: f.roots, MinVersion: tls.VersionTLS12, ServerName: hostOf(f.addr)}}
			c, err := d.Dial("tcp", f.addr)
			if err != nil {
				continue // the record stays in the local log
			}
			conn = c
		}
		_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write(msg); err != nil {
			conn.Close()
			conn = nil
		}
	}
}

func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

var (
	_ device.Transport        = (*Pump)(nil)
	_ device.ClientCertIssuer = (*Pump)(nil)
	_ device.ClinicalSettings = (*Pump)(nil)
	_ device.LogForwarder     = (*Pump)(nil)
)
