package netprobe

import (
	"context"
	"crypto/fips140"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func kinds(s Service) []string {
	var k []string
	for _, f := range s.Findings {
		if !slices.Contains(k, f.Kind) {
			k = append(k, f.Kind)
		}
	}
	slices.Sort(k)
	return k
}

func newProber(t testing.TB, opts ...ProbeOption) *Prober {
	t.Helper()
	p, err := NewProber(append([]ProbeOption{WithTimeout(time.Second)}, opts...)...)
	require.NoError(t, err)
	return p
}

// Each kind of service is recognised, and each insecure configuration is
// found; its secure twin yields no finding.
func TestProbeRecognisesServicesAndFindsWeaknesses(t *testing.T) {
	for _, tc := range []struct {
		name     string
		handle   func(net.Conn)
		protocol string
		kinds    []string
		tested   bool // credentials were tried
		noLogin  bool
		access   bool // a definite answer to a caller without credentials
	}{
		{"http open page", func(c net.Conn) { readHead(c); io.WriteString(c, "HTTP/1.0 404 Not Found\r\n\r\n") }, "http", nil, false, false, false},
		{"http basic admin/admin", basicHTTP("admin", "admin", 0), "http", []string{KindDefaultCredentials}, true, false, false},
		{"http basic strong password", basicHTTP("admin", "Zq8-long-unique", 0), "http", nil, true, false, false},
		{"mqtt anonymous", mqttBroker(true, "", ""), "mqtt", []string{KindUnauthenticated}, false, false, true},
		{"mqtt default pair", mqttBroker(false, "admin", "password"), "mqtt", []string{KindDefaultCredentials}, true, false, true},
		{"mqtt closed", mqttBroker(false, "ops", "Zq8-long-unique"), "mqtt", nil, true, false, true},
		{"dicom accepts anyone", dicomSCP(true), "dicom", []string{KindUnauthenticated}, false, true, true},
		{"dicom rejects unknown AE", dicomSCP(false), "dicom", nil, false, true, true},
		{"telnet open shell", telnetd(true, "", ""), "telnet", []string{KindUnauthenticated}, false, false, true},
		{"telnet root/root", telnetd(false, "root", "root"), "telnet", []string{KindDefaultCredentials}, true, false, true},
		{"telnet strong", telnetd(false, "root", "Zq8-long-unique"), "telnet", nil, true, false, true},
		{"ftp anonymous", ftpd(true, "", ""), "ftp", []string{KindUnauthenticated}, true, false, true},
		{"ftp service/service", ftpd(false, "service", "service"), "ftp", []string{KindDefaultCredentials}, true, false, true},
		{"ftp closed", ftpd(false, "x", "Zq8-long-unique"), "ftp", nil, true, false, true},
		{"ssh root/(empty)", sshd(t, "root", ""), "ssh", []string{KindDefaultCredentials}, true, false, true},
		{"ssh strong", sshd(t, "root", "Zq8-long-unique"), "ssh", nil, true, false, true},
		{"http basic only under /admin/", adminOnlyHTTP("admin", "admin"), "http", []string{KindDefaultCredentials}, true, false, false},
		{"mllp accepts an unknown peer", mllpFeed("AA"), "mllp", []string{KindUnauthenticated}, false, true, true},
		{"mllp rejects", mllpFeed("AR"), "mllp", nil, false, true, true},
		// The false pass this stops: a login that never got a definite
		// answer must not count as tried and refused.
		{"ssh that never finishes a handshake", func(c net.Conn) { io.WriteString(c, "SSH-2.0-Broken\r\n\x00\x00\x00\x01\x00") }, "ssh", nil, false, false, false},
		{"silent", func(c net.Conn) { time.Sleep(3 * time.Second) }, "unknown", nil, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := serve(t, tc.handle)
			s := newProber(t, WithMaxAttempts(6)).ProbeTCP(context.Background(), addr, "")
			if tc.name == "mqtt anonymous" {
				require.Len(t, s.Findings, 1)
				assert.Contains(t, s.Findings[0].Detail, "delivering 2 retained messages")
			}
			assert.Equal(t, tc.protocol, s.Protocol, "%+v", s)
			assert.Equal(t, tc.kinds, kinds(s), "%+v", s)
			assert.Equal(t, tc.tested, s.CredentialsTested, "credentials tested: %+v", s.Checked)
			assert.Equal(t, tc.noLogin, s.NoLogin, "no login: %+v", s.Checked)
			assert.Equal(t, tc.access, s.AccessTested, "access tested: %+v", s.Checked)
			assert.Nil(t, s.TLS)
		})
	}
}

func readHead(c net.Conn) {
	buf := make([]byte, 4096)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	n := 0
	for n < len(buf) {
		m, err := c.Read(buf[n:])
		n += m
		if err != nil || strings.Contains(string(buf[:n]), "\r\n\r\n") {
			return
		}
	}
}

// Profile-supplied credentials are tried after the defaults.
func TestProbeTriesProfileCredentials(t *testing.T) {
	addr := serve(t, basicHTTP("vendor", "Pump2019!", 0))
	s := newProber(t).ProbeTCP(context.Background(), addr, "")
	assert.Empty(t, s.Findings)
	s = newProber(t, WithCredentials(Credential{"vendor", "Pump2019!"})).ProbeTCP(context.Background(), addr, "")
	require.Len(t, s.Findings, 1)
	assert.Contains(t, s.Findings[0].Detail, "vendor/Pump2019!")
}

// The attack stopped: a device that locks out after failures is not
// pushed further — the probe stops at the first 429.
func TestProbeStopsAtLockoutSign(t *testing.T) {
	addr := serve(t, basicHTTP("admin", "guest", 2)) // would accept a later pair, but locks first
	creds := append(DefaultCredentials(), Credential{"admin", "guest"})
	s := newProber(t, WithMaxAttempts(len(creds))).ProbeTCP(context.Background(), addr, "")
	assert.Empty(t, s.Findings)
	assert.True(t, slices.ContainsFunc(s.Checked, func(c string) bool { return strings.Contains(c, "stopped after 3 attempts: lockout sign") }), "%v", s.Checked)
}

// Attempts per service are bounded.
func TestProbeBoundsAttempts(t *testing.T) {
	addr := serve(t, basicHTTP("guest", "guest", 0)) // the 10th default pair
	s := newProber(t, WithMaxAttempts(3)).ProbeTCP(context.Background(), addr, "")
	assert.Empty(t, s.Findings, "only three pairs tried")
	s = newProber(t, WithMaxAttempts(10)).ProbeTCP(context.Background(), addr, "")
	assert.Len(t, s.Findings, 1)
}

func TestProbeTLSCertificates(t *testing.T) {
	past := time.Now().Add(-24 * time.Hour)
	type tcase struct {
		name      string
		spec      certSpec
		pin       bool
		clientReq bool
		want      []string // substrings of weak-certificate findings
	}
	cases := []tcase{
		{"sound and pinned", certSpec{hosts: []string{"127.0.0.1"}}, true, false, nil},
		{"client certificate required", certSpec{hosts: []string{"127.0.0.1"}}, true, true, nil},
		{"self-signed not pinned", certSpec{hosts: []string{"127.0.0.1"}, selfSign: true}, false, false, []string{"self-signed"}},
		{"expired", certSpec{hosts: []string{"127.0.0.1"}, notAfter: past}, true, false, []string{"expired"}},
		{"wrong host", certSpec{hosts: []string{"pump.example"}}, true, false, []string{"not valid for 127.0.0.1"}},
		{"pinned CA does not match", certSpec{hosts: []string{"127.0.0.1"}}, false, false, nil},
	}
	if !fips140.Enabled() {
		cases = append(cases,
			tcase{"RSA 1024", certSpec{rsaBits: 1024, hosts: []string{"127.0.0.1"}, selfSign: true}, false, false, []string{"RSA key of 1024 bits", "self-signed"}},
			tcase{"SHA-1 signature", certSpec{rsaBits: 2048, sigAlg: x509.SHA1WithRSA, hosts: []string{"127.0.0.1"}, selfSign: true}, false, false, []string{"signed with SHA1-RSA", "self-signed"}},
		)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cert, roots := makeCert(t, tc.spec)
			cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
			if tc.clientReq {
				cfg.ClientAuth = tls.RequireAnyClientCert
			}
			addr := tlsServe(t, cfg, func(c net.Conn) { readHead(c); io.WriteString(c, "HTTP/1.0 200 OK\r\n\r\n") })
			var opts []ProbeOption
			if tc.name == "pinned CA does not match" {
				_, other := makeCert(t, certSpec{})
				opts = append(opts, WithRoots(other))
				tc.want = []string{"does not verify against the CA declared"}
			} else if tc.pin {
				opts = append(opts, WithRoots(roots))
			}
			s := newProber(t, opts...).ProbeTCP(context.Background(), addr, "")
			require.NotNil(t, s.TLS, "%+v", s)
			assert.Equal(t, []uint16{VersionTLS12, VersionTLS13}, s.TLS.Versions)
			assert.Equal(t, tc.clientReq, s.TLS.ClientCertRequired)
			if tc.clientReq {
				assert.Equal(t, "tls", s.Protocol)
				assert.True(t, s.NoLogin)
			} else {
				assert.Equal(t, "https", s.Protocol)
			}
			var got []string
			for _, f := range s.Findings {
				require.Equal(t, KindWeakCertificate, f.Kind, f.Detail)
				got = append(got, f.Detail)
			}
			require.Len(t, got, len(tc.want), "%v", got)
			for i, w := range tc.want {
				assert.Contains(t, got[i], w)
			}
		})
	}
}

// A server that accepts TLS 1.0 is reported, from the hand-built hello.
func TestProbeFindsLegacyTLS(t *testing.T) {
	if fips140.Enabled() {
		t.Skip("a FIPS 140-3 build cannot serve TLS 1.0 to test against")
	}
	cert, _ := makeCert(t, certSpec{hosts: []string{"127.0.0.1"}, selfSign: true})
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}
	addr := tlsServe(t, cfg, func(c net.Conn) {})
	info := ProbeTLS(context.Background(), addr.String(), "127.0.0.1", nil, time.Second)
	require.NotNil(t, info)
	assert.Equal(t, []uint16{VersionTLS10, VersionTLS11, VersionTLS12, VersionTLS13}, info.Versions)
}

func TestProbeSNMPPublic(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			reply, ok := agentAnswer(buf[:n], "public", "Acme Pump 3000 fw 1.2")
			if ok {
				pc.WriteTo(reply, from)
			}
		}
	}()
	r, err := ProbeSNMP(context.Background(), pc.LocalAddr().String(), time.Second)
	require.NoError(t, err)
	assert.Equal(t, []string{"v1", "v2c"}, r.Answered)
	assert.Equal(t, "Acme Pump 3000 fw 1.2", r.SysDescr)
	// A closed UDP port: nothing answers.
	pc2, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := pc2.LocalAddr().String()
	pc2.Close()
	r, err = ProbeSNMP(context.Background(), addr, 300*time.Millisecond)
	require.NoError(t, err)
	assert.Empty(t, r.Answered)
}

// agentAnswer plays an SNMP agent with one community.
func agentAnswer(req []byte, community, descr string) ([]byte, bool) {
	_, body, _, err := readTLV(req)
	if err != nil {
		return nil, false
	}
	_, ver, rest, _ := readTLV(body)
	_, comm, rest, _ := readTLV(rest)
	if string(comm) != community {
		return nil, false
	}
	_, pdu, _, err := readTLV(rest)
	if err != nil {
		return nil, false
	}
	_, id, _, _ := readTLV(pdu)
	reqID, _ := berIntVal(id)
	vb := tlv(0x30, append(tlv(0x06, sysDescr0), tlv(0x04, []byte(descr))...))
	p := append(berInt(reqID), berInt(0)...)
	p = append(p, berInt(0)...)
	p = append(p, tlv(0x30, vb)...)
	msg := append(tlv(0x02, ver), tlv(0x04, comm)...)
	msg = append(msg, tlv(0xa2, p)...)
	return tlv(0x30, msg), true
}

// Nothing a device says reaches the caller raw: escape sequences and
// control bytes in a banner are neutralised and the banner is bounded.
func TestBannerIsSanitisedAndBounded(t *testing.T) {
	evil := "\x1b]0;pwned\x07\x1b[2J" + strings.Repeat("A", 5000)
	addr := serve(t, func(c net.Conn) { io.WriteString(c, evil) })
	s := newProber(t).ProbeTCP(context.Background(), addr, "")
	assert.NotContains(t, s.Banner, "\x1b")
	assert.NotContains(t, s.Banner, "\x07")
	assert.LessOrEqual(t, len(s.Banner), maxBanner+4)
}

func TestProbeHostSurveysEveryOpenPort(t *testing.T) {
	a := serve(t, mqttBroker(true, "", ""))
	b := serve(t, dicomSCP(false))
	sc, err := NewScanner()
	require.NoError(t, err)
	h, err := newProber(t).ProbeHost(context.Background(), sc, netip.MustParseAddr("127.0.0.1"), []int{int(a.Port()), int(b.Port())}, nil)
	require.NoError(t, err)
	require.Len(t, h.Services, 2)
	got := map[string]int{}
	for _, s := range h.Services {
		got[s.Protocol] = s.Port
	}
	assert.Equal(t, map[string]int{"mqtt": int(a.Port()), "dicom": int(b.Port())}, got)
}

// adminOnlyHTTP serves / to anyone and /admin/ behind Basic.
func adminOnlyHTTP(user, pass string) func(net.Conn) {
	basic := basicHTTP(user, pass, 0)
	return func(c net.Conn) {
		buf := make([]byte, 5)
		if _, err := io.ReadFull(c, buf); err != nil {
			return
		}
		rest := make([]byte, 6)
		io.ReadFull(c, rest)
		if string(rest[:6]) == "admin/" {
			basic(&prefixConn{Conn: c, pre: append(buf, rest...)})
			return
		}
		readHead(c)
		io.WriteString(c, "HTTP/1.0 200 OK\r\n\r\nhello")
	}
}

type prefixConn struct {
	net.Conn
	pre []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// mllpFeed answers every MLLP frame with an acknowledgement code.
func mllpFeed(code string) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 4096)
		n := 0
		for n < len(buf) {
			m, err := c.Read(buf[n:])
			n += m
			if err != nil || strings.Contains(string(buf[:n]), "\x1c\r") {
				break
			}
		}
		if n == 0 || buf[0] != 0x0b {
			return
		}
		io.WriteString(c, "\x0bMSH|^~\\&|PUMP|X|||20260101||ACK|1|P|2.5\rMSA|"+code+"|WARDPROBE1\r\x1c\r")
	}
}

// A device that declares TLS on a port and is slow to answer the first
// hello is asked again before the port is called cleartext; one that
// declares nothing is not.
func TestProbeAsksADeclaredTLSPortAgain(t *testing.T) {
	cert, roots := makeCert(t, certSpec{hosts: []string{"127.0.0.1"}})
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	for _, declared := range []bool{true, false} {
		var n atomic.Int64
		addr := serve(t, func(c net.Conn) {
			if n.Add(1) == 2 { // the first hello (after the banner wait)
				time.Sleep(1500 * time.Millisecond)
				return
			}
			tc := tls.Server(c, cfg)
			if tc.Handshake() == nil {
				readHead(tc)
				io.WriteString(tc, "HTTP/1.0 200 OK\r\n\r\n")
			}
		})
		opts := []ProbeOption{WithBannerWait(100 * time.Millisecond)}
		if declared {
			opts = append(opts, WithRoots(roots))
		}
		s := newProber(t, opts...).ProbeTCP(context.Background(), addr, "")
		if declared {
			require.NotNil(t, s.TLS, "%v", s.Checked)
			assert.Equal(t, "https", s.Protocol)
		} else {
			assert.Nil(t, s.TLS)
		}
	}
}
