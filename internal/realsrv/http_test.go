package realsrv

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
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
	if srv.Kind == NginxWeakTLS {
		return "https://" + srv.Endpoint(HTTPSPort)
	}
	return "http://" + srv.Endpoint(HTTPPort)
}

// webVerifiers prove the truths both nginx setups share.
func webVerifiers() map[string]verifier {
	return map[string]verifier{
		TLS: verifyTLSFlag,
		Cleartext: func(t *testing.T, srv *Server, want any) {
			r := newRelay(t, srv.Endpoint(srv.Ports[0].Port))
			base := strings.Replace(baseURL(srv), srv.Endpoint(srv.Ports[0].Port), r.Addr, 1)
			resp, body := get(t, base, PatientPath, "", "")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, PatientMRN) {
				t.Fatalf("through the relay: %s\n%s", resp.Status, body)
			}
			if got := strings.Contains(string(r.Seen()), PatientMRN); got != want {
				t.Errorf("patient readable on the wire=%v, truth says %v", got, want)
			}
		},
		AnonymousAccess: func(t *testing.T, srv *Server, want any) {
			resp, _ := get(t, baseURL(srv), "/", "", "")
			if got := resp.StatusCode == http.StatusOK; got != want {
				t.Errorf("GET / without credentials: %s, truth says served=%v", resp.Status, want)
			}
		},
		PatientData: func(t *testing.T, srv *Server, want any) {
			resp, body := get(t, baseURL(srv), want.(string), "", "")
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, PatientFamily+", "+PatientGiven) || !strings.Contains(body, PatientMRN) {
				t.Errorf("GET %s without credentials: %s\n%s", want, resp.Status, body)
			}
		},
		DefaultCredentials: func(t *testing.T, srv *Server, want any) {
			user, pass, _ := strings.Cut(want.(string), ":")
			if resp, body := get(t, baseURL(srv), AdminPath, "", ""); resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, AdminMarker) {
				t.Errorf("admin page without credentials: %s", resp.Status)
			}
			if resp, _ := get(t, baseURL(srv), AdminPath, user, pass+"x"); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("admin page with a wrong password: %s", resp.Status)
			}
			if resp, body := get(t, baseURL(srv), AdminPath, user, pass); resp.StatusCode != http.StatusOK || !strings.Contains(body, AdminMarker) {
				t.Errorf("admin page with %s: %s\n%s", want, resp.Status, body)
			}
		},
		AuthMechanism: func(t *testing.T, srv *Server, want any) {
			if want != "http-basic" {
				t.Fatalf("unexpected mechanism %q", want)
			}
			resp, _ := get(t, baseURL(srv), AdminPath, "", "")
			if h := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Basic ") {
				t.Errorf("WWW-Authenticate %q, want a Basic challenge", h)
			}
		},
		ServerVersionDisclosed: func(t *testing.T, srv *Server, want any) {
			resp, _ := get(t, baseURL(srv), "/", "", "")
			if got := resp.Header.Get("Server"); got != want || !strings.ContainsAny(got, "0123456789") {
				t.Errorf("Server header %q, truth says %q (with a version)", got, want)
			}
		},
	}
}

func TestNginxHTTP(t *testing.T) {
	t.Parallel()
	serve(t, NginxHTTP, webVerifiers())
}

// opensslConnect runs `openssl s_client` against the server with extra
// options and reports whether the handshake completed.
func opensslConnect(t *testing.T, srv *Server, opts ...string) (bool, string) {
	args := append([]string{"s_client", "-connect", srv.Endpoint(HTTPSPort), "-servername", CertCN}, opts...)
	cmd := "openssl " + strings.Join(args, " ")
	out, err := tool(t, "openssl", args...)
	// s_client exits 0 after a completed handshake when stdin closes.
	ok := err == nil && strings.Contains(out, "Cipher is ") && !strings.Contains(out, "Cipher is (NONE)")
	t.Logf("%s: handshake=%v", cmd, ok)
	return ok, out
}

func TestNginxWeakTLS(t *testing.T) {
	t.Parallel()
	v := webVerifiers()
	peer := func(t *testing.T, srv *Server) *x509.Certificate {
		st, err := tlsHandshake(srv.Endpoint(HTTPSPort), nil)
		if err != nil {
			t.Fatal(err)
		}
		return st.PeerCertificates[0]
	}
	v[TLSMinVersion] = func(t *testing.T, srv *Server, want any) {
		if want != "TLS1.0" {
			t.Fatalf("no check for %q", want)
		}
		// OpenSSL's own client, at its security level 0 so that it
		// offers TLS 1.0 at all.
		if ok, out := opensslConnect(t, srv, "-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"); !ok || !strings.Contains(out, "Protocol  : TLSv1\n") {
			t.Errorf("openssl s_client -tls1 did not handshake TLS 1.0:\n%s", out)
		}
		st, err := tlsHandshake(srv.Endpoint(HTTPSPort), &tls.Config{MaxVersion: tls.VersionTLS10})
		if err != nil || st.Version != tls.VersionTLS10 {
			t.Errorf("Go client limited to TLS 1.0: %v (version %x)", err, st.Version)
		}
	}
	v[TLSMaxVersion] = func(t *testing.T, srv *Server, want any) {
		if want != "TLS1.2" {
			t.Fatalf("no check for %q", want)
		}
		st, err := tlsHandshake(srv.Endpoint(HTTPSPort), nil)
		if err != nil || st.Version != tls.VersionTLS12 {
			t.Errorf("Go client offering up to TLS 1.3 got %x, err %v", st.Version, err)
		}
		if _, err := tlsHandshake(srv.Endpoint(HTTPSPort), &tls.Config{MinVersion: tls.VersionTLS13}); err == nil {
			t.Error("TLS 1.3 handshake succeeded")
		}
	}
	v[WeakCipher] = func(t *testing.T, srv *Server, want any) {
		ok, out := opensslConnect(t, srv, "-tls1_2", "-cipher", want.(string)+":@SECLEVEL=0")
		if !ok || !strings.Contains(out, "Cipher is "+want.(string)) {
			t.Errorf("openssl s_client -cipher %s:\n%s", want, out)
		}
	}
	v[SelfSigned] = func(t *testing.T, srv *Server, want any) {
		c := peer(t, srv)
		got := c.CheckSignatureFrom(c) == nil && c.Issuer.String() == c.Subject.String()
		if got != want {
			t.Errorf("self-signed=%v, truth says %v", got, want)
		}
		blk, _ := pem.Decode(srv.CA)
		if blk == nil || string(blk.Bytes) != string(c.Raw) {
			t.Error("srv.CA is not the presented certificate")
		}
	}
	v[RSAKeyBits] = func(t *testing.T, srv *Server, want any) {
		k, ok := peer(t, srv).PublicKey.(*rsa.PublicKey)
		if !ok || k.N.BitLen() != want {
			t.Errorf("key %T, truth says RSA-%v", peer(t, srv).PublicKey, want)
		}
	}
	v[HostnameMismatch] = func(t *testing.T, srv *Server, want any) {
		c := peer(t, srv)
		if got := c.VerifyHostname(srv.Addr) != nil; got != want {
			t.Errorf("certificate for %q names %s: mismatch=%v, truth says %v", c.Subject.CommonName, srv.Addr, got, want)
		}
	}
	serve(t, NginxWeakTLS, v)
}
