package serve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/wardsec/ward/internal/pki"
	"github.com/wardsec/ward/pkg/atrest"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
	"github.com/wardsec/ward/pkg/sim"
)

// Config says what to serve.
type Config struct {
	Profile    string   // a sim profile: infusion-pump, patient-monitor
	Weaknesses []string // sim weakness toggles, for every unit
	Listen     string   // address of the management API (default 127.0.0.1:0)
	// CACert and CAKey (PEM) are the CA to issue the server certificate
	// from; empty means a fresh CA.
	CACert, CAKey []byte
	// ClientCertDir, when set, turns on mutual TLS for the management
	// API: the service writes a client certificate and key from its CA
	// there (client.pem, client-key.pem) and names them in Target.
	ClientCertDir string
	// SingleUnit serves the resident unit itself, as a real device is
	// served, instead of a fresh unit per check (units mode): what one
	// check leaves on it, the next finds.
	SingleUnit bool
}

// Service is a running networked simulator.
type Service struct {
	// Target is the exact `ward check --target` URI that reaches the
	// service and trusts its CA (pinned by SHA-256).
	Target string
	// Addr is the management API's listening address.
	Addr string
	// CA is the PEM certificate of the service's CA.
	CA []byte
	// Feed is the HL7 feed of the service's resident unit (the unit a
	// clinical peer would talk to; checks make their own). Its CA and
	// client certificates are offered at /v1/device in units mode too.
	Feed device.Endpoint

	srv  *https.Server
	ln   net.Listener
	done chan error
}

// Start checks cfg, listens, and serves until ctx ends or Close.
func Start(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	// Make one unit now: a bad profile or weakness fails here, before
	// anything listens.
	line := sim.NewLine() // every unit served is of one maker
	resident, err := newUnit(ctx, cfg, line)
	if err != nil {
		return nil, err
	}
	ca, err := loadCA(cfg)
	if err != nil {
		resident.Close()
		return nil, err
	}
	feeds, err := resident.Endpoints(ctx)
	if err != nil {
		resident.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		resident.Close()
		return nil, fmt.Errorf("serve: listen: %w", err)
	}
	fail := func(err error) (*Service, error) {
		ln.Close()
		resident.Close()
		return nil, err
	}
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	hostport := net.JoinHostPort(host, fmt.Sprint(addr.Port))
	now := time.Now()
	leaf, err := ca.Issue("ward simulator management API", append([]string{host}, pki.Localhost...), false, now.Add(-time.Hour), now.AddDate(1, 0, 0))
	if err != nil {
		return fail(err)
	}
	// Send the CA in the chain so a target may pin it.
	caLeaf, _ := tls.X509KeyPair(ca.CertPEM(), ca.KeyPEM())
	leaf.Certificate = append(leaf.Certificate, caLeaf.Certificate[0])
	api := https.WithEndpoint(device.Endpoint{Name: "management-api", Protocol: "https", Address: hostport, CA: ca.CertPEM()})
	var srv *https.Server
	var h http.Handler
	if cfg.SingleUnit {
		srv, err = https.NewServer(resident, api)
		h = srv
	} else {
		srv, err = https.NewServer(nil, https.WithUnits(func(ctx context.Context) (device.Device, error) { return newUnit(ctx, cfg, line) }), api)
		if err != nil {
			return fail(err)
		}
		var rs *https.Server
		if rs, err = https.NewServer(resident); err == nil {
			h = residentFeed(srv, rs)
		}
	}
	if err != nil {
		return fail(err)
	}
	q := url.Values{"ca-sha256": {ca.Fingerprint()}}
	var clientCAs *x509.CertPool
	if cfg.ClientCertDir != "" {
		cert, key, err := writeClientCert(ca, cfg.ClientCertDir, now)
		if err != nil {
			return fail(err)
		}
		q.Set("cert", cert)
		q.Set("key", key)
		clientCAs = ca.Pool()
	}
	s := &Service{
		Target: "https://" + hostport + "?" + q.Encode(),
		Feed:   feeds[0],
		Addr:   hostport,
		CA:     ca.CertPEM(),
		srv:    srv,
		ln:     ln,
		done:   make(chan error, 1),
	}
	go func() {
		var err error
		if slices.Contains(cfg.Weaknesses, "cleartext-management-api") {
			err = serveCleartext(ctx, ln, h)
		} else {
			err = https.Serve(ctx, ln, h, https.TLSConfig(leaf, clientCAs))
		}
		s.done <- errors.Join(err, srv.Close(), resident.Close())
	}()
	return s, nil
}

// residentRoutes are what units mode offers of the resident unit, at
// /v1/device: what an outside HL7 engine needs to reach the feed the
// service prints (its endpoint and CA, a client certificate), nothing
// that would let checks share it.
var residentRoutes = map[string]bool{
	"GET /v1/device/identity":                      true,
	"GET /v1/device/transport/endpoints":           true,
	"POST /v1/device/transport/client-certificate": true,
}

// residentFeed serves residentRoutes from resident and everything else
// from units.
func residentFeed(units, resident http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if residentRoutes[r.Method+" "+r.URL.Path] {
			resident.ServeHTTP(w, r)
			return
		}
		units.ServeHTTP(w, r)
	})
}

// serveCleartext is the cleartext-management-api weakness: the API served
// as plain HTTP, while the target printed still says https.
func serveCleartext(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() {
		<-ctx.Done()
		_ = hs.Close()
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Wait blocks until the service stops (its context ended) and returns why
// it stopped; nil after a clean shutdown.
func (s *Service) Wait() error { return <-s.done }

// writeClientCert writes a client certificate and key from ca into dir,
// the key readable by its owner only, and returns their paths.
func writeClientCert(ca *pki.CA, dir string, now time.Time) (string, string, error) {
	c, err := ca.Issue("ward check", nil, true, now.Add(-time.Hour), now.AddDate(0, 0, 30))
	if err != nil {
		return "", "", err
	}
	certPEM, keyPEM, err := pki.PEM(c)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("serve: client certificate: %w", err)
	}
	certPath, keyPath := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	for _, f := range []struct {
		path string
		data []byte
		perm os.FileMode
	}{{certPath, certPEM, 0o644}, {keyPath, keyPEM, 0o600}} {
		err := atrest.WriteFileAtomic(f.path, f.perm, func(w io.Writer) error { _, err := w.Write(f.data); return err })
		if err != nil {
			return "", "", fmt.Errorf("serve: client certificate: %w", err)
		}
	}
	abs1, _ := filepath.Abs(certPath)
	abs2, _ := filepath.Abs(keyPath)
	return abs1, abs2, nil
}

func loadCA(cfg Config) (*pki.CA, error) {
	if len(cfg.CACert) > 0 || len(cfg.CAKey) > 0 {
		return pki.LoadCA(cfg.CACert, cfg.CAKey)
	}
	return pki.NewCA("ward simulator CA", time.Now())
}

// newUnit is a fresh simulated device off line, its clock frozen at
// creation as sim:// units are (it moves only through device.ClockControl).
func newUnit(ctx context.Context, cfg Config, line *sim.Line) (*sim.Pump, error) {
	start := time.Now()
	return sim.New(ctx, cfg.Profile, sim.WithWeaknesses(cfg.Weaknesses...), sim.WithClock(func() time.Time { return start }), sim.WithLine(line))
}
