package sim

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/wardsec/ward/internal/pki"
	"github.com/wardsec/ward/pkg/device"
)

// Extra network services that only weakness toggles add. Each is a way a
// real device ends up with a service outside TLS that a transport check
// once passed: a web login answering 401 in cleartext, a vendor protocol
// no check knows, a TLS port that accepts TLS 1.0 but is listed without
// a CA, and a management API that claims TLS and serves plain HTTP.

// weakService is one such service, listening on loopback.
type weakService struct {
	ep device.Endpoint
	ln net.Listener
	hs *http.Server // for the HTTP ones
}

func (s *weakService) close() {
	if s.hs != nil {
		_ = s.hs.Close()
	}
	_ = s.ln.Close()
}

// startWeakServices starts the services the unit's weaknesses call for.
// The caller holds p.net.mu.
func (p *Pump) startWeakServices(ca *pki.CA) ([]*weakService, error) {
	var out []*weakService
	fail := func(err error) ([]*weakService, error) {
		for _, s := range out {
			s.close()
		}
		return nil, err
	}
	listen := func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
	if p.weak["cleartext-web-login"] {
		ln, err := listen()
		if err != nil {
			return fail(err)
		}
		// A login page: every request is answered 401 with a form, in
		// cleartext (what the operator types next goes over the wire).
		hs := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="pump web console"`)
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "<form method=post><input name=user><input name=password type=password></form>")
		})}
		go func() { _ = hs.Serve(ln) }()
		out = append(out, &weakService{ep: device.Endpoint{Name: "web-console", Protocol: "http", Address: ln.Addr().String()}, ln: ln, hs: hs})
	}
	if p.weak["cleartext-vendor-port"] {
		ln, err := listen()
		if err != nil {
			return fail(err)
		}
		go serveVendor(ln, p.id.Serial)
		out = append(out, &weakService{ep: device.Endpoint{Name: "service-port", Protocol: "vendor-service", Address: ln.Addr().String()}, ln: ln})
	}
	if p.weak["legacy-tls-undeclared"] {
		ln, err := listen()
		if err != nil {
			return fail(err)
		}
		now := p.now()
		leaf, err := ca.Issue("legacy gateway "+p.id.Serial, pki.Localhost, false, now.Add(-time.Hour), now.AddDate(1, 0, 0))
		if err != nil {
			ln.Close()
			return fail(err)
		}
		cfg := &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS10,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
				tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}
		tln := tls.NewListener(ln, cfg)
		go serveVendor(tln, p.id.Serial)
		// Listed the way a black-box inventory lists it: no CA.
		out = append(out, &weakService{ep: device.Endpoint{Name: "legacy-gateway", Protocol: "tls", Address: ln.Addr().String()}, ln: tln})
	}
	if p.weak["cleartext-management-api"] {
		ln, err := listen()
		if err != nil {
			return fail(err)
		}
		hs := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"api":"ward-device/1","units":false}`)
		})}
		go func() { _ = hs.Serve(ln) }()
		// It claims TLS (a CA, protocol https) and serves plain HTTP.
		out = append(out, &weakService{ep: device.Endpoint{Name: "management-api", Protocol: "https", Address: ln.Addr().String(), CA: ca.CertPEM()}, ln: ln, hs: hs})
	}
	return out, nil
}

// serveVendor is a line-based service protocol of the kind device makers
// invent: a banner, then one answer per command, in whatever the
// listener carries.
func serveVendor(ln net.Listener, serial string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := fmt.Fprintf(c, "PUMP-SVC 2.1 %s READY\r\n", serial); err != nil {
				return
			}
			r := bufio.NewReader(io.LimitReader(c, 4<<10))
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				cmd := strings.ToUpper(strings.TrimSpace(line))
				switch cmd {
				case "QUIT":
					return
				case "STATUS":
					_, err = io.WriteString(c, "OK channel_a=running\r\n")
				default:
					_, err = io.WriteString(c, "ERR unknown command\r\n")
				}
				if err != nil {
					return
				}
			}
		}()
	}
}
