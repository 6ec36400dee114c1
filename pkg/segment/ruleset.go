package segment

import "net/netip"

// Ranges are address ranges (inclusive), per family, as nftables interval
// sets hold them.
type Ranges struct {
	V4, V6 [][2]netip.Addr
}

func toRanges(s addrSet) Ranges {
	var r Ranges
	for _, iv := range s {
		x := [2]netip.Addr{iv.lo.addr(), iv.hi.addr()}
		if is4(iv) {
			r.V4 = append(r.V4, x)
		} else {
			r.V6 = append(r.V6, x)
		}
	}
	return r
}

// Ruleset is the engine's policy as enforcement backends need it: the
// address sets and the per-device rule lists in evaluation order. The
// nftables text (NFTables) and netlink (pkg/segment/nftnl) backends
// enforce exactly what Decide decides for flows crossing the gateway.
type Ruleset struct {
	// Zones are the zones' sets (CIDRs plus member devices), by zone index;
	// index len(Zones) is External, which backends express as "in neither
	// Known nor Local".
	Zones                             []Ranges
	ZoneNames                         []string
	Local, Known, Quarantine, Policed Ranges
	Devices                           []RulesetDevice // policed devices only
	Conduits                          []RulesetConduit
}

// RulesetDevice is a policed device and its compiled rules.
type RulesetDevice struct {
	Name    string
	Addr    netip.Addr
	Egress  []RulesetRule // flows the device opens: the peer is the destination
	Ingress []RulesetRule // flows opened to it: the peer is the source
}

// RulesetRule is one compiled rule. Exactly one of PeerAny, PeerZone >= 0
// or PeerRanges applies; a rule whose peer has no address in a family
// matches nothing in that family.
type RulesetRule struct {
	ID         string
	Proto      Proto
	DstPorts   []PortRange
	SrcPorts   []PortRange
	PeerAny    bool
	PeerZone   int // -1: none
	PeerRanges Ranges
}

// RulesetConduit is a conduit between zone indexes (len(Zones): External).
type RulesetConduit struct {
	ID         string
	From, To   int
	Proto      Proto
	DstPorts   []PortRange
	Monitoring bool
}

// Ruleset returns the engine's policy, with its current quarantines, for an
// enforcement backend.
func (e *Engine) Ruleset() *Ruleset {
	p := e.policy
	rs := &Ruleset{ZoneNames: append([]string(nil), e.zoneNames...)}
	var known []interval
	for _, z := range p.Zones {
		var ivs []interval
		for _, c := range z.CIDRs {
			ivs = append(ivs, prefixIntervals(c)...)
		}
		for j := range p.Devices {
			if p.Devices[j].Zone == z.Name {
				k := key(p.Devices[j].Addr.Unmap())
				ivs = append(ivs, interval{k, k})
			}
		}
		known = append(known, ivs...)
		rs.Zones = append(rs.Zones, toRanges(mergeIntervals(ivs)))
	}
	rs.Known = toRanges(mergeIntervals(known))
	rs.Local = toRanges(e.local)
	rs.Quarantine.V4, rs.Quarantine.V6 = e.QuarantineRanges()
	var policed []interval
	conv := func(list []crule) []RulesetRule {
		var out []RulesetRule
		for i := range list {
			r := &list[i]
			rr := RulesetRule{ID: e.rules[r.idx].id, Proto: r.proto, DstPorts: r.dports(), SrcPorts: r.sports(), PeerZone: -1}
			switch r.kind {
			case pkAny:
				rr.PeerAny = true
			case pkZone:
				rr.PeerZone = int(r.zone)
			case pkAddr:
				rr.PeerRanges = toRanges(addrSet{{r.addr, r.addr}})
			case pkSet:
				rr.PeerRanges = toRanges(r.x.set)
			}
			out = append(out, rr)
		}
		return out
	}
	for i := range p.Devices {
		if !e.devs[i].policed {
			continue
		}
		a := p.Devices[i].Addr.Unmap()
		k := key(a)
		policed = append(policed, interval{k, k})
		rs.Devices = append(rs.Devices, RulesetDevice{Name: p.Devices[i].Name, Addr: a, Egress: conv(e.egress(int32(i))), Ingress: conv(e.ingress(int32(i)))})
	}
	rs.Policed = toRanges(mergeIntervals(policed))
	for i := range p.Conduits {
		c := &p.Conduits[i]
		rs.Conduits = append(rs.Conduits, RulesetConduit{ID: e.conduits[i].id, From: int(e.zoneIndex[c.From]), To: int(e.zoneIndex[c.To]),
			Proto: c.Proto, DstPorts: mergePorts(c.DstPorts), Monitoring: c.Monitoring})
	}
	return rs
}
