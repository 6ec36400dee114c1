package segment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
)

// refEngine is the deliberately simple reference evaluator: it works on the
// Policy as written, with netip.Prefix.Contains and linear searches, and
// shares no code with the compiled engine beyond the model's types.
type refEngine struct {
	p        *Policy
	dns      map[string][]netip.Addr
	quarDev  map[string]bool
	quarZone map[string]bool
}

func (r *refEngine) device(a netip.Addr) *Device {
	for i := range r.p.Devices {
		if r.p.Devices[i].Addr.Unmap() == a.Unmap() {
			return &r.p.Devices[i]
		}
	}
	return nil
}

// zoneOf returns the address's zone, External, or "" for an unknown device.
func (r *refEngine) zoneOf(a netip.Addr) string {
	if d := r.device(a); d != nil {
		return d.Zone
	}
	for _, z := range r.p.Zones {
		for _, c := range z.CIDRs {
			if c.Contains(a.Unmap()) {
				return z.Name
			}
		}
	}
	for _, l := range r.p.LocalNetworks {
		if l.Contains(a.Unmap()) {
			return ""
		}
	}
	return External
}

func (r *refEngine) profile(n string) *Profile {
	for i := range r.p.Profiles {
		if r.p.Profiles[i].Name == n && n != "" {
			return &r.p.Profiles[i]
		}
	}
	return nil
}

func (r *refEngine) attrs(d *Device) (string, string) {
	m, mo := d.Manufacturer, d.Model
	if pr := r.profile(d.Profile); pr != nil {
		if m == "" {
			m = pr.Manufacturer
		}
		if mo == "" {
			mo = pr.Model
		}
	}
	return m, mo
}

func (r *refEngine) peerHas(self *Device, peer Peer, a netip.Addr) bool {
	a = a.Unmap()
	ctl := func(class string) bool {
		for _, c := range r.p.Controllers {
			if c.Class == class && slices.Contains(c.Addrs, a) {
				return true
			}
		}
		return false
	}
	switch peer.Kind {
	case PeerAny:
		return true
	case PeerCIDR:
		return peer.Prefix.Contains(a)
	case PeerZone:
		return r.zoneOf(a) == peer.Value
	case PeerDevice:
		d := r.device(a)
		return d != nil && d.Name == peer.Value
	case PeerDNS:
		return slices.Contains(r.dns[peer.Value], a)
	case PeerLocalNetworks:
		for _, l := range r.p.LocalNetworks {
			if l.Contains(a) {
				return true
			}
		}
		return false
	case PeerController:
		return ctl(peer.Value)
	case PeerMyController:
		_, model := r.attrs(self)
		return model != "" && ctl(model)
	}
	d := r.device(a)
	if d == nil {
		return false
	}
	m, mo := r.attrs(d)
	switch peer.Kind {
	case PeerSameManufacturer:
		sm, _ := r.attrs(self)
		return sm != "" && m == sm // the device itself included
	case PeerManufacturer:
		return m == peer.Value
	case PeerModel:
		return mo == peer.Value
	}
	return false
}

func inPorts(rs []PortRange, p uint16) bool {
	if len(rs) == 0 {
		return true
	}
	for _, r := range rs {
		if r.Lo <= p && p <= r.Hi {
			return true
		}
	}
	return false
}

func isPorted(p Proto) bool { return p == ProtoTCP || p == ProtoUDP }

// rules returns a device's rules in evaluation order with their ids.
func (r *refEngine) rules(d *Device) ([]Rule, []string) {
	var rs []Rule
	var ids []string
	if pr := r.profile(d.Profile); pr != nil {
		for _, x := range pr.Rules {
			rs = append(rs, x)
			ids = append(ids, d.Name+"/"+pr.Name+"/"+x.Name)
		}
	}
	for _, x := range d.Rules {
		rs = append(rs, x)
		ids = append(ids, d.Name+"/"+x.Name)
	}
	return rs, ids
}

func (r *refEngine) ruleAllows(self *Device, x Rule, dir Direction, f Flow, peer netip.Addr) bool {
	if x.Direction != dir {
		return false
	}
	init := x.Initiator
	if init == InitDevice && dir == Ingress || init == InitPeer && dir == Egress {
		return false
	}
	if x.Proto != ProtoAny && x.Proto != f.Proto {
		return false
	}
	if len(x.DstPorts) > 0 && (!isPorted(f.Proto) || !inPorts(x.DstPorts, f.DstPort)) {
		return false
	}
	if len(x.SrcPorts) > 0 && (!isPorted(f.Proto) || f.SrcPort == 0 || !inPorts(x.SrcPorts, f.SrcPort)) {
		return false
	}
	return r.peerHas(self, x.Peer, peer)
}

func (r *refEngine) policed(d *Device) bool {
	return d != nil && (d.Profile != "" || len(d.Rules) > 0)
}

func (r *refEngine) decide(f Flow) Decision {
	sz, dz := r.zoneOf(f.Src), r.zoneOf(f.Dst)
	if sz == "" {
		return Decision{Reason: ReasonUnknown, Subject: f.Src.Unmap().String()}
	}
	if dz == "" {
		return Decision{Reason: ReasonUnknown, Subject: f.Dst.Unmap().String()}
	}
	sd, dd := r.device(f.Src), r.device(f.Dst)
	conduit := func(monitoringOnly bool) *Conduit {
		for i := range r.p.Conduits {
			c := &r.p.Conduits[i]
			if c.From != sz || c.To != dz || (monitoringOnly && !c.Monitoring) {
				continue
			}
			if c.Proto != ProtoAny && c.Proto != f.Proto {
				continue
			}
			if len(c.DstPorts) > 0 && (!isPorted(f.Proto) || !inPorts(c.DstPorts, f.DstPort)) {
				continue
			}
			return c
		}
		return nil
	}
	who := ""
	switch {
	case sd != nil && r.quarDev[sd.Name]:
		who = sd.Name
	case r.quarZone[sz]:
		who = "zone " + sz
	case dd != nil && r.quarDev[dd.Name]:
		who = dd.Name
	case r.quarZone[dz]:
		who = "zone " + dz
	}
	if who != "" && conduit(true) == nil {
		return Decision{Reason: ReasonQuarantine, Subject: who}
	}
	var d1, d2 string
	var loc Location
	if r.policed(sd) {
		rs, ids := r.rules(sd)
		for i, x := range rs {
			if r.ruleAllows(sd, x, Egress, f, f.Dst) {
				d1, loc = ids[i], x.Loc
				break
			}
		}
		if d1 == "" {
			return Decision{Reason: ReasonDefault, Subject: sd.Name}
		}
	}
	if r.policed(dd) {
		rs, ids := r.rules(dd)
		for i, x := range rs {
			if r.ruleAllows(dd, x, Ingress, f, f.Src) {
				d2 = ids[i]
				if d1 == "" {
					loc = x.Loc
				}
				break
			}
		}
		if d2 == "" {
			return Decision{Reason: ReasonDefault, Subject: dd.Name}
		}
	}
	switch {
	case d1 != "" && d2 != "":
		return Decision{Allow: true, Reason: ReasonRule, Rule: d1, Loc: loc, Also: d2}
	case d1 != "":
		return Decision{Allow: true, Reason: ReasonRule, Rule: d1, Loc: loc}
	case d2 != "":
		return Decision{Allow: true, Reason: ReasonRule, Rule: d2, Loc: loc}
	}
	if c := conduit(false); c != nil {
		return Decision{Allow: true, Reason: ReasonConduit, Rule: "conduit/" + c.Name, Loc: c.Loc}
	}
	return Decision{Reason: ReasonDefault}
}

// fakeResolver answers from a map; names not in it fail.
type fakeResolver struct {
	answers map[string][]netip.Addr
	calls   int
}

func (f *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.calls++
	a, ok := f.answers[host]
	if !ok {
		return nil, fmt.Errorf("lookup %s: no such host", host)
	}
	return slices.Clone(a), nil
}

// gen makes random but valid policies and flows over a small address and
// port space, so rules, zones and flows collide often.
type gen struct {
	r     *rand.Rand
	addrs []netip.Addr // interesting addresses for flows
	dns   map[string][]netip.Addr
}

func (g *gen) ports() []PortRange {
	n := g.r.IntN(3)
	var out []PortRange
	for range n {
		lo := uint16(1 + g.r.IntN(10))
		out = append(out, PortRange{lo, lo + uint16(g.r.IntN(3))})
	}
	return out
}

var mfrs = []string{"", "acme.example", "medco.example"}
var models = []string{"", "https://acme.example/pump.json", "https://medco.example/mon.json"}

func (g *gen) peer(p *Policy) Peer {
	switch g.r.IntN(11) {
	case 0:
		return Peer{Kind: PeerAny}
	case 1:
		a := g.addrs[g.r.IntN(len(g.addrs))]
		bits := []int{32, 30, 24, 16, 8}[g.r.IntN(5)]
		if !a.Is4() {
			bits = []int{128, 120, 64, 16}[g.r.IntN(4)]
		}
		return Peer{Kind: PeerCIDR, Prefix: netip.PrefixFrom(a, bits).Masked()}
	case 2:
		if g.r.IntN(4) == 0 {
			return Peer{Kind: PeerZone, Value: External}
		}
		return Peer{Kind: PeerZone, Value: p.Zones[g.r.IntN(len(p.Zones))].Name}
	case 3:
		if len(p.Devices) == 0 {
			return Peer{Kind: PeerAny}
		}
		return Peer{Kind: PeerDevice, Value: p.Devices[g.r.IntN(len(p.Devices))].Name}
	case 4:
		return Peer{Kind: PeerDNS, Value: []string{"ehr.example", "pacs.example", "nx.example"}[g.r.IntN(3)]}
	case 5:
		return Peer{Kind: PeerSameManufacturer}
	case 6:
		return Peer{Kind: PeerManufacturer, Value: mfrs[1+g.r.IntN(2)]}
	case 7:
		return Peer{Kind: PeerModel, Value: models[1+g.r.IntN(2)]}
	case 8:
		return Peer{Kind: PeerLocalNetworks}
	case 9:
		return Peer{Kind: PeerController, Value: "urn:ietf:params:mud:dns"}
	}
	return Peer{Kind: PeerMyController}
}

func (g *gen) rules(p *Policy, n int) []Rule {
	var rs []Rule
	for i := range n {
		r := Rule{Name: fmt.Sprintf("r%d", i), Direction: Direction(1 + g.r.IntN(2)), Peer: g.peer(p), Initiator: Initiator(g.r.IntN(4))}
		r.Proto = []Proto{ProtoAny, ProtoTCP, ProtoUDP, ProtoICMP}[g.r.IntN(4)]
		if isPorted(r.Proto) {
			r.DstPorts = g.ports()
			if g.r.IntN(4) == 0 {
				r.SrcPorts = g.ports()
			}
		}
		r.Loc = Location{File: "gen.hcl", Line: g.r.IntN(1000) + 1, Column: 3}
		rs = append(rs, r)
	}
	return rs
}

func (g *gen) policy() *Policy {
	p := &Policy{}
	if g.r.IntN(3) > 0 {
		p.LocalNetworks = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	}
	nz := 1 + g.r.IntN(4)
	g.addrs = nil
	for z := range nz {
		zone := Zone{Name: fmt.Sprintf("z%d", z), Loc: Location{File: "gen.hcl", Line: z + 1}}
		if g.r.IntN(5) > 0 { // some zones are device sets only
			zone.CIDRs = []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(z), 0, 0}), 24)}
			if g.r.IntN(2) == 0 { // and some are dual-stack
				zone.CIDRs = append(zone.CIDRs, netip.MustParsePrefix(fmt.Sprintf("fd00:%x::/64", z)))
			}
		}
		p.Zones = append(p.Zones, zone)
	}
	np := g.r.IntN(3)
	for i := range np {
		p.Profiles = append(p.Profiles, Profile{Name: fmt.Sprintf("prof%d", i), Manufacturer: mfrs[g.r.IntN(3)], Model: models[g.r.IntN(3)]})
	}
	nd := g.r.IntN(10)
	for i := range nd {
		z := g.r.IntN(nz)
		var a netip.Addr
		switch {
		case len(p.Zones[z].CIDRs) > 1 && g.r.IntN(2) == 0:
			a = netip.MustParseAddr(fmt.Sprintf("fd00:%x::%x", z, 1+i))
		case len(p.Zones[z].CIDRs) > 0:
			a = netip.AddrFrom4([4]byte{10, byte(z), 0, byte(1 + i)})
		default:
			a = netip.AddrFrom4([4]byte{10, 200, byte(z), byte(1 + i)})
		}
		d := Device{Name: fmt.Sprintf("d%d", i), Addr: a, Zone: p.Zones[z].Name, Manufacturer: mfrs[g.r.IntN(3)], Model: models[g.r.IntN(3)]}
		if np > 0 && g.r.IntN(3) == 0 {
			d.Profile = p.Profiles[g.r.IntN(np)].Name
		}
		p.Devices = append(p.Devices, d)
		g.addrs = append(g.addrs, a)
	}
	// Flow addresses: devices, zone members, unknown locals, the internet.
	for z := range nz {
		g.addrs = append(g.addrs, netip.AddrFrom4([4]byte{10, byte(z), 0, 200}))
	}
	g.addrs = append(g.addrs, netip.MustParseAddr("10.99.0.1"), netip.MustParseAddr("192.0.2.7"), netip.MustParseAddr("198.51.100.9"),
		netip.MustParseAddr("fd00:1::99"), netip.MustParseAddr("2001:db8::1"))
	if g.r.IntN(3) == 0 {
		p.LocalNetworks = append(p.LocalNetworks, netip.MustParsePrefix("fd00::/16"))
	}
	g.dns = map[string][]netip.Addr{
		"ehr.example":  {g.addrs[g.r.IntN(len(g.addrs))]},
		"pacs.example": {g.addrs[g.r.IntN(len(g.addrs))], netip.MustParseAddr("192.0.2.7")},
	}
	for i := range p.Profiles {
		p.Profiles[i].Rules = g.rules(p, g.r.IntN(4))
	}
	for i := range p.Devices {
		if g.r.IntN(4) > 0 {
			p.Devices[i].Rules = g.rules(p, g.r.IntN(6))
		}
	}
	if g.r.IntN(2) == 0 {
		p.Controllers = []Controller{{Class: "urn:ietf:params:mud:dns", Addrs: []netip.Addr{g.addrs[g.r.IntN(len(g.addrs))]}}}
		p.Controllers = append(p.Controllers, Controller{Class: models[1], Addrs: []netip.Addr{g.addrs[g.r.IntN(len(g.addrs))]}})
	}
	zoneNames := []string{External}
	for _, z := range p.Zones {
		zoneNames = append(zoneNames, z.Name)
	}
	for i := range g.r.IntN(6) {
		c := Conduit{Name: fmt.Sprintf("c%d", i), From: zoneNames[g.r.IntN(len(zoneNames))], To: zoneNames[g.r.IntN(len(zoneNames))], Monitoring: g.r.IntN(2) == 0}
		c.Proto = []Proto{ProtoAny, ProtoTCP, ProtoUDP}[g.r.IntN(3)]
		if isPorted(c.Proto) {
			c.DstPorts = g.ports()
		}
		p.Conduits = append(p.Conduits, c)
	}
	return p
}

func (g *gen) flow() Flow {
	f := Flow{Src: g.addrs[g.r.IntN(len(g.addrs))], Dst: g.addrs[g.r.IntN(len(g.addrs))]}
	f.Proto = []Proto{ProtoTCP, ProtoUDP, ProtoICMP}[g.r.IntN(3)]
	if isPorted(f.Proto) {
		f.DstPort = uint16(1 + g.r.IntN(12))
		if g.r.IntN(3) > 0 {
			f.SrcPort = uint16(1 + g.r.IntN(12))
		}
	}
	return f
}
