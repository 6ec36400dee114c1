package mud_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

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
