package segment_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/segmenthcl"
)

// zoneCIDRs makes n disjoint /32 CIDRs spread over zones (one in four
// IPv6), as a site that lists every host would.
func zoneCIDRs(n, zones int) *segment.Policy {
	p := &segment.Policy{}
	for z := range zones {
		p.Zones = append(p.Zones, segment.Zone{Name: fmt.Sprintf("z%d", z)})
	}
	for i := range n {
		var a netip.Addr
		if i%4 == 3 {
			a = netip.AddrFrom16([16]byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)})
		} else {
			a = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		}
		z := &p.Zones[(i*7919)%zones] // interleaved: neighbours in different zones
		z.CIDRs = append(z.CIDRs, netip.PrefixFrom(a, a.BitLen()))
	}
	return p
}

// BenchmarkValidateZoneCIDRs: the zone-overlap check on 100,000 CIDRs (the
// issue measured 33 s for 80,000 with the old pairwise check).
func BenchmarkValidateZoneCIDRs(b *testing.B) {
	p := zoneCIDRs(100_000, 50)
	b.ReportAllocs()
	for b.Loop() {
		if errs := segment.Errors(segment.Validate(p)); len(errs) > 0 {
			b.Fatal(errs[0])
		}
	}
}

// TestZoneOverlapSweepFindsEveryOverlap: the sweep reports each CIDR that
// overlaps one of another zone, wherever it sorts, and nothing else.
func TestZoneOverlapSweepFindsEveryOverlap(t *testing.T) {
	p := zoneCIDRs(2000, 7)
	if errs := segment.Errors(segment.Validate(p)); len(errs) > 0 {
		t.Fatal(errs)
	}
	// A wide CIDR in z0 covering hosts of every zone, and a host of z1
	// repeated in z2 far from the first.
	p.Zones[0].CIDRs = append(p.Zones[0].CIDRs, netip.MustParsePrefix("10.0.1.0/24"))
	p.Zones[2].CIDRs = append(p.Zones[2].CIDRs, p.Zones[1].CIDRs[100])
	errs := segment.Errors(segment.Validate(p))
	// 10.0.1.0/24 holds 256 hosts of which 256*6/7 or so are in other
	// zones: each of those is reported once; plus the duplicate.
	other := 0
	for z := 1; z < 7; z++ {
		for _, c := range p.Zones[z].CIDRs {
			if netip.MustParsePrefix("10.0.1.0/24").Overlaps(c) {
				other++
			}
		}
	}
	if len(errs) != other+1 {
		t.Fatalf("%d errors, want %d: %v", len(errs), other+1, errs[:min(3, len(errs))])
	}
}

// bigPolicyMB is the size of BenchmarkLoadBigPolicy's policy.
var bigPolicyMB = 50

// bigPolicy writes an HCL policy of about size bytes: zones, and devices
// with a profile and rules of their own.
func bigPolicy(size int) []byte {
	var b bytes.Buffer
	b.WriteString("local_networks = [\"10.0.0.0/8\"]\n")
	for z := range 64 {
		fmt.Fprintf(&b, "zone \"z%d\" {\n  cidrs = [\"10.%d.0.0/16\"]\n}\n", z, z)
	}
	b.WriteString(`profile "pump" {
  manufacturer = "acme.example"
  model        = "https://acme.example/pump.json"
  allow "ehr" {
    direction = "egress"
    peer      = "zone:z1"
    proto     = "tcp"
    ports     = ["443"]
  }
}
`)
	for i := 0; b.Len() < size; i++ {
		z := i % 64
		fmt.Fprintf(&b, `device "d%d" {
  address = "10.%d.%d.%d"
  zone    = "z%d"
  type    = "infusion-pump"
  profile = "pump"
  allow "telemetry" {
    direction = "egress"
    peer      = "device:d%d"
    proto     = "tcp"
    ports     = ["8443", "9000-9010"]
  }
  allow "console" {
    direction = "ingress"
    peer      = "zone:z%d"
    proto     = "tcp"
    ports     = ["22"]
    initiator = "peer"
  }
}
`, i, z, (i/64)>>8&0xff, (i/64)&0xff, z, i/2*2, (z+1)%64)
	}
	return b.Bytes()
}

// BenchmarkLoadBigPolicy: parse, validate and compile a 50 MB policy (the
// issue: 92 s and 6.5 GB). Run with -benchtime=1x -benchmem; the peak heap
// is reported as peak-MB.
func BenchmarkLoadBigPolicy(b *testing.B) {
	src := bigPolicy(bigPolicyMB << 20)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		p, _, diags := segmenthcl.Load("big.hcl", src)
		if diags.HasErrors() {
			b.Fatal(diags[:min(3, len(diags))])
		}
		e, err := segment.Compile(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(p.Devices)), "devices")
		_ = e
	}
}

// BenchmarkLoadZoneList: one zone listing 2,000,000 /32 CIDRs (a 40 MB
// file; the 50 MB list of /32s got no answer in 300 s).
func BenchmarkLoadZoneList(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("zone \"hosts\" {\n  cidrs = [\n")
	for i := range 2_000_000 {
		fmt.Fprintf(&buf, "    \"10.%d.%d.%d/32\",\n", i>>16&255, i>>8&255, i&255)
	}
	buf.WriteString("  ]\n}\n")
	src := buf.Bytes()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		p, _, diags := segmenthcl.Load("list.hcl", src)
		if diags.HasErrors() {
			b.Fatal(diags[:min(3, len(diags))])
		}
		b.ReportMetric(float64(len(p.Zones[0].CIDRs)), "cidrs")
	}
}
