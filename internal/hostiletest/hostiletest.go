package hostiletest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/pki"
	"github.com/wardsec/ward/pkg/device"
)

// Device is a scripted management-API server. Its defaults answer
// GET /v1/service (a real device, no units), GET /v1/device/capabilities
// (Capabilities) and GET /v1/device/identity (Identity); everything else
// answers 501 unsupported until the test handles it.
type Device struct {
	// Addr is host:port the server listens on.
	Addr string
	// CA issued the server's certificate.
	CA *pki.CA

	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	seen   []string
	caps   []string
	id     device.Identity
}

type config struct {
	ln    net.Listener
	hosts []string
}

// Option configures New.
type Option func(*config)

// WithListener serves on ln (for example one opened inside a network
// namespace) instead of a fresh listener on 127.0.0.1.
func WithListener(ln net.Listener) Option { return func(c *config) { c.ln = ln } }

// WithHosts sets the names and addresses the server certificate carries
// (default pki.Localhost).
func WithHosts(hosts ...string) Option { return func(c *config) { c.hosts = hosts } }

// New starts a hostile device that stops when the test ends.
func New(t testing.TB, opts ...Option) *Device {
	t.Helper()
	cfg := config{hosts: pki.Localhost}
	for _, o := range opts {
		o(&cfg)
	}
	ca, err := pki.NewCA("hostile test CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue("hostile device", cfg.hosts, false, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	caPair, err := tls.X509KeyPair(ca.CertPEM(), ca.KeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	leaf.Certificate = append(leaf.Certificate, caPair.Certificate[0])
	ln := cfg.ln
	if ln == nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	d := &Device{
		Addr:   ln.Addr().String(),
		CA:     ca,
		routes: map[string]http.HandlerFunc{},
		id:     device.Identity{Manufacturer: "Hostile", Model: "H-1", Serial: "H0001", Firmware: "1.0.0"},
	}
	srv := &http.Server{
		Handler:   d,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{leaf}},
		// The scripts decide how long an answer takes; no server timeout
		// may cut a slow drip short.
		ErrorLog: nil,
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("hostile device: %v", err)
		}
	})
	return d
}

// Target is the https:// target URI that reaches the device, trusting it
// by its CA's pin. Extra query parameters ("timeout=2s") are appended.
func (d *Device) Target(params ...string) string {
	return TargetFor(d.Addr, d.CA, params...)
}

// TargetFor is the target URI for host:port addr served with a
// certificate from ca.
func TargetFor(addr string, ca *pki.CA, params ...string) string {
	return "https://" + addr + "?" + strings.Join(append([]string{"ca-sha256=" + ca.Fingerprint()}, params...), "&")
}

// SetCapabilities sets what GET /v1/device/capabilities lists.
func (d *Device) SetCapabilities(names ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.caps = append([]string(nil), names...)
}

// SetIdentity sets what GET /v1/device/identity answers.
func (d *Device) SetIdentity(id device.Identity) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.id = id
}

// Handle scripts the answer to method and path. A path not starting with
// /v1/ is under the device, /v1/device.
func (d *Device) Handle(method, path string, h http.HandlerFunc) {
	if !strings.HasPrefix(path, "/v1/") {
		path = "/v1/device" + path
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.routes[method+" "+path] = h
}

// Requests lists "METHOD /path" of every request served so far, in order.
func (d *Device) Requests() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

// ServeHTTP implements http.Handler.
func (d *Device) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Method + " " + r.URL.Path
	d.mu.Lock()
	d.seen = append(d.seen, key)
	h, ok := d.routes[key]
	caps, id := d.caps, d.id
	d.mu.Unlock()
	if ok {
		h(w, r)
		return
	}
	switch key {
	case "GET /v1/service":
		JSON(map[string]any{"api": "ward-management/1", "units": false})(w, r)
	case "GET /v1/device/capabilities":
		if caps == nil {
			caps = []string{}
		}
		JSON(map[string]any{"capabilities": caps})(w, r)
	case "GET /v1/device/identity":
		JSON(id)(w, r)
	default:
		Status(http.StatusNotImplemented, `{"error":{"codes":["unsupported"],"message":"unsupported","capability":"`+r.URL.Path+`"}}`)(w, r)
	}
}

// JSON answers v as JSON.
func JSON(v any) http.HandlerFunc {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a test's own value
	}
	return Raw("application/json", b)
}

// Raw answers body with the given content type.
func Raw(ctype string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ctype)
		_, _ = w.Write(body)
	}
}

// Status answers code with a JSON body.
func Status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

// Redirect answers code (301, 302, 303, 307, 308) sending the client to
// location.
func Redirect(code int, location string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", location)
		w.WriteHeader(code)
	}
}

// Drip answers status 200 and then writes body one byte every interval,
// until it is all sent or the client goes away.
func Drip(body []byte, interval time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		fl, _ := w.(http.Flusher)
		t := time.NewTicker(interval)
		defer t.Stop()
		for i := range body {
			if _, err := w.Write(body[i : i+1]); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
			select {
			case <-r.Context().Done():
				return
			case <-t.C:
			}
		}
	}
}

// Repeat answers status 200 with n bytes: prefix, then fill repeated,
// then suffix, streamed without holding it all in memory.
func Repeat(ctype, prefix string, fill byte, n int, suffix string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", ctype)
		if _, err := w.Write([]byte(prefix)); err != nil {
			return
		}
		chunk := make([]byte, 64<<10)
		for i := range chunk {
			chunk[i] = fill
		}
		for left := n; left > 0; {
			k := min(left, len(chunk))
			if _, err := w.Write(chunk[:k]); err != nil {
				return
			}
			left -= k
		}
		_, _ = w.Write([]byte(suffix))
	}
}
