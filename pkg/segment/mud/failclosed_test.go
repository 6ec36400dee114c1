package mud_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/mud"
)

func mutate(t *testing.T, from, to string) []byte {
	t.Helper()
	good, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(good), from, to, 1)
	if src == string(good) {
		t.Fatalf("%q not in the example", from)
	}
	return []byte(src)
}

// TestUnknownKeysRefused stops the third fail-open: an ACE whose
// "matches" was misspelled "match" imported as peer any, any protocol.
// Every level of the file refuses keys Ward does not know, and says where.
func TestUnknownKeysRefused(t *testing.T) {
	tests := []struct{ name, from, to, where string }{
		{"match", `"matches": {
                "ipv4": {"ietf-acldns:dst-dnsname"`, `"match": {
                "ipv4": {"ietf-acldns:dst-dnsname"`, `acls.acl["mud-pump-v4fr"].aces.ace["cloud-updates"]: unknown key "match"`},
		{"top level", `"ietf-mud:mud": {`, `"ietf-mud:extra": 1, "ietf-mud:mud": {`, `x.json: unknown key "ietf-mud:extra"`},
		{"mud container", `"mud-version": 1,`, `"mud-version": 1, "mud-versoin": 2,`, `"ietf-mud:mud": unknown key "mud-versoin"`},
		{"policy", `"access-lists": {
        "access-list": [{"name": "mud-pump-v4fr"}]`, `"access-lists": {"acess-list": [],
        "access-list": [{"name": "mud-pump-v4fr"}]`, `"from-device-policy"."access-lists": unknown key "acess-list"`},
		{"acl", `"type": "ipv4-acl-type",`, `"type": "ipv4-acl-type", "tpye": "x",`, `acl["mud-pump-v4fr"]: unknown key "tpye"`},
		{"actions", `"actions": {"forwarding": "accept"}`, `"actions": {"forwarding": "accept", "rate-limit": 5}`, `ace["cloud-updates"].actions: unknown key "rate-limit"`},
		{"ipv4", `"protocol": 6}`, `"protocol": 6, "destination-ipv4-netwrok": "10.0.0.0/8"}`, `.matches.ipv4: unknown key "destination-ipv4-netwrok"`},
		{"tcp", `"ietf-mud:direction-initiated": "from-device",`, `"ietf-mud:direction-initiated": "from-device", "dst-port": 1,`, `.matches.tcp: unknown key "dst-port"`},
		{"port", `{"operator": "eq", "port": 443}`, `{"operator": "eq", "port": 443, "prot": 1}`, `"destination-port": unknown key "prot"`},
		{"case", `"matches": {
                "ipv4": {"ietf-acldns:dst-dnsname"`, `"Matches": {
                "ipv4": {"ietf-acldns:dst-dnsname"`, `unknown key "Matches"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := mud.Parse("x.json", mutate(t, tt.from, tt.to))
			if !errors.Is(err, mud.ErrUnsupported) || !strings.Contains(err.Error(), tt.where) {
				t.Fatalf("got %v (file %v), want ErrUnsupported at %q", err, f, tt.where)
			}
		})
	}
}

// TestDraftContainerNamed: files written against the pre-RFC ACL draft get
// told so, with the name RFC 8520 uses.
func TestDraftContainerNamed(t *testing.T) {
	src := mutate(t, `"ietf-access-control-list:acls"`, `"ietf-access-control-list:access-lists"`)
	_, err := mud.Parse("x.json", src)
	if !errors.Is(err, mud.ErrInvalid) || !strings.Contains(err.Error(), "pre-RFC draft") || !strings.Contains(err.Error(), `"ietf-access-control-list:acls"`) {
		t.Fatalf("got %v", err)
	}
}

// TestMUDProtocolZero: protocol 0 is HOPOPT, never "any".
func TestMUDProtocolZero(t *testing.T) {
	_, err := mud.Parse("x.json", mutate(t, `"protocol": 6}`, `"protocol": 0}`))
	if !errors.Is(err, mud.ErrUnsupported) || !strings.Contains(err.Error(), "HOPOPT") || !strings.Contains(err.Error(), ".matches.ipv4.protocol") {
		t.Fatalf("got %v", err)
	}
}

// TestACLFamilyKept stops the fourth fail-open: ACEs of an ipv4-acl-type
// ACL became rules for both families, so an IPv6 device of the model got
// the same access over IPv6.
func TestACLFamilyKept(t *testing.T) {
	f := parseExample(t)
	for _, r := range f.Profile.Rules {
		if r.Family != segment.IPv4 {
			t.Errorf("rule %s from an ipv4-acl-type ACL has family %s", r.Name, r.Family)
		}
	}
	// An IPv6 ACL with the same ACEs makes them rules for both families,
	// kept once.
	rfc, err := mud.Parse("rfc.json", mustRead(t, "testdata/rfc8520-lightbulb.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rfc.Profile.Rules {
		if r.Family != segment.IPv6 {
			t.Errorf("rule %s from an ipv6-acl-type ACL has family %s", r.Name, r.Family)
		}
	}
	// An ACL type Ward does not know is refused, not taken as "both".
	if _, err := mud.Parse("x.json", mutate(t, `"type": "ipv4-acl-type"`, `"type": "eth-acl-type"`)); !errors.Is(err, mud.ErrUnsupported) {
		t.Fatalf("eth-acl-type: %v", err)
	}
}

// TestEmptyMUDWarns: a file that allows nothing imports with a warning
// that says so, at the mud container.
func TestEmptyMUDWarns(t *testing.T) {
	f, err := mud.Parse("x.json", []byte(`{"ietf-mud:mud":{"mud-version":1,"mud-url":"https://a.example/x.json"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Warnings) != 1 || !strings.Contains(f.Warnings[0].String(), `x.json: "ietf-mud:mud": warning: the file allows no traffic`) {
		t.Fatalf("warnings: %v", f.Warnings)
	}
	if g := parseExample(t); len(g.Warnings) != 0 {
		t.Fatalf("example warns: %v", g.Warnings)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
