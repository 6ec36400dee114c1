package segment

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Location is where a policy element was written: a file position for HCL
// (Line and Column 1-based) or a path inside a document for MUD JSON.
// The zero value means unknown.
type Location struct {
	File   string
	Line   int
	Column int
	// Path locates the element inside a structured document (MUD JSON),
	// e.g. `acls.acl["mud-v4to"].aces.ace["cl0"]`.
	Path string
	// Byte is the offset of Line:Column in File, for quoting the source.
	Byte int
}

// String renders file:line:col (or file: path) for error messages.
func (l Location) String() string {
	var b strings.Builder
	b.WriteString(l.File)
	if l.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", l.Line, l.Column)
	}
	if l.Path != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(l.Path)
	}
	return b.String()
}

// Or returns l, or def when l is zero.
func (l Location) Or(def Location) Location {
	if l.IsZero() {
		return def
	}
	return l
}

// IsZero reports whether l says nothing.
func (l Location) IsZero() bool { return l.File == "" && l.Line == 0 && l.Path == "" }

// Proto is an IP protocol number, as in the IPv4 protocol and IPv6 next
// header fields. In rules and conduits ProtoAny (the zero value) matches
// every protocol. Protocol 0 (HOPOPT, the IPv6 hop-by-hop options header)
// cannot be named in a policy: ParseProto and the MUD import refuse it, so
// that "0" can never be read as "any" (any is spelled any).
type Proto uint8

const (
	ProtoAny    Proto = 0
	ProtoICMP   Proto = 1
	ProtoTCP    Proto = 6
	ProtoUDP    Proto = 17
	ProtoICMPv6 Proto = 58
)

// ParseProto reads "tcp", "udp", "icmp", "icmpv6", "any" or a number
// 1-255. "0" is refused: it is HOPOPT, not a transport protocol, and
// writing it for "any" was a way to allow everything by accident.
func ParseProto(s string) (Proto, error) {
	switch strings.ToLower(s) {
	case "", "any":
		return ProtoAny, nil
	case "tcp":
		return ProtoTCP, nil
	case "udp":
		return ProtoUDP, nil
	case "icmp":
		return ProtoICMP, nil
	case "icmpv6", "ipv6-icmp":
		return ProtoICMPv6, nil
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		return 0, fmt.Errorf("%w: protocol %q: want tcp, udp, icmp, icmpv6, any or 1-255", ErrInvalid, s)
	}
	if n == 0 {
		return 0, fmt.Errorf("%w: protocol 0 (HOPOPT) cannot be matched; for every protocol write any", ErrInvalid)
	}
	return Proto(n), nil
}

func (p Proto) String() string {
	switch p {
	case ProtoAny:
		return "any"
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	case ProtoICMP:
		return "icmp"
	case ProtoICMPv6:
		return "icmpv6"
	}
	return strconv.Itoa(int(p))
}

// hasPorts reports whether flows of p carry ports.
func (p Proto) hasPorts() bool { return p == ProtoTCP || p == ProtoUDP }

// PortRange is an inclusive range of ports.
type PortRange struct{ Lo, Hi uint16 }

// ParsePortRange reads "443" or "8000-8080" (1-65535, lo <= hi).
func ParsePortRange(s string) (PortRange, error) {
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "-") {
		return PortRange{}, fmt.Errorf("%w: port %q is negative: want 1-65535 or LO-HI", ErrInvalid, s)
	}
	lo, hi, isRange := strings.Cut(strings.TrimSpace(s), "-")
	a, err := parsePort(lo)
	if err != nil {
		return PortRange{}, fmt.Errorf("port range %q: %w", s, err)
	}
	b := a
	if isRange {
		if b, err = parsePort(hi); err != nil {
			return PortRange{}, fmt.Errorf("port range %q: %w", s, err)
		}
	}
	if a > b {
		return PortRange{}, fmt.Errorf("%w: port range %q: low end above high end", ErrInvalid, s)
	}
	return PortRange{a, b}, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%w: port %q: want 1-65535", ErrInvalid, s)
	}
	return uint16(n), nil
}

func (r PortRange) String() string {
	if r.Lo == r.Hi {
		return strconv.Itoa(int(r.Lo))
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// Direction says which way a rule's packets travel, seen from the device.
type Direction uint8

const (
	// Egress packets go from the device to the peer (MUD from-device).
	Egress Direction = iota + 1
	// Ingress packets go from the peer to the device (MUD to-device).
	Ingress
)

func (d Direction) String() string {
	switch d {
	case Egress:
		return "egress"
	case Ingress:
		return "ingress"
	}
	return "direction(" + strconv.Itoa(int(d)) + ")"
}

// ParseDirection reads "egress" (also "from-device") or "ingress" ("to-device").
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "egress", "from-device":
		return Egress, nil
	case "ingress", "to-device":
		return Ingress, nil
	}
	return 0, fmt.Errorf("%w: direction %q: want egress or ingress", ErrInvalid, s)
}

// Initiator says who may open a connection a rule's packets belong to
// (MUD direction-initiated). A rule only ever allows new connections whose
// first packet travels in its Direction: an egress rule that only the peer
// may initiate allows replies, which the stateful firewall lets through
// anyway, so it allows no new flow (Validate warns about it).
type Initiator uint8

const (
	// InitDefault is the initiator implied by the direction: the device for
	// egress rules, the peer for ingress rules.
	InitDefault Initiator = iota
	InitDevice
	InitPeer
	InitEither
)

func (i Initiator) String() string {
	switch i {
	case InitDefault:
		return "default"
	case InitDevice:
		return "device"
	case InitPeer:
		return "peer"
	case InitEither:
		return "either"
	}
	return "initiator(" + strconv.Itoa(int(i)) + ")"
}

// ParseInitiator reads "device" (also "from-device"), "peer" ("to-device") or "either".
func ParseInitiator(s string) (Initiator, error) {
	switch s {
	case "", "default":
		return InitDefault, nil
	case "device", "from-device":
		return InitDevice, nil
	case "peer", "to-device":
		return InitPeer, nil
	case "either":
		return InitEither, nil
	}
	return 0, fmt.Errorf("%w: initiator %q: want device, peer or either", ErrInvalid, s)
}

// opensFlows reports whether a rule with direction d and initiator i allows
// new connections (and not only replies).
func opensFlows(d Direction, i Initiator) bool {
	switch i {
	case InitDefault, InitEither:
		return true
	case InitDevice:
		return d == Egress
	case InitPeer:
		return d == Ingress
	}
	return false
}

// Family restricts a rule to one address family. MUD ACLs are typed
// (ipv4-acl-type, ipv6-acl-type): an ACE written for IPv4 must not open the
// same door over IPv6.
type Family uint8

const (
	// FamilyAny: the rule applies to IPv4 and IPv6 flows.
	FamilyAny Family = 0
	IPv4      Family = 4
	IPv6      Family = 6
)

func (f Family) String() string {
	switch f {
	case FamilyAny:
		return "any"
	case IPv4:
		return "ipv4"
	case IPv6:
		return "ipv6"
	}
	return "family(" + strconv.Itoa(int(f)) + ")"
}

// ParseFamily reads "ipv4", "ipv6" or "any" ("" is any).
func ParseFamily(s string) (Family, error) {
	switch s {
	case "", "any":
		return FamilyAny, nil
	case "ipv4":
		return IPv4, nil
	case "ipv6":
		return IPv6, nil
	}
	return 0, fmt.Errorf("%w: family %q: want ipv4, ipv6 or any", ErrInvalid, s)
}

// has reports whether addresses like a belong to family f.
func (f Family) has(a netip.Addr) bool {
	switch f {
	case IPv4:
		return a.Unmap().Is4()
	case IPv6:
		return !a.Unmap().Is4()
	}
	return true
}

// PeerKind is how a rule names the other end of a flow.
type PeerKind uint8

const (
	PeerAny              PeerKind = iota + 1 // any address
	PeerCIDR                                 // Prefix
	PeerZone                                 // Value: zone name
	PeerDevice                               // Value: device name
	PeerDNS                                  // Value: DNS name, resolved by a Resolver
	PeerSameManufacturer                     // MUD: devices with this device's manufacturer
	PeerManufacturer                         // MUD: Value: manufacturer (MUD URL authority)
	PeerModel                                // MUD: Value: model (MUD URL)
	PeerLocalNetworks                        // MUD: the policy's local networks
	PeerController                           // MUD: Value: controller class URI
	PeerMyController                         // MUD: controllers for this device's MUD URL
)

var peerPrefix = map[PeerKind]string{
	PeerAny: "any", PeerCIDR: "cidr", PeerZone: "zone", PeerDevice: "device", PeerDNS: "dns",
	PeerSameManufacturer: "same-manufacturer", PeerManufacturer: "manufacturer", PeerModel: "model",
	PeerLocalNetworks: "local-networks", PeerController: "controller", PeerMyController: "my-controller",
}

// Peer is the other end of a rule.
type Peer struct {
	Kind   PeerKind
	Prefix netip.Prefix // PeerCIDR
	Value  string       // zone, device, DNS name, manufacturer, model or controller class
}

// String renders the peer in the syntax ParsePeer reads: "any", "cidr:10.0.0.0/8",
// "zone:ehr", "device:pump-1", "dns:ehr.example.org", "same-manufacturer",
// "manufacturer:pumps.example.com", "model:https://…", "local-networks",
// "controller:urn:…", "my-controller".
func (p Peer) String() string {
	k := peerPrefix[p.Kind]
	switch p.Kind {
	case PeerCIDR:
		return k + ":" + p.Prefix.String()
	case PeerZone, PeerDevice, PeerDNS, PeerManufacturer, PeerModel, PeerController:
		return k + ":" + p.Value
	}
	if k == "" {
		return "peer(" + strconv.Itoa(int(p.Kind)) + ")"
	}
	return k
}

// ParsePeer reads the syntax of Peer.String.
func ParsePeer(s string) (Peer, error) {
	kind, val, hasVal := strings.Cut(s, ":")
	for k, name := range peerPrefix {
		if name != kind {
			continue
		}
		switch k {
		case PeerCIDR:
			pfx, err := ParsePrefix(val)
			if err != nil {
				return Peer{}, fmt.Errorf("peer %q: %w", s, err)
			}
			return Peer{Kind: k, Prefix: pfx}, nil
		case PeerZone, PeerDevice, PeerDNS, PeerManufacturer, PeerModel, PeerController:
			if !hasVal || val == "" {
				return Peer{}, fmt.Errorf("%w: peer %q: %s needs a value (%s:NAME)", ErrInvalid, s, name, name)
			}
			if k == PeerDNS {
				val = strings.TrimSuffix(strings.ToLower(val), ".")
			}
			return Peer{Kind: k, Value: val}, nil
		default:
			if hasVal {
				return Peer{}, fmt.Errorf("%w: peer %q: %s takes no value", ErrInvalid, s, name)
			}
			return Peer{Kind: k}, nil
		}
	}
	return Peer{}, fmt.Errorf("%w: peer %q: want any, cidr:, zone:, device:, dns:, same-manufacturer, manufacturer:, model:, local-networks, controller: or my-controller", ErrInvalid, s)
}

// ParsePrefix reads a CIDR ("10.0.0.0/8") or a single address (a /32 or
// /128). Host bits must be zero: "10.0.0.1/8" is refused rather than
// guessed at. An IPv4-mapped CIDR ("::ffff:10.0.0.0/104") is refused: write
// it as IPv4. A single mapped address is taken as the IPv4 address.
// IPv6 CIDRs never hold IPv4 addresses: "::/0" is every IPv6 address.
func ParsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%w: address %q", ErrInvalid, s)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%w: CIDR %q", ErrInvalid, s)
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("%w: CIDR %q has host bits set (did you mean %s?)", ErrInvalid, s, p.Masked())
	}
	if p.Addr().Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%w: CIDR %q has a zone", ErrInvalid, s)
	}
	if isMapped(p) {
		// One address, one family: IPv4 is written as IPv4.
		return netip.Prefix{}, fmt.Errorf("%w: CIDR %q is IPv4-mapped IPv6; write the IPv4 CIDR %s", ErrInvalid, s, unmapPrefix(p))
	}
	return p, nil
}

// Rule allows one kind of flow between a device and a peer. Ward policies
// are allowlists: there are no deny rules, so rule order never changes a
// decision (it only picks which of several matching rules is named).
type Rule struct {
	// Name is unique within its device or profile; decisions name the
	// rule "device/name", or "device/profile/name" for a profile's rule.
	Name      string
	Direction Direction
	Peer      Peer
	Proto     Proto
	// DstPorts and SrcPorts restrict the ports of the rule's packets (empty:
	// any). Only for tcp and udp.
	DstPorts  []PortRange
	SrcPorts  []PortRange
	Initiator Initiator
	// Family limits the rule to IPv4 or IPv6 flows (FamilyAny: both).
	Family Family
	Loc    Location
	// PeerLoc is where the peer was written, for errors about it (zero:
	// use Loc).
	PeerLoc Location
}

// Zone is a network segment: address ranges and/or named devices.
type Zone struct {
	Name  string
	CIDRs []netip.Prefix
	Spike *SpikePolicy
	Loc   Location
}

// SpikePolicy is a zone's traffic-spike thresholds (the seeds' "contextual
// security": a PACS zone moves far more traffic than an infusion-pump zone).
type SpikePolicy struct {
	Window time.Duration // counting window
	// DeviceLimit and ZoneLimit are the flows per window above which one
	// device, or the whole zone, is a spike. 0: no fixed limit.
	DeviceLimit uint64
	ZoneLimit   uint64
	// Learn lets the detector learn each device's baseline and flag a
	// window above Factor times its mean (learned limits never fall below
	// the fixed ones).
	Learn  bool
	Factor float64
	// Calm is how long rates must stay under their limits before a
	// quarantine is lifted automatically (0: only an operator releases).
	Calm time.Duration
	// Segment quarantines the whole zone on a device spike (the seeds' "shut
	// the segment down"); otherwise only the device.
	Segment bool
	Loc     Location
}

// Device is a host the policy knows by address.
type Device struct {
	Name         string
	Addr         netip.Addr
	Zone         string
	Type         string
	Manufacturer string // MUD URL authority, for same-manufacturer/manufacturer peers
	Model        string // MUD URL, for model/my-controller peers
	Profile      string // rules shared by every device of a model
	Rules        []Rule
	Loc          Location
	// ZoneLoc and ProfileLoc are where the zone and profile were named,
	// for errors about them (zero: use Loc).
	ZoneLoc, ProfileLoc Location
}

// Profile is a set of rules shared by devices of one model (a MUD file).
type Profile struct {
	Name         string
	Manufacturer string
	Model        string
	Rules        []Rule
	Loc          Location
}

// Conduit allows flows from one zone to another. Monitoring conduits stay
// open while an endpoint is quarantined.
type Conduit struct {
	Name       string
	From, To   string
	Proto      Proto
	DstPorts   []PortRange
	Monitoring bool
	Loc        Location
	// FromLoc and ToLoc are where the zones were named (zero: use Loc).
	FromLoc, ToLoc Location
}

// Controller lists the addresses of a MUD controller class (or of the
// controllers for one MUD URL, for my-controller peers).
type Controller struct {
	Class string
	Addrs []netip.Addr
	Loc   Location
}

// Policy is a whole site: zones, devices and what may flow between them.
// Everything not allowed is denied.
type Policy struct {
	// LocalNetworks is the site's own address space: an address in it that
	// is in no zone and is no device is an unknown device and gets the most
	// restrictive treatment (every flow to or from it is denied).
	LocalNetworks []netip.Prefix
	Zones         []Zone
	Devices       []Device
	Profiles      []Profile
	Conduits      []Conduit
	Controllers   []Controller
}

// Errors callers can match with errors.Is.
var (
	ErrInvalid = errors.New("segment: invalid")
	ErrPolicy  = errors.New("segment: policy has errors")
	ErrFlow    = errors.New("segment: invalid flow")
)
