package netprobe

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"
)

// TLS protocol versions as on the wire.
const (
	VersionSSL30 = 0x0300
	VersionTLS10 = tls.VersionTLS10
	VersionTLS11 = tls.VersionTLS11
	VersionTLS12 = tls.VersionTLS12
	VersionTLS13 = tls.VersionTLS13
)

// VersionName names a TLS version ("TLS 1.2").
func VersionName(v uint16) string {
	if v == VersionSSL30 {
		return "SSL 3.0"
	}
	return tls.VersionName(v)
}

// TLSInfo is what a TLS probe learned about one service.
type TLSInfo struct {
	// Versions lists the protocol versions the service accepted, oldest first.
	Versions []uint16 `json:"versions"`
	// ClientCertRequired is set when the service asked for a client
	// certificate and ended the handshake without one.
	ClientCertRequired bool `json:"client_cert_required"`
	// Chain is the certificate chain the service presented, leaf first.
	Chain []CertInfo `json:"chain"`
	// HostnameMatch reports whether the leaf is valid for the name the
	// caller expected (the target's host name or address).
	HostnameMatch bool `json:"hostname_match"`
	// Verified reports whether the chain verified against the roots the
	// caller pinned (false when none were given).
	Verified bool `json:"verified"`
}

// CertInfo holds the facts about one certificate that decide its quality.
type CertInfo struct {
	Subject    string    `json:"subject"`
	Issuer     string    `json:"issuer"`
	NotBefore  time.Time `json:"not_before"`
	NotAfter   time.Time `json:"not_after"`
	KeyType    string    `json:"key_type"` // "RSA", "ECDSA", "Ed25519", "other"
	KeyBits    int       `json:"key_bits"`
	SigAlg     string    `json:"signature_algorithm"`
	SelfSigned bool      `json:"self_signed"`
}

func certInfo(c *x509.Certificate) CertInfo {
	ci := CertInfo{
		Subject: printable([]byte(c.Subject.String()), maxBanner), Issuer: printable([]byte(c.Issuer.String()), maxBanner),
		NotBefore: c.NotBefore, NotAfter: c.NotAfter, SigAlg: c.SignatureAlgorithm.String(), KeyType: "other",
	}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		ci.KeyType, ci.KeyBits = "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		ci.KeyType, ci.KeyBits = "ECDSA", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		ci.KeyType, ci.KeyBits = "Ed25519", 256
	}
	// Self-signed: issuer equals subject and no other key is named as the
	// signer. (Checking the signature itself would miss SHA-1 ones, which
	// Go refuses to verify.)
	if bytes.Equal(c.RawIssuer, c.RawSubject) && (len(c.AuthorityKeyId) == 0 || bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId)) {
		ci.SelfSigned = true
	}
	return ci
}

// Problems returns what is wrong with a certificate at time now, each as
// one line; empty when it is sound. RSA keys under 2048 bits, ECDSA under
// 256, SHA-1 or MD5 signatures, and expiry are problems (NIST SP 800-131A).
func (ci CertInfo) Problems(now time.Time) []string {
	var p []string
	if now.After(ci.NotAfter) {
		p = append(p, fmt.Sprintf("expired on %s", ci.NotAfter.UTC().Format(time.DateOnly)))
	}
	if now.Before(ci.NotBefore) {
		p = append(p, fmt.Sprintf("not valid before %s", ci.NotBefore.UTC().Format(time.DateOnly)))
	}
	switch {
	case ci.KeyType == "RSA" && ci.KeyBits < 2048:
		p = append(p, fmt.Sprintf("RSA key of %d bits (under 2048)", ci.KeyBits))
	case ci.KeyType == "ECDSA" && ci.KeyBits < 256:
		p = append(p, fmt.Sprintf("ECDSA key of %d bits (under 256)", ci.KeyBits))
	case ci.KeyType == "other":
		p = append(p, "key of an unrecognised type")
	}
	switch ci.SigAlg {
	case x509.SHA1WithRSA.String(), x509.ECDSAWithSHA1.String(), x509.DSAWithSHA1.String(),
		x509.MD5WithRSA.String(), x509.MD2WithRSA.String():
		p = append(p, "signed with "+ci.SigAlg)
	}
	return p
}

// probeModernTLS performs a TLS 1.2/1.3 handshake with Go's TLS stack,
// skipping verification so a bad certificate can be inspected rather
// than merely refused. The certificates are checked afterwards. It
// returns nil, nil when the service did not answer with a ServerHello.
func probeModernTLS(ctx context.Context, addr, serverName string, version uint16, timeout time.Duration) (*tls.ConnectionState, []*x509.Certificate, bool, error) {
	raw, err := dialTCP(ctx, addr, timeout)
	if err != nil {
		return nil, nil, false, err
	}
	defer raw.Close()
	var seen []*x509.Certificate
	var askedForCert bool
	cfg := &tls.Config{
		InsecureSkipVerify: true, // inspection only: nothing is sent after the handshake but a close
		MinVersion:         version, MaxVersion: version,
		ServerName: serverName,
		VerifyPeerCertificate: func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			for i, r := range rawCerts {
				if i >= 8 {
					break
				}
				if c, err := x509.ParseCertificate(r); err == nil {
					seen = append(seen, c)
				}
			}
			return nil
		},
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			askedForCert = true
			return &tls.Certificate{}, nil
		},
	}
	c := tls.Client(raw, cfg)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err = c.HandshakeContext(hctx)
	if err == nil && askedForCert && version == VersionTLS13 {
		// In TLS 1.3 the server judges the client's certificate after
		// the client thinks the handshake is done: read once to learn.
		_ = c.SetReadDeadline(time.Now().Add(timeout / 2))
		one := make([]byte, 1)
		if _, rerr := c.Read(one); rerr != nil {
			var ne net.Error
			if !(errors.As(rerr, &ne) && ne.Timeout()) {
				err = rerr
			}
		}
	}
	if len(seen) == 0 {
		return nil, nil, false, nil // no certificate: no ServerHello we could use
	}
	st := c.ConnectionState()
	st.Version = version
	return &st, seen, askedForCert && err != nil, nil
}

// LegacyClientHello is a ClientHello record for SSL 3.0, TLS 1.0 or 1.1
// (VersionSSL30, tls.VersionTLS10, tls.VersionTLS11) offering only legacy
// suites; the harness's downgrade check sends it too.
func LegacyClientHello(version uint16) []byte { return legacyHello(version) }

// legacyHello is a ClientHello for SSL 3.0, TLS 1.0 or 1.1 offering the
// suites such services still accept (CBC with SHA-1, 3DES, RC4), built by
// hand: Go's TLS stack does not speak these versions, and a device must
// be tested whatever the checker runs (also under FIPS 140-3 mode).
func legacyHello(version uint16) []byte {
	suites := []uint16{0xc009, 0xc00a, 0xc013, 0xc014, 0x002f, 0x0035, 0x000a, 0x0005, 0x0004, 0x00ff}
	var body []byte
	body = binary.BigEndian.AppendUint16(body, version)
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	body = append(body, random...)
	body = append(body, 0) // no session id
	body = binary.BigEndian.AppendUint16(body, uint16(2*len(suites)))
	for _, s := range suites {
		body = binary.BigEndian.AppendUint16(body, s)
	}
	body = append(body, 1, 0) // null compression
	if version > VersionSSL30 {
		ext := []byte{
			0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x17, 0x00, 0x18, // supported_groups: P-256, P-384
			0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, // ec_point_formats: uncompressed
		}
		body = binary.BigEndian.AppendUint16(body, uint16(len(ext)))
		body = append(body, ext...)
	}
	hs := append([]byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	rec := []byte{0x16, 0x03, 0x00}
	if version > VersionSSL30 {
		rec[2] = 0x01
	}
	rec = binary.BigEndian.AppendUint16(rec, uint16(len(hs)))
	return append(rec, hs...)
}

// legacyAnswer offers version and reports whether the service answered
// with a TLS record at all (a ServerHello or an alert: it speaks TLS),
// and whether that was a ServerHello selecting exactly that version.
func legacyAnswer(ctx context.Context, addr string, version uint16, timeout time.Duration) (speaksTLS, accepted bool) {
	speaksTLS, accepted, _ = legacyAnswerSilent(ctx, addr, version, timeout)
	return speaksTLS, accepted
}

// legacyAnswerSilent is legacyAnswer that also reports a service that
// said nothing at all before the timeout (as opposed to one that
// answered in something other than TLS or hung up).
func legacyAnswerSilent(ctx context.Context, addr string, version uint16, timeout time.Duration) (speaksTLS, accepted, silent bool) {
	c, err := dialTCP(ctx, addr, timeout)
	if err != nil {
		return false, false, false
	}
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(timeout))
	if _, err := c.Write(legacyHello(version)); err != nil {
		return false, false, false
	}
	// Record header (5) + handshake header (4) + server_version (2).
	hdr := make([]byte, 11)
	if err := readFull(c, hdr[:5], timeout); err != nil {
		var ne net.Error
		return false, false, errors.As(err, &ne) && ne.Timeout()
	}
	if (hdr[0] != 0x16 && hdr[0] != 0x15) || hdr[1] != 3 {
		return false, false, false
	}
	if hdr[0] == 0x15 || readFull(c, hdr[5:], timeout) != nil {
		return true, false, false
	}
	return true, hdr[5] == 2 && binary.BigEndian.Uint16(hdr[9:11]) == version, false
}

// ProbeTLS learns which TLS versions addr accepts and what certificate it
// presents (Versions empty when it answered in TLS but no handshake
// completed). serverName is the name the certificate should be valid for;
// roots, when not nil, are the CA the device's owner pinned (a
// self-signed certificate found there is not a finding). It returns nil
// when the service speaks no TLS at all.
func ProbeTLS(ctx context.Context, addr, serverName string, roots *x509.CertPool, timeout time.Duration) *TLSInfo {
	info, _ := probeTLS(ctx, addr, serverName, roots, timeout)
	return info
}

// probeTLS is ProbeTLS that also reports a service silent to the first
// hello (nil info then).
func probeTLS(ctx context.Context, addr, serverName string, roots *x509.CertPool, timeout time.Duration) (*TLSInfo, bool) {
	var info TLSInfo
	var ok bool
	var leafChain []*x509.Certificate
	// One hand-built TLS 1.0 hello first: a service that answers it with
	// no TLS record at all speaks no TLS, and the other probes are skipped.
	speaks, ok10, silent := legacyAnswerSilent(ctx, addr, VersionTLS10, timeout)
	if !speaks {
		return nil, silent
	}
	for _, v := range []uint16{VersionSSL30, VersionTLS10, VersionTLS11} {
		if v == VersionTLS10 {
			ok = ok10
		} else {
			_, ok = legacyAnswer(ctx, addr, v, timeout)
		}
		if ok {
			info.Versions = append(info.Versions, v)
		}
	}
	for _, v := range []uint16{VersionTLS12, VersionTLS13} {
		st, chain, clientCert, err := probeModernTLS(ctx, addr, serverName, v, timeout)
		if err != nil || st == nil {
			continue
		}
		info.Versions = append(info.Versions, v)
		info.ClientCertRequired = info.ClientCertRequired || clientCert
		if leafChain == nil {
			leafChain = chain
		}
	}
	if len(info.Versions) == 0 {
		// It answered in TLS but no handshake completed (it wants
		// something this probe does not offer, or it was too slow): TLS,
		// with nothing more known.
		return &info, false
	}
	if len(leafChain) == 0 {
		// Only legacy versions answered: the hand-built probe reads no
		// certificate, so the chain is unknown (an empty Chain).
		return &info, false
	}
	for _, c := range leafChain {
		info.Chain = append(info.Chain, certInfo(c))
	}
	leaf := leafChain[0]
	info.HostnameMatch = leaf.VerifyHostname(serverName) == nil
	if roots != nil {
		inter := x509.NewCertPool()
		for _, c := range leafChain[1:] {
			inter.AddCert(c)
		}
		// Verified now, and for an expired leaf just before it expired:
		// expiry is reported on its own, not twice.
		for _, at := range []time.Time{time.Now(), leaf.NotAfter.Add(-time.Minute)} {
			_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
			if err == nil {
				info.Verified = true
				break
			}
		}
	}
	return &info, false
}
