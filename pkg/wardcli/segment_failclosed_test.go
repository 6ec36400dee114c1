package wardcli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// TestSegmentCheckAndCompileAgreeOnIPv6Prefix: the example. A device
// 10.0.1.5 with an egress rule to cidr:::/0 was allowed to 93.184.216.34 by
// `check`, while `compile` wrote "its peer has no v4 address". Both now deny.
func TestSegmentCheckAndCompileAgreeOnIPv6Prefix(t *testing.T) {
	pol := writeTemp(t, "p.hcl", `
zone "lan" { cidrs = ["10.0.1.0/24"] }
device "cam" {
  address = "10.0.1.5"
  zone    = "lan"
  allow "web6" {
    direction = "egress"
    peer      = "cidr:::/0"
    proto     = "tcp"
    ports     = ["443"]
  }
}
`)
	code, out, errs := ward(t, "segment", "check", "--policy", pol, "--flow", "src=10.0.1.5 dst=93.184.216.34 proto=tcp dport=443")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "deny default (no rule of cam allows it)\n", out)
	code, out, errs = ward(t, "segment", "compile", "--policy", pol, "--format", "nft")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `# cam/web6: its peer has no v4 address`)
	assert.NotContains(t, out, `accept comment "cam/web6"`)
}

// TestSegmentSilentEmptiesWarn: a policy that allows nothing, an empty
// profile and a MUD file without ACEs each say so on stderr, with where.
func TestSegmentSilentEmptiesWarn(t *testing.T) {
	pol := writeTemp(t, "empty.hcl", `zone "lan" { cidrs = ["10.0.1.0/24"] }
device "a" {
  address = "10.0.1.5"
  zone    = "lan"
}
`)
	code, _, errs := ward(t, "segment", "check", "--policy", pol, "--flow", "src=10.0.1.5 dst=10.0.1.6 proto=icmp")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, pol+":1:1: Warning: Policy warning")
	assert.Contains(t, errs, "no rules and no conduits: every flow is denied")

	pol = writeTemp(t, "prof.hcl", `zone "lan" { cidrs = ["10.0.1.0/24"] }
profile "bare" {}
device "a" {
  address = "10.0.1.5"
  zone    = "lan"
  profile = "bare"
}
conduit "out" {
  from = "lan"
  to   = "external"
}
`)
	code, _, errs = ward(t, "segment", "compile", "--policy", pol, "--format", "nft")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, pol+":2:1: Warning")
	assert.Contains(t, errs, `profile "bare" has no rules: its 1 device(s) are denied every flow`)

	m := writeTemp(t, "empty.json", `{"ietf-mud:mud":{"mud-version":1,"mud-url":"https://a.example/x.json"}}`)
	code, _, errs = ward(t, "segment", "import-mud", m)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, m+`: "ietf-mud:mud": warning: the file allows no traffic at all`)
}

// TestSegmentImportMUDRefusesMisspelledMatches: "match" for "matches" used
// to import as an allow-all rule.
func TestSegmentImportMUDRefusesMisspelledMatches(t *testing.T) {
	src, err := os.ReadFile(hospitalMUD)
	require.NoError(t, err)
	bad := writeTemp(t, "bad.json", strings.Replace(string(src), `"matches"`, `"match"`, 1))
	code, out, errs := ward(t, "segment", "import-mud", bad)
	assert.Equal(t, 2, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, `unknown key "match"`)

	draft := "../../pkg/segment/mud/testdata/sidn-lua-mud-example-from-draft.json"
	code, _, errs = ward(t, "segment", "import-mud", draft)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `pre-RFC draft`)
	code, out, errs = ward(t, "segment", "import-mud", "--accept-draft-container", draft)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, errs, "pre-RFC container name")
	assert.Contains(t, out, `family    = "ipv6"`)
}
