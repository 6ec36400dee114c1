package sim

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/monitor"
	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/nftnl"
)

// The modelled site: the pump sits in the medical-devices zone of a small
// hospital network and enforces its own allowlist (pkg/segment) on its
// ingress and egress, in process, with a traffic guard (spike quarantine,
// pkg/monitor alerts) on its device clock.
var (
	pumpAddr   = netip.MustParseAddr("10.77.10.5")
	namedPeers = map[string]netip.Addr{
		"ehr":                netip.MustParseAddr("10.77.30.20"),
		"monitoring-station": netip.MustParseAddr("10.77.20.10"),
	}
	// zoneHosts is a host in each zone, from which probes come.
	zoneHosts = map[string]netip.Addr{
		"medical-devices": netip.MustParseAddr("10.77.10.99"),
		"clinical":        netip.MustParseAddr("10.77.20.33"),
		"ehr":             netip.MustParseAddr("10.77.30.21"),
		"guest":           netip.MustParseAddr("10.77.40.9"),
		"corporate":       netip.MustParseAddr("10.77.50.9"),
	}
)

const (
	pumpName      = "pump"
	pumpZone      = "medical-devices"
	serviceTelnet = 2323
)

func tcp(port uint16) []segment.PortRange { return []segment.PortRange{{Lo: port, Hi: port}} }

// sitePolicy is the hospital's segmentation policy for the pump, as the
// weaknesses leave it.
func sitePolicy(weak weakSet) *segment.Policy {
	z := func(name, cidr string) segment.Zone {
		return segment.Zone{Name: name, CIDRs: []netip.Prefix{netip.MustParsePrefix(cidr)}}
	}
	med := z(pumpZone, "10.77.10.0/24")
	// A pump opens a few flows a minute; 100 in ten seconds is a worm or a
	// fault. The whole segment is shut, monitoring stays up.
	med.Spike = &segment.SpikePolicy{Window: 10 * time.Second, DeviceLimit: 100, ZoneLimit: 300, Calm: time.Minute, Segment: true}
	egress := []segment.Rule{
		{Name: "ehr-fhir", Direction: segment.Egress, Peer: segment.Peer{Kind: segment.PeerDevice, Value: "ehr-engine"}, Proto: segment.ProtoTCP, DstPorts: tcp(443)},
		{Name: "telemetry", Direction: segment.Egress, Peer: segment.Peer{Kind: segment.PeerDevice, Value: "monitoring-station"}, Proto: segment.ProtoTCP, DstPorts: tcp(8443)},
	}
	ingress := []segment.Rule{
		{Name: "clinician-ui", Direction: segment.Ingress, Peer: segment.Peer{Kind: segment.PeerZone, Value: "clinical"}, Proto: segment.ProtoTCP, DstPorts: tcp(443)},
	}
	if weak["open-egress"] {
		egress = []segment.Rule{{Name: "anything", Direction: segment.Egress, Peer: segment.Peer{Kind: segment.PeerAny}}}
	}
	if weak["flat-network"] {
		ingress = []segment.Rule{{Name: "anyone", Direction: segment.Ingress, Peer: segment.Peer{Kind: segment.PeerAny}}}
	}
	return &segment.Policy{
		LocalNetworks: []netip.Prefix{netip.MustParsePrefix("10.77.0.0/16")},
		Zones:         []segment.Zone{med, z("clinical", "10.77.20.0/24"), z("ehr", "10.77.30.0/24"), z("guest", "10.77.40.0/24"), z("corporate", "10.77.50.0/24")},
		Devices: []segment.Device{
			{Name: pumpName, Addr: pumpAddr, Zone: pumpZone, Type: "infusion-pump", Rules: append(egress, ingress...)},
			{Name: "monitoring-station", Addr: namedPeers["monitoring-station"], Zone: "clinical", Type: "central-monitor"},
			{Name: "ehr-engine", Addr: namedPeers["ehr"], Zone: "ehr", Type: "integration-engine"},
		},
		Conduits: []segment.Conduit{
			{Name: "pump-telemetry", From: pumpZone, To: "clinical", Proto: segment.ProtoTCP, DstPorts: tcp(8443), Monitoring: true},
			{Name: "clinical-to-ehr", From: "clinical", To: "ehr", Proto: segment.ProtoTCP, DstPorts: tcp(443)},
		},
	}
}

// simNet is the pump's network side.
type simNet struct {
	real   *realNet // network-namespace mode; nil in process
	engine *segment.Engine
	guard  *segment.Guard // nil under no-spike-quarantine: nothing watches the traffic
	ports  []device.Port

	mu     sync.Mutex
	events []device.NetworkEvent
	sport  uint16
}

// pumpAuditor sends the guard's records through the pump's own audit path
// (so the audit weaknesses apply to them too).
type netAuditor struct{ p *Pump }

func (a netAuditor) Append(ctx context.Context, e audit.Event) (audit.Record, error) {
	return a.p.appendAudit(ctx, e)
}

func (p *Pump) initNetwork(ctx context.Context, realNetwork bool) error {
	n := &simNet{ports: []device.Port{{Proto: "tcp", Port: 443, Service: "web UI and API (TLS)"}}}
	if p.weak["extra-open-port"] {
		n.ports = append(n.ports, device.Port{Proto: "tcp", Port: serviceTelnet, Service: "service console (telnet-like, no authentication)"})
	}
	var err error
	if n.engine, err = segment.Compile(ctx, sitePolicy(p.weak)); err != nil {
		return fmt.Errorf("sim: site policy: %w", err)
	}
	if realNetwork {
		if n.real, err = newRealNet(ctx, n.engine, n.ports); err != nil {
			return err
		}
	}
	if !p.weak["no-spike-quarantine"] {
		n.guard, err = segment.NewGuard(n.engine, segment.GuardClock(p.now), segment.GuardAudit(netAuditor{p}), segment.GuardLearning(0),
			segment.GuardOnChange(func(_ context.Context, e *segment.Engine) error {
				if n.real != nil {
					return n.real.conn.SyncQuarantine(e)
				}
				return nil
			}),
			segment.GuardNotify(func(a monitor.Alert) {
				peer := a.Device
				if peer == "" {
					peer = a.Zone
				}
				n.record(device.NetworkEvent{Time: a.Time, Kind: string(a.Kind), Peer: peer, Detail: a.Detail, Notified: p.now()})
			}))
		if err != nil {
			return fmt.Errorf("sim: traffic guard: %w", err)
		}
		if n.real != nil {
			n.real.watch = nftnl.NewWatcher(n.real.conn, n.guard)
			if _, err := n.real.watch.Poll(ctx); err != nil {
				return fmt.Errorf("sim: router counters: %w", err)
			}
		}
		// The documented peers are the pump's normal destinations.
		for _, f := range []segment.Flow{
			{Src: pumpAddr, Dst: namedPeers["ehr"], Proto: segment.ProtoTCP, DstPort: 443},
			{Src: pumpAddr, Dst: namedPeers["monitoring-station"], Proto: segment.ProtoTCP, DstPort: 8443},
		} {
			n.guard.Learn(f)
		}
	}
	p.site = n
	return nil
}

func (n *simNet) record(e device.NetworkEvent) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.events = append(n.events, e)
}

// decide runs a flow through the guard (which counts it) or, without one,
// the bare engine.
func (n *simNet) decide(ctx context.Context, f segment.Flow) segment.Decision {
	if n.guard != nil {
		n.guard.Tick(ctx)
		return n.guard.Observe(ctx, f)
	}
	return n.engine.Decide(f)
}

// pollCounters feeds the guard from the router's counters (network-
// namespace mode).
func (n *simNet) pollCounters(ctx context.Context) error {
	if n.real == nil || n.real.watch == nil {
		return nil
	}
	if _, err := n.real.watch.Poll(ctx); err != nil {
		return fmt.Errorf("sim: router counters: %w", err)
	}
	return nil
}

func (n *simNet) nextPort() uint16 {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sport++
	return 40000 + n.sport%20000
}

func (n *simNet) listening(proto string, port int) bool {
	return slices.ContainsFunc(n.ports, func(p device.Port) bool { return p.Proto == proto && p.Port == port })
}

// ProbeFrom implements device.Network.
func (p *Pump) ProbeFrom(ctx context.Context, zone, proto string, port int) (device.ProbeResult, error) {
	src, ok := zoneHosts[zone]
	if !ok {
		return device.ProbeResult{}, fmt.Errorf("%w: no zone %q in the modelled site", device.ErrUnsupported, zone)
	}
	pr, err := segment.ParseProto(proto)
	if err != nil || port < 1 || port > 65535 {
		return device.ProbeResult{}, fmt.Errorf("sim: probe %s/%d: bad protocol or port", proto, port)
	}
	f := segment.Flow{Src: src, Dst: pumpAddr, Proto: pr, SrcPort: p.site.nextPort(), DstPort: uint16(port)}
	if r := p.site.real; r != nil {
		if pr != segment.ProtoTCP {
			return device.ProbeResult{}, fmt.Errorf("%w: network-namespace probes are TCP only", device.ErrUnsupported)
		}
		passed, connected, err := r.dial(zoneNS[zone], src, netip.AddrPortFrom(pumpAddr, uint16(port)))
		switch {
		case connected:
			return device.ProbeResult{Reachable: true, Detail: "open: connected through the router"}, nil
		case passed:
			return device.ProbeResult{Detail: "closed: the pump reset the connection (nothing listening)"}, nil
		}
		return device.ProbeResult{Detail: fmt.Sprintf("filtered: %v", err)}, nil
	}
	d := p.site.decide(ctx, f)
	switch {
	case !d.Allow:
		return device.ProbeResult{Detail: "filtered: " + d.String()}, nil
	case !p.site.listening(proto, port):
		return device.ProbeResult{Detail: "closed: nothing listening (" + d.String() + ")"}, nil
	}
	return device.ProbeResult{Reachable: true, Detail: "open: " + d.String()}, nil
}

// Connect implements device.Network.
func (p *Pump) Connect(ctx context.Context, peer string, port int) error {
	dst, ok := namedPeers[peer]
	if !ok {
		a, err := netip.ParseAddr(peer)
		if err != nil {
			return fmt.Errorf("%w: peer %q is neither a named peer nor an address", device.ErrUnsupported, peer)
		}
		dst = a
	}
	if port < 1 || port > 65535 {
		return fmt.Errorf("sim: connect %s: bad port %d", peer, port)
	}
	f := segment.Flow{Src: pumpAddr, Dst: dst, Proto: segment.ProtoTCP, SrcPort: p.site.nextPort(), DstPort: uint16(port)}
	if r := p.site.real; r != nil {
		if p.site.guard != nil {
			p.site.guard.Notice(ctx, f) // the router's counters do the counting
		}
		if passed, _, err := r.dial("med", pumpAddr, netip.AddrPortFrom(dst, uint16(port))); !passed {
			p.site.record(device.NetworkEvent{Time: p.now(), Kind: "blocked-connection", Peer: dst.String(), Detail: fmt.Sprintf("%s: %v", f, err)})
			_ = p.record(ctx, audit.Event{Actor: "network", Source: pumpAddr.String(), Action: "network.blocked", Object: dst.String(),
				Outcome: audit.Denied, Detail: map[string]string{"flow": f.String(), "error": err.Error()}})
			return fmt.Errorf("%w: %s: %v", device.ErrBlocked, f, err)
		}
		return nil
	}
	if d := p.site.decide(ctx, f); !d.Allow {
		p.site.record(device.NetworkEvent{Time: p.now(), Kind: "blocked-connection", Peer: dst.String(), Detail: fmt.Sprintf("%s: %s", f, d)})
		// The refusal is audited too; a device that cannot record it still
		// refuses (the network log above has it).
		_ = p.record(ctx, audit.Event{Actor: "network", Source: pumpAddr.String(), Action: "network.blocked", Object: dst.String(),
			Outcome: audit.Denied, Detail: map[string]string{"flow": f.String(), "decision": d.String()}})
		return fmt.Errorf("%w: %s: %s", device.ErrBlocked, f, d)
	}
	return nil
}

// ListeningPorts implements device.Network.
func (p *Pump) ListeningPorts(context.Context) ([]device.Port, error) {
	return slices.Clone(p.site.ports), nil
}

// DocumentedPorts implements device.Network: what the manufacturer's MDS2
// form lists.
func (p *Pump) DocumentedPorts(context.Context) ([]device.Port, error) {
	return []device.Port{{Proto: "tcp", Port: 443, Service: "web UI and API (TLS)"}}, nil
}

// InjectTraffic implements device.Network: the pump opens flows
// connections to the EHR at once.
func (p *Pump) InjectTraffic(ctx context.Context, flows int) error {
	if flows < 1 || flows > 1_000_000 {
		return fmt.Errorf("sim: inject %d flows: want 1-1000000", flows)
	}
	if r := p.site.real; r != nil {
		for range flows {
			// Once the segment is shut the rest would only time out.
			if passed, _, _ := r.dial("med", pumpAddr, netip.AddrPortFrom(namedPeers["ehr"], 443)); !passed {
				break
			}
		}
		return p.site.pollCounters(ctx)
	}
	for range flows {
		p.site.decide(ctx, segment.Flow{Src: pumpAddr, Dst: namedPeers["ehr"], Proto: segment.ProtoTCP, SrcPort: p.site.nextPort(), DstPort: 443})
	}
	return nil
}

// NetworkEvents implements device.Network.
func (p *Pump) NetworkEvents(context.Context) ([]device.NetworkEvent, error) {
	p.site.mu.Lock()
	defer p.site.mu.Unlock()
	return slices.Clone(p.site.events), nil
}

// Quarantine implements device.Network. It first lets the guard lift
// quarantines whose calm period has passed on the device clock.
func (p *Pump) Quarantine(ctx context.Context) (device.QuarantineState, error) {
	if err := p.site.pollCounters(ctx); err != nil {
		return device.QuarantineState{}, err
	}
	if p.site.guard != nil {
		p.site.guard.Tick(ctx)
	}
	e := p.site.engine
	return device.QuarantineState{Device: e.Quarantined("device", pumpName), Segment: e.Quarantined("zone", pumpZone)}, nil
}
