package mud

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/wardsec/ward/pkg/segment"
)

// Errors callers can match with errors.Is.
var (
	// ErrInvalid: the file is not a well-formed MUD file.
	ErrInvalid = errors.New("mud: invalid")
	// ErrUnsupported: the file is valid MUD but asks for something Ward
	// cannot enforce faithfully (a drop action, an Ethernet match, a match
	// field Ward does not know); Ward refuses rather than enforcing a
	// broader or narrower rule than the maker wrote.
	ErrUnsupported = errors.New("mud: unsupported")
)

// Error is a problem at a place in a MUD file.
type Error struct {
	Loc segment.Location
	Msg string
	Err error // ErrInvalid or ErrUnsupported
}

func (e *Error) Error() string { return e.Loc.String() + ": " + e.Msg }
func (e *Error) Unwrap() error { return e.Err }

const (
	rfcACLs   = "ietf-access-control-list:acls"
	draftACLs = "ietf-access-control-list:access-lists"
)

// Option changes how Parse reads a file.
type Option func(*config)

type config struct{ draftContainer bool }

// AcceptDraftContainer reads ACLs published under the pre-RFC container
// name "ietf-access-control-list:access-lists" (still found in files
// written against the drafts) as RFC 8520's "ietf-access-control-list:acls",
// with a warning. Everything inside must still be RFC 8519/8520. Without
// it such files are refused with ErrInvalid, saying which name the RFC uses.
func AcceptDraftContainer() Option { return func(c *config) { c.draftContainer = true } }

// File is what a MUD file says about one device model.
type File struct {
	URL          string
	Manufacturer string // the MUD URL's authority: the "manufacturer" of RFC 8520 section 4
	Systeminfo   string
	MfgName      string
	ModelName    string
	// Profile holds the file's rules, named after the model.
	Profile segment.Profile
	// Warnings are things a reader should know that do not make the file
	// wrong: a file that allows nothing at all, for example.
	Warnings []segment.Issue
}

type document struct {
	MUD  *container `json:"ietf-mud:mud"`
	ACLs *struct {
		ACL []acl `json:"acl"`
	} `json:"ietf-access-control-list:acls"`
}

type container struct {
	Version    int     `json:"mud-version"`
	URL        string  `json:"mud-url"`
	Systeminfo string  `json:"systeminfo"`
	MfgName    string  `json:"mfg-name"`
	ModelName  string  `json:"model-name"`
	From       *policy `json:"from-device-policy"`
	To         *policy `json:"to-device-policy"`
}

type policy struct {
	AccessLists struct {
		AccessList []struct {
			Name string `json:"name"`
		} `json:"access-list"`
	} `json:"access-lists"`
}

type acl struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Aces struct {
		Ace []ace `json:"ace"`
	} `json:"aces"`
}

type ace struct {
	Name    string          `json:"name"`
	Matches json.RawMessage `json:"matches"`
	Actions struct {
		Forwarding string `json:"forwarding"`
	} `json:"actions"`
}

// The match containers are decoded strictly: a match Ward ignored would
// make the rule broader than the maker wrote.
type matches struct {
	IPv4 *ipMatch       `json:"ipv4"`
	IPv6 *ipMatch       `json:"ipv6"`
	TCP  *l4Match       `json:"tcp"`
	UDP  *l4Match       `json:"udp"`
	MUD  *mudMatch      `json:"ietf-mud:mud"`
	Eth  map[string]any `json:"eth"`
	ICMP map[string]any `json:"icmp"`
}

type ipMatch struct {
	Protocol *int   `json:"protocol"`
	SrcDNS   string `json:"ietf-acldns:src-dnsname"`
	DstDNS   string `json:"ietf-acldns:dst-dnsname"`
	SrcNet4  string `json:"source-ipv4-network"`
	DstNet4  string `json:"destination-ipv4-network"`
	SrcNet6  string `json:"source-ipv6-network"`
	DstNet6  string `json:"destination-ipv6-network"`
}

type l4Match struct {
	SrcPort   *portMatch `json:"source-port"`
	DstPort   *portMatch `json:"destination-port"`
	Direction string     `json:"ietf-mud:direction-initiated"`
}

type portMatch struct {
	Operator string `json:"operator"`
	Port     *int   `json:"port"`
	Lower    *int   `json:"lower-port"`
	Upper    *int   `json:"upper-port"`
}

type mudMatch struct {
	Manufacturer     string          `json:"manufacturer"`
	SameManufacturer json.RawMessage `json:"same-manufacturer"`
	Model            string          `json:"model"`
	LocalNetworks    json.RawMessage `json:"local-networks"`
	Controller       string          `json:"controller"`
	MyController     json.RawMessage `json:"my-controller"`
}

// lineCol converts a byte offset into 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}

var slugRe = regexp.MustCompile(`[^a-z0-9._-]+`)

// Parse reads a MUD file (RFC 8520: the ietf-mud container and the
// ietf-access-control-list ACLs it names, with the ietf-acldns
// augmentation). filename appears in error locations. Every accept ACE
// becomes one rule of the returned profile: from-device ACEs egress rules
// whose peer is the destination, to-device ACEs ingress rules whose peer is
// the source; ietf-mud matches become MUD-class peers (same-manufacturer,
// manufacturer, model, local-networks, controller, my-controller).
func Parse(filename string, data []byte, opts ...Option) (*File, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	at := func(p string) segment.Location { return segment.Location{File: filename, Path: p} }
	var draftWarning []segment.Issue
	if cfg.draftContainer {
		var top map[string]json.RawMessage
		if json.Unmarshal(data, &top) == nil && top[draftACLs] != nil && top[rfcACLs] == nil {
			top[rfcACLs] = top[draftACLs]
			delete(top, draftACLs)
			if b, err := json.Marshal(top); err == nil {
				data = b
				draftWarning = append(draftWarning, segment.Issue{Severity: segment.Warning, Loc: at(""),
					Msg: fmt.Sprintf("the ACLs are under the pre-RFC container name %q; read as %q (RFC 8520)", draftACLs, rfcACLs)})
			}
		}
	}
	fail := func(kind error, p, format string, args ...any) error {
		return &Error{Loc: at(p), Msg: fmt.Sprintf(format, args...), Err: kind}
	}
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			l, c := lineCol(data, se.Offset-1) // Offset is just past the bad byte
			return nil, &Error{Loc: segment.Location{File: filename, Line: l, Column: c}, Msg: "JSON syntax: " + se.Error(), Err: ErrInvalid}
		case errors.As(err, &te):
			l, c := lineCol(data, te.Offset)
			return nil, &Error{Loc: segment.Location{File: filename, Line: l, Column: c, Path: te.Field}, Msg: fmt.Sprintf("%s: want a JSON %s", te.Value, te.Type), Err: ErrInvalid}
		}
		return nil, fail(ErrInvalid, "", "%v", err)
	}
	if p, msg, ok := checkKeys(data); !ok {
		kind := ErrUnsupported
		if strings.Contains(msg, "pre-RFC draft") {
			kind = ErrInvalid
		}
		return nil, fail(kind, p, "%s", msg)
	}
	m := doc.MUD
	if m == nil {
		return nil, fail(ErrInvalid, "", `no "ietf-mud:mud" container`)
	}
	if m.Version != 1 {
		return nil, fail(ErrInvalid, `"ietf-mud:mud"."mud-version"`, "mud-version %d: want 1", m.Version)
	}
	u, err := url.Parse(m.URL)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return nil, fail(ErrInvalid, `"ietf-mud:mud"."mud-url"`, "mud-url %q: want an https URL", m.URL)
	}
	f := &File{URL: m.URL, Manufacturer: u.Hostname(), Systeminfo: m.Systeminfo, MfgName: m.MfgName, ModelName: m.ModelName}
	name := strings.TrimSuffix(path.Base(u.Path), ".json")
	if m.ModelName != "" {
		name = m.ModelName
	}
	name = strings.Trim(slugRe.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if name == "" || name == "." {
		name = strings.ReplaceAll(f.Manufacturer, ".", "-")
	}
	f.Profile = segment.Profile{Name: name, Manufacturer: f.Manufacturer, Model: m.URL, Loc: at(`"ietf-mud:mud"`)}

	acls := map[string]*acl{}
	if doc.ACLs != nil {
		for i := range doc.ACLs.ACL {
			a := &doc.ACLs.ACL[i]
			if a.Name == "" {
				return nil, fail(ErrInvalid, fmt.Sprintf("acls.acl[%d]", i), "ACL without a name")
			}
			if acls[a.Name] != nil {
				return nil, fail(ErrInvalid, fmt.Sprintf("acls.acl[%q]", a.Name), "ACL %q defined twice", a.Name)
			}
			acls[a.Name] = a
		}
	}
	used := map[string]bool{}
	for _, side := range []struct {
		pol  *policy
		dir  segment.Direction
		what string
	}{{m.From, segment.Egress, "from-device-policy"}, {m.To, segment.Ingress, "to-device-policy"}} {
		if side.pol == nil {
			continue
		}
		for _, ref := range side.pol.AccessLists.AccessList {
			a := acls[ref.Name]
			if a == nil {
				return nil, fail(ErrInvalid, fmt.Sprintf(`"ietf-mud:mud".%q`, side.what), "names ACL %q, which the file does not define", ref.Name)
			}
			aceNames := map[string]bool{}
			for i, e := range a.Aces.Ace {
				p := fmt.Sprintf("acls.acl[%q].aces.ace[%q]", a.Name, e.Name)
				if e.Name == "" {
					return nil, fail(ErrInvalid, fmt.Sprintf("acls.acl[%q].aces.ace[%d]", a.Name, i), "ACE without a name")
				}
				if aceNames[e.Name] {
					return nil, fail(ErrInvalid, p, "ACE %q defined twice in ACL %q", e.Name, a.Name)
				}
				aceNames[e.Name] = true
				r, err := aceRule(a, &e, side.dir, at(p), fail, p)
				if err != nil {
					return nil, err
				}
				if i := slices.IndexFunc(f.Profile.Rules, func(o segment.Rule) bool { return sameRule(o, r) }); i >= 0 {
					// The same rule from the file's IPv4 and IPv6 ACLs: one
					// rule for both families.
					if o := &f.Profile.Rules[i]; o.Family != r.Family {
						o.Family = segment.FamilyAny
					}
					continue
				}
				r.Name = e.Name
				if used[r.Name] {
					r.Name = a.Name + "." + e.Name
				}
				for n := 2; used[r.Name]; n++ {
					r.Name = fmt.Sprintf("%s.%s#%d", a.Name, e.Name, n)
				}
				used[r.Name] = true
				f.Profile.Rules = append(f.Profile.Rules, r)
			}
		}
	}
	f.Warnings = append(f.Warnings, draftWarning...)
	if len(f.Profile.Rules) == 0 {
		f.Warnings = append(f.Warnings, segment.Issue{Severity: segment.Warning, Loc: at(`"ietf-mud:mud"`),
			Msg: "the file allows no traffic at all (no accept ACE in from-device-policy or to-device-policy): devices with this profile are denied everything"})
	}
	return f, nil
}

// aclFamily maps an RFC 8519 ACL type to the family its ACEs apply to.
func aclFamily(t string) (segment.Family, error) {
	_, name, ok := strings.Cut(t, ":")
	if !ok {
		name = t
	}
	switch name {
	case "ipv4-acl-type", "mixed-eth-ipv4-acl-type":
		return segment.IPv4, nil
	case "ipv6-acl-type", "mixed-eth-ipv6-acl-type":
		return segment.IPv6, nil
	case "", "mixed-eth-ipv4-ipv6-acl-type":
		return segment.FamilyAny, nil
	}
	return 0, fmt.Errorf("%w: ACL type %q: want ipv4-acl-type, ipv6-acl-type or a mixed IP type", ErrUnsupported, t)
}

func sameRule(a, b segment.Rule) bool {
	// Family aside: the caller merges a rule written once per family.
	return a.Direction == b.Direction && a.Peer == b.Peer && a.Proto == b.Proto && a.Initiator == b.Initiator &&
		slices.Equal(a.DstPorts, b.DstPorts) && slices.Equal(a.SrcPorts, b.SrcPorts)
}

func aceRule(a *acl, e *ace, dir segment.Direction, loc segment.Location, fail func(error, string, string, ...any) error, p string) (segment.Rule, error) {
	r := segment.Rule{Direction: dir, Loc: loc, Peer: segment.Peer{Kind: segment.PeerAny}}
	switch e.Actions.Forwarding {
	case "accept":
	case "drop", "reject":
		return r, fail(ErrUnsupported, p+".actions", "forwarding %q: Ward policies are allowlists (everything not accepted is dropped); remove the ACE", e.Actions.Forwarding)
	default:
		return r, fail(ErrInvalid, p+".actions", "forwarding %q: want accept", e.Actions.Forwarding)
	}
	var mt matches
	if len(e.Matches) > 0 {
		dec := json.NewDecoder(bytes.NewReader(e.Matches))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&mt); err != nil {
			return r, fail(ErrUnsupported, p+".matches", "%v (Ward refuses matches it would have to ignore)", err)
		}
	}
	if mt.Eth != nil {
		return r, fail(ErrUnsupported, p+".matches.eth", "Ethernet matches are not supported")
	}
	if len(mt.ICMP) > 0 {
		return r, fail(ErrUnsupported, p+".matches.icmp", "ICMP type/code matches are not supported")
	}
	if mt.IPv4 != nil && mt.IPv6 != nil {
		return r, fail(ErrInvalid, p+".matches", "both ipv4 and ipv6 matches in one ACE")
	}
	ip, fam := mt.IPv4, "ipv4"
	if mt.IPv6 != nil {
		ip, fam = mt.IPv6, "ipv6"
	}
	aclFam, err := aclFamily(a.Type)
	if err != nil {
		return r, fail(ErrUnsupported, fmt.Sprintf("acls.acl[%q].type", a.Name), "%v", err)
	}
	if (aclFam == segment.IPv4 && mt.IPv6 != nil) || (aclFam == segment.IPv6 && mt.IPv4 != nil) {
		return r, fail(ErrInvalid, p+".matches", "%s match in an ACL of type %s", fam, a.Type)
	}
	// An ACE applies to its ACL's family (RFC 8519 ACL types), or to the
	// family of its ipv4/ipv6 match: an ipv4-acl-type ACE must not open
	// the same door over IPv6.
	r.Family = aclFam
	switch {
	case mt.IPv4 != nil:
		r.Family = segment.IPv4
	case mt.IPv6 != nil:
		r.Family = segment.IPv6
	}
	var peers []segment.Peer
	if ip != nil {
		if ip.Protocol != nil {
			if *ip.Protocol < 0 || *ip.Protocol > 255 {
				return r, fail(ErrInvalid, p+".matches."+fam+".protocol", "protocol %d: want 0-255", *ip.Protocol)
			}
			if *ip.Protocol == 0 {
				// HOPOPT, not "any": an ACE for any protocol leaves protocol out.
				return r, fail(ErrUnsupported, p+".matches."+fam+".protocol", "protocol 0 (HOPOPT) cannot be matched; an ACE for every protocol leaves protocol out")
			}
			r.Proto = segment.Proto(*ip.Protocol)
		}
		// The device's own side must not be constrained: Ward knows the
		// device's address, the file cannot.
		ownDNS, ownNet4, ownNet6 := ip.SrcDNS, ip.SrcNet4, ip.SrcNet6
		peerDNS, peerNet4, peerNet6 := ip.DstDNS, ip.DstNet4, ip.DstNet6
		if dir == segment.Ingress {
			ownDNS, ownNet4, ownNet6, peerDNS, peerNet4, peerNet6 = peerDNS, peerNet4, peerNet6, ownDNS, ownNet4, ownNet6
		}
		if ownDNS != "" || ownNet4 != "" || ownNet6 != "" {
			return r, fail(ErrUnsupported, p+".matches."+fam, "a match on the device's own address (%s%s%s) is not supported", ownDNS, ownNet4, ownNet6)
		}
		if peerDNS != "" {
			pe, err := segment.ParsePeer("dns:" + peerDNS)
			if err != nil {
				return r, fail(ErrInvalid, p+".matches."+fam, "%v", err)
			}
			peers = append(peers, pe)
		}
		for _, n := range []string{peerNet4, peerNet6} {
			if n == "" {
				continue
			}
			pfx, err := segment.ParsePrefix(n)
			if err != nil {
				return r, fail(ErrInvalid, p+".matches."+fam, "%v", err)
			}
			peers = append(peers, segment.Peer{Kind: segment.PeerCIDR, Prefix: pfx})
		}
	}
	if mm := mt.MUD; mm != nil {
		if mm.Manufacturer != "" {
			peers = append(peers, segment.Peer{Kind: segment.PeerManufacturer, Value: mm.Manufacturer})
		}
		if mm.SameManufacturer != nil { // RFC 8520 encodes the empty leaf as [null]
			peers = append(peers, segment.Peer{Kind: segment.PeerSameManufacturer})
		}
		if mm.Model != "" {
			peers = append(peers, segment.Peer{Kind: segment.PeerModel, Value: mm.Model})
		}
		if mm.LocalNetworks != nil {
			peers = append(peers, segment.Peer{Kind: segment.PeerLocalNetworks})
		}
		if mm.Controller != "" {
			peers = append(peers, segment.Peer{Kind: segment.PeerController, Value: mm.Controller})
		}
		if mm.MyController != nil {
			peers = append(peers, segment.Peer{Kind: segment.PeerMyController})
		}
		if len(peers) == 0 {
			return r, fail(ErrInvalid, p+".matches.ietf-mud:mud", "empty ietf-mud match")
		}
	}
	if len(peers) > 1 {
		// RFC 8519 matches are a conjunction; a rule has one peer, and
		// enforcing either alone would allow more than the maker wrote.
		return r, fail(ErrUnsupported, p+".matches", "the ACE combines %d peer matches; Ward enforces one peer per rule", len(peers))
	}
	if len(peers) == 1 {
		r.Peer = peers[0]
	}
	l4, l4name := mt.TCP, "tcp"
	if mt.UDP != nil {
		if mt.TCP != nil {
			return r, fail(ErrInvalid, p+".matches", "both tcp and udp matches")
		}
		l4, l4name = mt.UDP, "udp"
	}
	if l4 != nil {
		want := segment.ProtoTCP
		if l4name == "udp" {
			want = segment.ProtoUDP
		}
		if r.Proto != segment.ProtoAny && r.Proto != want {
			return r, fail(ErrInvalid, p+".matches", "protocol %s contradicts the %s match", r.Proto, l4name)
		}
		r.Proto = want
		var err error
		if r.DstPorts, err = portRanges(l4.DstPort); err != nil {
			return r, fail(ErrInvalid, p+".matches."+l4name+".destination-port", "%v", err)
		}
		if r.SrcPorts, err = portRanges(l4.SrcPort); err != nil {
			return r, fail(ErrInvalid, p+".matches."+l4name+".source-port", "%v", err)
		}
		switch l4.Direction {
		case "":
		case "from-device":
			r.Initiator = segment.InitDevice
		case "to-device":
			r.Initiator = segment.InitPeer
		default:
			return r, fail(ErrInvalid, p+".matches."+l4name, "direction-initiated %q: want from-device or to-device", l4.Direction)
		}
		if l4.Direction != "" && l4name == "udp" {
			return r, fail(ErrInvalid, p+".matches.udp", "direction-initiated applies to tcp only")
		}
	}
	return r, nil
}

func portRanges(pm *portMatch) ([]segment.PortRange, error) {
	if pm == nil {
		return nil, nil
	}
	ok := func(n *int) bool { return n != nil && *n >= 1 && *n <= 65535 }
	if pm.Lower != nil || pm.Upper != nil {
		if !ok(pm.Lower) || !ok(pm.Upper) || *pm.Lower > *pm.Upper || pm.Port != nil {
			return nil, fmt.Errorf("%w: range needs lower-port <= upper-port, both 1-65535, and no port", ErrInvalid)
		}
		return []segment.PortRange{{Lo: uint16(*pm.Lower), Hi: uint16(*pm.Upper)}}, nil
	}
	if !ok(pm.Port) {
		return nil, fmt.Errorf("%w: port must be 1-65535", ErrInvalid)
	}
	p := uint16(*pm.Port)
	switch pm.Operator {
	case "eq", "":
		return []segment.PortRange{{Lo: p, Hi: p}}, nil
	case "lte":
		return []segment.PortRange{{Lo: 1, Hi: p}}, nil
	case "gte":
		return []segment.PortRange{{Lo: p, Hi: 65535}}, nil
	case "neq":
		var out []segment.PortRange
		if p > 1 {
			out = append(out, segment.PortRange{Lo: 1, Hi: p - 1})
		}
		if p < 65535 {
			out = append(out, segment.PortRange{Lo: p + 1, Hi: 65535})
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: operator %q: want eq, lte, gte or neq", ErrInvalid, pm.Operator)
}
