package segment_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/wardsec/ward/pkg/segment"
)

// propGen makes random valid policies and flows aimed at the edges the
// issue found fail-open: IPv6 prefixes around the IPv4-mapped block
// (::/0, ::/1, ::/64, ::/80, ::/96), IPv4-mapped flow addresses, protocol
// numbers 0, 1, 6, 17, 58, 255 and any, ports 0, 1, 65535 and ranges,
// rule families, dual-stack zones and local networks.
type propGen struct {
	r     *rand.Rand
	addrs []netip.Addr // flow endpoints: devices, zone members, unknowns, internet
	dns   map[string][]netip.Addr
}

var (
	propProtos     = []segment.Proto{segment.ProtoAny, 1, 6, 17, 58, 255}
	propFlowProtos = []segment.Proto{0, 1, 6, 17, 58, 255}
	propPorts      = []uint16{1, 2, 443, 65534, 65535}
	propMakers     = []string{"", "acme.example", "medco.example"}
	propModels     = []string{"", "https://acme.example/pump.json", "https://medco.example/mon.json"}
	// Prefixes that contain, border or miss the IPv4-mapped block, and
	// IPv4 prefixes from /0 up.
	propV6Prefixes = []string{"::/0", "::/1", "::/64", "::/80", "::/95", "::/96", "fd00::/16", "fd00:1::/64", "2001:db8::/32", "8000::/1"}
	propV4Prefixes = []string{"0.0.0.0/0", "0.0.0.0/1", "10.0.0.0/8", "10.1.0.0/24", "192.0.2.0/24", "128.0.0.0/1"}
)

func (g *propGen) pick(n int) int { return g.r.IntN(n) }

func (g *propGen) portRanges() []segment.PortRange {
	var out []segment.PortRange
	for range g.pick(3) {
		switch g.pick(4) {
		case 0:
			out = append(out, segment.PortRange{Lo: 1, Hi: 65535})
		case 1:
			p := propPorts[g.pick(len(propPorts))]
			out = append(out, segment.PortRange{Lo: p, Hi: p})
		default:
			a, b := propPorts[g.pick(len(propPorts))], propPorts[g.pick(len(propPorts))]
			out = append(out, segment.PortRange{Lo: min(a, b), Hi: max(a, b)})
		}
	}
	return out
}

func (g *propGen) peer(p *segment.Policy) segment.Peer {
	switch g.pick(12) {
	case 0:
		return segment.Peer{Kind: segment.PeerAny}
	case 1, 2:
		list := propV6Prefixes
		if g.pick(2) == 0 {
			list = propV4Prefixes
		}
		return segment.Peer{Kind: segment.PeerCIDR, Prefix: netip.MustParsePrefix(list[g.pick(len(list))])}
	case 3:
		a := g.addrs[g.pick(len(g.addrs))].Unmap()
		return segment.Peer{Kind: segment.PeerCIDR, Prefix: netip.PrefixFrom(a, a.BitLen()-g.pick(9)).Masked()}
	case 4:
		if g.pick(3) == 0 {
			return segment.Peer{Kind: segment.PeerZone, Value: segment.External}
		}
		return segment.Peer{Kind: segment.PeerZone, Value: p.Zones[g.pick(len(p.Zones))].Name}
	case 5:
		if len(p.Devices) == 0 {
			return segment.Peer{Kind: segment.PeerAny}
		}
		return segment.Peer{Kind: segment.PeerDevice, Value: p.Devices[g.pick(len(p.Devices))].Name}
	case 6:
		return segment.Peer{Kind: segment.PeerDNS, Value: []string{"a.example", "b.example", "nx.example"}[g.pick(3)]}
	case 7:
		return segment.Peer{Kind: segment.PeerSameManufacturer}
	case 8:
		if g.pick(2) == 0 {
			return segment.Peer{Kind: segment.PeerManufacturer, Value: propMakers[1+g.pick(2)]}
		}
		return segment.Peer{Kind: segment.PeerModel, Value: propModels[1+g.pick(2)]}
	case 9:
		return segment.Peer{Kind: segment.PeerLocalNetworks}
	case 10:
		return segment.Peer{Kind: segment.PeerController, Value: "urn:ietf:params:mud:ntp"}
	}
	return segment.Peer{Kind: segment.PeerMyController}
}

func (g *propGen) rules(p *segment.Policy, n int) []segment.Rule {
	var rs []segment.Rule
	for i := range n {
		r := segment.Rule{Name: fmt.Sprintf("r%d", i), Direction: segment.Direction(1 + g.pick(2)), Peer: g.peer(p),
			Initiator: segment.Initiator(g.pick(4)), Proto: propProtos[g.pick(len(propProtos))],
			Loc: segment.Location{File: "prop.hcl", Line: 1 + g.pick(999), Column: 3}}
		if r.Proto == segment.ProtoTCP || r.Proto == segment.ProtoUDP {
			r.DstPorts = g.portRanges()
			if g.pick(4) == 0 {
				r.SrcPorts = g.portRanges()
			}
		}
		r.Family = []segment.Family{segment.FamilyAny, segment.FamilyAny, segment.IPv4, segment.IPv6}[g.pick(4)]
		if r.Peer.Kind == segment.PeerCIDR { // a family contradicting the CIDR is refused
			r.Family = []segment.Family{segment.FamilyAny, segment.IPv4}[g.pick(2)]
			if !r.Peer.Prefix.Addr().Is4() {
				r.Family = []segment.Family{segment.FamilyAny, segment.IPv6}[g.pick(2)]
			}
		}
		rs = append(rs, r)
	}
	return rs
}

func (g *propGen) policy() *segment.Policy {
	p := &segment.Policy{}
	for _, n := range []string{"10.0.0.0/8", "fd00::/16", "::/64"} {
		if g.pick(3) > 0 {
			p.LocalNetworks = append(p.LocalNetworks, netip.MustParsePrefix(n))
		}
	}
	nz := 1 + g.pick(4)
	g.addrs = nil
	for z := range nz {
		zone := segment.Zone{Name: fmt.Sprintf("z%d", z), Loc: segment.Location{File: "prop.hcl", Line: 100 + z}}
		if g.pick(5) > 0 {
			if g.pick(4) > 0 {
				zone.CIDRs = append(zone.CIDRs, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(z), 0, 0}), 24))
			}
			if g.pick(2) == 0 {
				zone.CIDRs = append(zone.CIDRs, netip.MustParsePrefix(fmt.Sprintf("fd00:%x::/64", z)))
			}
		}
		p.Zones = append(p.Zones, zone)
	}
	if g.pick(4) == 0 { // a zone of the low IPv6 space that holds the mapped block
		p.Zones = append(p.Zones, segment.Zone{Name: "low6", CIDRs: []netip.Prefix{netip.MustParsePrefix("::/64")}})
		g.addrs = append(g.addrs, netip.MustParseAddr("::7"), netip.MustParseAddr("::1:0:7"))
	}
	for i := range g.pick(3) {
		p.Profiles = append(p.Profiles, segment.Profile{Name: fmt.Sprintf("prof%d", i), Manufacturer: propMakers[g.pick(3)], Model: propModels[g.pick(3)]})
	}
	for i := range g.pick(10) {
		z := g.pick(nz)
		var cands []netip.Addr
		for _, c := range p.Zones[z].CIDRs {
			if c.Addr().Is4() {
				cands = append(cands, netip.AddrFrom4([4]byte{10, byte(z), 0, byte(1 + i)}))
			} else {
				cands = append(cands, netip.MustParseAddr(fmt.Sprintf("fd00:%x::%x", z, 1+i)))
			}
		}
		if len(cands) == 0 { // a zone of devices only: any address outside the zones
			cands = []netip.Addr{netip.AddrFrom4([4]byte{10, 200, byte(z), byte(1 + i)}), netip.MustParseAddr(fmt.Sprintf("fd00:200:%x::%x", z, 1+i))}
		}
		d := segment.Device{Name: fmt.Sprintf("d%d", i), Addr: cands[g.pick(len(cands))], Zone: p.Zones[z].Name,
			Manufacturer: propMakers[g.pick(3)], Model: propModels[g.pick(3)]}
		if len(p.Profiles) > 0 && g.pick(3) == 0 {
			d.Profile = p.Profiles[g.pick(len(p.Profiles))].Name
		}
		p.Devices = append(p.Devices, d)
		g.addrs = append(g.addrs, d.Addr)
	}
	for z := range nz {
		g.addrs = append(g.addrs, netip.AddrFrom4([4]byte{10, byte(z), 0, 200}), netip.MustParseAddr(fmt.Sprintf("fd00:%x::200", z)))
	}
	for _, s := range []string{"10.99.0.1", "fd00:99::1", "192.0.2.7", "93.184.216.34", "0.0.0.1", "255.255.255.255", "2001:db8::1", "::5", "8000::1",
		// Either side of the IPv4-mapped block ::ffff:0:0/96.
		"::fffe:ffff:ffff", "::1:0:0:0", "::1:0:0:5"} {
		g.addrs = append(g.addrs, netip.MustParseAddr(s))
	}
	g.dns = map[string][]netip.Addr{
		"a.example": {g.addrs[g.pick(len(g.addrs))]},
		"b.example": {g.addrs[g.pick(len(g.addrs))], netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("192.0.2.7")},
	}
	for i := range p.Profiles {
		p.Profiles[i].Rules = g.rules(p, g.pick(4))
	}
	for i := range p.Devices {
		if g.pick(4) > 0 {
			p.Devices[i].Rules = g.rules(p, g.pick(6))
		}
	}
	if g.pick(2) == 0 {
		p.Controllers = []segment.Controller{
			{Class: "urn:ietf:params:mud:ntp", Addrs: []netip.Addr{g.addrs[g.pick(len(g.addrs))]}},
			{Class: propModels[1], Addrs: []netip.Addr{g.addrs[g.pick(len(g.addrs))]}},
		}
	}
	zones := []string{segment.External}
	for _, z := range p.Zones {
		zones = append(zones, z.Name)
	}
	for i := range g.pick(6) {
		c := segment.Conduit{Name: fmt.Sprintf("c%d", i), From: zones[g.pick(len(zones))], To: zones[g.pick(len(zones))],
			Monitoring: g.pick(2) == 0, Proto: propProtos[g.pick(len(propProtos))]}
		if c.Proto == segment.ProtoTCP || c.Proto == segment.ProtoUDP {
			c.DstPorts = g.portRanges()
		}
		p.Conduits = append(p.Conduits, c)
	}
	return p
}

// flow draws two endpoints of one family (IPv4 ones sometimes written
// IPv4-mapped) and edge protocols and ports.
func (g *propGen) flow() segment.Flow {
	src := g.addrs[g.pick(len(g.addrs))]
	var same []netip.Addr
	for _, a := range g.addrs {
		if a.Unmap().Is4() == src.Unmap().Is4() {
			same = append(same, a)
		}
	}
	dst := same[g.pick(len(same))]
	mapped := func(a netip.Addr) netip.Addr {
		if a.Is4() && g.pick(4) == 0 {
			return netip.AddrFrom16(a.As16())
		}
		return a
	}
	f := segment.Flow{Src: mapped(src), Dst: mapped(dst), Proto: propFlowProtos[g.pick(len(propFlowProtos))]}
	if f.Proto == segment.ProtoTCP || f.Proto == segment.ProtoUDP {
		ports := append([]uint16{0}, propPorts...)
		f.DstPort = ports[g.pick(len(ports))]
		f.SrcPort = ports[g.pick(len(ports))]
	}
	return f
}

// TestEngineAgreesWithDocs pits the compiled engine against docRef on
// random policies (seeded; a fresh seed each run is logged), with random
// quarantines. Every decision must agree: allow or deny, reason, rule(s),
// location and subject.
func TestEngineAgreesWithDocs(t *testing.T) {
	seeds := []uint64{1, 7, 8520, 2026, uint64(time.Now().UnixNano())}
	t.Logf("seeds %v (add a failing one to the list to replay it)", seeds)
	policies, flows := 400, 250
	if testing.Short() {
		policies = 80
	}
	stats := map[string]int{}
	for _, seed := range seeds {
		g := &propGen{r: rand.New(rand.NewPCG(seed, 0x5e6))}
		for pi := range policies {
			p := g.policy()
			if errs := segment.Errors(segment.Validate(p)); len(errs) > 0 {
				t.Fatalf("seed %d policy %d: the generator made an invalid policy: %v", seed, pi, errs)
			}
			e, err := segment.Compile(context.Background(), p, segment.WithResolver(mapResolverOf(g.dns)))
			if err != nil {
				t.Fatal(err)
			}
			ref := &docRef{p: p, dns: g.dns, qdev: map[string]bool{}, qzone: map[string]bool{}}
			if g.pick(3) == 0 && len(p.Devices) > 0 {
				n := p.Devices[g.pick(len(p.Devices))].Name
				if _, err := e.Quarantine("device", n); err != nil {
					t.Fatal(err)
				}
				ref.qdev[n] = true
			}
			if g.pick(4) == 0 {
				n := p.Zones[g.pick(len(p.Zones))].Name
				if _, err := e.Quarantine("zone", n); err != nil {
					t.Fatal(err)
				}
				ref.qzone[n] = true
			}
			for range flows {
				f := g.flow()
				got := e.Decide(f)
				want, who := ref.decide(f)
				if got.Reason == segment.ReasonQuarantine && want.Reason == segment.ReasonQuarantine && slices.Contains(who, got.Subject) {
					want.Subject = got.Subject // the docs leave the order of quarantined endpoints open
				}
				if got != want {
					t.Fatalf("seed %d policy %d, flow %s:\n engine    %v %+v\n reference %v %+v\n%s", seed, pi, f, got, got, want, want, e.Explain(f))
				}
				stats[got.Reason.String()]++
				if got.Allow {
					stats["allow"]++
				}
				if f.Src.Is4In6() || f.Dst.Is4In6() {
					stats["mapped"]++
				}
				if !f.Src.Unmap().Is4() {
					stats["ipv6"]++
					if got.Allow {
						stats["ipv6-allow"]++
					}
				}
			}
		}
	}
	t.Logf("decisions by kind: %v", stats)
	// Agreement proves little unless every path was taken often.
	for _, k := range []string{"allow", "rule", "conduit", "default", "unknown-device", "quarantine", "mapped", "ipv6", "ipv6-allow"} {
		if stats[k] < 200 {
			t.Errorf("only %d decisions of kind %s", stats[k], k)
		}
	}
}

type mapResolverOf map[string][]netip.Addr

func (m mapResolverOf) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := m[host]; ok {
		return slices.Clone(a), nil
	}
	return nil, fmt.Errorf("lookup %s: no such host", host)
}
