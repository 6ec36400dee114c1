package segmenthcl

import (
	"context"
	"os"
	"reflect"
	"testing"

	"github.com/wardsec/ward/pkg/segment"
)

// FuzzParse: any input either fails with diagnostics or gives a policy that
// survives Encode and Parse unchanged.
func FuzzParse(f *testing.F) {
	src, err := os.ReadFile("../../../examples/segment/hospital.hcl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(src)
	f.Add([]byte("zone \"a\" {\n  cidrs = [\"10.0.0.0/24\"]\n}\ndevice \"d\" {\n  address = \"10.0.0.2\"\n  zone = \"a\"\n  allow \"r\" {\n    direction = \"egress\"\n    peer = \"any\"\n    proto = \"udp\"\n    ports = [\"1-9\"]\n  }\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// The chunked fast path agrees with gohcl wherever it accepts.
		chunkedEqualsWhole(t, data)
		fastEqualsHCL(t, data)
		p, _, diags := Parse("fuzz.hcl", data)
		if diags.HasErrors() {
			if p != nil {
				t.Fatal("errors and a policy")
			}
			return
		}
		out := Encode(p)
		q, _, diags := Parse("again.hcl", out)
		if diags.HasErrors() {
			t.Fatalf("encoded policy does not parse: %v\n%s", diags, out)
		}
		clearLocs(p)
		clearLocs(q)
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed the policy:\n%s", out)
		}
		// A policy that validates compiles, decides and renders.
		if len(segment.Errors(segment.Validate(p))) > 0 {
			return
		}
		e, err := segment.Compile(context.Background(), p)
		if err != nil {
			t.Fatalf("valid policy does not compile: %v", err)
		}
		for _, s := range []string{"src=10.77.10.5 dst=10.77.30.20 proto=tcp dport=443", "src=10.0.0.2 dst=192.0.2.1 proto=udp dport=9"} {
			f, _ := segment.ParseFlow(s)
			_ = e.Explain(f)
		}
		if e.NFTables(segment.NFTOptions{}) == "" {
			t.Fatal("empty ruleset")
		}
	})
}
