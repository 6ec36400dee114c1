package segment

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// External is the name of the implicit zone of every address outside the
// policy's local networks and zones (the internet). Conduits and peers may
// name it.
const External = "external"

// Resolver answers DNS names for dns: peers. *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Option configures Compile.
type Option func(*compileConfig)

type compileConfig struct {
	resolver Resolver
}

// WithResolver resolves dns: peers through r. Without one, dns: peers match
// nothing (fail closed) and Compile warns.
func WithResolver(r Resolver) Option { return func(c *compileConfig) { c.resolver = r } }

// Reason says what decided a flow.
type Reason uint8

const (
	ReasonDefault    Reason = iota + 1 // nothing allowed it (deny by default)
	ReasonRule                         // a device or profile rule allowed it
	ReasonConduit                      // a zone conduit allowed it
	ReasonUnknown                      // an endpoint is an unknown device (denied)
	ReasonQuarantine                   // an endpoint is quarantined (denied)
)

func (r Reason) String() string {
	switch r {
	case ReasonDefault:
		return "default"
	case ReasonRule:
		return "rule"
	case ReasonConduit:
		return "conduit"
	case ReasonUnknown:
		return "unknown-device"
	case ReasonQuarantine:
		return "quarantine"
	}
	return "reason?"
}

// Decision is the verdict on one flow.
type Decision struct {
	Allow  bool
	Reason Reason
	// Rule names the rule or conduit that allowed the flow ("device/rule",
	// "profile/rule" or "conduit/name"); empty for denials by default,
	// unknown device or quarantine. Loc is where it was written.
	Rule string
	Loc  Location
	// Also names the destination device's rule when both ends are policed
	// devices and each had to allow the flow.
	Also string
	// Subject names the device or zone whose policy denied the flow (the
	// unknown address for ReasonUnknown).
	Subject string
}

func (d Decision) String() string {
	verdict := "deny"
	if d.Allow {
		verdict = "allow"
	}
	switch d.Reason {
	case ReasonRule, ReasonConduit:
		s := verdict + " " + d.Rule
		if d.Also != "" {
			s += " + " + d.Also
		}
		if !d.Loc.IsZero() {
			s += " (" + d.Loc.String() + ")"
		}
		return s
	case ReasonDefault:
		if d.Subject != "" {
			return verdict + " default (no rule of " + d.Subject + " allows it)"
		}
		return verdict + " default (no conduit allows it)"
	case ReasonUnknown:
		return verdict + " unknown-device " + d.Subject
	case ReasonQuarantine:
		return verdict + " quarantine " + d.Subject
	}
	return verdict
}

const (
	pkAny uint8 = iota
	pkZone
	pkAddr
	pkSet
	pkNone
)

// crule is a compiled rule, kept small (48 bytes) so a device's rules
// share few cache lines: the common single destination-port range is
// inline, anything rarer hangs off x.
type crule struct {
	idx      int32 // position in Engine.rules: policy order
	zone     int32
	proto    Proto
	kind     uint8
	anyPort  bool // no destination-port restriction
	dlo, dhi uint16
	addr     u128
	x        *cruleExtra
}

type cruleExtra struct {
	set    addrSet
	dports []PortRange // when more than one range
	sports []PortRange
}

type cdev struct {
	policed bool
	zone    int32
	// The device's rules are flat[start:mid] (egress: flows it opens) and
	// flat[mid:end] (ingress: flows peers open to it), one contiguous run
	// so a decision touches few cache lines.
	start, mid, end int32
}

type cconduit struct {
	idx        int32
	proto      Proto
	dports     []PortRange
	monitoring bool
}

type ruleInfo struct {
	id     string
	loc    Location
	device int32
	rule   *Rule
}

type conduitInfo struct {
	id   string
	loc  Location
	spec *Conduit
}

type zoneRange struct {
	iv   interval
	zone int32
}

// quarantine is an immutable snapshot; changes swap in a new one.
type quarantine struct {
	dev  []bool
	zone []bool
	n    int
}

// Engine decides flows against a compiled policy. It is safe for concurrent
// use; Decide does not allocate. Quarantines change atomically.
type Engine struct {
	policy   *Policy
	cfg      compileConfig
	resolved map[string][]netip.Addr // DNS answers the engine was built with
	warnings []Issue

	devByAddr map[u128]int32   // IPv6 devices
	dev4      map[uint32]int32 // IPv4 devices: the fast map path
	devs      []cdev
	flat      []crule // every device's compiled rules, by device
	devNames  []string
	devIndex  map[string]int32
	zoneNames []string // plus External at index len(p.Zones)
	zoneIndex map[string]int32
	zoneTable []zoneRange // sorted
	local     addrSet
	rules     []ruleInfo
	conduits  []conduitInfo
	cond      [][]cconduit // [srcZone*(nz)+dstZone]
	nz        int          // zones including External
	ext       int32

	mu    sync.Mutex // serialises quarantine changes
	quar  atomic.Pointer[quarantine]
	names *quarNames // quarantined names, shared with refreshed engines
}

type quarNames struct {
	mu    sync.Mutex
	dev   map[string]bool
	zones map[string]bool
}

// Compile validates p (refusing it when Validate reports errors: the error
// matches ErrPolicy and lists them) and builds its decision engine. The
// engine keeps p; do not change p afterwards.
func Compile(ctx context.Context, p *Policy, opts ...Option) (*Engine, error) {
	var cfg compileConfig
	for _, o := range opts {
		o(&cfg)
	}
	issues, err := ValidateContext(ctx, p)
	if err != nil {
		return nil, err
	}
	if errs := Errors(issues); len(errs) > 0 {
		return nil, &PolicyError{Issues: errs}
	}
	resolved, warns := resolveDNS(ctx, p, cfg.resolver)
	e, err := build(ctx, p, cfg, resolved)
	if err != nil {
		return nil, err
	}
	e.warnings = append(warnings(issues), warns...)
	e.names = &quarNames{dev: map[string]bool{}, zones: map[string]bool{}}
	return e, nil
}

// Warnings returns what Validate and DNS resolution warned about.
func (e *Engine) Warnings() []Issue { return slices.Clone(e.warnings) }

// Policy returns the policy the engine was compiled from.
func (e *Engine) Policy() *Policy { return e.policy }

func dnsNames(p *Policy) []string {
	var names []string
	add := func(rs []Rule) {
		for _, r := range rs {
			if r.Peer.Kind == PeerDNS {
				names = append(names, r.Peer.Value)
			}
		}
	}
	for _, d := range p.Devices {
		add(d.Rules)
	}
	for _, pr := range p.Profiles {
		add(pr.Rules)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func resolveDNS(ctx context.Context, p *Policy, r Resolver) (map[string][]netip.Addr, []Issue) {
	out := map[string][]netip.Addr{}
	var warns []Issue
	for _, name := range dnsNames(p) {
		if r == nil {
			warns = append(warns, Issue{Severity: Warning, Msg: fmt.Sprintf("dns:%s: no resolver; the peer matches nothing", name)})
			continue
		}
		addrs, err := r.LookupNetIP(ctx, "ip", name)
		if err != nil {
			warns = append(warns, Issue{Severity: Warning, Msg: fmt.Sprintf("dns:%s: %v; the peer matches nothing until it resolves", name, err)})
			continue
		}
		for i := range addrs {
			addrs[i] = addrs[i].Unmap()
		}
		slices.SortFunc(addrs, netip.Addr.Compare)
		out[name] = slices.Compact(addrs)
	}
	return out, warns
}

// Refresh re-resolves the policy's DNS names. When an answer changed it
// returns a new engine built with the new answers (sharing this one's
// quarantines) and true; otherwise this engine and false.
func (e *Engine) Refresh(ctx context.Context) (*Engine, bool, error) {
	resolved, warns := resolveDNS(ctx, e.policy, e.cfg.resolver)
	same := len(resolved) == len(e.resolved)
	for k, v := range resolved {
		if !slices.Equal(v, e.resolved[k]) {
			same = false
		}
	}
	if same {
		return e, false, nil
	}
	n, err := build(ctx, e.policy, e.cfg, resolved)
	if err != nil {
		return nil, false, err
	}
	n.warnings = append(warnings(Validate(e.policy)), warns...)
	n.names = e.names
	n.syncQuarantine()
	return n, true, nil
}

func build(ctx context.Context, p *Policy, cfg compileConfig, resolved map[string][]netip.Addr) (*Engine, error) {
	e := &Engine{policy: p, cfg: cfg, resolved: resolved}
	e.zoneIndex = map[string]int32{}
	for i, z := range p.Zones {
		e.zoneNames = append(e.zoneNames, z.Name)
		e.zoneIndex[z.Name] = int32(i)
		for _, c := range z.CIDRs {
			for _, iv := range prefixIntervals(c) {
				e.zoneTable = append(e.zoneTable, zoneRange{iv, int32(i)})
			}
		}
	}
	e.ext = int32(len(p.Zones))
	e.zoneNames = append(e.zoneNames, External)
	e.zoneIndex[External] = e.ext
	e.nz = len(e.zoneNames)
	slices.SortFunc(e.zoneTable, func(a, b zoneRange) int {
		if a.iv.lo.less(b.iv.lo) {
			return -1
		}
		if b.iv.lo.less(a.iv.lo) {
			return 1
		}
		return 0
	})
	e.local = newAddrSet(p.LocalNetworks)

	profiles := map[string]*Profile{}
	for i := range p.Profiles {
		profiles[p.Profiles[i].Name] = &p.Profiles[i]
	}
	e.devByAddr = map[u128]int32{}
	e.dev4 = make(map[uint32]int32, len(p.Devices))
	e.devIndex = make(map[string]int32, len(p.Devices))
	e.devs = make([]cdev, len(p.Devices))
	for i := range p.Devices {
		d := &p.Devices[i]
		if a := d.Addr.Unmap(); a.Is4() {
			b := a.As4()
			e.dev4[binary.BigEndian.Uint32(b[:])] = int32(i)
		} else {
			e.devByAddr[key(a)] = int32(i)
		}
		e.devIndex[d.Name] = int32(i)
		e.devNames = append(e.devNames, d.Name)
		e.devs[i].zone = e.zoneIndex[d.Zone]
	}
	controllers := map[string][]netip.Addr{}
	for _, c := range p.Controllers {
		controllers[c.Class] = append(controllers[c.Class], c.Addrs...)
	}
	// Memoise peer sets: most rules share a few peers.
	type setKey struct {
		peer Peer
		attr string
	}
	sets := map[setKey]addrSet{}
	for i := range p.Devices {
		if i&1023 == 1023 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		d := &p.Devices[i]
		manufacturer, model := d.Manufacturer, d.Model
		var prof *Profile
		if d.Profile != "" {
			prof = profiles[d.Profile]
			if manufacturer == "" {
				manufacturer = prof.Manufacturer
			}
			if model == "" {
				model = prof.Model
			}
		}
		var egress, ingress []crule
		addRule := func(r *Rule, owner string) {
			idx := int32(len(e.rules))
			e.rules = append(e.rules, ruleInfo{id: owner + "/" + r.Name, loc: r.Loc, device: int32(i), rule: r})
			if !opensFlows(r.Direction, r.Initiator) {
				return // reply-only: conntrack lets replies through
			}
			if !r.Family.has(d.Addr) {
				return // every flow of the device is of the device's family
			}
			cr := crule{idx: idx, proto: r.Proto, anyPort: len(r.DstPorts) == 0}
			var x cruleExtra
			dports := mergePorts(r.DstPorts)
			switch len(dports) {
			case 0:
			case 1:
				cr.dlo, cr.dhi = dports[0].Lo, dports[0].Hi
			default:
				x.dports = dports
			}
			x.sports = mergePorts(r.SrcPorts)
			switch r.Peer.Kind {
			case PeerAny:
				cr.kind = pkAny
			case PeerZone:
				cr.kind = pkZone
				cr.zone = e.zoneIndex[r.Peer.Value]
			case PeerDevice:
				cr.kind = pkAddr
				cr.addr = key(p.Devices[e.devIndex[r.Peer.Value]].Addr.Unmap())
			default:
				// Sets depend on the device only through its maker and model.
				sk := setKey{peer: r.Peer}
				switch r.Peer.Kind {
				case PeerSameManufacturer:
					sk.attr = manufacturer
				case PeerMyController:
					sk.attr = model
				}
				s, ok := sets[sk]
				if !ok {
					s = newAddrSet(peerPrefixes(p, r.Peer, manufacturer, model, controllers, resolved, profiles))
					sets[sk] = s
				}
				switch len(s) {
				case 0:
					cr.kind = pkNone
				case 1:
					if s[0].lo == s[0].hi {
						cr.kind, cr.addr = pkAddr, s[0].lo
						break
					}
					fallthrough
				default:
					cr.kind, x.set = pkSet, s
				}
			}
			if x.set != nil || x.dports != nil || x.sports != nil {
				cr.x = &x
			}
			if r.Direction == Egress {
				egress = append(egress, cr)
			} else {
				ingress = append(ingress, cr)
			}
		}
		if prof != nil {
			e.devs[i].policed = true
			for j := range prof.Rules {
				addRule(&prof.Rules[j], d.Name+"/"+prof.Name)
			}
		}
		if len(d.Rules) > 0 {
			e.devs[i].policed = true
		}
		for j := range d.Rules {
			addRule(&d.Rules[j], d.Name)
		}
		e.devs[i].start = int32(len(e.flat))
		e.flat = append(e.flat, egress...)
		e.devs[i].mid = int32(len(e.flat))
		e.flat = append(e.flat, ingress...)
		e.devs[i].end = int32(len(e.flat))
	}
	e.cond = make([][]cconduit, e.nz*e.nz)
	for i := range p.Conduits {
		c := &p.Conduits[i]
		idx := int32(len(e.conduits))
		e.conduits = append(e.conduits, conduitInfo{id: "conduit/" + c.Name, loc: c.Loc, spec: c})
		f, t := e.zoneIndex[c.From], e.zoneIndex[c.To]
		e.cond[int(f)*e.nz+int(t)] = append(e.cond[int(f)*e.nz+int(t)], cconduit{idx: idx, proto: c.Proto, dports: mergePorts(c.DstPorts), monitoring: c.Monitoring})
	}
	return e, nil
}

// peerPrefixes resolves a peer that is neither any, a zone nor a device to
// the prefixes it stands for, for a device of the given manufacturer and
// model (same-manufacturer includes the device itself: RFC 8520 names
// devices by their MUD URL's authority, and a flow never goes from a device
// to itself through the gateway).
func peerPrefixes(p *Policy, peer Peer, manufacturer, model string, controllers map[string][]netip.Addr, resolved map[string][]netip.Addr, profiles map[string]*Profile) []netip.Prefix {
	var out []netip.Prefix
	host := func(a netip.Addr) { a = a.Unmap(); out = append(out, netip.PrefixFrom(a, a.BitLen())) }
	devAttr := func(d *Device) (string, string) {
		m, mo := d.Manufacturer, d.Model
		if pr := profiles[d.Profile]; pr != nil && d.Profile != "" {
			if m == "" {
				m = pr.Manufacturer
			}
			if mo == "" {
				mo = pr.Model
			}
		}
		return m, mo
	}
	switch peer.Kind {
	case PeerCIDR:
		out = append(out, peer.Prefix)
	case PeerDNS:
		for _, a := range resolved[peer.Value] {
			host(a)
		}
	case PeerLocalNetworks:
		out = append(out, p.LocalNetworks...)
	case PeerController:
		for _, a := range controllers[peer.Value] {
			host(a)
		}
	case PeerMyController:
		if model != "" {
			for _, a := range controllers[model] {
				host(a)
			}
		}
	case PeerSameManufacturer, PeerManufacturer, PeerModel:
		for i := range p.Devices {
			d := &p.Devices[i]
			m, mo := devAttr(d)
			switch {
			case peer.Kind == PeerSameManufacturer && manufacturer != "" && m == manufacturer,
				peer.Kind == PeerManufacturer && m == peer.Value,
				peer.Kind == PeerModel && mo == peer.Value:
				host(d.Addr)
			}
		}
	}
	return out
}

// lookupZone returns the zone of an address that is not a device: the zone
// whose CIDRs hold it, External when it is outside the local networks, or
// -1 (an unknown device).
func (e *Engine) lookupZone(a u128) int32 {
	t := e.zoneTable
	lo, hi := 0, len(t)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t[m].iv.hi.less(a) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(t) && !a.less(t[lo].iv.lo) {
		return t[lo].zone
	}
	if e.local.contains(a) {
		return -1
	}
	return e.ext
}

// mergePorts returns rs sorted with overlapping and adjacent ranges joined
// (nil for none): the same ports, in the form interval sets need (the
// kernel refuses overlapping elements).
func mergePorts(rs []PortRange) []PortRange {
	if len(rs) == 0 {
		return nil
	}
	out := slices.Clone(rs)
	slices.SortFunc(out, func(a, b PortRange) int { return int(a.Lo) - int(b.Lo) })
	n := 0
	for _, r := range out[1:] {
		if last := &out[n]; int(r.Lo) <= int(last.Hi)+1 {
			last.Hi = max(last.Hi, r.Hi)
			continue
		}
		n++
		out[n] = r
	}
	return out[:n+1]
}

func portsMatch(rs []PortRange, p uint16) bool {
	if len(rs) == 0 {
		return true
	}
	for _, r := range rs {
		if p >= r.Lo && p <= r.Hi {
			return true
		}
	}
	return false
}

func (r *crule) match(f *Flow, peer u128, peerZone int32) bool {
	if r.proto != ProtoAny && r.proto != f.Proto {
		return false
	}
	if !r.anyPort && r.x == nil || !r.anyPort && r.x.dports == nil {
		if !f.Proto.hasPorts() || f.DstPort < r.dlo || f.DstPort > r.dhi {
			return false
		}
	}
	if x := r.x; x != nil {
		if len(x.dports) > 0 && (!f.Proto.hasPorts() || !portsMatch(x.dports, f.DstPort)) {
			return false
		}
		if len(x.sports) > 0 && (!f.Proto.hasPorts() || f.SrcPort == 0 || !portsMatch(x.sports, f.SrcPort)) {
			return false
		}
	}
	switch r.kind {
	case pkAny:
		return true
	case pkZone:
		return r.zone == peerZone
	case pkAddr:
		return r.addr == peer
	case pkSet:
		return r.x.set.contains(peer)
	}
	return false
}

// dports returns the rule's destination-port ranges (nil: any).
func (r *crule) dports() []PortRange {
	switch {
	case r.anyPort:
		return nil
	case r.x != nil && r.x.dports != nil:
		return r.x.dports
	}
	return []PortRange{{r.dlo, r.dhi}}
}

func (r *crule) sports() []PortRange {
	if r.x == nil {
		return nil
	}
	return r.x.sports
}

func (e *Engine) egress(d int32) []crule {
	c := &e.devs[d]
	return e.flat[c.start:c.mid:c.mid]
}

func (e *Engine) ingress(d int32) []crule {
	c := &e.devs[d]
	return e.flat[c.mid:c.end:c.end]
}

func firstMatch(rs []crule, f *Flow, peer u128, peerZone int32) int32 {
	for i := range rs {
		if rs[i].match(f, peer, peerZone) {
			return rs[i].idx
		}
	}
	return -1
}

func (c *cconduit) match(f *Flow) bool {
	if c.proto != ProtoAny && c.proto != f.Proto {
		return false
	}
	return len(c.dports) == 0 || (f.Proto.hasPorts() && portsMatch(c.dports, f.DstPort))
}

// endpoint is what the engine knows about one address of a flow.
type endpoint struct {
	addr u128
	dev  int32
	zone int32
}

func (e *Engine) endpoint(a netip.Addr) endpoint {
	a = a.Unmap()
	var k u128
	if a.Is4() {
		b := a.As4()
		v := binary.BigEndian.Uint32(b[:])
		k = u128{0, 0xffff<<32 | uint64(v)} // as key() maps it
		if d, ok := e.dev4[v]; ok {
			return endpoint{k, d, e.devs[d].zone}
		}
	} else {
		k = key(a)
		if d, ok := e.devByAddr[k]; ok {
			return endpoint{k, d, e.devs[d].zone}
		}
	}
	return endpoint{k, -1, e.lookupZone(k)}
}

// Decide returns the verdict on f. The order of checks: an unknown device
// at either end is denied; a quarantined device or zone at either end
// allows only flows a monitoring conduit allows (and that are otherwise
// allowed); a policed device (one with rules or a profile) at either end
// must allow the flow by its own rules (both ends when both are policed);
// a flow between unpoliced endpoints needs a conduit between their zones.
// Everything else is denied by default.
func (e *Engine) Decide(f Flow) Decision {
	src, dst := e.endpoint(f.Src), e.endpoint(f.Dst)
	if src.dev < 0 && src.zone < 0 {
		return Decision{Reason: ReasonUnknown, Subject: f.Src.Unmap().String()}
	}
	if dst.dev < 0 && dst.zone < 0 {
		return Decision{Reason: ReasonUnknown, Subject: f.Dst.Unmap().String()}
	}
	if q := e.quar.Load(); q != nil {
		if who := e.quarantined(q, src, dst); who != "" && !e.monitoring(&f, src.zone, dst.zone) {
			return Decision{Reason: ReasonQuarantine, Subject: who}
		}
	}
	var r1, r2 int32 = -1, -1
	if src.dev >= 0 && e.devs[src.dev].policed {
		if r1 = firstMatch(e.egress(src.dev), &f, dst.addr, dst.zone); r1 < 0 {
			return Decision{Reason: ReasonDefault, Subject: e.devNames[src.dev]}
		}
	}
	if dst.dev >= 0 && e.devs[dst.dev].policed {
		if r2 = firstMatch(e.ingress(dst.dev), &f, src.addr, src.zone); r2 < 0 {
			return Decision{Reason: ReasonDefault, Subject: e.devNames[dst.dev]}
		}
	}
	switch {
	case r1 >= 0 && r2 >= 0:
		ri := &e.rules[r1]
		return Decision{Allow: true, Reason: ReasonRule, Rule: ri.id, Loc: ri.loc, Also: e.rules[r2].id}
	case r1 >= 0 || r2 >= 0:
		ri := &e.rules[max(r1, r2)]
		return Decision{Allow: true, Reason: ReasonRule, Rule: ri.id, Loc: ri.loc}
	}
	for _, c := range e.cond[int(src.zone)*e.nz+int(dst.zone)] {
		if c.match(&f) {
			ci := &e.conduits[c.idx]
			return Decision{Allow: true, Reason: ReasonConduit, Rule: ci.id, Loc: ci.loc}
		}
	}
	return Decision{Reason: ReasonDefault}
}

func (e *Engine) monitoring(f *Flow, sz, dz int32) bool {
	for _, c := range e.cond[int(sz)*e.nz+int(dz)] {
		if c.monitoring && c.match(f) {
			return true
		}
	}
	return false
}

func (e *Engine) quarantined(q *quarantine, eps ...endpoint) string {
	for _, ep := range eps {
		if ep.dev >= 0 && q.dev[ep.dev] {
			return e.devNames[ep.dev]
		}
		if ep.zone >= 0 && q.zone[ep.zone] {
			return "zone " + e.zoneNames[ep.zone]
		}
	}
	return ""
}

// Explain describes, for a person, how Decide reaches its verdict on f.
func (e *Engine) Explain(f Flow) string {
	var b strings.Builder
	src, dst := e.endpoint(f.Src), e.endpoint(f.Dst)
	fmt.Fprintf(&b, "flow %s\n", f)
	describe := func(role string, ep endpoint, a netip.Addr) {
		switch {
		case ep.dev >= 0:
			d := &e.policy.Devices[ep.dev]
			pol := "unpoliced: zone conduits apply"
			if e.devs[ep.dev].policed {
				pol = fmt.Sprintf("policed: %d egress and %d ingress rules open flows", len(e.egress(ep.dev)), len(e.ingress(ep.dev)))
			}
			fmt.Fprintf(&b, "  %s %s is device %q in zone %q (%s)\n", role, a, d.Name, d.Zone, pol)
		case ep.zone >= 0:
			fmt.Fprintf(&b, "  %s %s is in zone %q\n", role, a, e.zoneNames[ep.zone])
		default:
			fmt.Fprintf(&b, "  %s %s is an unknown device: in the local networks but in no zone or inventory\n", role, a)
		}
	}
	describe("source", src, f.Src)
	describe("destination", dst, f.Dst)
	if q := e.quar.Load(); q != nil && src.zone >= 0 && dst.zone >= 0 {
		if who := e.quarantined(q, src, dst); who != "" {
			fmt.Fprintf(&b, "  %s is quarantined: only monitoring conduits stay open (monitoring conduit matches: %t)\n", who, e.monitoring(&f, src.zone, dst.zone))
		}
	}
	listRules := func(who string, dir string, rs []crule, peer endpoint) {
		fmt.Fprintf(&b, "  %s %s rules, first match decides:\n", who, dir)
		if len(rs) == 0 {
			b.WriteString("    (none)\n")
		}
		for i := range rs {
			r := &rs[i]
			ri := &e.rules[r.idx]
			if why := e.whyNot(r, &f, peer); why != "" {
				fmt.Fprintf(&b, "    no   %s (%s): %s\n", ri.id, ri.loc, why)
			} else {
				fmt.Fprintf(&b, "    yes  %s (%s)\n", ri.id, ri.loc)
				break
			}
		}
	}
	if src.dev >= 0 && e.devs[src.dev].policed {
		listRules(e.devNames[src.dev], "egress", e.egress(src.dev), dst)
	}
	if dst.dev >= 0 && e.devs[dst.dev].policed {
		listRules(e.devNames[dst.dev], "ingress", e.ingress(dst.dev), src)
	}
	if src.zone >= 0 && dst.zone >= 0 {
		cs := e.cond[int(src.zone)*e.nz+int(dst.zone)]
		fmt.Fprintf(&b, "  conduits from %q to %q: %d\n", e.zoneNames[src.zone], e.zoneNames[dst.zone], len(cs))
	}
	d := e.Decide(f)
	fmt.Fprintf(&b, "  decision: %s\n", d)
	return b.String()
}

// whyNot says why a compiled rule does not match a flow ("" if it does).
func (e *Engine) whyNot(r *crule, f *Flow, peer endpoint) string {
	if r.match(f, peer.addr, peer.zone) {
		return ""
	}
	if r.proto != ProtoAny && r.proto != f.Proto {
		return "wants protocol " + r.proto.String()
	}
	probe := *r
	probe.kind = pkAny
	if !probe.match(f, peer.addr, peer.zone) {
		return "wants " + portsString(r.dports())
	}
	return "peer is not " + e.rules[r.idx].rule.Peer.String()
}

// Quarantine puts a device (kind "device") or a whole zone (kind "zone")
// into quarantine: its flows are denied unless a monitoring conduit allows
// them. It reports whether the state changed.
func (e *Engine) Quarantine(kind, name string) (bool, error) {
	return e.setQuarantine(kind, name, true)
}

// Release lifts a quarantine set by Quarantine.
func (e *Engine) Release(kind, name string) (bool, error) { return e.setQuarantine(kind, name, false) }

// Quarantined reports whether a device or zone is quarantined.
func (e *Engine) Quarantined(kind, name string) bool {
	e.names.mu.Lock()
	defer e.names.mu.Unlock()
	if kind == "zone" {
		return e.names.zones[name]
	}
	return e.names.dev[name]
}

// QuarantinedNames lists quarantined devices and zones.
func (e *Engine) QuarantinedNames() (devices, zones []string) {
	e.names.mu.Lock()
	defer e.names.mu.Unlock()
	for n := range e.names.dev {
		devices = append(devices, n)
	}
	for n := range e.names.zones {
		zones = append(zones, n)
	}
	slices.Sort(devices)
	slices.Sort(zones)
	return devices, zones
}

func (e *Engine) setQuarantine(kind, name string, on bool) (bool, error) {
	e.names.mu.Lock()
	var m map[string]bool
	switch kind {
	case "device":
		if _, ok := e.devIndex[name]; !ok {
			e.names.mu.Unlock()
			return false, fmt.Errorf("%w: no device %q", ErrInvalid, name)
		}
		m = e.names.dev
	case "zone":
		if z, ok := e.zoneIndex[name]; !ok || z == e.ext {
			e.names.mu.Unlock()
			return false, fmt.Errorf("%w: no zone %q", ErrInvalid, name)
		}
		m = e.names.zones
	default:
		e.names.mu.Unlock()
		return false, fmt.Errorf("%w: quarantine kind %q: want device or zone", ErrInvalid, kind)
	}
	changed := m[name] != on
	if on {
		m[name] = true
	} else {
		delete(m, name)
	}
	e.names.mu.Unlock()
	e.syncQuarantine()
	return changed, nil
}

func (e *Engine) syncQuarantine() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.names.mu.Lock()
	defer e.names.mu.Unlock()
	if len(e.names.dev)+len(e.names.zones) == 0 {
		e.quar.Store(nil)
		return
	}
	q := &quarantine{dev: make([]bool, len(e.devs)), zone: make([]bool, e.nz)}
	for n := range e.names.dev {
		if i, ok := e.devIndex[n]; ok {
			q.dev[i] = true
			q.n++
		}
	}
	for n := range e.names.zones {
		if i, ok := e.zoneIndex[n]; ok {
			q.zone[i] = true
			q.n++
		}
	}
	e.quar.Store(q)
}

// QuarantineRanges returns the address ranges currently quarantined (the
// devices' addresses and the quarantined zones' CIDRs and members), per
// family, as nftables enforcement needs them.
func (e *Engine) QuarantineRanges() (v4, v6 [][2]netip.Addr) {
	q := e.quar.Load()
	if q == nil {
		return nil, nil
	}
	p := e.policy
	var ivs []interval
	for i, on := range q.dev {
		if on {
			k := key(p.Devices[i].Addr.Unmap())
			ivs = append(ivs, interval{k, k})
		}
	}
	for z, on := range q.zone {
		if !on || z >= len(p.Zones) {
			continue
		}
		for _, c := range p.Zones[z].CIDRs {
			ivs = append(ivs, prefixIntervals(c)...)
		}
		for i := range p.Devices {
			if p.Devices[i].Zone == p.Zones[z].Name {
				k := key(p.Devices[i].Addr.Unmap())
				ivs = append(ivs, interval{k, k})
			}
		}
	}
	for _, iv := range mergeIntervals(ivs) {
		r := [2]netip.Addr{iv.lo.addr(), iv.hi.addr()}
		if is4(iv) {
			v4 = append(v4, r)
		} else {
			v6 = append(v6, r)
		}
	}
	return v4, v6
}
