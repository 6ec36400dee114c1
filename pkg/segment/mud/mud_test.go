package mud_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/mud"
	"github.com/wardsec/ward/pkg/segment/segmenthcl"
)

const example = "../../../examples/segment/acme-pump.mud.json"

func parseExample(t testing.TB) *mud.File {
	t.Helper()
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	f, err := mud.Parse("acme-pump.mud.json", data)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestParseExample(t *testing.T) {
	f := parseExample(t)
	if f.Profile.Name != "pump-9000" || f.Manufacturer != "acme-medical.example" || f.Profile.Model != "https://acme-medical.example/mud/pump-9000.json" {
		t.Fatalf("identity: %+v", f)
	}
	var got []string
	for _, r := range f.Profile.Rules {
		got = append(got, fmt.Sprintf("%s %s %s %s %v %v %s", r.Name, r.Direction, r.Peer, r.Proto, r.DstPorts, r.SrcPorts, r.Initiator))
	}
	want := []string{
		"cloud-updates egress dns:updates.acme-medical.example tcp [443] [] device",
		"dns egress controller:urn:ietf:params:mud:dns udp [53] [] default",
		"peer-pumps egress same-manufacturer tcp [7400] [] default",
		"telemetry egress my-controller tcp [8443] [] device",
		"ntp egress local-networks udp [123] [] default",
		"cloud-updates-replies ingress dns:updates.acme-medical.example tcp [] [443] device",
		"peer-pumps-in ingress same-manufacturer tcp [7400] [] default",
		"service-tool ingress model:https://acme-medical.example/mud/service-tool.json tcp [9000-9010] [] default",
		"vendor-console ingress manufacturer:console.acme-medical.example tcp [22] [] default",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if loc := f.Profile.Rules[2].Loc.String(); loc != `acme-pump.mud.json: acls.acl["mud-pump-v4fr"].aces.ace["peer-pumps"]` {
		t.Fatalf("location %q", loc)
	}
}

type resolver map[string][]netip.Addr

func (r resolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

// site puts two pumps of the MUD file's model, a service tool, a vendor
// console and an unrelated device on a network.
func site(f *mud.File) *segment.Policy {
	a := netip.MustParseAddr
	return &segment.Policy{
		LocalNetworks: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		Zones: []segment.Zone{
			{Name: "medical", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/24")}},
			{Name: "it", CIDRs: []netip.Prefix{netip.MustParsePrefix("10.2.0.0/24")}},
		},
		Profiles: []segment.Profile{f.Profile},
		Devices: []segment.Device{
			{Name: "pump-a", Addr: a("10.1.0.5"), Zone: "medical", Profile: f.Profile.Name},
			{Name: "pump-b", Addr: a("10.1.0.6"), Zone: "medical", Profile: f.Profile.Name},
			{Name: "tool", Addr: a("10.2.0.7"), Zone: "it", Model: "https://acme-medical.example/mud/service-tool.json"},
			{Name: "console", Addr: a("10.2.0.8"), Zone: "it", Manufacturer: "console.acme-medical.example"},
			{Name: "printer", Addr: a("10.2.0.9"), Zone: "it", Manufacturer: "printers.example"},
		},
		Controllers: []segment.Controller{
			{Class: "urn:ietf:params:mud:dns", Addrs: []netip.Addr{a("10.2.0.53")}},
			{Class: f.Profile.Model, Addrs: []netip.Addr{a("10.2.0.60")}},
		},
	}
}

var dns = resolver{"updates.acme-medical.example": {netip.MustParseAddr("203.0.113.10")}}

// TestLateralClasses: every MUD class allows exactly the peers it names.
func TestLateralClasses(t *testing.T) {
	e, err := segment.Compile(context.Background(), site(parseExample(t)), segment.WithResolver(dns))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		flow  string
		allow bool
		rule  string
	}{
		{"src=10.1.0.5 dst=10.1.0.6 proto=tcp dport=7400", true, "pump-a/pump-9000/peer-pumps"},   // same-manufacturer, both sides
		{"src=10.1.0.5 dst=10.2.0.9 proto=tcp dport=7400", false, ""},                             // printer: other manufacturer
		{"src=10.2.0.7 dst=10.1.0.5 proto=tcp dport=9005", true, "pump-a/pump-9000/service-tool"}, // model
		{"src=10.2.0.9 dst=10.1.0.5 proto=tcp dport=9005", false, ""},                             // not the model
		{"src=10.2.0.8 dst=10.1.0.5 proto=tcp dport=22", true, "pump-a/pump-9000/vendor-console"}, // manufacturer
		{"src=10.2.0.7 dst=10.1.0.5 proto=tcp dport=22", false, ""},                               // not that manufacturer
		{"src=10.1.0.5 dst=10.2.0.53 proto=udp dport=53", true, "pump-a/pump-9000/dns"},           // controller
		{"src=10.1.0.5 dst=10.2.0.60 proto=udp dport=53", false, ""},                              // a controller, not the DNS one
		{"src=10.1.0.5 dst=10.2.0.60 proto=tcp dport=8443", true, "pump-a/pump-9000/telemetry"},   // my-controller
		{"src=10.1.0.5 dst=10.2.0.53 proto=tcp dport=8443", false, ""},                            // not my controller
		{"src=10.1.0.5 dst=10.2.0.9 proto=udp dport=123", true, "pump-a/pump-9000/ntp"},           // local-networks
		{"src=10.1.0.5 dst=192.0.2.1 proto=udp dport=123", false, ""},                             // the internet is not local
		{"src=10.1.0.5 dst=203.0.113.10 proto=tcp dport=443", true, "pump-a/pump-9000/cloud-updates"},
		{"src=10.1.0.5 dst=203.0.113.11 proto=tcp dport=443", false, ""},
		{"src=203.0.113.10 dst=10.1.0.5 proto=tcp dport=443", false, ""}, // replies-only rule opens nothing
	}
	for _, tt := range tests {
		f, err := segment.ParseFlow(tt.flow)
		if err != nil {
			t.Fatal(err)
		}
		d := e.Decide(f)
		if d.Allow != tt.allow || (tt.allow && d.Rule != tt.rule) {
			t.Errorf("%s: %v, want allow=%v %s", tt.flow, d, tt.allow, tt.rule)
		}
	}
}

// TestImportRoundTrip: the HCL that import-mud prints, decoded again,
// decides every flow as the MUD file itself does.
func TestImportRoundTrip(t *testing.T) {
	f := parseExample(t)
	direct, err := segment.Compile(context.Background(), site(f), segment.WithResolver(dns))
	if err != nil {
		t.Fatal(err)
	}
	hcl := segmenthcl.Encode(&segment.Policy{Profiles: []segment.Profile{f.Profile}})
	back, _, diags := segmenthcl.Parse("imported.hcl", hcl)
	if diags.HasErrors() {
		t.Fatalf("%v\n%s", diags, hcl)
	}
	p2 := site(f)
	p2.Profiles = back.Profiles
	again, err := segment.Compile(context.Background(), p2, segment.WithResolver(dns))
	if err != nil {
		t.Fatal(err)
	}
	addrs := []string{"10.1.0.5", "10.1.0.6", "10.2.0.7", "10.2.0.8", "10.2.0.9", "10.2.0.53", "10.2.0.60", "203.0.113.10", "192.0.2.1", "10.9.9.9"}
	ports := []uint16{22, 53, 123, 443, 7400, 8443, 9000, 9010, 9011}
	r := rand.New(rand.NewPCG(1, 2))
	allowed := 0
	for range 20000 {
		fl := segment.Flow{Src: netip.MustParseAddr(addrs[r.IntN(len(addrs))]), Dst: netip.MustParseAddr(addrs[r.IntN(len(addrs))]),
			Proto: []segment.Proto{segment.ProtoTCP, segment.ProtoUDP}[r.IntN(2)], DstPort: ports[r.IntN(len(ports))], SrcPort: ports[r.IntN(len(ports))]}
		a, b := direct.Decide(fl), again.Decide(fl)
		if a.Allow != b.Allow || a.Rule != b.Rule || a.Also != b.Also {
			t.Fatalf("%s: MUD %v, HCL %v", fl, a, b)
		}
		if a.Allow {
			allowed++
		}
	}
	if allowed == 0 {
		t.Fatal("no flow allowed: the comparison proves nothing")
	}
}

func TestBadMUD(t *testing.T) {
	good, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, from, to string
		kind           error
		want           string
	}{
		{"syntax", `"mud-version": 1,`, `"mud-version": 1,,`, mud.ErrInvalid, "x.json:3:22: JSON syntax"},
		{"drop action", `"forwarding": "accept"`, `"forwarding": "drop"`, mud.ErrUnsupported, `aces.ace["cloud-updates"].actions: forwarding "drop"`},
		{"unknown match", `"protocol": 17},`, `"protocol": 17, "dscp": 10},`, mud.ErrUnsupported, `unknown field "dscp"`},
		{"bad port", `"port": 443}`, `"port": 70000}`, mud.ErrInvalid, "destination-port: mud: invalid: port must be 1-65535"},
		{"reversed range", `"lower-port": 9000, "upper-port": 9010`, `"lower-port": 9010, "upper-port": 9000`, mud.ErrInvalid, "lower-port <= upper-port"},
		{"undefined acl", `[{"name": "mud-pump-v4to"}]`, `[{"name": "nope"}]`, mud.ErrInvalid, `names ACL "nope"`},
		{"http url", `"https://acme-medical.example/mud/pump-9000.json"`, `"http://acme-medical.example/mud/pump-9000.json"`, mud.ErrInvalid, "want an https URL"},
		{"combined peers", `{"controller": "urn:ietf:params:mud:dns"},
                "ipv4": {"protocol": 17}`, `{"controller": "urn:ietf:params:mud:dns"},
                "ipv4": {"protocol": 17, "destination-ipv4-network": "10.0.0.0/8"}`, mud.ErrUnsupported, "combines 2 peer matches"},
		{"host bits", `"protocol": 17},`, `"protocol": 17, "destination-ipv4-network": "10.0.0.1/8"},`, mud.ErrInvalid, "host bits"},
		{"own address", `{"ietf-acldns:dst-dnsname": "updates.acme-medical.example", "protocol": 6}`, `{"ietf-acldns:src-dnsname": "updates.acme-medical.example", "protocol": 6}`, mud.ErrUnsupported, "device's own address"},
		{"wrong type", `"mud-version": 1`, `"mud-version": "one"`, mud.ErrInvalid, "want a JSON int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(string(good), tt.from, tt.to, 1)
			if src == string(good) {
				t.Fatalf("test did not change the file")
			}
			_, err := mud.Parse("x.json", []byte(src))
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %v mentioning %q", err, tt.kind, tt.want)
			}
		})
	}
	if _, err := mud.Parse("x.json", []byte(`{}`)); !errors.Is(err, mud.ErrInvalid) {
		t.Fatalf("empty document: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	data, err := os.ReadFile(example)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"ietf-mud:mud":{"mud-version":1,"mud-url":"https://a.example/x.json"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		mf, err := mud.Parse("fuzz.json", data)
		if err != nil {
			if !errors.Is(err, mud.ErrInvalid) && !errors.Is(err, mud.ErrUnsupported) {
				t.Fatalf("error matches no sentinel: %v", err)
			}
			return
		}
		// Whatever parses must validate as a profile and survive HCL.
		p := &segment.Policy{Profiles: []segment.Profile{mf.Profile}}
		if errs := segment.Errors(segment.Validate(p)); len(errs) > 0 {
			t.Fatalf("parsed profile does not validate: %v", errs)
		}
		if _, _, diags := segmenthcl.Parse("x.hcl", segmenthcl.Encode(p)); diags.HasErrors() {
			t.Fatalf("encoded profile does not parse: %v", diags)
		}
	})
}
