package segment_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/segmenthcl"
)

// compileHCL loads and compiles a policy written inline, failing the test on
// any error.
func compileHCL(t *testing.T, src string) *segment.Engine {
	t.Helper()
	p, _, diags := segmenthcl.Load("t.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	e, err := segment.Compile(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func decide(t *testing.T, e *segment.Engine, flow string) segment.Decision {
	t.Helper()
	f, err := segment.ParseFlow(flow)
	if err != nil {
		t.Fatal(err)
	}
	return e.Decide(f)
}

// nftRuleLines returns the ruleset lines that carry a rule's comment.
func nftRuleLines(e *segment.Engine, id string) []string {
	var out []string
	for _, l := range strings.Split(e.NFTables(segment.NFTOptions{}), "\n") {
		if strings.Contains(l, `"`+id+`"`) {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// TestIPv6PrefixDoesNotAdmitIPv4 stops the issue's first fail-open: an
// egress rule to an IPv6 CIDR that contains ::ffff:0:0/96 (how IPv4
// addresses are held inside) allowed every IPv4 destination in the engine,
// while the nftables output allowed none: check and compile disagreed.
func TestIPv6PrefixDoesNotAdmitIPv4(t *testing.T) {
	for _, cidr := range []string{"::/0", "::/1", "::/64", "::/80", "::/95", "::fffe:0:0/95"} {
		t.Run(cidr, func(t *testing.T) {
			e := compileHCL(t, `
zone "lan" { cidrs = ["10.0.1.0/24", "fd00:1::/64"] }
device "v4" {
  address = "10.0.1.5"
  zone    = "lan"
  allow "web6" {
    direction = "egress"
    peer      = "cidr:`+cidr+`"
    proto     = "tcp"
    ports     = ["443"]
  }
}
device "v6" {
  address = "fd00:1::5"
  zone    = "lan"
  allow "web6" {
    direction = "egress"
    peer      = "cidr:`+cidr+`"
    proto     = "tcp"
    ports     = ["443"]
  }
}
`)
			for _, dst := range []string{"93.184.216.34", "0.0.0.1", "255.255.255.255", "10.0.1.9"} {
				if d := decide(t, e, "src=10.0.1.5 dst="+dst+" proto=tcp dport=443"); d.Allow {
					t.Errorf("IPv4 flow to %s allowed by an IPv6 CIDR: %s", dst, d)
				}
			}
			// The same destinations written IPv4-mapped are IPv4 flows too.
			if d := decide(t, e, "src=::ffff:10.0.1.5 dst=::ffff:93.184.216.34 proto=tcp dport=443"); d.Allow {
				t.Errorf("mapped IPv4 flow allowed by an IPv6 CIDR: %s", d)
			}
			// check and compile agree: the IPv4 device's chain has no
			// accepting rule for it either.
			for _, l := range nftRuleLines(e, "v4/web6") {
				if !strings.HasPrefix(l, "#") {
					t.Errorf("IPv4 device's ruleset enforces the IPv6 rule: %s", l)
				}
			}
			// Positive control: the IPv6 device still reaches IPv6.
			if cidr == "::/0" {
				if d := decide(t, e, "src=fd00:1::5 dst=2001:db8::1 proto=tcp dport=443"); !d.Allow {
					t.Errorf("IPv6 flow denied: %s", d)
				}
			}
		})
	}
}

// TestMappedPrefixRefused: a CIDR inside ::ffff:0:0/96 is an IPv4 CIDR in
// disguise; the policy must say it in IPv4.
func TestMappedPrefixRefused(t *testing.T) {
	for _, s := range []string{"::ffff:0:0/96", "::ffff:10.0.0.0/104", "::ffff:10.0.0.1/128"} {
		_, err := segment.ParsePrefix(s)
		if !errors.Is(err, segment.ErrInvalid) || !strings.Contains(err.Error(), "write the IPv4 CIDR") {
			t.Errorf("ParsePrefix(%q) = %v, want refusal", s, err)
		}
	}
	p := &segment.Policy{LocalNetworks: []netip.Prefix{netip.MustParsePrefix("::ffff:0:0/96")}}
	if errs := segment.Errors(segment.Validate(p)); len(errs) != 1 || !strings.Contains(errs[0].Msg, "IPv4-mapped") {
		t.Errorf("Validate: %v", errs)
	}
	// A single mapped address is the IPv4 address.
	if got, err := segment.ParsePrefix("::ffff:10.0.0.1"); err != nil || got.String() != "10.0.0.1/32" {
		t.Errorf("ParsePrefix(::ffff:10.0.0.1) = %v, %v", got, err)
	}
}

// TestIPv6LocalNetworksLeaveIPv4Alone: local_networks = ["::/64"] made every
// IPv4 internet address an unknown device.
func TestIPv6LocalNetworksLeaveIPv4Alone(t *testing.T) {
	e := compileHCL(t, `
local_networks = ["::/64", "10.0.0.0/8"]
zone "lan" { cidrs = ["10.0.1.0/24"] }
zone "v6" { cidrs = ["::/64"] }
conduit "out" {
  from = "lan"
  to   = "external"
}
`)
	if d := decide(t, e, "src=10.0.1.5 dst=93.184.216.34 proto=tcp dport=443"); !d.Allow || d.Rule != "conduit/out" {
		t.Errorf("IPv4 internet flow: %s, want allow conduit/out", d)
	}
	if d := decide(t, e, "src=10.0.1.5 dst=10.9.9.9 proto=tcp dport=443"); d.Reason != segment.ReasonUnknown {
		t.Errorf("unknown IPv4 local: %s", d)
	}
}

// TestIPv6ZoneDoesNotOverlapIPv4Zone: a zone "::/64" was refused as
// overlapping every IPv4 zone.
func TestIPv6ZoneDoesNotOverlapIPv4Zone(t *testing.T) {
	p := &segment.Policy{Zones: []segment.Zone{
		{Name: "v4", CIDRs: mustPrefixes(t, "0.0.0.0/0")},
		{Name: "v6", CIDRs: mustPrefixes(t, "::/64")},
	}}
	if errs := segment.Errors(segment.Validate(p)); len(errs) > 0 {
		t.Fatalf("refused: %v", errs)
	}
	// Overlaps within one family are still refused.
	p.Zones = append(p.Zones, segment.Zone{Name: "v6b", CIDRs: mustPrefixes(t, "::1:0:0/96")})
	if errs := segment.Errors(segment.Validate(p)); len(errs) != 1 || !strings.Contains(errs[0].Msg, `zone "v6b" CIDR ::1:0:0/96 overlaps zone "v6"`) {
		t.Fatalf("overlap: %v", errs)
	}
}

// TestProtoZeroIsNotAny stops the second fail-open: proto = "0" meant every
// protocol. It is refused (HOPOPT cannot be matched); "any" says any.
func TestProtoZeroIsNotAny(t *testing.T) {
	for _, s := range []string{"0", "00", "000"} {
		if _, err := segment.ParseProto(s); !errors.Is(err, segment.ErrInvalid) || !strings.Contains(err.Error(), "HOPOPT") {
			t.Errorf("ParseProto(%q) = %v", s, err)
		}
	}
	for s, want := range map[string]segment.Proto{"any": segment.ProtoAny, "1": segment.ProtoICMP, "255": 255, "58": segment.ProtoICMPv6} {
		if got, err := segment.ParseProto(s); err != nil || got != want {
			t.Errorf("ParseProto(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := segment.ParseProto("256"); err == nil {
		t.Error("256 accepted")
	}
	_, _, diags := segmenthcl.Load("t.hcl", []byte(`
zone "lan" { cidrs = ["10.0.1.0/24"] }
conduit "c" {
  from  = "lan"
  to    = "external"
  proto = "0"
}
`))
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "HOPOPT") || diags[0].Subject.Start.Line != 6 {
		t.Errorf("HCL proto 0: %v", diags)
	}
	if _, err := segment.ParseFlow("src=10.0.0.1 dst=10.0.0.2 proto=0"); err == nil {
		t.Error("flow proto=0 accepted")
	}
}

// TestRuleFamilyKept: a rule limited to IPv4 (an ACE of an ipv4-acl-type
// ACL) opens nothing to an IPv6 device, in the engine and in nftables.
func TestRuleFamilyKept(t *testing.T) {
	e := compileHCL(t, `
zone "lan" { cidrs = ["10.0.1.0/24", "fd00:1::/64"] }
profile "m" {
  allow "web" {
    direction = "egress"
    peer      = "any"
    proto     = "tcp"
    ports     = ["443"]
    family    = "ipv4"
  }
}
device "a" {
  address = "10.0.1.5"
  zone    = "lan"
  profile = "m"
}
device "b" {
  address = "fd00:1::5"
  zone    = "lan"
  profile = "m"
}
`)
	if d := decide(t, e, "src=10.0.1.5 dst=93.184.216.34 proto=tcp dport=443"); !d.Allow {
		t.Errorf("IPv4 device: %s", d)
	}
	if d := decide(t, e, "src=fd00:1::5 dst=2001:db8::1 proto=tcp dport=443"); d.Allow {
		t.Errorf("IPv6 device allowed by an IPv4-only rule: %s", d)
	}
	if got := nftRuleLines(e, "b/m/web"); len(got) != 0 {
		t.Errorf("IPv6 device's chain enforces the IPv4 rule: %q", got)
	}
	if got := nftRuleLines(e, "a/m/web"); len(got) != 1 {
		t.Errorf("IPv4 device's chain: %q", got)
	}
}

// TestReferenceErrorsPointAtAttribute: unknown zones, devices and profiles
// are reported at the attribute that names them, not the enclosing block.
func TestReferenceErrorsPointAtAttribute(t *testing.T) {
	_, _, diags := segmenthcl.Load("t.hcl", []byte(`zone "lan" { cidrs = ["10.0.1.0/24"] }
device "a" {
  address = "10.0.1.5"
  zone    = "lan"
  profile = "nope"
  allow "x" {
    direction = "egress"
    peer      = "zone:nowhere"
  }
}
device "b" {
  address = "10.0.1.6"
  zone    = "lab"
}
conduit "c" {
  from = "lan"
  to   = "wan"
}
`))
	want := map[string][2]int{`unknown profile "nope"`: {5, 13}, `unknown zone "nowhere"`: {8, 17}, `unknown zone "lab"`: {13, 13}, `unknown zone "wan"`: {17, 10}}
	for _, d := range diags {
		for msg, pos := range want {
			if strings.Contains(d.Detail, msg) {
				if d.Subject == nil || d.Subject.Start.Line != pos[0] || d.Subject.Start.Column != pos[1] {
					t.Errorf("%s at %v, want %d:%d", msg, d.Subject, pos[0], pos[1])
				}
				delete(want, msg)
			}
		}
	}
	if len(want) > 0 {
		t.Errorf("not reported: %v (got %v)", want, diags)
	}
}

func mustPrefixes(t *testing.T, ss ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range ss {
		p, err := segment.ParsePrefix(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// TestMappedFlowIsIPv4: a flow written with IPv4-mapped addresses is
// decided exactly as the IPv4 flow.
func TestMappedFlowIsIPv4(t *testing.T) {
	e := compileHCL(t, `
zone "lan" { cidrs = ["10.0.1.0/24"] }
device "a" {
  address = "10.0.1.5"
  zone    = "lan"
  allow "web" {
    direction = "egress"
    peer      = "cidr:93.184.216.0/24"
    proto     = "tcp"
    ports     = ["443"]
  }
}
`)
	for _, pair := range [][2]string{
		{"src=10.0.1.5 dst=93.184.216.34 proto=tcp dport=443", "src=::ffff:10.0.1.5 dst=::ffff:93.184.216.34 proto=tcp dport=443"},
		{"src=10.0.1.5 dst=93.184.216.34 proto=tcp dport=443", "src=10.0.1.5 dst=::ffff:93.184.216.34 proto=tcp dport=443"},
		{"src=10.0.1.5 dst=93.184.217.34 proto=tcp dport=443", "src=::ffff:10.0.1.5 dst=::ffff:93.184.217.34 proto=tcp dport=443"},
	} {
		a, b := decide(t, e, pair[0]), decide(t, e, pair[1])
		if a != b {
			t.Errorf("%s: %v\n%s: %v", pair[0], a, pair[1], b)
		}
	}
	if d := decide(t, e, "src=::ffff:10.0.1.5 dst=::ffff:93.184.216.34 proto=tcp dport=443"); !d.Allow {
		t.Errorf("mapped flow: %v", d)
	}
}

// TestNegativePort says what is wrong with "-5".
func TestNegativePort(t *testing.T) {
	_, err := segment.ParsePortRange("-5")
	if !errors.Is(err, segment.ErrInvalid) || !strings.Contains(err.Error(), `port "-5" is negative`) {
		t.Errorf("ParsePortRange(-5) = %v", err)
	}
	_, _, diags := segmenthcl.Load("t.hcl", []byte(`zone "lan" { cidrs = ["10.0.1.0/24"] }
conduit "c" {
  from  = "lan"
  to    = "external"
  proto = "tcp"
  ports = ["443", "-5"]
}
`))
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "is negative") || diags[0].Subject.Start.Line != 6 || diags[0].Subject.Start.Column != 19 {
		t.Errorf("HCL: %v (at %v)", diags, diags[0].Subject)
	}
}

// TestOverlapWarningsSummarised: 200 overlapping rules on one device give
// one warning that counts them (19,900 warnings before), while a few
// overlaps are still reported one by one with both locations.
func TestOverlapWarningsSummarised(t *testing.T) {
	p := &segment.Policy{Zones: []segment.Zone{{Name: "lan", CIDRs: mustPrefixes(t, "10.0.1.0/24")}}}
	d := segment.Device{Name: "a", Addr: netip.MustParseAddr("10.0.1.5"), Zone: "lan", Loc: segment.Location{File: "p.hcl", Line: 3, Column: 1}}
	for i := range 200 {
		d.Rules = append(d.Rules, segment.Rule{Name: fmt.Sprintf("r%d", i), Direction: segment.Egress, Peer: segment.Peer{Kind: segment.PeerAny},
			Proto: segment.ProtoTCP, DstPorts: []segment.PortRange{{Lo: 1, Hi: uint16(1000 + i)}}})
	}
	p.Devices = []segment.Device{d}
	issues := segment.Validate(p)
	if len(issues) != 1 || !strings.Contains(issues[0].Msg, "device a: 19900 pairs of rules overlap") || issues[0].Loc.Line != 3 {
		t.Fatalf("%d issues: %v", len(issues), issues[:min(2, len(issues))])
	}
	p.Devices[0].Rules = p.Devices[0].Rules[:3]
	issues = segment.Validate(p)
	if len(issues) != 3 || !strings.Contains(issues[0].Msg, `device a rule "r1" overlaps rule "r0"`) {
		t.Fatalf("%v", issues)
	}
}

// TestFamilyMismatchWarned: an IPv6-only rule on an IPv4 device can never
// match; Validate says so.
func TestFamilyMismatchWarned(t *testing.T) {
	p := &segment.Policy{Zones: []segment.Zone{{Name: "lan", CIDRs: mustPrefixes(t, "10.0.1.0/24")}},
		Devices: []segment.Device{{Name: "a", Addr: netip.MustParseAddr("10.0.1.5"), Zone: "lan",
			Rules: []segment.Rule{{Name: "r", Direction: segment.Egress, Peer: segment.Peer{Kind: segment.PeerAny}, Family: segment.IPv6}}}}}
	issues := segment.Validate(p)
	if len(issues) != 1 || issues[0].Severity != segment.Warning || !strings.Contains(issues[0].Msg, "is for ipv6 but the device's address 10.0.1.5 is not") {
		t.Fatalf("%v", issues)
	}
}

// TestDeviceZoneLookup: a device's address is found in its zone's CIDRs
// even behind a later, narrower CIDR of the same zone, and a device inside
// another zone or outside its own is refused.
func TestDeviceZoneLookup(t *testing.T) {
	zones := []segment.Zone{
		{Name: "a", CIDRs: mustPrefixes(t, "10.0.0.0/8", "10.1.0.0/16", "fd00::/16")},
		{Name: "b", CIDRs: mustPrefixes(t, "192.168.0.0/16")},
		{Name: "devs"}, // device-only
	}
	tests := []struct {
		addr, zone, want string
	}{
		{"10.200.0.1", "a", ""}, // after 10.1.0.0/16 starts, still in 10.0.0.0/8
		{"10.1.2.3", "a", ""},
		{"fd00:1::1", "a", ""},
		{"192.168.1.1", "b", ""},
		{"172.16.0.1", "devs", ""},
		{"192.168.1.1", "a", `is in zone "a" but its address 192.168.1.1 is inside zone "b" (192.168.0.0/16)`},
		{"10.200.0.1", "devs", `is in zone "devs" but its address 10.200.0.1 is inside zone "a" (10.0.0.0/8)`},
		{"11.0.0.1", "a", `address 11.0.0.1 is outside its zone "a"`},
		{"::ffff:10.200.0.1", "a", ""}, // the IPv4 address
		{"::a00:1", "a", `address ::a00:1 is outside its zone "a"`},
	}
	for _, tt := range tests {
		p := &segment.Policy{Zones: zones, Devices: []segment.Device{{Name: "d", Addr: netip.MustParseAddr(tt.addr), Zone: tt.zone}}}
		errs := segment.Errors(segment.Validate(p))
		switch {
		case tt.want == "" && len(errs) > 0:
			t.Errorf("%s in %s: %v", tt.addr, tt.zone, errs)
		case tt.want != "" && (len(errs) == 0 || !strings.Contains(errs[0].Msg, tt.want)):
			t.Errorf("%s in %s: %v, want %q", tt.addr, tt.zone, errs, tt.want)
		}
	}
}
