package serve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/wardsec/ward/internal/pki"
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
	probe, err := newUnit(ctx, cfg)
	if err != nil {
		return nil, err
	}
	_ = probe.Close()
	ca, err := loadCA(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("serve: listen: %w", err)
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
		ln.Close()
		return nil, err
	}
	// Send the CA in the chain so a target may pin it.
	caLeaf, _ := tls.X509KeyPair(ca.CertPEM(), ca.KeyPEM())
	leaf.Certificate = append(leaf.Certificate, caLeaf.Certificate[0])
	srv, err := https.NewServer(nil,
		https.WithUnits(func(ctx context.Context) (device.Device, error) { return newUnit(ctx, cfg) }),
		https.WithEndpoint(device.Endpoint{Name: "management-api", Protocol: "https", Address: hostport, CA: ca.CertPEM()}))
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &Service{
		Target: "https://" + hostport + "?" + url.Values{"ca-sha256": {ca.Fingerprint()}}.Encode(),
		Addr:   hostport,
		CA:     ca.CertPEM(),
		srv:    srv,
		ln:     ln,
		done:   make(chan error, 1),
	}
	go func() {
		err := https.Serve(ctx, ln, srv, https.TLSConfig(leaf, nil))
		s.done <- errors.Join(err, srv.Close())
	}()
	return s, nil
}

// Wait blocks until the service stops (its context ended) and returns why
// it stopped; nil after a clean shutdown.
func (s *Service) Wait() error { return <-s.done }

func loadCA(cfg Config) (*pki.CA, error) {
	if len(cfg.CACert) > 0 || len(cfg.CAKey) > 0 {
		return pki.LoadCA(cfg.CACert, cfg.CAKey)
	}
	return pki.NewCA("ward simulator CA", time.Now())
}

// newUnit is a fresh simulated device, its clock frozen at creation as
// sim:// units are (it moves only through device.ClockControl).
func newUnit(ctx context.Context, cfg Config) (*sim.Pump, error) {
	start := time.Now()
	return sim.New(ctx, cfg.Profile, sim.WithWeaknesses(cfg.Weaknesses...), sim.WithClock(func() time.Time { return start }))
}
