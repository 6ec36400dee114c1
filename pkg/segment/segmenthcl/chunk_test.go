package segmenthcl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// chunkedEqualsWhole parses src in the smallest pieces the splitter allows,
// decoded by walkFile, and whole, decoded by gohcl; where the chunked parse
// accepts the file the two policies must be identical, locations included.
// It reports whether the chunked parse accepted it.
func chunkedEqualsWhole(t testing.TB, src []byte) bool {
	t.Helper()
	chunks := splitTopLevel(src, 1)
	if len(chunks) < 2 {
		return false
	}
	for i := 1; i < len(chunks); i++ {
		if chunks[i].start.Byte != chunks[i-1].end {
			t.Fatalf("chunks leave a gap: %+v", chunks)
		}
	}
	got, ok, err := parseChunks(context.Background(), "f.hcl", src, chunks)
	if err != nil {
		t.Fatal(err)
	}
	want, _, diags, _ := parseWhole("f.hcl", src, hcl.InitialPos)
	if !ok {
		return false
	}
	if diags.HasErrors() {
		t.Fatalf("chunked parse accepted what the whole parse refuses: %v\n%s", diags, src)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("chunked parse differs:\n got  %+v\n want %+v\n%s", got, want, src)
	}
	return true
}

// TestChunkedParseMatchesWhole: the fast path gives exactly the policy
// gohcl gives, on the example and on files using every construct.
func TestChunkedParseMatchesWhole(t *testing.T) {
	src, err := os.ReadFile("../../../examples/segment/hospital.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if !chunkedEqualsWhole(t, src) {
		t.Fatal("the example was not parsed in chunks")
	}
	extra := `
# comments { [ " everywhere
/* block comment
   zone "x" { } */
zone "z" {
  cidrs = ["10.9.0.0/16", "fd00:9::/64"] // trailing
  spike {
    window       = "5s"
    device_limit = 10
    zone_limit   = 100
    learn        = true
    factor       = 2.5
    calm         = "1m"
    quarantine_segment = true
  }
}
controller "urn:x" { addresses = ["10.9.0.53", "fd00:9::53"] }
device "d" {
  address = "10.9.0.5"
  zone    = "z"
  type    = "pump"
  manufacturer = "m.example"
  model   = "https://m.example/x.json"
  allow "a" {
    direction = "egress"
    peer      = "dns:x.example"
    proto     = "udp"
    ports     = ["53", "5353-5354"]
    src_ports = ["1-65535"]
    initiator = "either"
    family    = "ipv6"
  }
}
conduit "c" {
  from = "z"
  to = "external"
  proto = "tcp"
  ports = ["443"]
  monitoring = false
}
`
	if !chunkedEqualsWhole(t, append(src, extra...)) {
		t.Fatal("the extended example was not parsed in chunks")
	}
	// What walkFile must leave to gohcl: the chunked parse declines, and
	// ParseContext then gives gohcl's diagnostics.
	for _, bad := range []string{
		`proto = 6`,                    // gohcl converts the number to "6"
		`portz = ["1"]`,                // unknown attribute
		`ports = "443"`,                // not a list: the decoder's own error
		`peer = "any"` + "\n peer = 1", // duplicate
	} {
		s := strings.Replace(extra, `proto = "tcp"`, bad, 1)
		s = strings.Repeat(s, 2) // two conduits "c": still decodes
		whole, _, wdiags := Parse("f.hcl", []byte(s))
		_ = chunkedEqualsWhole(t, []byte(s))
		p, _, diags, err := ParseContext(context.Background(), "f.hcl", []byte(s))
		if err != nil || !reflect.DeepEqual(p, whole) || diags.Error() != wdiags.Error() {
			t.Errorf("%s: ParseContext differs from Parse: %v / %v", bad, diags, wdiags)
		}
	}
}

// TestParseContextCancelled: a cancelled context stops a big parse.
func TestParseContextCancelled(t *testing.T) {
	var b strings.Builder
	for i := 0; b.Len() < 3*chunkSize; i++ {
		fmt.Fprintf(&b, "zone \"z%d\" {\n  cidrs = [\"10.%d.%d.0/24\"]\n}\n", i, i>>8&255, i&255)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, _, err := ParseContext(ctx, "f.hcl", []byte(b.String())); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if _, _, _, err := LoadContext(ctx, "f.hcl", []byte(b.String())); !errors.Is(err, context.Canceled) {
		t.Fatalf("LoadContext: err %v", err)
	}
	p, _, diags, err := ParseContext(context.Background(), "f.hcl", []byte(b.String()))
	if err != nil || diags.HasErrors() || len(p.Zones) < 1000 {
		t.Fatalf("%v %v", err, diags)
	}
}
