package nftnl

import (
	"fmt"
	"net/netip"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"

	"github.com/wardsec/ward/pkg/segment"
)

type family struct {
	name         string
	nfproto      byte
	saddr, daddr uint32 // offsets in the network header
	alen         uint32
	typ          nftables.SetDatatype
	pick         func(segment.Ranges) [][2]netip.Addr
	is           func(netip.Addr) bool
}

var families = []family{
	{"v4", unix.NFPROTO_IPV4, 12, 16, 4, nftables.TypeIPAddr, func(r segment.Ranges) [][2]netip.Addr { return r.V4 }, netip.Addr.Is4},
	{"v6", unix.NFPROTO_IPV6, 8, 24, 16, nftables.TypeIP6Addr, func(r segment.Ranges) [][2]netip.Addr { return r.V6 }, func(a netip.Addr) bool { return !a.Is4() }},
}

type builder struct {
	c   *nftables.Conn
	t   *nftables.Table
	rs  *segment.Ruleset
	err error
	// named sets: local_v4, known_v4, quarantine_v4, policed_v4, zoneN_v4, ...
	sets map[string]*nftables.Set
	// nextID numbers the sets of this transaction. Assigning IDs here keeps
	// google/nftables from numbering them with its unsynchronised
	// package-level counter (a data race between connections).
	nextID uint32
}

func (b *builder) addSet(name string, typ nftables.SetDatatype, els []nftables.SetElement) *nftables.Set {
	b.nextID++
	s := &nftables.Set{Table: b.t, Name: name, KeyType: typ, Interval: true, ID: b.nextID}
	if b.err == nil {
		if err := b.c.AddSet(s, els); err != nil {
			b.err = fmt.Errorf("nftnl: set %s: %w", name, err)
		}
	}
	b.sets[name] = s
	return s
}

func portElements(rs []segment.PortRange) []nftables.SetElement {
	var out []nftables.SetElement
	for _, r := range rs {
		out = append(out, nftables.SetElement{Key: binaryutil.BigEndian.PutUint16(r.Lo)})
		if r.Hi < 65535 {
			out = append(out, nftables.SetElement{Key: binaryutil.BigEndian.PutUint16(r.Hi + 1), IntervalEnd: true})
		}
	}
	return out
}

func famMatch(f family) []expr.Any {
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{f.nfproto}},
	}
}

func lookup(f family, off uint32, s *nftables.Set, invert bool) []expr.Any {
	return []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: f.alen},
		&expr.Lookup{SourceRegister: 1, SetName: s.Name, SetID: s.ID, Invert: invert},
	}
}

func (b *builder) zoneMatch(f family, off uint32, z int) []expr.Any {
	if z == len(b.rs.Zones) { // External: in neither the zones nor the local networks
		return append(lookup(f, off, b.sets["known_"+f.name], true), lookup(f, off, b.sets["local_"+f.name], true)...)
	}
	return lookup(f, off, b.sets[fmt.Sprintf("zone%d_%s", z, f.name)], false)
}

// l4 matches a protocol and ports; setName prefixes the anonymous port sets.
func (b *builder) l4(proto segment.Proto, dports, sports []segment.PortRange, setName string) []expr.Any {
	if proto == segment.ProtoAny {
		return nil
	}
	out := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(proto)}},
	}
	for _, side := range []struct {
		off uint32
		rs  []segment.PortRange
		tag string
	}{{0, sports, "sp"}, {2, dports, "dp"}} {
		if len(side.rs) == 0 {
			continue
		}
		out = append(out, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: side.off, Len: 2})
		switch r := side.rs[0]; {
		case len(side.rs) == 1 && r.Lo == r.Hi:
			out = append(out, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binaryutil.BigEndian.PutUint16(r.Lo)})
		case len(side.rs) == 1:
			out = append(out, &expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: binaryutil.BigEndian.PutUint16(r.Lo), ToData: binaryutil.BigEndian.PutUint16(r.Hi)})
		default:
			s := b.addSet(setName+"_"+side.tag, nftables.TypeInetService, portElements(side.rs))
			out = append(out, &expr.Lookup{SourceRegister: 1, SetName: s.Name, SetID: s.ID})
		}
	}
	return out
}

func counter() expr.Any { return &expr.Counter{} }

func verdict(k expr.VerdictKind, chain string) expr.Any { return &expr.Verdict{Kind: k, Chain: chain} }

func (b *builder) rule(ch *nftables.Chain, comment string, exprs ...[]expr.Any) {
	var all []expr.Any
	for _, e := range exprs {
		all = append(all, e...)
	}
	r := &nftables.Rule{Table: b.t, Chain: ch, Exprs: all}
	if comment != "" {
		r.UserData = userdata.AppendString(nil, userdata.TypeComment, comment)
	}
	b.c.AddRule(r)
}

func one(e ...expr.Any) []expr.Any { return e }

func ctState(bits uint32) []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: binaryutil.NativeEndian.PutUint32(bits), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
	}
}

// Apply replaces Ward's table with the engine's ruleset (and current
// quarantines) in one netlink transaction: the table is created if missing,
// deleted and defined anew, so the kernel switches atomically, as nft -f
// does with NFTables' script. It enforces the same decisions; policed
// devices are dispatched by one jump rule each instead of a verdict map.
func (c *Conn) Apply(e *segment.Engine) error {
	rs := e.Ruleset()
	t := c.tbl()
	b := &builder{c: c.c, t: t, rs: rs, sets: map[string]*nftables.Set{}}
	c.c.AddTable(t)
	c.c.DelTable(t)
	c.c.AddTable(t)
	for _, f := range families {
		b.addSet("local_"+f.name, f.typ, elements(f.pick(rs.Local)))
		b.addSet("known_"+f.name, f.typ, elements(f.pick(rs.Known)))
		b.addSet("quarantine_"+f.name, f.typ, elements(f.pick(rs.Quarantine)))
		b.addSet("policed_"+f.name, f.typ, elements(f.pick(rs.Policed)))
		for i, z := range rs.Zones {
			b.addSet(fmt.Sprintf("zone%d_%s", i, f.name), f.typ, elements(f.pick(z)))
		}
	}
	conduit := func(ch *nftables.Chain, f family, cd segment.RulesetConduit, v expr.Any, comment, setName string) {
		b.rule(ch, comment, famMatch(f), b.zoneMatch(f, f.saddr, cd.From), b.zoneMatch(f, f.daddr, cd.To),
			b.l4(cd.Proto, cd.DstPorts, nil, setName), one(counter(), v))
	}

	quar := c.c.AddChain(&nftables.Chain{Name: "quarantine", Table: t})
	for i, cd := range rs.Conduits {
		if cd.Monitoring {
			for _, f := range families {
				conduit(quar, f, cd, verdict(expr.VerdictReturn, ""), "monitoring "+cd.ID, fmt.Sprintf("mc%d_%s", i, f.name))
			}
		}
	}
	b.rule(quar, "quarantine", one(counter(), verdict(expr.VerdictDrop, "")))

	for i, d := range rs.Devices {
		f := families[0]
		if !f.is(d.Addr) {
			f = families[1]
		}
		for _, side := range []struct {
			rules   []segment.RulesetRule
			suffix  string
			peerOff uint32
			v       expr.VerdictKind
			what    string
		}{{d.Egress, "out", f.daddr, expr.VerdictReturn, "egress"}, {d.Ingress, "in", f.saddr, expr.VerdictAccept, "ingress"}} {
			ch := c.c.AddChain(&nftables.Chain{Name: fmt.Sprintf("dev%d_%s", i, side.suffix), Table: t})
			for j, r := range side.rules {
				var peer []expr.Any
				switch {
				case r.PeerAny:
				case r.PeerZone >= 0:
					peer = b.zoneMatch(f, side.peerOff, r.PeerZone)
				default:
					ranges := f.pick(r.PeerRanges)
					if len(ranges) == 0 {
						continue // no peer address of this family
					}
					s := b.addSet(fmt.Sprintf("d%d%s%d_peer", i, side.suffix, j), f.typ, elements(ranges))
					peer = lookup(f, side.peerOff, s, false)
				}
				b.rule(ch, r.ID, famMatch(f), peer, b.l4(r.Proto, r.DstPorts, r.SrcPorts, fmt.Sprintf("d%d%s%d", i, side.suffix, j)),
					one(counter(), verdict(side.v, "")))
			}
			b.rule(ch, "default deny: "+d.Name+" "+side.what, one(counter(), verdict(expr.VerdictDrop, "")))
		}
	}

	drop := nftables.ChainPolicyDrop
	fwd := c.c.AddChain(&nftables.Chain{Name: "forward", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &drop})
	b.rule(fwd, "", ctState(expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED), one(verdict(expr.VerdictAccept, "")))
	b.rule(fwd, "", ctState(expr.CtStateBitINVALID), one(verdict(expr.VerdictDrop, "")))
	for _, f := range families {
		for _, off := range []uint32{f.saddr, f.daddr} {
			b.rule(fwd, "unknown device", famMatch(f), lookup(f, off, b.sets["local_"+f.name], false),
				lookup(f, off, b.sets["known_"+f.name], true), one(counter(), verdict(expr.VerdictDrop, "")))
		}
	}
	for _, f := range families {
		for _, off := range []uint32{f.saddr, f.daddr} {
			b.rule(fwd, "", famMatch(f), lookup(f, off, b.sets["quarantine_"+f.name], false), one(verdict(expr.VerdictJump, "quarantine")))
		}
	}
	for _, side := range []struct{ suffix string }{{"out"}, {"in"}} {
		for i, d := range rs.Devices {
			f := families[0]
			if !f.is(d.Addr) {
				f = families[1]
			}
			off := f.saddr
			if side.suffix == "in" {
				off = f.daddr
			}
			b.rule(fwd, "", famMatch(f),
				one(&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: f.alen},
					&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: d.Addr.AsSlice()},
					verdict(expr.VerdictJump, fmt.Sprintf("dev%d_%s", i, side.suffix))))
		}
	}
	for _, f := range families {
		b.rule(fwd, "allowed by the source device's rules", famMatch(f), lookup(f, f.saddr, b.sets["policed_"+f.name], false),
			one(counter(), verdict(expr.VerdictAccept, "")))
	}
	for i, cd := range rs.Conduits {
		for _, f := range families {
			conduit(fwd, f, cd, verdict(expr.VerdictAccept, ""), cd.ID, fmt.Sprintf("c%d_%s", i, f.name))
		}
	}
	b.rule(fwd, "default deny", one(counter(), verdict(expr.VerdictDrop, "")))
	if b.err != nil {
		return b.err
	}
	if err := c.c.Flush(); err != nil {
		return fmt.Errorf("nftnl: apply ruleset: %w", err)
	}
	return nil
}
