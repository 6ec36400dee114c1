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
	"github.com/hashicorp/hcl/v2/hclsyntax"
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

// fastEqualsHCL: where fastParse accepts src, hclsyntax accepts it too and
// both decode to the same policy (or both fail to decode). It reports
// whether fastParse accepted it.
func fastEqualsHCL(t testing.TB, src []byte) bool {
	t.Helper()
	body, ok := fastParse("f.hcl", src, hcl.InitialPos)
	if !ok {
		return false
	}
	f, diags := hclsyntax.ParseConfig(src, "f.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("fastParse accepted what hclsyntax refuses: %v\n%q", diags, src)
	}
	got, _, gotOK := decodeWalked(body)
	want, _, wantOK := decodeWalked(f.Body.(*hclsyntax.Body))
	if gotOK != wantOK || !reflect.DeepEqual(got, want) {
		t.Fatalf("fastParse differs from hclsyntax (%v, %v):\n got  %+v\n want %+v\n%q", gotOK, wantOK, got, want, src)
	}
	return true
}

// TestFastParseMatchesHCL: the fast parser builds what hclsyntax builds on
// plain policies, and declines what it does not handle.
func TestFastParseMatchesHCL(t *testing.T) {
	plain := `local_networks = ["10.0.0.0/8", "fd00::/16"]

# a comment
zone "z" {
  cidrs = [
    "10.9.0.0/16",
    "fd00:9::/64",
  ]
}

profile "p" {
  manufacturer = "m.example"
  allow "a" {
    direction = "egress"
    peer      = "zone:z"
    proto     = "tcp"
    ports     = ["443", "8000-8080"]
    family    = "ipv4"
  }
}
device "d" {
  address = "10.9.0.5"
  zone    = "z"
  profile = "p"
}
conduit "c" {
  from       = "z"
  to         = "external"
  monitoring = true
}
`
	if !fastEqualsHCL(t, []byte(plain)) {
		t.Fatal("fastParse declined a plain policy")
	}
	for _, s := range []string{
		`zone "z" { cidrs = ["10.0.0.0/8"] }` + "\n", // single-line block
		"zone \"z\" {\n  spike {\n    window = \"1s\"\n    device_limit = 5\n  }\n}\n",
		"device \"d\" {\n  address = \"a\\\"b\"\n}\n",
		"device \"d\" {\n  address = \"${x}\"\n}\n",
		"device \"d\" {\n  address = \"é\"\n}\n",
		"/* c */\nzone \"z\" {\n}\n",
		"zone \"z\" {\n  cidrs = [\n    # c\n    \"10.0.0.0/8\",\n  ]\n}\n",
		"zone \"z\" {\r\n}\r\n",
		"zone \"z\" {\n  a = \"x\" }\n",
		"zone \"z\" {\n  a = \"x\"\n  a = \"y\"\n}\n",
		"zone z {\n}\n",
	} {
		if fastEqualsHCL(t, []byte(s)) {
			t.Errorf("fastParse accepted %q", s)
		}
	}
}
