package realsrv

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// get fetches base+path, with Basic credentials when user is not "".
func get(t *testing.T, base, path, user, pass string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{
		Timeout: 5 * time.Second,
		// No gzip: the bytes on the wire stay greppable for the relay.
		Transport: &http.Transport{DisableCompression: true, TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}},
	}
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := readAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func baseURL(srv *Server) string {
	if srv.Kind == NginxWeakTLS || srv.Kind == NginxStrongTLS {
		return "https://" + srv.Endpoint(HTTPSPort)
	}
	return "http://" + srv.Endpoint(HTTPPort)
}

// webVerifiers prove the truths both nginx setups share.
func webVerifiers() map[string]verifier {
	return map[string]verifier{
		TLS: verifyTLSFlag,
		Cleartext: func(t *testing.T, srv *Server, want any) error {
			r := newRelay(t, srv.Endpoint(srv.Ports[0].Port))
			base := strings.Replace(baseURL(srv), srv.Endpoint(srv.Ports[0].Port), r.Addr, 1)
			// With the account: the patient page is behind it on the
			// hardened server; the others ignore it.
			resp, body := get(t, base, PatientPath, srv.User, srv.Password)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, PatientMRN) {
				t.Fatalf("through the relay: %s\n%s", resp.Status, body)
			}
			return is("patient readable on the wire", strings.Contains(string(r.Seen()), PatientMRN), want)
		},
		AnonymousAccess: func(t *testing.T, srv *Server, want any) error {
			resp, _ := get(t, baseURL(srv), "/", "", "")
			return is("GET / without credentials served ("+resp.Status+")", resp.StatusCode == http.StatusOK, want)
		},
		PatientData: func(t *testing.T, srv *Server, want any) error {
			resp, body := get(t, baseURL(srv), want.(string), "", "")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, PatientFamily+", "+PatientGiven) || !strings.Contains(body, PatientMRN) {
				return fmt.Errorf("GET %s without credentials: %s\n%s", want, resp.Status, body)
			}
			return nil
		},
		DefaultCredentials: func(t *testing.T, srv *Server, want any) error {
			if want == "" {
				// None: the common defaults are all refused.
				for _, c := range commonDefaults {
					user, pass, _ := strings.Cut(c, ":")
					if resp, _ := get(t, baseURL(srv), AdminPath, user, pass); resp.StatusCode != http.StatusUnauthorized {
						return fmt.Errorf("admin page with %s: %s", c, resp.Status)
					}
				}
				return nil
			}
			user, pass, _ := strings.Cut(want.(string), ":")
			if resp, body := get(t, baseURL(srv), AdminPath, "", ""); resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, AdminMarker) {
				return fmt.Errorf("admin page without credentials: %s", resp.Status)
			}
			if resp, _ := get(t, baseURL(srv), AdminPath, user, pass+"x"); resp.StatusCode != http.StatusUnauthorized {
				return fmt.Errorf("admin page with a wrong password: %s", resp.Status)
			}
			if resp, body := get(t, baseURL(srv), AdminPath, user, pass); resp.StatusCode != http.StatusOK || !strings.Contains(body, AdminMarker) {
				return fmt.Errorf("admin page with %s: %s", want, resp.Status)
			}
			return nil
		},
		AuthMechanism: func(t *testing.T, srv *Server, want any) error {
			if want != "http-basic" {
				return fmt.Errorf("no check for mechanism %q", want)
			}
			resp, _ := get(t, baseURL(srv), AdminPath, "", "")
			if h := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Basic ") {
				return fmt.Errorf("WWW-Authenticate %q, not a Basic challenge", h)
			}
			return nil
		},
		ServerVersionDisclosed: func(t *testing.T, srv *Server, want any) error {
			resp, _ := get(t, baseURL(srv), "/", "", "")
			got := resp.Header.Get("Server")
			if want == "" {
				if strings.ContainsAny(got, "0123456789") {
					return fmt.Errorf("Server header %q names a version", got)
				}
				return nil
			}
			if got != want || !strings.ContainsAny(got, "0123456789") {
				return fmt.Errorf("Server header %q (with a version?)", got)
			}
			return nil
		},
	}
}

// commonDefaults are credentials on every default-credential list.
var commonDefaults = []string{"admin:admin", "admin:password", "admin:", "root:root", "admin:1234", "user:user"}

func TestNginxHTTP(t *testing.T) {
	t.Parallel()
	serve(t, NginxHTTP)
}

// opensslConnect runs `openssl s_client` against the server with extra
// options and reports whether the handshake completed.
func opensslConnect(t *testing.T, srv *Server, opts ...string) (bool, string) {
	args := append([]string{"s_client", "-connect", tlsEndpoint(srv), "-servername", CertCN}, opts...)
	out, err := tool(t, "openssl", args...)
	// s_client exits 0 after a completed handshake when stdin closes.
	return err == nil && strings.Contains(out, "Cipher is ") && !strings.Contains(out, "Cipher is (NONE)"), out
}

func TestNginxWeakTLS(t *testing.T) {
	t.Parallel()
	serve(t, NginxWeakTLS)
}

func TestNginxStrongTLS(t *testing.T) {
	t.Parallel()
	serve(t, NginxStrongTLS)
}

// strongTLSVerifiers: the hardened server has no RSA key and shows the
// patient to nobody without the account.
func strongTLSVerifiers() map[string]verifier {
	v := weakTLSVerifiers()
	delete(v, RSAKeyBits)
	delete(v, PatientData)
	return v
}

func weakTLSVerifiers() map[string]verifier {
	v := webVerifiers()
	maps.Copy(v, tlsVerifiers())
	return v
}

// tlsEndpoint is the TLS port of a TLS server (its only port).
func tlsEndpoint(srv *Server) string { return srv.Endpoint(srv.Ports[0].Port) }

// tlsVerifiers prove the TLS truths of any TLS server.
func tlsVerifiers() map[string]verifier {
	v := map[string]verifier{}
	peer := func(t *testing.T, srv *Server) *x509.Certificate {
		st, err := tlsHandshake(tlsEndpoint(srv), nil)
		if err != nil {
			t.Fatal(err)
		}
		return st.PeerCertificates[0]
	}
	// A version claim is checked with Go's client and with OpenSSL's
	// own (at security level 0 so that it offers the old versions at all).
	speaks := func(t *testing.T, srv *Server, v uint16) error {
		st, err := tlsHandshake(tlsEndpoint(srv), &tls.Config{MinVersion: v, MaxVersion: v})
		if err != nil || st.Version != v {
			return fmt.Errorf("go client limited to %s: %v", tls.VersionName(v), err)
		}
		ok, out := opensslConnect(t, srv, tlsVersions[v].openssl, "-cipher", "DEFAULT:@SECLEVEL=0")
		// The version shows in the session block, or (TLS 1.3 without a
		// session ticket) only in the "New," line.
		proto := tlsVersions[v].protocol
		if !ok || !strings.Contains(out, "Protocol  : "+proto+"\n") && !strings.Contains(out, "New, "+proto+", ") {
			return fmt.Errorf("openssl s_client %s did not handshake:\n%s", tlsVersions[v].openssl, out)
		}
		return nil
	}
	refuses := func(srv *Server, min, max uint16) error {
		if _, err := tlsHandshake(tlsEndpoint(srv), &tls.Config{MinVersion: min, MaxVersion: max}); err == nil {
			return fmt.Errorf("handshake with %s..%s succeeded", tls.VersionName(min), tls.VersionName(max))
		}
		return nil
	}
	v[TLSMinVersion] = func(t *testing.T, srv *Server, want any) error {
		ver, ok := tlsVersionByName(want)
		if !ok {
			return fmt.Errorf("unknown version %q", want)
		}
		if err := speaks(t, srv, ver); err != nil {
			return err
		}
		// Below TLS 1.0 is SSL 3.0, which neither client speaks.
		if ver > tls.VersionTLS10 {
			return refuses(srv, tls.VersionTLS10, ver-1)
		}
		return nil
	}
	v[TLSMaxVersion] = func(t *testing.T, srv *Server, want any) error {
		ver, ok := tlsVersionByName(want)
		if !ok {
			return fmt.Errorf("unknown version %q", want)
		}
		if err := speaks(t, srv, ver); err != nil {
			return err
		}
		if ver < tls.VersionTLS13 {
			return refuses(srv, ver+1, tls.VersionTLS13)
		}
		return nil
	}
	v[WeakCipher] = func(t *testing.T, srv *Server, want any) error {
		if want == "" {
			// None: no suite without forward secrecy or with CBC.
			for _, c := range []string{"AES128-SHA", "AES256-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES128-SHA", "AES128-GCM-SHA256"} {
				if ok, out := opensslConnect(t, srv, "-tls1_2", "-cipher", c+":@SECLEVEL=0"); ok {
					return fmt.Errorf("negotiated %s:\n%s", c, out)
				}
			}
			return nil
		}
		ok, out := opensslConnect(t, srv, "-tls1_2", "-cipher", want.(string)+":@SECLEVEL=0")
		if !ok || !strings.Contains(out, "Cipher is "+want.(string)+"\n") {
			return fmt.Errorf("openssl s_client -cipher %s:\n%s", want, out)
		}
		return nil
	}
	v[SelfSigned] = func(t *testing.T, srv *Server, want any) error {
		c := peer(t, srv)
		self := c.CheckSignatureFrom(c) == nil && c.Issuer.String() == c.Subject.String()
		// Either way srv.CA must be what a client should trust: the
		// certificate itself, or the CA that issued it.
		if blk, _ := pem.Decode(srv.CA); blk == nil {
			t.Fatal("srv.CA holds no PEM")
		} else if self && string(blk.Bytes) != string(c.Raw) {
			t.Fatal("srv.CA is not the presented self-signed certificate")
		} else if !self {
			roots := x509.NewCertPool()
			roots.AppendCertsFromPEM(srv.CA)
			if _, err := c.Verify(x509.VerifyOptions{Roots: roots}); err != nil {
				t.Fatalf("the certificate does not verify against srv.CA: %v", err)
			}
		}
		return is("self-signed", self, want)
	}
	v[RSAKeyBits] = func(t *testing.T, srv *Server, want any) error {
		k, ok := peer(t, srv).PublicKey.(*rsa.PublicKey)
		if !ok || k.N.BitLen() != want {
			return fmt.Errorf("key %T of %d bits", peer(t, srv).PublicKey, k.N.BitLen())
		}
		return nil
	}
	v[HostnameMismatch] = func(t *testing.T, srv *Server, want any) error {
		c := peer(t, srv)
		return is(fmt.Sprintf("certificate for %q does not name %s", c.Subject.CommonName, srv.Addr), c.VerifyHostname(srv.Addr) != nil, want)
	}
	v[CertExpired] = func(t *testing.T, srv *Server, want any) error {
		c := peer(t, srv)
		return is(fmt.Sprintf("expired (notAfter %v)", c.NotAfter), time.Now().After(c.NotAfter), want)
	}
	return v
}

// TLS versions by the names the truth table uses, with OpenSSL's option
// and the protocol name s_client prints.
var tlsVersionNames = []any{"TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"}

var tlsVersions = map[uint16]struct{ openssl, protocol string }{
	tls.VersionTLS10: {"-tls1", "TLSv1"},
	tls.VersionTLS11: {"-tls1_1", "TLSv1.1"},
	tls.VersionTLS12: {"-tls1_2", "TLSv1.2"},
	tls.VersionTLS13: {"-tls1_3", "TLSv1.3"},
}

func tlsVersionByName(name any) (uint16, bool) {
	i := slices.Index(tlsVersionNames, name)
	if i < 0 {
		return 0, false
	}
	return tls.VersionTLS10 + uint16(i), true
}
