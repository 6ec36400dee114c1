package segmenthcl

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/wardsec/ward/pkg/segment"
)

func loadExample(t *testing.T) *segment.Policy {
	t.Helper()
	src, err := os.ReadFile("../../../examples/segment/hospital.hcl")
	if err != nil {
		t.Fatal(err)
	}
	p, _, diags := Load("hospital.hcl", src)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return p
}

func TestHospitalExampleDecides(t *testing.T) {
	e, err := segment.Compile(context.Background(), loadExample(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ flow, want string }{
		{"src=10.77.10.5 dst=10.77.30.20 proto=tcp dport=443", "allow pump-1/acme-pump/ehr-fhir (hospital.hcl:42:3)"},
		{"src=10.77.10.5 dst=10.77.20.10 proto=tcp dport=8443", "allow pump-1/acme-pump/telemetry (hospital.hcl:56:3)"},
		{"src=10.77.20.33 dst=10.77.10.5 proto=tcp dport=443", "allow pump-1/acme-pump/clinician-ui (hospital.hcl:63:3)"},
		{"src=10.77.40.9 dst=10.77.10.5 proto=tcp dport=443", "deny default (no rule of pump-1 allows it)"},
		{"src=10.77.10.5 dst=203.0.113.7 proto=tcp dport=443", "deny default (no rule of pump-1 allows it)"},
		{"src=10.77.10.5 dst=10.77.30.53 proto=udp dport=53", "allow pump-1/acme-pump/dns (hospital.hcl:49:3)"},
		{"src=10.77.40.9 dst=198.51.100.1 proto=tcp dport=80", "allow conduit/guest-internet (hospital.hcl:114:1)"},
		{"src=10.77.99.4 dst=10.77.30.20 proto=tcp dport=443", "deny unknown-device 10.77.99.4"},
		{"src=10.77.20.33 dst=10.77.30.20 proto=tcp dport=443", "allow conduit/clinical-to-ehr (hospital.hcl:107:1)"},
		{"src=10.77.10.5 dst=10.77.10.6 proto=tcp dport=23", "deny default (no rule of pump-1 allows it)"},
		{"src=10.77.20.33 dst=10.77.40.9 proto=tcp dport=22", "deny default (no conduit allows it)"},
	}
	for _, tt := range tests {
		f, err := segment.ParseFlow(tt.flow)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Decide(f).String(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.flow, got, tt.want)
		}
	}
}

// TestBadPolicies: each mistake is reported at the line and column where it
// was written, and the policy is refused.
func TestBadPolicies(t *testing.T) {
	base := "zone \"a\" {\n  cidrs = [\"10.0.0.0/24\"]\n}\n"
	tests := []struct{ name, src, want string }{
		{"syntax", "zone \"a\" {\n  cidrs = [\n", "x.hcl:3:1: Error: Missing expression"},
		{"bad cidr", "zone \"a\" {\n  cidrs = [\"10.0.0.1/24\"]\n}\n", "x.hcl:2:12: Error: Invalid CIDR"},
		{"bad port", base + "device \"d\" {\n  address = \"10.0.0.2\"\n  zone = \"a\"\n  allow \"r\" {\n    direction = \"egress\"\n    peer = \"any\"\n    proto = \"tcp\"\n    ports = [\"70000\"]\n  }\n}\n", "x.hcl:11:14: Error: Invalid port"},
		{"reversed range", base + "device \"d\" {\n  address = \"10.0.0.2\"\n  zone = \"a\"\n  allow \"r\" {\n    direction = \"egress\"\n    peer = \"any\"\n    proto = \"tcp\"\n    ports = [\"90-80\"]\n  }\n}\n", "low end above high end"},
		{"ports without tcp", base + "device \"d\" {\n  address = \"10.0.0.2\"\n  zone = \"a\"\n  allow \"r\" {\n    direction = \"egress\"\n    peer = \"any\"\n    ports = [\"80\"]\n  }\n}\n", "x.hcl:7:3: Error: Policy error"},
		{"bad peer", base + "device \"d\" {\n  address = \"10.0.0.2\"\n  zone = \"a\"\n  allow \"r\" {\n    direction = \"egress\"\n    peer = \"zone\"\n  }\n}\n", "x.hcl:9:12: Error: Invalid peer"},
		{"bad direction", base + "device \"d\" {\n  address = \"10.0.0.2\"\n  zone = \"a\"\n  allow \"r\" {\n    direction = \"out\"\n    peer = \"any\"\n  }\n}\n", "x.hcl:8:17: Error: Invalid direction"},
		{"bad address", base + "device \"d\" {\n  address = \"10.0.0.300\"\n  zone = \"a\"\n}\n", "x.hcl:5:13: Error: Invalid address"},
		{"device outside zone", base + "device \"d\" {\n  address = \"10.9.0.2\"\n  zone = \"a\"\n}\n", "x.hcl:4:1: Error: Policy error"},
		{"overlapping zones", base + "zone \"b\" {\n  cidrs = [\"10.0.0.128/25\"]\n}\n", "overlaps zone \"a\""},
		{"unknown zone in conduit", base + "conduit \"c\" {\n  from = \"a\"\n  to = \"nowhere\"\n}\n", "unknown zone \"nowhere\""},
		{"duplicate device address", base + "device \"d\" {\n  address = \"10.0.0.2\"\n  zone = \"a\"\n}\ndevice \"e\" {\n  address = \"10.0.0.2\"\n  zone = \"a\"\n}\n", "x.hcl:8:1: Error: Policy error"},
		{"unknown attribute", "zone \"a\" {\n  cidr = [\"10.0.0.0/24\"]\n}\n", "x.hcl:2:3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f, diags := Load("x.hcl", []byte(tt.src))
			if !diags.HasErrors() || p != nil {
				t.Fatalf("accepted: %v", diags)
			}
			var b strings.Builder
			if err := WriteDiagnostics(&b, f, diags); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tt.want) {
				t.Fatalf("diagnostics do not mention %q:\n%s", tt.want, b.String())
			}
		})
	}
}

func TestOverlapIsAWarning(t *testing.T) {
	src := "zone \"a\" {\n  cidrs = [\"10.0.0.0/24\"]\n}\ndevice \"d\" {\n  address = \"10.0.0.2\"\n  zone = \"a\"\n" +
		"  allow \"web\" {\n    direction = \"egress\"\n    peer = \"cidr:10.1.0.0/16\"\n    proto = \"tcp\"\n    ports = [\"80-443\"]\n  }\n" +
		"  allow \"tls\" {\n    direction = \"egress\"\n    peer = \"cidr:10.1.2.0/24\"\n    proto = \"tcp\"\n    ports = [\"443\"]\n  }\n}\n"
	p, f, diags := Load("x.hcl", []byte(src))
	if diags.HasErrors() || p == nil {
		t.Fatal(diags)
	}
	var b strings.Builder
	if err := WriteDiagnostics(&b, f, diags); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "x.hcl:13:3: Warning: Policy warning") || !strings.Contains(b.String(), `rule "tls" overlaps rule "web"`) {
		t.Fatalf("overlap not reported:\n%s", b.String())
	}
}

// TestEncodeRoundTrip: writing a policy and reading it back gives the same
// policy (locations aside).
func TestEncodeRoundTrip(t *testing.T) {
	p := loadExample(t)
	out := Encode(p)
	q, _, diags := Load("again.hcl", out)
	if diags.HasErrors() {
		t.Fatalf("%v\n%s", diags, out)
	}
	clearLocs(p)
	clearLocs(q)
	if !reflect.DeepEqual(p, q) {
		t.Fatalf("round trip changed the policy:\n%s", out)
	}
}

func clearLocs(p *segment.Policy) {
	for i := range p.Zones {
		p.Zones[i].Loc = segment.Location{}
		if p.Zones[i].Spike != nil {
			p.Zones[i].Spike.Loc = segment.Location{}
		}
	}
	for i := range p.Controllers {
		p.Controllers[i].Loc = segment.Location{}
	}
	for i := range p.Conduits {
		p.Conduits[i].Loc = segment.Location{}
		p.Conduits[i].FromLoc, p.Conduits[i].ToLoc = segment.Location{}, segment.Location{}
	}
	clearRules := func(rs []segment.Rule) {
		for i := range rs {
			rs[i].Loc, rs[i].PeerLoc = segment.Location{}, segment.Location{}
		}
	}
	for i := range p.Profiles {
		p.Profiles[i].Loc = segment.Location{}
		clearRules(p.Profiles[i].Rules)
	}
	for i := range p.Devices {
		p.Devices[i].Loc = segment.Location{}
		p.Devices[i].ZoneLoc, p.Devices[i].ProfileLoc = segment.Location{}, segment.Location{}
		clearRules(p.Devices[i].Rules)
	}
}
