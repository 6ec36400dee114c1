package mud_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/mud"
)

// TestRealMUDFiles imports published MUD files (testdata/README.md says
// where each comes from) and compares every rule with what the file says,
// read by hand: name, direction, peer, protocol, destination and source
// ports, initiator and family.
func TestRealMUDFiles(t *testing.T) {
	tests := []struct {
		file    string
		opts    []mud.Option
		profile string
		rules   []string
	}{
		{"rfc8520-lightbulb.json", nil, "lightbulb2000", []string{
			// from-device: TLS to test.example.com that the bulb opens.
			"cl0-frdev egress dns:test.example.com tcp [443] [] device ipv6",
			// to-device: the replies (source port 443) on connections the
			// bulb opened: reply-only, which Validate warns about.
			"cl0-todev ingress dns:test.example.com tcp [] [443] device ipv6",
		}},
		{"cisco-mud-manager-luminaire-150.json", nil, "luminaire_150", []string{
			"cl0-frdev egress dns:fw-update.luminaire.example.com tcp [443] [] device ipv4",
			"myctl0-frdev egress my-controller udp [5684] [] default ipv4",
			"loc0-frdev egress local-networks udp [5683] [] default ipv4",
			"cl0-todev ingress dns:fw-update.luminaire.example.com tcp [] [443] device ipv4",
			"myctl0-todev ingress my-controller udp [] [5684] default ipv4",
			"loc0-todev ingress local-networks udp [] [5683] default ipv4",
		}},
		{"nist-mud-same-manufacturer-test.json", nil, "super1", []string{
			// ACEs with only an ietf-mud match: any protocol, any port, to
			// and from devices of the same manufacturer, IPv4 only.
			"myman0-frdev egress same-manufacturer any [] [] default ipv4",
			"myman0-todev ingress same-manufacturer any [] [] default ipv4",
		}},
		{"sidn-lua-mud-example-from-draft.json", []mud.Option{mud.AcceptDraftContainer()}, "lightbulb2000", []string{
			"cl0-frdev egress dns:test.com tcp [443] [] device ipv6",
			"cl0-todev ingress dns:test.com tcp [] [443] device ipv6",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := mud.Parse(tt.file, mustRead(t, "testdata/"+tt.file), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if f.Profile.Name != tt.profile {
				t.Errorf("profile %q, want %q", f.Profile.Name, tt.profile)
			}
			var got []string
			for _, r := range f.Profile.Rules {
				got = append(got, fmt.Sprintf("%s %s %s %s %v %v %s %s", r.Name, r.Direction, r.Peer, r.Proto, r.DstPorts, r.SrcPorts, r.Initiator, r.Family))
			}
			if strings.Join(got, "\n") != strings.Join(tt.rules, "\n") {
				t.Errorf("rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.rules, "\n"))
			}
		})
	}
	// Without the option the draft file is refused, naming the RFC's name.
	_, err := mud.Parse("d.json", mustRead(t, "testdata/sidn-lua-mud-example-from-draft.json"))
	if !errors.Is(err, mud.ErrInvalid) || !strings.Contains(err.Error(), `RFC 8520 files use "ietf-access-control-list:acls"`) {
		t.Fatalf("draft file: %v", err)
	}
}

// TestRFC8520ExampleEnforced: the RFC's light bulb, on a dual-stack site.
// The bulb over IPv6 reaches test.example.com on 443 and nothing else; a
// bulb with an IPv4 address gets nothing, as the file only has IPv6 ACLs.
func TestRFC8520ExampleEnforced(t *testing.T) {
	f, err := mud.Parse("rfc.json", mustRead(t, "testdata/rfc8520-lightbulb.json"))
	if err != nil {
		t.Fatal(err)
	}
	p := &segment.Policy{
		Zones: []segment.Zone{{Name: "bms", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.5.0.0/24"), netip.MustParsePrefix("fd00:5::/64")}}},
		Devices: []segment.Device{
			{Name: "bulb6", Addr: netip.MustParseAddr("fd00:5::10"), Zone: "bms", Profile: f.Profile.Name},
			{Name: "bulb4", Addr: netip.MustParseAddr("10.5.0.10"), Zone: "bms", Profile: f.Profile.Name},
		},
		Profiles: []segment.Profile{f.Profile},
	}
	e, err := segment.Compile(context.Background(), p, segment.WithResolver(resolver{"test.example.com": {
		netip.MustParseAddr("2001:db8::80"), netip.MustParseAddr("192.0.2.80")}}))
	if err != nil {
		t.Fatal(err)
	}
	for flow, allow := range map[string]bool{
		"src=fd00:5::10 dst=2001:db8::80 proto=tcp dport=443": true,
		"src=fd00:5::10 dst=2001:db8::80 proto=tcp dport=80":  false,
		"src=fd00:5::10 dst=2001:db8::81 proto=tcp dport=443": false,
		"src=2001:db8::80 dst=fd00:5::10 proto=tcp dport=443": false, // the to-device ACE admits replies only
		"src=10.5.0.10 dst=192.0.2.80 proto=tcp dport=443":    false, // IPv6 ACLs only
	} {
		fl, err := segment.ParseFlow(flow)
		if err != nil {
			t.Fatal(err)
		}
		if d := e.Decide(fl); d.Allow != allow {
			t.Errorf("%s: %v", flow, d)
		}
	}
}
