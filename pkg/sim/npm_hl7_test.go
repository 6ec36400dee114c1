package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/realtool"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/hl7"
)

// npmPeerDir holds the npm HL7 peer: package.json, package-lock.json and
// peer.mjs (node-hl7-client). CI installs it with
// `npm ci --prefix pkg/sim/testdata/npm-hl7`.
const npmPeerDir = "testdata/npm-hl7"

// npmPeerMsg is one message the npm peer received, as it parsed it.
type npmPeerMsg struct {
	Raw     string `json:"raw"`
	Type    string `json:"type"`
	Control string `json:"control"`
	MSA1    string `json:"msa1"`
	MSA2    string `json:"msa2"`
	ERR8    string `json:"err8"`
	Patient string `json:"patient"`
	OBX     []struct {
		Code, Text, System, Value, Units string
	} `json:"obx"`
}

// runNpmPeer runs peer.mjs against p's feed in mode and returns what it
// received.
func runNpmPeer(t *testing.T, p *Pump, mode string, env ...string) []npmPeerMsg {
	t.Helper()
	node := realtool.Need(t, "node", "nodejs")
	if _, err := os.Stat(filepath.Join(npmPeerDir, "node_modules", "node-hl7-client")); err != nil {
		realtool.Missing(t, "npm HL7 peer not installed: run npm ci --prefix pkg/sim/"+npmPeerDir)
	}
	eps, err := p.Endpoints(context.Background())
	require.NoError(t, err)
	var feed device.Endpoint
	for _, e := range eps {
		if e.Name == "hl7-feed" {
			feed = e
		}
	}
	require.NotEmpty(t, feed.CA, "the feed runs TLS")
	host, port, err := net.SplitHostPort(feed.Address)
	require.NoError(t, err)
	cert, key, err := p.IssueClientCertificate(context.Background(), "npm-engine", time.Time{}, time.Time{})
	require.NoError(t, err)
	dir := t.TempDir()
	for name, b := range map[string][]byte{"ca.pem": feed.CA, "cert.pem": cert, "key.pem": key} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "peer.mjs")
	cmd.Dir = npmPeerDir
	cmd.Env = append(os.Environ(), append([]string{"FEED_HOST=" + host, "FEED_PORT=" + port, "MODE=" + mode,
		"CA=" + filepath.Join(dir, "ca.pem"), "CERT=" + filepath.Join(dir, "cert.pem"), "KEY=" + filepath.Join(dir, "key.pem")}, env...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// Node prints the minified source line of a library error: keep the end.
		e := stderr.Bytes()
		if len(e) > 2048 {
			e = e[len(e)-2048:]
		}
		t.Fatalf("node peer.mjs: %v\n%s\n%s", err, e, out)
	}
	var msgs []npmPeerMsg
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m npmPeerMsg
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		msgs = append(msgs, m)
	}
	return msgs
}

// TestNpmHL7PeerOverMLLP: an HL7 engine built on node-hl7-client, an
// independent HL7 v2 / MLLP implementation, programs the simulated pump
// over MLLP with mutual TLS. Fields survive both ways, escapes and
// non-default delimiters included, and its acknowledgement gets no answer.
func TestNpmHL7PeerOverMLLP(t *testing.T) {
	p, err := New(context.Background(), "infusion-pump")
	require.NoError(t, err)
	defer p.Close()
	const orderID = `ORD|7^a&b~c\d`
	const badRate = `fast|^~\&`
	msgs := runNpmPeer(t, p, "pump", "ORDER_ID="+orderID, "BAD_RATE="+badRate)
	require.Len(t, msgs, 3)
	for i, want := range []struct{ control, code string }{{"N1", hl7.AA}, {"N3", hl7.AE}, {"N4", hl7.AA}} {
		m := msgs[i]
		assert.Equal(t, "RRG^O16", m.Type, "reply %d", i)
		assert.Equal(t, want.control, m.MSA2, "reply %d answers %s (an acknowledgement is never answered)", i, want.control)
		assert.Equal(t, want.code, m.MSA1, "reply %d: %s", i, m.ERR8)
		// Ward's parser reads the same fields from what the peer printed.
		g, err := hl7.Parse([]byte(m.Raw))
		require.NoError(t, err, m.Raw)
		assert.Equal(t, m.MSA1, g.Get("MSA-1"))
		assert.Equal(t, m.MSA2, g.Get("MSA-2"))
		assert.Equal(t, m.ERR8, g.Get("ERR-8"))
	}
	// Ward read the escaped order id exactly; the peer read Ward's escaped
	// refusal exactly (it quotes the delimiter-laden rate).
	assert.Contains(t, msgs[1].ERR8, `"fast|^~\\&"`)
	s, err := p.Settings(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "33", s["channel_a.rate_ml_h"], "the order in non-default delimiters was applied")
	assert.Equal(t, "ORD-4", s["channel_a.order"])
}

// TestNpmHL7PeerReadsMonitorObservations: the same peer reads the
// monitor's ORU^R01 field for field as Ward wrote it, and is refused
// when it sends an order.
func TestNpmHL7PeerReadsMonitorObservations(t *testing.T) {
	p, err := New(context.Background(), "patient-monitor")
	require.NoError(t, err)
	defer p.Close()
	msgs := runNpmPeer(t, p, "monitor")
	require.Len(t, msgs, 2)
	oru := msgs[0]
	assert.Equal(t, "ORU^R01", oru.Type)
	assert.Equal(t, "MRN-44120981", oru.Patient)
	require.Len(t, oru.OBX, 2)
	assert.Equal(t, "150456", oru.OBX[0].Code)
	assert.Equal(t, "MDC_PULS_OXIM_SAT_O2", oru.OBX[0].Text)
	assert.Equal(t, "MDC", oru.OBX[0].System)
	assert.Equal(t, "97", oru.OBX[0].Value)
	assert.Equal(t, "%", oru.OBX[0].Units)
	assert.Equal(t, "72", oru.OBX[1].Value)
	assert.Equal(t, "/min", oru.OBX[1].Units)
	assert.Equal(t, hl7.AR, msgs[1].MSA1, "a monitor takes no orders")
	assert.Equal(t, "N1", msgs[1].MSA2)
}
