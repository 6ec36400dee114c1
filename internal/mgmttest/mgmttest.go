// Package mgmttest serves a device's management API on loopback for tests:
// a fresh CA, a localhost certificate it issued, and pkg/device/https's
// server, stopped when the test ends.
package mgmttest

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/pki"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
)

// Serve serves dev on 127.0.0.1 until the test ends and returns the
// listening address and the CA that issued its certificate. The target
// URI pinning it is "https://" + addr + "?ca-sha256=" + ca.Fingerprint().
func Serve(t testing.TB, dev device.Device, opts ...https.ServerOption) (addr string, ca *pki.CA) {
	t.Helper()
	ca, err := pki.NewCA("test CA", time.Now())
	require.NoError(t, err)
	leaf, err := ca.Issue("device", pki.Localhost, false, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	require.NoError(t, err)
	caPair, err := tls.X509KeyPair(ca.CertPEM(), ca.KeyPEM())
	require.NoError(t, err)
	leaf.Certificate = append(leaf.Certificate, caPair.Certificate[0])
	srv, err := https.NewServer(dev, opts...)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- https.Serve(ctx, ln, srv, https.TLSConfig(leaf, nil)) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String(), ca
}

// Target serves dev (see Serve) and returns the target URI that reaches
// it, trusting it by the CA's pin.
func Target(t testing.TB, dev device.Device, opts ...https.ServerOption) string {
	t.Helper()
	addr, ca := Serve(t, dev, opts...)
	return "https://" + addr + "?ca-sha256=" + ca.Fingerprint()
}
