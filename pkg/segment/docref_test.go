package segment_test

import (
	"net/netip"
	"slices"

	"github.com/wardsec/ward/pkg/segment"
)

// docRef is a reference evaluator written from docs/segment-policy.md
// ("Model" and "Decisions"), not from the engine: it reads the Policy as
// written, through the public API only, with netip's own Contains and
// linear searches, so that it is obviously correct rather than fast. The
// property tests pit the engine (and the real nftables ruleset) against it.
type docRef struct {
	p   *segment.Policy
	dns map[string][]netip.Addr
	// Quarantined devices and zones, by name.
	qdev, qzone map[string]bool
}

// norm applies "IPv4-mapped flow addresses are decided as IPv4".
func norm(a netip.Addr) netip.Addr { return a.Unmap() }

func (r *docRef) deviceAt(a netip.Addr) *segment.Device {
	for i := range r.p.Devices {
		if norm(r.p.Devices[i].Addr) == a {
			return &r.p.Devices[i]
		}
	}
	return nil
}

func (r *docRef) deviceNamed(n string) *segment.Device {
	for i := range r.p.Devices {
		if r.p.Devices[i].Name == n {
			return &r.p.Devices[i]
		}
	}
	return nil
}

func (r *docRef) profileOf(d *segment.Device) *segment.Profile {
	for i := range r.p.Profiles {
		if d.Profile != "" && r.p.Profiles[i].Name == d.Profile {
			return &r.p.Profiles[i]
		}
	}
	return nil
}

// inAny is "a lies in one of ps"; netip never matches across families.
func inAny(ps []netip.Prefix, a netip.Addr) bool {
	return slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Contains(a) })
}

// zoneOf: a device's zone; else the zone whose CIDRs hold the address;
// else "external" outside the local networks; else "" (an unknown device).
func (r *docRef) zoneOf(a netip.Addr) string {
	if d := r.deviceAt(a); d != nil {
		return d.Zone
	}
	for _, z := range r.p.Zones {
		if inAny(z.CIDRs, a) {
			return z.Name
		}
	}
	if inAny(r.p.LocalNetworks, a) {
		return ""
	}
	return segment.External
}

// makerModel: a device's manufacturer and model, its profile's where it
// gives none itself.
func (r *docRef) makerModel(d *segment.Device) (string, string) {
	m, mo := d.Manufacturer, d.Model
	if pr := r.profileOf(d); pr != nil {
		if m == "" {
			m = pr.Manufacturer
		}
		if mo == "" {
			mo = pr.Model
		}
	}
	return m, mo
}

func (r *docRef) controllerHas(class string, a netip.Addr) bool {
	for _, c := range r.p.Controllers {
		if c.Class == class && slices.ContainsFunc(c.Addrs, func(x netip.Addr) bool { return norm(x) == a }) {
			return true
		}
	}
	return false
}

// peerHas: is address a a member of the rule's peer, for device self?
func (r *docRef) peerHas(self *segment.Device, peer segment.Peer, a netip.Addr) bool {
	switch peer.Kind {
	case segment.PeerAny:
		return true
	case segment.PeerCIDR:
		return peer.Prefix.Contains(a)
	case segment.PeerZone:
		return r.zoneOf(a) == peer.Value
	case segment.PeerDevice:
		d := r.deviceNamed(peer.Value)
		return d != nil && norm(d.Addr) == a
	case segment.PeerDNS:
		return slices.ContainsFunc(r.dns[peer.Value], func(x netip.Addr) bool { return norm(x) == a })
	case segment.PeerLocalNetworks:
		return inAny(r.p.LocalNetworks, a)
	case segment.PeerController:
		return r.controllerHas(peer.Value, a)
	case segment.PeerMyController:
		_, model := r.makerModel(self)
		return model != "" && r.controllerHas(model, a)
	}
	other := r.deviceAt(a)
	if other == nil {
		return false
	}
	m, mo := r.makerModel(other)
	switch peer.Kind {
	case segment.PeerSameManufacturer:
		mine, _ := r.makerModel(self)
		return mine != "" && m == mine
	case segment.PeerManufacturer:
		return m == peer.Value
	case segment.PeerModel:
		return mo == peer.Value
	}
	return false
}

func portIn(rs []segment.PortRange, p uint16) bool {
	for _, x := range rs {
		if x.Lo <= p && p <= x.Hi {
			return true
		}
	}
	return false
}

func carriesPorts(p segment.Proto) bool { return p == segment.ProtoTCP || p == segment.ProtoUDP }

// protoMatches: "any" (the zero Proto) or the flow's protocol number.
func protoMatches(rule, flow segment.Proto) bool { return rule == segment.ProtoAny || rule == flow }

// ruleAllows: the rule matches the flow seen from device self, in
// direction dir, with peer address a.
func (r *docRef) ruleAllows(self *segment.Device, x segment.Rule, dir segment.Direction, f segment.Flow, a netip.Addr) bool {
	if x.Direction != dir {
		return false
	}
	// "A rule allows a new flow only if its packets travel in the flow's
	// direction": egress rules that only the peer may initiate, ingress
	// rules only the device may, admit replies only.
	if dir == segment.Egress && x.Initiator == segment.InitPeer || dir == segment.Ingress && x.Initiator == segment.InitDevice {
		return false
	}
	switch x.Family {
	case segment.IPv4:
		if !f.Src.Unmap().Is4() {
			return false
		}
	case segment.IPv6:
		if f.Src.Unmap().Is4() {
			return false
		}
	}
	if !protoMatches(x.Proto, f.Proto) {
		return false
	}
	if len(x.DstPorts) > 0 && (!carriesPorts(f.Proto) || !portIn(x.DstPorts, f.DstPort)) {
		return false
	}
	// "A rule with source ports does not match a flow without one."
	if len(x.SrcPorts) > 0 && (!carriesPorts(f.Proto) || f.SrcPort == 0 || !portIn(x.SrcPorts, f.SrcPort)) {
		return false
	}
	return r.peerHas(self, x.Peer, a)
}

func conduitMatches(c *segment.Conduit, f segment.Flow) bool {
	return protoMatches(c.Proto, f.Proto) && (len(c.DstPorts) == 0 || carriesPorts(f.Proto) && portIn(c.DstPorts, f.DstPort))
}

// firstRule: the first of the device's rules (profile rules first, then its
// own, in written order) that allows the flow, with its decision name.
func (r *docRef) firstRule(d *segment.Device, dir segment.Direction, f segment.Flow, peer netip.Addr) (string, segment.Location, bool) {
	if pr := r.profileOf(d); pr != nil {
		for _, x := range pr.Rules {
			if r.ruleAllows(d, x, dir, f, peer) {
				return d.Name + "/" + pr.Name + "/" + x.Name, x.Loc, true
			}
		}
	}
	for _, x := range d.Rules {
		if r.ruleAllows(d, x, dir, f, peer) {
			return d.Name + "/" + x.Name, x.Loc, true
		}
	}
	return "", segment.Location{}, false
}

// policed: "devices with rules or a profile".
func policed(d *segment.Device) bool { return d != nil && (len(d.Rules) > 0 || d.Profile != "") }

// decide follows the five steps of "Decisions". quarantineWho lists every
// quarantined endpoint (the docs do not order them), so the caller can
// accept any one of them as the subject.
func (r *docRef) decide(f segment.Flow) (d segment.Decision, quarantineWho []string) {
	src, dst := norm(f.Src), norm(f.Dst)
	sz, dz := r.zoneOf(src), r.zoneOf(dst)
	// 1. Unknown device.
	if sz == "" {
		return segment.Decision{Reason: segment.ReasonUnknown, Subject: src.String()}, nil
	}
	if dz == "" {
		return segment.Decision{Reason: segment.ReasonUnknown, Subject: dst.String()}, nil
	}
	sd, dd := r.deviceAt(src), r.deviceAt(dst)
	// 2. Quarantine: a monitoring conduit between the zones must match.
	var who []string
	if sd != nil && r.qdev[sd.Name] {
		who = append(who, sd.Name)
	}
	if r.qzone[sz] {
		who = append(who, "zone "+sz)
	}
	if dd != nil && r.qdev[dd.Name] {
		who = append(who, dd.Name)
	}
	if r.qzone[dz] {
		who = append(who, "zone "+dz)
	}
	if len(who) > 0 {
		ok := false
		for i := range r.p.Conduits {
			c := &r.p.Conduits[i]
			if c.Monitoring && c.From == sz && c.To == dz && conduitMatches(c, f) {
				ok = true
			}
		}
		if !ok {
			return segment.Decision{Reason: segment.ReasonQuarantine}, who
		}
	}
	// 3. Policed devices: each end's own rules must allow the flow.
	var out, in string
	var loc segment.Location
	if policed(sd) {
		id, l, ok := r.firstRule(sd, segment.Egress, f, dst)
		if !ok {
			return segment.Decision{Reason: segment.ReasonDefault, Subject: sd.Name}, nil
		}
		out, loc = id, l
	}
	if policed(dd) {
		id, l, ok := r.firstRule(dd, segment.Ingress, f, src)
		if !ok {
			return segment.Decision{Reason: segment.ReasonDefault, Subject: dd.Name}, nil
		}
		in = id
		if out == "" {
			loc = l
		}
	}
	switch {
	case out != "" && in != "":
		return segment.Decision{Allow: true, Reason: segment.ReasonRule, Rule: out, Also: in, Loc: loc}, nil
	case out != "":
		return segment.Decision{Allow: true, Reason: segment.ReasonRule, Rule: out, Loc: loc}, nil
	case in != "":
		return segment.Decision{Allow: true, Reason: segment.ReasonRule, Rule: in, Loc: loc}, nil
	}
	// 4. Conduits, when neither end is policed.
	for i := range r.p.Conduits {
		c := &r.p.Conduits[i]
		if c.From == sz && c.To == dz && conduitMatches(c, f) {
			return segment.Decision{Allow: true, Reason: segment.ReasonConduit, Rule: "conduit/" + c.Name, Loc: c.Loc}, nil
		}
	}
	// 5. Deny by default.
	return segment.Decision{Reason: segment.ReasonDefault}, nil
}
