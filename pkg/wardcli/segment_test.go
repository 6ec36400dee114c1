package wardcli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/segment"
	"github.com/wardsec/ward/pkg/segment/mud"
	"github.com/wardsec/ward/pkg/segment/segmenthcl"
)

const (
	hospitalHCL = "../../examples/segment/hospital.hcl"
	hospitalMUD = "../../examples/segment/acme-pump.mud.json"
)

func TestSegmentCheckOneFlow(t *testing.T) {
	code, out, errs := ward(t, "segment", "check", "--policy", hospitalHCL, "--flow", "src=10.77.10.5 dst=10.77.30.20 proto=tcp dport=443")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "allow pump-1/acme-pump/ehr-fhir ("+hospitalHCL+":42:3)\n", out)

	code, out, _ = ward(t, "segment", "check", "--policy", hospitalHCL, "--flow", "src=10.77.40.9 dst=10.77.10.5 proto=tcp dport=443")
	require.Equal(t, 0, code)
	assert.Equal(t, "deny default (no rule of pump-1 allows it)\n", out)

	code, out, _ = ward(t, "segment", "check", "--policy", hospitalHCL, "--explain", "--flow", "src=10.77.99.4 dst=10.77.10.5 proto=tcp dport=443")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "source 10.77.99.4 is an unknown device")
	assert.Contains(t, out, "decision: deny unknown-device 10.77.99.4")
}

// TestSegmentCheckBatch: one decision per flow, in order (golden file).
func TestSegmentCheckBatch(t *testing.T) {
	code, out, errs := ward(t, "segment", "check", "--policy", hospitalHCL, "--flows", "../../examples/segment/flows.txt")
	require.Equal(t, 0, code, errs)
	golden := filepath.Join("testdata", "segment-check.golden")
	if os.Getenv("WARD_UPDATE_GOLDEN") == "1" {
		require.NoError(t, os.WriteFile(golden, []byte(out), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), out)
	flows, _ := os.ReadFile("../../examples/segment/flows.txt")
	assert.Equal(t, strings.Count(string(flows), "\n"), strings.Count(out, "\n"), "one decision per flow")
}

func TestSegmentCheckStdinAndBadLines(t *testing.T) {
	var out, errb bytes.Buffer
	root := newRoot(&out, &errb)
	root.SetIn(strings.NewReader("src=10.77.20.33 dst=10.77.30.20 proto=tcp dport=443\n\n# a comment\nsrc=10.77.20.33 dst=10.77.30.20 proto=tcp\nsrc=10.77.20.33 dst=10.77.30.20 proto=tcp dport=22\n"))
	root.SetArgs([]string{"segment", "check", "--policy", hospitalHCL, "--flows", "-"})
	err := root.ExecuteContext(context.Background())
	require.Error(t, err, "a bad line makes the command fail")
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 5, out.String())
	assert.True(t, strings.HasPrefix(lines[0], "allow conduit/clinical-to-ehr"))
	assert.Equal(t, "", lines[1])
	assert.Equal(t, "# a comment", lines[2])
	assert.Equal(t, "error: segment: invalid flow: column 42: missing dport= for tcp in \"src=10.77.20.33 dst=10.77.30.20 proto=tcp\"", lines[3])
	assert.Equal(t, "deny default (no conduit allows it)", lines[4])
	assert.Contains(t, errb.String(), "-:4: segment: invalid flow")
}

func TestSegmentBadUsageAndPolicy(t *testing.T) {
	code, _, errs := ward(t, "segment", "check", "--flow", "src=1.2.3.4 dst=1.2.3.5 proto=icmp")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--policy is required")
	code, _, _ = ward(t, "segment", "check", "--policy", hospitalHCL, "--flow", "x", "--flows", "y")
	assert.Equal(t, 2, code)
	code, _, errs = ward(t, "segment", "check", "--policy", hospitalHCL, "--flow", "src=10.77.10.5 dst=10.77.30.20 proto=tcp dport=99999")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `column 42: dport "99999"`)

	bad := filepath.Join(t.TempDir(), "bad.hcl")
	src, _ := os.ReadFile(hospitalHCL)
	require.NoError(t, os.WriteFile(bad, bytes.Replace(src, []byte(`address = "10.77.10.6"`), []byte(`address = "10.77.20.6"`), 1), 0o644))
	code, _, errs = ward(t, "segment", "compile", "--policy", bad, "--format", "nft")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, bad+":78:1: Error: Policy error")
	assert.Contains(t, errs, `device "pump-2" is in zone "medical-devices" but its address 10.77.20.6 is inside zone "clinical"`)
	assert.Contains(t, errs, "ward: "+bad+": policy has errors")

	code, _, _ = ward(t, "segment", "compile", "--policy", hospitalHCL, "--format", "iptables")
	assert.Equal(t, 2, code)
}

func TestSegmentCompile(t *testing.T) {
	code, out, errs := ward(t, "segment", "compile", "--policy", hospitalHCL, "--format", "nft")
	require.Equal(t, 0, code, errs)
	want, err := os.ReadFile("../../pkg/segment/testdata/hospital.nft")
	require.NoError(t, err)
	assert.Equal(t, string(want), out)

	prev := filepath.Join(t.TempDir(), "prev.nft")
	require.NoError(t, os.WriteFile(prev, []byte(strings.Replace(out, "tcp dport 8443 counter return", "tcp dport 8444 counter return", 1)), 0o644))
	code, out, _ = ward(t, "segment", "compile", "--policy", hospitalHCL, "--format", "nft", "--diff", prev)
	require.Equal(t, 0, code)
	assert.Equal(t, 2, strings.Count(out, "\n"), out)
	assert.Contains(t, out, "-\t\tip saddr @zone0_v4 ip daddr @zone1_v4 tcp dport 8444")
	assert.Contains(t, out, "+\t\tip saddr @zone0_v4 ip daddr @zone1_v4 tcp dport 8443")
}

// TestSegmentImportMUDRoundTrip: the HCL import-mud prints, put into a
// site policy, decides every flow as the MUD file does when the same site
// takes its profile straight from the MUD parser (pkg/segment/mud's
// TestImportRoundTrip); here through the CLI end to end.
func TestSegmentImportMUDRoundTrip(t *testing.T) {
	code, imported, errs := ward(t, "segment", "import-mud", hospitalMUD)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, imported, `profile "pump-9000" {`)
	assert.Contains(t, imported, `peer      = "same-manufacturer"`)
	assert.Contains(t, imported, `# needs: controller "urn:ietf:params:mud:dns" { addresses = [...] }`)
	site := `
local_networks = ["10.0.0.0/8"]
zone "medical" {
  cidrs = ["10.1.0.0/24"]
}
zone "it" {
  cidrs = ["10.2.0.0/24"]
}
controller "urn:ietf:params:mud:dns" {
  addresses = ["10.2.0.53"]
}
controller "https://acme-medical.example/mud/pump-9000.json" {
  addresses = ["10.2.0.60"]
}
device "pump-a" {
  address = "10.1.0.5"
  zone    = "medical"
  profile = "pump-9000"
}
device "pump-b" {
  address = "10.1.0.6"
  zone    = "medical"
  profile = "pump-9000"
}
device "tool" {
  address = "10.2.0.7"
  zone    = "it"
  model   = "https://acme-medical.example/mud/service-tool.json"
}
device "console" {
  address      = "10.2.0.8"
  zone         = "it"
  manufacturer = "console.acme-medical.example"
}
`
	pol := filepath.Join(t.TempDir(), "site.hcl")
	require.NoError(t, os.WriteFile(pol, []byte(imported+site), 0o644))
	flows := strings.Join([]string{
		"src=10.1.0.5 dst=10.1.0.6 proto=tcp dport=7400",
		"src=10.2.0.7 dst=10.1.0.5 proto=tcp dport=9005",
		"src=10.2.0.8 dst=10.1.0.5 proto=tcp dport=9005",
		"src=10.2.0.8 dst=10.1.0.5 proto=tcp dport=22",
		"src=10.1.0.5 dst=10.2.0.53 proto=udp dport=53",
		"src=10.1.0.5 dst=10.2.0.60 proto=tcp dport=8443",
		"src=10.1.0.5 dst=10.2.0.53 proto=tcp dport=8443",
		"src=10.1.0.5 dst=10.2.0.9 proto=udp dport=123",
		"src=10.1.0.5 dst=192.0.2.1 proto=udp dport=123",
		"src=10.1.0.5 dst=203.0.113.10 proto=tcp dport=443",
	}, "\n") + "\n"
	ff := filepath.Join(t.TempDir(), "flows.txt")
	require.NoError(t, os.WriteFile(ff, []byte(flows), 0o644))
	code, out, errs := ward(t, "segment", "check", "--policy", pol, "--flows", ff, "--dns", "updates.acme-medical.example=203.0.113.10")
	require.Equal(t, 0, code, errs)
	var verdicts []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		verdicts = append(verdicts, f[0]+" "+f[1])
	}
	// The same site with the profile taken straight from the MUD parser
	// decides every flow the same.
	data, err := os.ReadFile(hospitalMUD)
	require.NoError(t, err)
	mf, err := mud.Parse("acme-pump.mud.json", data)
	require.NoError(t, err)
	siteOnly, _, diags := segmenthcl.Parse("site.hcl", []byte(site))
	require.False(t, diags.HasErrors(), diags.Error())
	siteOnly.Profiles = []segment.Profile{mf.Profile}
	direct, err := segment.Compile(context.Background(), siteOnly, segment.WithResolver(staticResolver{"updates.acme-medical.example": {netip.MustParseAddr("203.0.113.10")}}))
	require.NoError(t, err)
	for i, l := range strings.Split(strings.TrimSpace(flows), "\n") {
		fl, err := segment.ParseFlow(l)
		require.NoError(t, err)
		d := direct.Decide(fl)
		want := "deny " + d.Reason.String()
		if d.Allow {
			want = "allow " + d.Rule
		}
		assert.Equal(t, want, verdicts[i], l)
	}
	assert.Equal(t, []string{
		"allow pump-a/pump-9000/peer-pumps",
		"allow pump-a/pump-9000/service-tool",
		"deny default",
		"allow pump-a/pump-9000/vendor-console",
		"allow pump-a/pump-9000/dns",
		"allow pump-a/pump-9000/telemetry",
		"deny default",
		"allow pump-a/pump-9000/ntp",
		"deny default",
		"allow pump-a/pump-9000/cloud-updates",
	}, verdicts)

	bad := filepath.Join(t.TempDir(), "bad.json")
	src, _ := os.ReadFile(hospitalMUD)
	require.NoError(t, os.WriteFile(bad, bytes.Replace(src, []byte(`"forwarding": "accept"`), []byte(`"forwarding": "drop"`), 1), 0o644))
	code, _, errs = ward(t, "segment", "import-mud", bad)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `aces.ace["cloud-updates"].actions: forwarding "drop"`)
}

// TestSegmentCheckStreams: from a pipe, each decision comes out before the
// next flow is written (a tool can hold a conversation with ward).
func TestSegmentCheckStreams(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var errb bytes.Buffer
	root := newRoot(outW, &errb)
	root.SetIn(inR)
	root.SetArgs([]string{"segment", "check", "--policy", hospitalHCL, "--flows", "-"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(context.Background()); outW.Close() }()
	lines := bufio.NewScanner(outR)
	for _, tt := range []struct{ flow, want string }{
		{"src=10.77.20.33 dst=10.77.30.20 proto=tcp dport=443", "allow conduit/clinical-to-ehr"},
		{"src=10.77.40.9 dst=10.77.10.5 proto=tcp dport=443", "deny default"},
		{"src=10.77.99.4 dst=10.77.10.5 proto=tcp dport=443", "deny unknown-device"},
	} {
		_, err := io.WriteString(inW, tt.flow+"\n")
		require.NoError(t, err)
		require.True(t, lines.Scan(), "no decision for %s", tt.flow)
		assert.True(t, strings.HasPrefix(lines.Text(), tt.want), lines.Text())
	}
	inW.Close()
	require.NoError(t, <-done, errb.String())
}

func TestSegmentCompileCheck(t *testing.T) {
	if _, err := exec.LookPath("nft"); err != nil || os.Geteuid() != 0 {
		if os.Getenv("WARD_REQUIRE_REAL") == "1" {
			t.Fatal("nft as root is required (WARD_REQUIRE_REAL=1)")
		}
		t.Skip("skipping: needs root and the nft tool")
	}
	code, out, errs := ward(t, "segment", "compile", "--policy", hospitalHCL, "--format", "nft", "--check", "--table", "ward_clicheck")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "table inet ward_clicheck {")
	code, _, errs = ward(t, "segment", "compile", "--policy", hospitalHCL, "--format", "nft", "--check", "--table", "bad name")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "nft refused the ruleset")
}
