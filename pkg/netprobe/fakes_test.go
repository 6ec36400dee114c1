package netprobe

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"io"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	xssh "golang.org/x/crypto/ssh"
)

// serve runs handle for every connection to a fresh loopback listener.
func serve(t testing.TB, handle func(net.Conn)) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				handle(c)
			}()
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String())
}

// certSpec describes a test certificate.
type certSpec struct {
	rsaBits  int // 0: ECDSA P-256
	sigAlg   x509.SignatureAlgorithm
	notAfter time.Time
	hosts    []string
	selfSign bool // else issued by a fresh CA, returned as roots
}

// makeCert builds a server certificate to spec and, when not self-signed,
// the pool holding its CA.
func makeCert(t testing.TB, s certSpec) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	var key, caKey any
	var pub any
	if s.rsaBits > 0 {
		k, err := rsa.GenerateKey(rand.Reader, s.rsaBits)
		require.NoError(t, err)
		key, pub = k, &k.PublicKey
	} else {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		key, pub = k, &k.PublicKey
	}
	now := time.Now()
	if s.notAfter.IsZero() {
		s.notAfter = now.Add(24 * time.Hour)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "device"},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: s.notAfter, SignatureAlgorithm: s.sigAlg,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range s.hosts {
		if ip := net.ParseIP(h); ip != nil {
			tpl.IPAddresses = append(tpl.IPAddresses, ip)
		} else {
			tpl.DNSNames = append(tpl.DNSNames, h)
		}
	}
	parent, signer := tpl, key
	var roots *x509.CertPool
	if !s.selfSign {
		ck, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		caKey = ck
		ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
			NotBefore: now.Add(-72 * time.Hour), NotAfter: now.Add(48 * time.Hour), IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign}
		der, err := x509.CreateCertificate(rand.Reader, ca, ca, &ck.PublicKey, ck)
		require.NoError(t, err)
		parent, _ = x509.ParseCertificate(der)
		signer = caKey
		roots = x509.NewCertPool()
		roots.AddCert(parent)
		if s.sigAlg == x509.SHA1WithRSA {
			tpl.SignatureAlgorithm = x509.ECDSAWithSHA1
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, pub, signer)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, roots
}

// tlsHTTP serves HTTP over TLS with cfg; handler answers each request.
func tlsServe(t testing.TB, cfg *tls.Config, handle func(net.Conn)) netip.AddrPort {
	return serve(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if tc.Handshake() != nil {
			return
		}
		handle(tc)
	})
}

// basicHTTP answers GET / with 401 and a Basic challenge unless the
// Authorization header carries user:pass; after lockAfter failures it
// answers 429.
func basicHTTP(user, pass string, lockAfter int) func(net.Conn) {
	fails := 0
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		auth := ""
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(l, "Authorization: Basic ") {
				auth = strings.TrimSpace(strings.TrimPrefix(l, "Authorization: Basic "))
			}
			if l == "\r\n" {
				break
			}
		}
		switch {
		case user != "" && auth == basicToken(user, pass):
			io.WriteString(c, "HTTP/1.0 200 OK\r\n\r\nwelcome")
		case lockAfter > 0 && fails >= lockAfter:
			io.WriteString(c, "HTTP/1.0 429 Too Many Requests\r\n\r\n")
		default:
			if auth != "" {
				fails++
			}
			io.WriteString(c, "HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"dev\"\r\n\r\n")
		}
	}
}

func basicToken(u, p string) string {
	return strings.TrimSpace(strings.TrimPrefix(string(mustB64(u+":"+p)), ""))
}

// mqttBroker answers CONNECT: anonymous allowed or not, and a valid pair.
func mqttBroker(anonymous bool, user, pass string) func(net.Conn) {
	return func(c net.Conn) {
		h := make([]byte, 2)
		if _, err := io.ReadFull(c, h); err != nil || h[0] != 0x10 {
			return
		}
		body := make([]byte, h[1])
		if _, err := io.ReadFull(c, body); err != nil || len(body) < 10 {
			return
		}
		flags := body[7]
		p := body[10:]
		str := func() string {
			if len(p) < 2 {
				return ""
			}
			n := int(binary.BigEndian.Uint16(p))
			if len(p) < 2+n {
				return ""
			}
			s := string(p[2 : 2+n])
			p = p[2+n:]
			return s
		}
		str() // client id
		rc := byte(5)
		if flags&0xc0 == 0xc0 {
			if u, pw := str(), str(); u == user && pw == pass && user != "" {
				rc = 0
			} else {
				rc = 4
			}
		} else if anonymous {
			rc = 0
		}
		c.Write([]byte{0x20, 2, 0, rc})
		if rc != 0 {
			return
		}
		sub := make([]byte, 8)
		if _, err := io.ReadFull(c, sub); err == nil && sub[0] == 0x82 {
			c.Write([]byte{0x90, 3, 0, 1, 0})
			// Two retained messages on topic "p" (QoS 0).
			c.Write([]byte{0x30, 5, 0, 1, 'p', 'h', 'r', 0x30, 4, 0, 1, 'p', 'x'})
		}
	}
}

// dicomSCP accepts or rejects every association, answers C-ECHO and
// release.
func dicomSCP(accept bool) func(net.Conn) {
	return func(c net.Conn) {
		pdu, err := readPDU(c, 5*time.Second)
		if err != nil || pdu[0] != dicomPDUAssocRQ {
			c.Write(dicomPDU(dicomPDUAbort, []byte{0, 0, 0, 0}))
			return
		}
		if !accept {
			c.Write(dicomPDU(dicomPDUAssocRJ, []byte{0, 1, 1, 7})) // called AE not recognised
			return
		}
		ac := append([]byte(nil), pdu[6:6+68]...)
		ac[0], ac[1] = 0, 1
		ac = append(ac, dicomItem(0x10, []byte(dicomAppContext))...)
		ac = append(ac, dicomItem(0x21, append([]byte{1, 0, 0, 0}, dicomItem(0x40, []byte(dicomImplicitLE))...))...)
		c.Write(dicomPDU(dicomPDUAssocAC, ac))
		for {
			p, err := readPDU(c, 5*time.Second)
			if err != nil {
				return
			}
			switch p[0] {
			case dicomPDUData:
				var cmd []byte
				cmd = element(cmd, 0, 0x0002, []byte(dicomVerification))
				cmd = element(cmd, 0, 0x0100, binary.LittleEndian.AppendUint16(nil, dicomCEchoRSP))
				cmd = element(cmd, 0, 0x0120, binary.LittleEndian.AppendUint16(nil, 1))
				cmd = element(cmd, 0, 0x0800, binary.LittleEndian.AppendUint16(nil, dicomNoDataSet))
				cmd = element(cmd, 0, 0x0900, binary.LittleEndian.AppendUint16(nil, 0))
				pdv := binary.BigEndian.AppendUint32(nil, uint32(len(cmd)+2))
				pdv = append(append(pdv, 1, 3), cmd...)
				c.Write(dicomPDU(dicomPDUData, pdv))
			case dicomPDUReleaseRQ:
				c.Write(dicomPDU(dicomPDUReleaseRP, make([]byte, 4)))
				return
			}
		}
	}
}

// telnetd negotiates, then asks for a login unless open is set (then it
// shows a shell prompt at once).
func telnetd(open bool, user, pass string) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte{iac, will, 1, iac, will, 3, iac, do, 24})
		if open {
			c.Write([]byte("\r\nBusyBox v1.30\r\n# "))
			time.Sleep(100 * time.Millisecond)
			return
		}
		r := bufio.NewReader(c)
		c.Write([]byte("\r\npump login: "))
		u := readTelnetLine(r)
		c.Write([]byte("Password: "))
		p := readTelnetLine(r)
		if u == user && p == pass && user != "" {
			// What Debian's login prints: "Last login:" is no failure.
			c.Write([]byte("\r\nLast login: Mon Dec  7 21:48:05 UTC 2026 from 10.0.0.1 on pts/0\r\nroot@vm:~# "))
		} else {
			c.Write([]byte("\r\nLogin incorrect\r\npump login: "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func readTelnetLine(r *bufio.Reader) string {
	var out []byte
	for {
		b, err := r.ReadByte()
		if err != nil {
			return string(out)
		}
		switch {
		case b == iac:
			cmd, _ := r.ReadByte()
			if cmd >= will {
				r.ReadByte()
			}
		case b == '\n':
			return strings.TrimRight(string(out), "\r")
		default:
			out = append(out, b)
		}
	}
}

// ftpd greets and logs in anonymous (when anon) or user/pass.
func ftpd(anon bool, user, pass string) func(net.Conn) {
	return func(c net.Conn) {
		r := bufio.NewReader(c)
		io.WriteString(c, "220-Welcome\r\n220 ready\r\n")
		var u string
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd, arg, _ := strings.Cut(strings.TrimSpace(l), " ")
			switch cmd {
			case "USER":
				u = arg
				io.WriteString(c, "331 password please\r\n")
			case "PASS":
				if (u == "anonymous" && anon) || (u == user && arg == pass && user != "") {
					io.WriteString(c, "230 logged in\r\n")
				} else {
					io.WriteString(c, "530 no\r\n")
				}
			case "QUIT":
				io.WriteString(c, "221 bye\r\n")
				return
			}
		}
	}
}

// sshd accepts user/pass with password auth (none when user is empty).
func sshd(t testing.TB, user, pass string) func(net.Conn) {
	_, hk, err := ed25519Key()
	require.NoError(t, err)
	cfg := &xssh.ServerConfig{
		PasswordCallback: func(m xssh.ConnMetadata, p []byte) (*xssh.Permissions, error) {
			if user != "" && m.User() == user && string(p) == pass {
				return nil, nil
			}
			return nil, errDenied
		},
		MaxAuthTries: 3,
	}
	cfg.AddHostKey(hk)
	return func(c net.Conn) {
		sc, chans, reqs, err := xssh.NewServerConn(c, cfg)
		if err != nil {
			return
		}
		go xssh.DiscardRequests(reqs)
		go func() {
			for ch := range chans {
				ch.Reject(xssh.Prohibited, "no")
			}
		}()
		sc.Wait()
	}
}
