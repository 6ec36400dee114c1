package segment

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
)

// Severity of an Issue.
type Severity uint8

const (
	Error   Severity = iota + 1 // the policy is refused
	Warning                     // the policy compiles; the author should look
)

func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// Issue is a problem Validate found, with where it was written and, for
// overlaps and contradictions, where the other element was.
type Issue struct {
	Severity Severity
	Loc      Location
	Msg      string
	Related  Location
}

func (i Issue) String() string {
	var b strings.Builder
	if !i.Loc.IsZero() {
		b.WriteString(i.Loc.String())
		b.WriteString(": ")
	}
	b.WriteString(i.Severity.String())
	b.WriteString(": ")
	b.WriteString(i.Msg)
	if !i.Related.IsZero() {
		b.WriteString(" (see ")
		b.WriteString(i.Related.String())
		b.WriteString(")")
	}
	return b.String()
}

// PolicyError is Compile's refusal: the policy's errors. It matches ErrPolicy.
type PolicyError struct{ Issues []Issue }

func (e *PolicyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "segment: policy has %d error(s)", len(e.Issues))
	for _, i := range e.Issues {
		b.WriteString("\n  ")
		b.WriteString(i.String())
	}
	return b.String()
}

func (e *PolicyError) Unwrap() error { return ErrPolicy }

// Errors returns the issues of severity Error.
func Errors(is []Issue) []Issue {
	var out []Issue
	for _, i := range is {
		if i.Severity == Error {
			out = append(out, i)
		}
	}
	return out
}

func warnings(is []Issue) []Issue {
	var out []Issue
	for _, i := range is {
		if i.Severity == Warning {
			out = append(out, i)
		}
	}
	return out
}

type validator struct {
	ctx    context.Context
	p      *Policy
	issues []Issue
	n      int
	err    error // ctx's error once it ended
}

// stop reports whether ctx has ended; it looks only every 1024 calls, so
// loops can call it per element.
func (v *validator) stop() bool {
	if v.n++; v.n&1023 == 0 && v.err == nil {
		v.err = v.ctx.Err()
	}
	return v.err != nil
}

func (v *validator) errorf(loc Location, format string, args ...any) {
	v.issues = append(v.issues, Issue{Severity: Error, Loc: loc, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) warnf(loc Location, format string, args ...any) {
	v.issues = append(v.issues, Issue{Severity: Warning, Loc: loc, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) related(sev Severity, loc, rel Location, format string, args ...any) {
	v.issues = append(v.issues, Issue{Severity: sev, Loc: loc, Related: rel, Msg: fmt.Sprintf(format, args...)})
}

func validPrefix(p netip.Prefix) bool { return p.IsValid() && p.Masked() == p }

// Validate checks a policy and returns every problem it finds, errors and
// warnings, in the order the elements were written. It never guesses:
// contradictions (a device whose address lies in another zone, zones that
// overlap, two devices on one address) are errors; rules that overlap
// another rule of the same device, allow only replies, or name a peer with
// no members are warnings.
func Validate(p *Policy) []Issue {
	issues, _ := ValidateContext(context.Background(), p)
	return issues
}

// ValidateContext is Validate that stops early, with ctx's error, when ctx
// ends (a policy of 100,000 devices takes a while).
func ValidateContext(ctx context.Context, p *Policy) ([]Issue, error) {
	v := &validator{ctx: ctx, p: p}
	v.validate()
	if v.err == nil {
		v.err = ctx.Err()
	}
	if v.err != nil {
		return nil, v.err
	}
	return v.issues, nil
}

func (v *validator) validate() {
	p := v.p
	for _, n := range p.LocalNetworks {
		switch {
		case !validPrefix(n):
			v.errorf(Location{}, "local network %s: invalid CIDR or host bits set", n)
		case isMapped(n):
			v.errorf(Location{}, "local network %s: an IPv4-mapped IPv6 CIDR; write the IPv4 CIDR %s", n, unmapPrefix(n))
		}
	}
	zones := map[string]*Zone{}
	var ranges []zoneIv
	for i := range p.Zones {
		if v.stop() {
			return
		}
		z := &p.Zones[i]
		switch {
		case z.Name == "":
			v.errorf(z.Loc, "zone without a name")
		case z.Name == External:
			v.errorf(z.Loc, "zone %q: the name is reserved for addresses outside the local networks", z.Name)
		case zones[z.Name] != nil:
			v.related(Error, z.Loc, zones[z.Name].Loc, "zone %q defined twice", z.Name)
		}
		zones[z.Name] = z
		for _, c := range z.CIDRs {
			if v.stop() {
				return
			}
			switch {
			case !validPrefix(c):
				v.errorf(z.Loc, "zone %q: CIDR %s is invalid or has host bits set", z.Name, c)
				continue
			case isMapped(c):
				v.errorf(z.Loc, "zone %q: CIDR %s is IPv4-mapped IPv6; write the IPv4 CIDR %s", z.Name, c, unmapPrefix(c))
				continue
			}
			for _, iv := range prefixIntervals(c) {
				ranges = append(ranges, zoneIv{iv, z, c})
			}
		}
		if s := z.Spike; s != nil {
			if s.Window <= 0 {
				v.errorf(s.Loc, "zone %q spike: window must be positive", z.Name)
			}
			if s.DeviceLimit == 0 && s.ZoneLimit == 0 && !s.Learn {
				v.errorf(s.Loc, "zone %q spike: set device_limit, zone_limit or learn", z.Name)
			}
			if s.Learn && s.Factor <= 1 {
				v.errorf(s.Loc, "zone %q spike: factor must be above 1 when learning a baseline", z.Name)
			}
		}
	}
	zt := newZoneTable(ranges, func(a, b *zoneIv) {
		v.related(Error, a.zone.Loc, b.zone.Loc, "zone %q CIDR %s overlaps zone %q CIDR %s: an address would be in two zones", a.zone.Name, a.cidr, b.zone.Name, b.cidr)
	})
	zoneExists := func(n string) bool { return zones[n] != nil || n == External }
	profiles := map[string]*Profile{}
	for i := range p.Profiles {
		pr := &p.Profiles[i]
		if pr.Name == "" {
			v.errorf(pr.Loc, "profile without a name")
		} else if profiles[pr.Name] != nil {
			v.related(Error, pr.Loc, profiles[pr.Name].Loc, "profile %q defined twice", pr.Name)
		}
		profiles[pr.Name] = pr
	}
	devs := map[string]*Device{}
	addrs := map[netip.Addr]*Device{}
	for i := range p.Devices {
		if v.stop() {
			return
		}
		d := &p.Devices[i]
		if d.Name == "" {
			v.errorf(d.Loc, "device without a name")
		} else if devs[d.Name] != nil {
			v.related(Error, d.Loc, devs[d.Name].Loc, "device %q defined twice", d.Name)
		}
		devs[d.Name] = d
		if !d.Addr.IsValid() || d.Addr.Zone() != "" {
			v.errorf(d.Loc, "device %q: invalid address", d.Name)
			continue
		}
		a := d.Addr.Unmap()
		if o := addrs[a]; o != nil {
			v.related(Error, d.Loc, o.Loc, "device %q has address %s, as does device %q", d.Name, a, o.Name)
		}
		addrs[a] = d
		if d.Zone == "" {
			v.errorf(d.Loc, "device %q: no zone", d.Name)
		} else if zones[d.Zone] == nil {
			v.errorf(d.ZoneLoc.Or(d.Loc), "device %q: unknown zone %q", d.Name, d.Zone)
		} else {
			own := false
			if o := zt.find(key(a)); o != nil {
				if o.zone.Name == d.Zone {
					own = true
				} else {
					v.related(Error, d.Loc, o.zone.Loc, "device %q is in zone %q but its address %s is inside zone %q (%s)", d.Name, d.Zone, a, o.zone.Name, o.cidr)
				}
			}
			if z := zones[d.Zone]; !own && len(z.CIDRs) > 0 {
				v.related(Error, d.Loc, z.Loc, "device %q address %s is outside its zone %q", d.Name, a, d.Zone)
			}
		}
		if d.Profile != "" && profiles[d.Profile] == nil {
			v.errorf(d.ProfileLoc.Or(d.Loc), "device %q: unknown profile %q", d.Name, d.Profile)
		}
	}
	controllers := map[string]bool{}
	for _, c := range p.Controllers {
		controllers[c.Class] = true
		for _, a := range c.Addrs {
			if !a.IsValid() {
				v.errorf(c.Loc, "controller %q: invalid address", c.Class)
			}
		}
	}
	checkRules := func(owner string, rs []Rule) {
		names := map[string]*Rule{}
		for i := range rs {
			r := &rs[i]
			what := fmt.Sprintf("%s rule %q", owner, r.Name)
			if r.Name == "" {
				v.errorf(r.Loc, "%s: rule without a name", owner)
			} else if o := names[r.Name]; o != nil {
				v.related(Error, r.Loc, o.Loc, "%s defined twice", what)
			}
			names[r.Name] = r
			if r.Direction != Egress && r.Direction != Ingress {
				v.errorf(r.Loc, "%s: direction must be egress or ingress", what)
			}
			switch r.Peer.Kind {
			case PeerCIDR:
				switch pf := r.Peer.Prefix; {
				case !validPrefix(pf):
					v.errorf(r.Loc, "%s: peer CIDR %s is invalid or has host bits set", what, pf)
				case isMapped(pf):
					v.errorf(r.Loc, "%s: peer CIDR %s is IPv4-mapped IPv6; write the IPv4 CIDR %s", what, pf, unmapPrefix(pf))
				case !r.Family.has(pf.Addr()):
					v.errorf(r.Loc, "%s: family %s but the peer CIDR %s is not: the rule would match nothing", what, r.Family, pf)
				}
			case PeerZone:
				if !zoneExists(r.Peer.Value) {
					v.errorf(r.PeerLoc.Or(r.Loc), "%s: unknown zone %q", what, r.Peer.Value)
				}
			case PeerDevice:
				if devs[r.Peer.Value] == nil && !deviceNamed(p, r.Peer.Value) {
					v.errorf(r.PeerLoc.Or(r.Loc), "%s: unknown device %q", what, r.Peer.Value)
				}
			case PeerController:
				if !controllers[r.Peer.Value] {
					v.warnf(r.Loc, "%s: no controller %q is declared; the peer matches nothing", what, r.Peer.Value)
				}
			case PeerDNS:
				if r.Peer.Value == "" || strings.ContainsAny(r.Peer.Value, " /:") {
					v.errorf(r.Loc, "%s: invalid DNS name %q", what, r.Peer.Value)
				}
			case PeerAny, PeerSameManufacturer, PeerManufacturer, PeerModel, PeerLocalNetworks, PeerMyController:
			default:
				v.errorf(r.Loc, "%s: no peer", what)
			}
			if r.Family != FamilyAny && r.Family != IPv4 && r.Family != IPv6 {
				v.errorf(r.Loc, "%s: invalid family %d", what, r.Family)
			}
			checkPorts(v, r.Loc, what, r.Proto, r.DstPorts, "ports")
			checkPorts(v, r.Loc, what, r.Proto, r.SrcPorts, "source ports")
			if r.Initiator > InitEither {
				v.errorf(r.Loc, "%s: invalid initiator", what)
			} else if r.Direction != 0 && !opensFlows(r.Direction, r.Initiator) {
				v.warnf(r.Loc, "%s: %s packets on connections the %s opens are replies, which the firewall passes anyway; the rule allows no new flow", what, r.Direction, oppositeInitiator(r.Direction))
			}
		}
	}
	for i := range p.Profiles {
		checkRules("profile "+p.Profiles[i].Name, p.Profiles[i].Rules)
		v.overlaps("profile "+p.Profiles[i].Name, p.Profiles[i].Loc, nil, p.Profiles[i].Rules)
	}
	for i := range p.Devices {
		if v.stop() {
			return
		}
		d := &p.Devices[i]
		checkRules("device "+d.Name, d.Rules)
		for j := range d.Rules {
			if r := &d.Rules[j]; d.Addr.IsValid() && !r.Family.has(d.Addr) {
				v.warnf(r.Loc, "device %s rule %q is for %s but the device's address %s is not: the rule never matches", d.Name, r.Name, r.Family, d.Addr)
			}
		}
		var prof *Profile
		if pr := profiles[d.Profile]; pr != nil && d.Profile != "" {
			prof = pr
		}
		v.overlaps("device "+d.Name, d.Loc, prof, d.Rules)
	}
	conduits := map[string]*Conduit{}
	for i := range p.Conduits {
		c := &p.Conduits[i]
		what := fmt.Sprintf("conduit %q", c.Name)
		if c.Name == "" {
			v.errorf(c.Loc, "conduit without a name")
		} else if o := conduits[c.Name]; o != nil {
			v.related(Error, c.Loc, o.Loc, "%s defined twice", what)
		}
		conduits[c.Name] = c
		for _, z := range []struct {
			name string
			loc  Location
		}{{c.From, c.FromLoc}, {c.To, c.ToLoc}} {
			if !zoneExists(z.name) {
				v.errorf(z.loc.Or(c.Loc), "%s: unknown zone %q", what, z.name)
			}
		}
		checkPorts(v, c.Loc, what, c.Proto, c.DstPorts, "ports")
	}
	checkEmpty(v, p)
}

// checkEmpty warns about policies that deny everything without saying so:
// an empty profile (its devices are policed by nothing, so every flow to or
// from them is denied, conduits included) and a policy with no rules and no
// conduits at all.
func checkEmpty(v *validator, p *Policy) {
	users := map[string]int{}
	rules := len(p.Conduits)
	for i := range p.Devices {
		users[p.Devices[i].Profile]++
		rules += len(p.Devices[i].Rules)
	}
	for i := range p.Profiles {
		pr := &p.Profiles[i]
		rules += len(pr.Rules)
		if len(pr.Rules) == 0 {
			v.warnf(pr.Loc, "profile %q has no rules: its %d device(s) are denied every flow (conduits do not apply to devices with a profile)", pr.Name, users[pr.Name])
		}
	}
	if rules == 0 && (len(p.Zones) > 0 || len(p.Devices) > 0) {
		var loc Location
		if f := firstLoc(p).File; f != "" {
			loc = Location{File: f, Line: 1, Column: 1}
		}
		v.warnf(loc, "the policy has no rules and no conduits: every flow is denied")
	}
}

// firstLoc is the location of some element of p (for policy-wide issues).
func firstLoc(p *Policy) Location {
	for _, z := range p.Zones {
		if !z.Loc.IsZero() {
			return z.Loc
		}
	}
	for _, d := range p.Devices {
		if !d.Loc.IsZero() {
			return d.Loc
		}
	}
	return Location{}
}

// maxOverlapWarnings is how many overlapping pairs of one device or
// profile are reported one by one; beyond it they are summarised in one
// warning (a device with 200 overlapping rules printed 19,900 warnings).
const maxOverlapWarnings = 3

// overlaps warns about pairs of rules that allow some flow in common:
// among rs, and between rs and the profile's rules (prof may be nil).
func (v *validator) overlaps(owner string, loc Location, prof *Profile, rs []Rule) {
	type pair struct {
		a, b *Rule
		what string
	}
	var pairs []pair
	n := 0
	add := func(a, b *Rule, what string) {
		n++
		if len(pairs) <= maxOverlapWarnings {
			pairs = append(pairs, pair{a, b, what})
		}
	}
	for i := range rs {
		for j := 0; j < i; j++ {
			if a, b := &rs[j], &rs[i]; rulesOverlap(a, b) {
				add(a, b, fmt.Sprintf("rule %q overlaps rule %q", b.Name, a.Name))
			}
		}
		if prof != nil {
			for k := range prof.Rules {
				if a, b := &prof.Rules[k], &rs[i]; rulesOverlap(a, b) {
					add(a, b, fmt.Sprintf("rule %q overlaps its profile %q rule %q", b.Name, prof.Name, a.Name))
				}
			}
		}
	}
	if n <= maxOverlapWarnings {
		for _, x := range pairs {
			v.related(Warning, x.b.Loc, x.a.Loc, "%s %s: some flows are allowed by both (%s); the first one written is named in decisions", owner, x.what, overlapWhat(x.a, x.b))
		}
		return
	}
	var eg []string
	for _, x := range pairs[:maxOverlapWarnings] {
		eg = append(eg, x.what)
	}
	v.warnf(loc, "%s: %d pairs of rules overlap (some flows are allowed by both; the first one written is named in decisions), e.g. %s", owner, n, strings.Join(eg, "; "))
}

func deviceNamed(p *Policy, n string) bool {
	for i := range p.Devices {
		if p.Devices[i].Name == n {
			return true
		}
	}
	return false
}

func oppositeInitiator(d Direction) string {
	if d == Egress {
		return "peer"
	}
	return "device"
}

func checkPorts(v *validator, loc Location, what string, proto Proto, rs []PortRange, field string) {
	if len(rs) > 0 && !proto.hasPorts() {
		v.errorf(loc, "%s: %s need proto tcp or udp (proto is %s)", what, field, proto)
	}
	for _, r := range rs {
		if r.Lo == 0 || r.Lo > r.Hi {
			v.errorf(loc, "%s: invalid port range %d-%d", what, r.Lo, r.Hi)
		}
	}
}

func rangesOverlap(a, b []PortRange) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, x := range a {
		for _, y := range b {
			if x.Lo <= y.Hi && y.Lo <= x.Hi {
				return true
			}
		}
	}
	return false
}

// peersOverlap is conservative where it cannot know without resolving: two
// peers of different symbolic kinds are taken not to overlap, so the
// warning never cries wolf.
func peersOverlap(a, b Peer) bool {
	if a.Kind == PeerAny || b.Kind == PeerAny {
		return true
	}
	if a.Kind == PeerCIDR && b.Kind == PeerCIDR {
		return a.Prefix.Overlaps(b.Prefix)
	}
	return a == b
}

func rulesOverlap(a, b *Rule) bool {
	if a.Direction != b.Direction || !opensFlows(a.Direction, a.Initiator) || !opensFlows(b.Direction, b.Initiator) {
		return false
	}
	if a.Proto != ProtoAny && b.Proto != ProtoAny && a.Proto != b.Proto {
		return false
	}
	return rangesOverlap(a.DstPorts, b.DstPorts) && rangesOverlap(a.SrcPorts, b.SrcPorts) && peersOverlap(a.Peer, b.Peer)
}

func overlapWhat(a, b *Rule) string {
	return fmt.Sprintf("%s %s %s and %s %s %s", a.Peer, a.Proto, portsString(a.DstPorts), b.Peer, b.Proto, portsString(b.DstPorts))
}

func portsString(rs []PortRange) string {
	if len(rs) == 0 {
		return "any port"
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return "port " + strings.Join(s, ",")
}
