package pki

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIssuedCertificatesVerifyOnlyUnderTheirCA(t *testing.T) {
	now := time.Now()
	ca, err := NewCA("a", now)
	require.NoError(t, err)
	other, err := NewCA("b", now)
	require.NoError(t, err)
	leaf, err := ca.Issue("svc", Localhost, false, now.Add(-time.Hour), now.Add(time.Hour))
	require.NoError(t, err)
	_, err = leaf.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "127.0.0.1"})
	require.NoError(t, err)
	_, err = leaf.Leaf.Verify(x509.VerifyOptions{Roots: other.Pool(), DNSName: "127.0.0.1"})
	assert.Error(t, err)
	client, err := ca.Issue("peer", nil, true, now.Add(-time.Hour), now.Add(time.Hour))
	require.NoError(t, err)
	_, err = client.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	assert.Error(t, err, "a client certificate is not a server certificate")

	pair, err := tls.X509KeyPair(ca.CertPEM(), ca.KeyPEM())
	require.NoError(t, err)
	sum := sha256.Sum256(pair.Certificate[0])
	assert.Equal(t, hex.EncodeToString(sum[:]), ca.Fingerprint())
	again, err := LoadCA(ca.CertPEM(), ca.KeyPEM())
	require.NoError(t, err)
	assert.Equal(t, ca.Fingerprint(), again.Fingerprint())
	certPEM, keyPEM, err := PEM(leaf)
	require.NoError(t, err)
	_, err = LoadCA(certPEM, keyPEM)
	assert.Error(t, err, "a leaf is not a CA")
}
