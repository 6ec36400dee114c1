package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/segment"
)

// Audit actions of the thermometer's network side.
const (
	actionEgress      = "network.egress" // an outbound connection allowed or refused
	actionSendReading = "reading.send"   // a reading sent to the EHR
)

// deviceName is the thermometer's name in its own egress policy.
const deviceName = "t200"

// peer is a documented destination: the thermometer's MUD-style allowlist
// (the EHR's interface engine, the update repository). host is an address
// or a DNS name.
type peer struct {
	name string
	host string
	port uint16
}

// peerOf reads a documented peer from a URL (the port defaults by scheme).
func peerOf(name string, u *url.URL) (peer, error) {
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		default:
			return peer{}, fmt.Errorf("%s: %q: no port", name, u)
		}
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 || u.Hostname() == "" {
		return peer{}, fmt.Errorf("%s: %q: bad host or port", name, u)
	}
	return peer{name: name, host: u.Hostname(), port: uint16(p)}, nil
}

// egressPolicy is the thermometer's allowlist as a pkg/segment policy,
// built in Go: firmware carries compiled policies, not a policy language.
// Each documented peer is one egress rule; everything else is denied by
// default.
func egressPolicy(self netip.Addr, peers []peer) (*segment.Policy, error) {
	d := segment.Device{Name: deviceName, Addr: self, Zone: "device", Type: "thermometer",
		Manufacturer: "acme-medical.example", Model: "https://acme-medical.example/mud/t200.json"}
	for _, p := range peers {
		r := segment.Rule{Name: p.name, Direction: segment.Egress, Proto: segment.ProtoTCP,
			DstPorts: []segment.PortRange{{Lo: p.port, Hi: p.port}}, Initiator: segment.InitDevice}
		if a, err := netip.ParseAddr(p.host); err == nil {
			a = a.Unmap()
			if a == self {
				return nil, fmt.Errorf("egress: peer %s is the device's own address %s", p.name, a)
			}
			r.Peer = segment.Peer{Kind: segment.PeerCIDR, Prefix: netip.PrefixFrom(a, a.BitLen())}
		} else {
			r.Peer = segment.Peer{Kind: segment.PeerDNS, Value: p.host}
		}
		d.Rules = append(d.Rules, r)
	}
	return &segment.Policy{Zones: []segment.Zone{{Name: "device"}}, Devices: []segment.Device{d}}, nil
}

// egress is the thermometer's outbound firewall. Every connection the
// device opens (readings to the EHR, update downloads) goes through
// DialContext, which asks the compiled policy about the flow before a
// single packet leaves and records the decision in the audit log. It binds
// the connection to the device's address, so the flow decided is the flow
// sent.
type egress struct {
	self     netip.Addr
	engine   *segment.Engine
	log      *audit.Log
	resolver *net.Resolver
	dialer   net.Dialer
}

func newEgress(ctx context.Context, self netip.Addr, log *audit.Log, peers []peer) (*egress, error) {
	if !self.IsValid() || self.IsUnspecified() {
		return nil, fmt.Errorf("egress: the device needs its own address (--addr), got %v", self)
	}
	self = self.Unmap()
	p, err := egressPolicy(self, peers)
	if err != nil {
		return nil, err
	}
	// dns: peers are resolved when the policy compiles (Refresh would
	// follow DNS changes; the example keeps the first answers).
	e, err := segment.Compile(ctx, p, segment.WithResolver(net.DefaultResolver))
	if err != nil {
		return nil, fmt.Errorf("egress: %w", err)
	}
	return &egress{self: self, engine: e, log: log, resolver: net.DefaultResolver,
		dialer: net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: self.AsSlice()}}}, nil
}

// DialContext opens a TCP connection to address if the policy allows the
// flow, and fails with an error matching device.ErrBlocked, before
// dialing, if it does not. A name is resolved first and each answer
// decided on its own: the policy, not DNS, says where the device may go.
func (e *egress) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		return nil, fmt.Errorf("%w: egress: network %q", device.ErrBlocked, network)
	}
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("egress: port %q: %w", portStr, err)
	}
	addrs := []netip.Addr{}
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = append(addrs, a.Unmap())
	} else if addrs, err = e.resolver.LookupNetIP(ctx, "ip", host); err != nil {
		return nil, fmt.Errorf("egress: %w", err)
	}
	var errs []error
	for _, a := range addrs {
		a = a.Unmap()
		if a.Is4() != e.self.Is4() {
			continue // the connection leaves from self: another family cannot be reached
		}
		f := segment.Flow{Src: e.self, Dst: a, Proto: segment.ProtoTCP, DstPort: uint16(port)}
		d := e.engine.Decide(f)
		if err := e.record(ctx, address, f, d); err != nil {
			return nil, err // no audit record, no connection
		}
		if !d.Allow {
			errs = append(errs, fmt.Errorf("%w: %s: %s", device.ErrBlocked, f, d))
			continue
		}
		c, err := e.dialer.DialContext(ctx, "tcp", netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("egress: %s: no address of the device's family", host)
	}
	return nil, errors.Join(errs...)
}

// record writes the decision on a flow: who decided (the rule, or the
// default) and why.
func (e *egress) record(ctx context.Context, address string, f segment.Flow, d segment.Decision) error {
	ev := audit.Event{Actor: deviceName, Source: "egress", Action: actionEgress, Object: f.String(), Outcome: audit.Success,
		Detail: map[string]string{"peer": address, "reason": d.Reason.String(), "decision": d.String()}}
	if d.Rule != "" {
		ev.Detail["rule"] = d.Rule
	}
	if !d.Allow {
		ev.Outcome = audit.Denied
	}
	_, err := e.log.Append(ctx, ev)
	return err
}

// transport is an HTTP transport whose every connection goes through the
// egress policy. rootCAs nil means the system roots. It never uses a
// proxy from the environment: a proxy would be a peer the policy does not
// list.
func (e *egress) transport(rootCAs *x509.CertPool) *http.Transport {
	return &http.Transport{
		DialContext:         e.DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: rootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     30 * time.Second,
		ForceAttemptHTTP2:   true,
	}
}

// uplink is where the thermometer sends readings: the hospital's interface
// engine (HTTPS, verified against the hospital's CA).
type uplink struct {
	url    string
	client *http.Client
}

// SendReading sends a patient's stored reading to the EHR. The device
// decrypts it only to send it, over TLS, to the documented peer; the
// disclosure is audited.
func (t *thermometer) SendReading(ctx context.Context, id string) error {
	if t.ehr == nil {
		return fmt.Errorf("%w: no EHR configured (--ehr)", device.ErrUnsupported)
	}
	reading, err := t.load(ctx, id)
	if err != nil {
		return err
	}
	ev := audit.Event{Actor: deviceName, Source: "egress", Action: actionSendReading, Object: id, Outcome: audit.Success,
		Detail: map[string]string{"to": t.ehr.url}}
	err = t.ehr.post(ctx, reading)
	if err != nil {
		ev.Outcome = audit.Failure
		if errors.Is(err, device.ErrBlocked) {
			ev.Outcome = audit.Denied
		}
		ev.Detail["error"] = err.Error()
	}
	if _, aerr := t.log.Append(ctx, ev); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

func (u *uplink) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := u.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("EHR: %s", resp.Status)
	}
	return nil
}
