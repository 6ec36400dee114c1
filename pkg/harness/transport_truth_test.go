package harness_test

import (
	"bufio"
	"context"
	"crypto/fips140"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/internal/pki"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
)

// A device described through the Go API: it lists its network services
// and nothing else. The transport checks must judge each service by what
// it sends back, not by what the device says about it.
type listedServices struct{ eps []device.Endpoint }

func (listedServices) Identify(context.Context) (device.Identity, error) {
	return device.Identity{Manufacturer: "Acme", Model: "Gateway", Serial: "G-1", Firmware: "1"}, nil
}
func (listedServices) Close() error { return nil }
func (d listedServices) Endpoints(context.Context) ([]device.Endpoint, error) {
	return d.eps, nil
}

// transportOutcome checks only encryption in transit on a device that
// lists eps.
func transportOutcome(t *testing.T, eps ...device.Endpoint) evidence.Control {
	t.Helper()
	reg := device.NewRegistry()
	require.NoError(t, reg.Register("listed", func(context.Context, *url.URL) (device.Device, error) {
		return listedServices{eps}, nil
	}))
	r := harness.New(reg, catalogue(t), features.FS, harness.WithControls("HIPAA-164.312-e-2-ii"))
	// The services listen on the target's own host, as the harness
	// requires (reach.go).
	res, _, err := r.Check(context.Background(), "listed://127.0.0.1")
	require.NoError(t, err)
	require.Len(t, res.Controls, 1)
	return res.Controls[0]
}

// listenLoop serves each connection with serve until the test ends.
func listenLoop(t *testing.T, ln net.Listener, serve func(net.Conn)) string {
	t.Helper()
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

func loopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

func httpServer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.Listener.Addr().String()
}

func TestEncryptionInTransitJudgesWhatServicesDo(t *testing.T) {
	ca, err := pki.NewCA("test CA", time.Now())
	require.NoError(t, err)
	leaf, err := ca.Issue("service", pki.Localhost, false, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)

	login401 := httpServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	notFound := httpServer(t, http.NotFound)
	redirect := ""
	redirect = httpServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://127.0.0.1/", http.StatusMovedPermanently)
	})
	banner := listenLoop(t, loopback(t), func(c net.Conn) {
		_, _ = io.WriteString(c, "VENDOR-SVC 1.0 READY\r\n")
		_, _ = bufio.NewReader(c).ReadString('\n')
	})
	silent := listenLoop(t, loopback(t), func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	// A DICOM or MQTT server reads one byte it does not know and hangs
	// up; the unread rest of the ClientHello makes the kernel reset.
	dropper := listenLoop(t, loopback(t), func(c net.Conn) {
		_, _ = c.Read(make([]byte, 1))
		time.Sleep(50 * time.Millisecond) // the rest of the hello has arrived
	})
	closed := loopback(t)
	closedAddr := closed.Addr().String()
	closed.Close()
	modern := listenLoop(t, tls.NewListener(loopback(t), &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12}),
		func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })

	type tc struct {
		name string
		ep   device.Endpoint
		want evidence.Outcome
	}
	cases := []tc{
		// Each of these passed before: a plaintext 401 or 404 counted as a
		// refusal, an unknown protocol was sent HTTP, and a service listed
		// without a CA was never offered TLS.
		{"plain HTTP answering 401", device.Endpoint{Name: "web", Protocol: "http", Address: login401}, evidence.NotSatisfied},
		{"plain HTTP answering 404", device.Endpoint{Name: "web", Protocol: "http", Address: notFound}, evidence.NotSatisfied},
		{"plain HTTP claiming TLS", device.Endpoint{Name: "api", Protocol: "https", Address: notFound, CA: ca.CertPEM()}, evidence.NotSatisfied},
		{"vendor protocol in cleartext", device.Endpoint{Name: "svc", Protocol: "vendor", Address: banner}, evidence.NotSatisfied},
		{"vendor protocol claiming TLS", device.Endpoint{Name: "svc", Protocol: "vendor", Address: banner, CA: ca.CertPEM()}, evidence.NotSatisfied},
		{"binary protocol that drops a ClientHello unread", device.Endpoint{Name: "pacs", Protocol: "dicom", Address: dropper}, evidence.NotSatisfied},
		// What cannot be observed is never satisfied.
		{"service that says nothing", device.Endpoint{Name: "svc", Protocol: "vendor", Address: silent}, evidence.NotApplicable},
		{"service that is not there", device.Endpoint{Name: "svc", Protocol: "https", Address: closedAddr}, evidence.NotApplicable},
		// The honest cases pass.
		{"TLS 1.2+ listed without a CA", device.Endpoint{Name: "svc", Protocol: "tls", Address: modern}, evidence.Satisfied},
		{"HTTP that only redirects to HTTPS", device.Endpoint{Name: "web", Protocol: "http", Address: redirect}, evidence.Satisfied},
	}
	if !fips140.Enabled() {
		legacy := listenLoop(t, tls.NewListener(loopback(t), &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS10,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}), func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
		cases = append(cases, tc{"TLS 1.0 listed without a CA", device.Endpoint{Name: "gw", Protocol: "tls", Address: legacy}, evidence.NotSatisfied})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := transportOutcome(t, c.ep)
			assert.Equal(t, c.want, got.Outcome, got.Reason)
			if c.want != evidence.Satisfied {
				assert.Contains(t, got.Reason, c.ep.Address, "the reason names the service")
			}
		})
	}

	// One protected service does not hide an unprotected one.
	t.Run("a good service beside a bad one", func(t *testing.T) {
		got := transportOutcome(t, device.Endpoint{Name: "svc", Protocol: "tls", Address: modern},
			device.Endpoint{Name: "web", Protocol: "http", Address: login401})
		assert.Equal(t, evidence.NotSatisfied, got.Outcome, got.Reason)
	})
}
