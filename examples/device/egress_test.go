package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// listenOn listens on a loopback address other than 127.0.0.1, so peers
// are distinct hosts for the egress policy (Linux routes all of
// 127.0.0.0/8 to lo).
func listenOn(t *testing.T, ip string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		if os.Getenv("WARD_REQUIRE_REAL") == "1" {
			t.Fatalf("listen on %s: %v", ip, err)
		}
		t.Skipf("skipping: cannot listen on %s (needs 127.0.0.0/8 on loopback): %v", ip, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// assertNoConnection proves that nothing connected to ln: a connection
// the kernel completed would be waiting in the accept queue, since the
// dial that would have made it has returned.
func assertNoConnection(t *testing.T, ln net.Listener) {
	t.Helper()
	require.NoError(t, ln.(*net.TCPListener).SetDeadline(time.Now().Add(200*time.Millisecond)))
	c, err := ln.Accept()
	if err == nil {
		c.Close()
		t.Fatalf("a connection reached %s", ln.Addr())
	}
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "accept: %v", err)
}

// ehrServer is the hospital's interface engine: HTTPS on 127.0.0.2 with a
// certificate from the hospital's CA, recording the readings it receives.
type ehrServer struct {
	*httptest.Server
	caFile string
	mu     sync.Mutex
	got    [][]byte
}

func newEHR(t *testing.T, handler http.HandlerFunc) *ehrServer {
	t.Helper()
	ca, err := newDevCA("Hospital CA", time.Now())
	require.NoError(t, err)
	cert, err := ca.issue("interface engine", []string{"127.0.0.2"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)
	e := &ehrServer{}
	if handler == nil {
		handler = func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			e.mu.Lock()
			e.got = append(e.got, b)
			e.mu.Unlock()
			w.WriteHeader(http.StatusCreated)
		}
	}
	e.Server = httptest.NewUnstartedServer(handler)
	e.Listener.Close()
	e.Listener = listenOn(t, "127.0.0.2")
	e.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	e.StartTLS()
	t.Cleanup(e.Close)
	e.caFile = writeCA(t, ca)
	return e
}

func writeCA(t *testing.T, ca *devCA) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "ca-*.pem")
	require.NoError(t, err)
	_, err = f.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return f.Name()
}

func newThermo(t *testing.T, args ...string) *thermometer {
	t.Helper()
	cfg := flagConfig(t, args...)
	th, err := newThermometer(context.Background(), t.TempDir(), cfg)
	require.NoError(t, err)
	return th
}

// flagConfig reads the network flags as run does.
func flagConfig(t *testing.T, args ...string) config {
	t.Helper()
	f := map[string]string{"addr": "127.0.0.1"}
	for i := 0; i+1 < len(args); i += 2 {
		f[args[i]] = args[i+1]
	}
	cfg, err := loadConfig(f["addr"], f["ehr"], f["ehr-ca"], f["update-repo"], f["update-root"], f["update-factory"])
	require.NoError(t, err)
	return cfg
}

// records returns the device's audit records with action, after checking
// that the whole log verifies against its signed checkpoint.
func records(t *testing.T, th *thermometer, action string) []audit.Record {
	t.Helper()
	ex, err := th.AuditLog(context.Background())
	require.NoError(t, err)
	_, err = audit.Verify(ex.Log, ex.Checkpoint, ex.PublicKey)
	require.NoError(t, err)
	all, err := audit.ParseLog(ex.Log)
	require.NoError(t, err)
	var out []audit.Record
	for _, r := range all {
		if r.Action == action {
			out = append(out, r)
		}
	}
	return out
}

func TestReadingReachesTheEHR(t *testing.T) {
	ehr := newEHR(t, nil)
	th := newThermo(t, "ehr", ehr.URL+"/fhir/Observation", "ehr-ca", ehr.caFile)
	require.NoError(t, th.SendReading(context.Background(), "P-1001"))

	require.Len(t, ehr.got, 1)
	var got map[string]string
	require.NoError(t, json.Unmarshal(ehr.got[0], &got))
	assert.Equal(t, "P-1001", got["patient"])
	assert.Equal(t, "37.2", got["temp_c"])

	eg := records(t, th, actionEgress)
	require.NotEmpty(t, eg)
	assert.Equal(t, audit.Success, eg[0].Outcome)
	assert.Equal(t, "t200/ehr", eg[0].Detail["rule"], "the allowing rule is named")
	sent := records(t, th, actionSendReading)
	require.Len(t, sent, 1)
	assert.Equal(t, audit.Success, sent[0].Outcome)
	assert.Equal(t, "P-1001", sent[0].Object)
}

// The EHR must present a certificate from the hospital's CA: a listener
// on the documented address with another CA's certificate gets nothing.
func TestReadingRefusesAnUnverifiedEHR(t *testing.T) {
	ehr := newEHR(t, nil)
	other, err := newDevCA("Someone else's CA", time.Now())
	require.NoError(t, err)
	th := newThermo(t, "ehr", ehr.URL, "ehr-ca", writeCA(t, other))
	err = th.SendReading(context.Background(), "P-1001")
	var uerr x509.UnknownAuthorityError
	require.ErrorAs(t, err, &uerr)
	assert.Empty(t, ehr.got)
}

// Every destination the thermometer does not document is refused before
// it dials: a real listener there sees no connection, and the refusal,
// with what decided it, is in the signed audit log.
func TestEgressRefusesUndocumentedPeers(t *testing.T) {
	ehr := newEHR(t, nil)
	th := newThermo(t, "ehr", ehr.URL, "ehr-ca", ehr.caFile)
	for name, ip := range map[string]string{
		"another host":                 "127.0.0.3",
		"another port on the EHR host": "127.0.0.2",
	} {
		t.Run(name, func(t *testing.T) {
			ln := listenOn(t, ip)
			_, err := th.egress.DialContext(context.Background(), "tcp", ln.Addr().String())
			require.ErrorIs(t, err, device.ErrBlocked)
			assertNoConnection(t, ln)

			var denied []audit.Record
			for _, r := range records(t, th, actionEgress) {
				if r.Outcome == audit.Denied && r.Detail["peer"] == ln.Addr().String() {
					denied = append(denied, r)
				}
			}
			require.Len(t, denied, 1, "the refusal is audited once")
			assert.Equal(t, "default", denied[0].Detail["reason"])
			assert.Empty(t, denied[0].Detail["rule"], "no rule allowed it")
			assert.Contains(t, denied[0].Detail["decision"], "deny default")
			assert.Equal(t, "src=127.0.0.1 dst="+netip.MustParseAddrPort(ln.Addr().String()).Addr().String()+
				" proto=tcp dport="+portOf(t, ln), denied[0].Object)
		})
	}
}

// An attacker who controls the EHR's responses redirects the reading to
// a host of theirs. The HTTP client follows the redirect; the egress
// policy is what stops the reading from leaving.
func TestRedirectCannotExfiltrateAReading(t *testing.T) {
	rogue := listenOn(t, "127.0.0.3")
	ehr := newEHR(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+rogue.Addr().String()+"/collect", http.StatusTemporaryRedirect)
	})
	th := newThermo(t, "ehr", ehr.URL, "ehr-ca", ehr.caFile)
	err := th.SendReading(context.Background(), "P-1001")
	require.ErrorIs(t, err, device.ErrBlocked)
	assertNoConnection(t, rogue)

	sent := records(t, th, actionSendReading)
	require.Len(t, sent, 1)
	assert.Equal(t, audit.Denied, sent[0].Outcome)
	var deniedRogue bool
	for _, r := range records(t, th, actionEgress) {
		deniedRogue = deniedRogue || (r.Outcome == audit.Denied && r.Detail["peer"] == rogue.Addr().String())
	}
	assert.True(t, deniedRogue, "the refused flow to the attacker's host is audited")
}

// Without documented peers the thermometer talks to nobody.
func TestEgressDeniesEverythingByDefault(t *testing.T) {
	th := newThermo(t)
	ln := listenOn(t, "127.0.0.2")
	_, err := th.egress.DialContext(context.Background(), "tcp", ln.Addr().String())
	require.ErrorIs(t, err, device.ErrBlocked)
	assertNoConnection(t, ln)
	assert.ErrorIs(t, th.SendReading(context.Background(), "P-1001"), device.ErrUnsupported)
}

func TestEgressPolicyRefusesItsOwnAddressAsPeer(t *testing.T) {
	_, err := egressPolicy(netip.MustParseAddr("127.0.0.1"), []peer{{name: "ehr", host: "127.0.0.1", port: 443}})
	assert.Error(t, err)
}

func TestLoadConfigRefusesIncompleteFlags(t *testing.T) {
	for name, f := range map[string][6]string{
		"bad address":        {"not-an-ip"},
		"plain-HTTP EHR":     {"127.0.0.1", "http://127.0.0.2:80/x", "ca.pem"},
		"EHR without its CA": {"127.0.0.1", "https://127.0.0.2:443/x"},
		"repo without root":  {"127.0.0.1", "", "", "http://127.0.0.4:80"},
		"repo not HTTP":      {"127.0.0.1", "", "", "ftp://127.0.0.4/", "root.json"},
	} {
		_, err := loadConfig(f[0], f[1], f[2], f[3], f[4], f[5])
		assert.Error(t, err, name)
	}
}

func portOf(t *testing.T, ln net.Listener) string {
	t.Helper()
	u := url.URL{Host: ln.Addr().String()}
	return u.Port()
}

// BenchmarkDial compares a connection through the egress policy (a
// decision and a signed audit record on disk) with a plain dial to the
// same loopback listener, and a refused one (no dial at all). egress-memlog
// keeps the audit log in memory, separating the decision from the disk
// sync of the record.
func BenchmarkDial(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		b.Skipf("skipping: cannot listen on 127.0.0.2: %v", err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port, _ := strconv.ParseUint(portOfAddr(ln.Addr().String()), 10, 16)
	th, err := newThermometer(context.Background(), b.TempDir(), config{addr: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		b.Fatal(err)
	}
	eg, err := newEgress(context.Background(), netip.MustParseAddr("127.0.0.1"), th.log,
		[]peer{{name: "ehr", host: "127.0.0.2", port: uint16(port)}})
	if err != nil {
		b.Fatal(err)
	}
	memLog, err := audit.Open(context.Background(), audit.NewMemStore())
	if err != nil {
		b.Fatal(err)
	}
	egMem, err := newEgress(context.Background(), netip.MustParseAddr("127.0.0.1"), memLog,
		[]peer{{name: "ehr", host: "127.0.0.2", port: uint16(port)}})
	if err != nil {
		b.Fatal(err)
	}
	dial := map[string]func() (net.Conn, error){
		"egress-memlog": func() (net.Conn, error) {
			return egMem.DialContext(context.Background(), "tcp", ln.Addr().String())
		},
		"raw":     func() (net.Conn, error) { return net.Dial("tcp", ln.Addr().String()) },
		"egress":  func() (net.Conn, error) { return eg.DialContext(context.Background(), "tcp", ln.Addr().String()) },
		"refused": func() (net.Conn, error) { return eg.DialContext(context.Background(), "tcp", "127.0.0.3:9") },
	}
	for _, name := range []string{"raw", "egress-memlog", "egress", "refused"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c, err := dial[name]()
				if name == "refused" {
					if !errors.Is(err, device.ErrBlocked) {
						b.Fatal(err)
					}
					continue
				}
				if err != nil {
					b.Fatal(err)
				}
				// Let the server close first, so TIME_WAIT stays on its
				// side and the client's bound address keeps free ports.
				_, _ = io.Copy(io.Discard, c)
				c.Close()
			}
		})
	}
}

func portOfAddr(a string) string {
	_, p, _ := net.SplitHostPort(a)
	return p
}

// A peer documented by name is a dns: peer: the policy holds the answers
// it resolved when it compiled, and the connection is allowed by its rule.
func TestEgressAllowsAPeerDocumentedByName(t *testing.T) {
	addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip4", "localhost")
	if err != nil || !slices.ContainsFunc(addrs, func(a netip.Addr) bool { return a.Unmap() == netip.MustParseAddr("127.0.0.1") }) {
		t.Skipf("skipping: localhost does not resolve to 127.0.0.1 here (%v, %v)", addrs, err)
	}
	ca, err := newDevCA("Hospital CA", time.Now())
	require.NoError(t, err)
	cert, err := ca.issue("interface engine", []string{"localhost"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)
	got := make(chan string, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.RemoteAddr
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	ehrURL := "https://localhost:" + portOf(t, srv.Listener) + "/readings"
	// The device is 127.0.0.5, so localhost (127.0.0.1) is another host.
	th := newThermo(t, "addr", "127.0.0.5", "ehr", ehrURL, "ehr-ca", writeCA(t, ca))
	require.NoError(t, th.SendReading(context.Background(), "P-1001"))
	assert.Equal(t, "127.0.0.5", netip.MustParseAddrPort(<-got).Addr().String(), "the connection leaves from the device's address")
	var rule string
	for _, r := range records(t, th, actionEgress) {
		if r.Outcome == audit.Success {
			rule = r.Detail["rule"]
		}
	}
	assert.Equal(t, "t200/ehr", rule)
}
