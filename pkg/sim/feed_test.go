package sim

import (
	"context"
	"crypto/fips140"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/hl7"
)

func feedOf(t *testing.T, p *Pump) device.Endpoint {
	t.Helper()
	eps, err := p.Endpoints(context.Background())
	require.NoError(t, err)
	require.Len(t, eps, 1)
	return eps[0]
}

func peerTLS(t *testing.T, p *Pump, ep device.Endpoint, withCert bool) *tls.Config {
	t.Helper()
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(ep.CA))
	cfg := &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}
	if withCert {
		cp, kp, err := p.IssueClientCertificate(context.Background(), "engine", time.Time{}, time.Time{})
		require.NoError(t, err)
		c, err := tls.X509KeyPair(cp, kp)
		require.NoError(t, err)
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg
}

func order(rate string) []byte {
	return hl7.NewRGV(hl7.Header{SendingApp: "T", Time: time.Now(), ControlID: "C1"},
		hl7.Program{PatientID: "MRN-1", OrderID: "O-1", RateMLH: rate}).Encode()
}

func roundTrip(t *testing.T, c net.Conn, msg []byte) (*hl7.Message, error) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := hl7.WriteFrame(c, msg); err != nil {
		return nil, err
	}
	r := hl7.NewReader(c, 0)
	for {
		f, err := r.ReadFrame()
		if err != nil {
			return nil, err
		}
		m, err := hl7.Parse(f)
		if err != nil {
			return nil, err
		}
		if _, ok := m.Segment("MSA"); ok {
			return m, nil
		}
	}
}

func rate(t *testing.T, p *Pump) string {
	s, err := p.Settings(context.Background())
	require.NoError(t, err)
	return s["channel_a.rate_ml_h"]
}

func TestFeedProgramsOnlyFromAuthenticatedWellFormedOrders(t *testing.T) {
	p, err := New(context.Background(), "infusion-pump")
	require.NoError(t, err)
	defer p.Close()
	ep := feedOf(t, p)
	assert.True(t, ep.ClientAuth)

	c, err := tls.Dial("tcp", ep.Address, peerTLS(t, p, ep, true))
	require.NoError(t, err)
	ack, err := roundTrip(t, c, order("12.5"))
	require.NoError(t, err)
	assert.Equal(t, "RRG^O16", ack.Type())
	assert.Equal(t, hl7.AA, ack.Get("MSA-1"))
	assert.Equal(t, "12.5", rate(t, p))
	for _, bad := range []string{"0", "-1", "1000", "NaN", "fast"} {
		ack, err := roundTrip(t, c, order(bad))
		require.NoError(t, err)
		assert.Equal(t, hl7.AE, ack.Get("MSA-1"), bad)
	}
	ack, err = roundTrip(t, c, []byte("MSH|^^\\&|x\rRXG|1||||||||||||||999|mL/h\r"))
	require.NoError(t, err)
	assert.Equal(t, hl7.AR, ack.Get("MSA-1"))
	assert.Equal(t, "12.5", rate(t, p), "nothing but AA changes the rate")
	c.Close()

	// No certificate: no session.
	c, err = tls.Dial("tcp", ep.Address, peerTLS(t, p, ep, false))
	if err == nil {
		_, err = roundTrip(t, c, order("50"))
		c.Close()
	}
	assert.Error(t, err)
	assert.Equal(t, "12.5", rate(t, p))

	require.NoError(t, p.Close())
	_, err = net.DialTimeout("tcp", ep.Address, time.Second)
	assert.Error(t, err, "closing the unit closes its feed")
}

func TestFeedWeaknesses(t *testing.T) {
	t.Run("fragile-parser", func(t *testing.T) {
		p, err := New(context.Background(), "infusion-pump", WithWeaknesses("fragile-parser"))
		require.NoError(t, err)
		defer p.Close()
		ep := feedOf(t, p)
		c, err := tls.Dial("tcp", ep.Address, peerTLS(t, p, ep, true))
		require.NoError(t, err)
		defer c.Close()
		ack, err := roundTrip(t, c, []byte("MSH|^^\\&|x\rRXG|1||||||||||||||999|mL/h\r"))
		require.NoError(t, err)
		assert.Equal(t, hl7.AR, ack.Get("MSA-1"))
		assert.Equal(t, "999", rate(t, p), "the weakness: a refused message still set the rate")
	})
	t.Run("cleartext-transport", func(t *testing.T) {
		p, err := New(context.Background(), "infusion-pump", WithWeaknesses("cleartext-transport"))
		require.NoError(t, err)
		defer p.Close()
		ep := feedOf(t, p)
		assert.Empty(t, ep.CA)
		c, err := net.Dial("tcp", ep.Address)
		require.NoError(t, err)
		defer c.Close()
		ack, err := roundTrip(t, c, order("30"))
		require.NoError(t, err)
		assert.Equal(t, hl7.AA, ack.Get("MSA-1"))
	})
	t.Run("tls-downgrade", func(t *testing.T) {
		if fips140.Enabled() {
			t.Skip("FIPS 140-3 mode: neither end may speak TLS 1.0")
		}
		for _, weak := range []bool{false, true} {
			var opts []Option
			if weak {
				opts = append(opts, WithWeaknesses("tls-downgrade"))
			}
			p, err := New(context.Background(), "infusion-pump", opts...)
			require.NoError(t, err)
			ep := feedOf(t, p)
			cfg := peerTLS(t, p, ep, true)
			cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS10
			c, err := tls.Dial("tcp", ep.Address, cfg)
			if weak {
				require.NoError(t, err)
				assert.Equal(t, uint16(tls.VersionTLS10), c.ConnectionState().Version)
				c.Close()
			} else {
				assert.Error(t, err, "TLS 1.0 refused")
			}
			p.Close()
		}
	})
	t.Run("short-feed-key", func(t *testing.T) {
		if fips140.Enabled() {
			t.Skip("FIPS 140-3 mode: TLS refuses RSA keys under 2048 bits")
		}
		for _, weak := range []bool{false, true} {
			var opts []Option
			if weak {
				opts = append(opts, WithWeaknesses("short-feed-key"))
			}
			p, err := New(context.Background(), "infusion-pump", opts...)
			require.NoError(t, err)
			ep := feedOf(t, p)
			c, err := tls.Dial("tcp", ep.Address, peerTLS(t, p, ep, true))
			require.NoError(t, err, "a peer still verifies the feed")
			leaf := c.ConnectionState().PeerCertificates[0]
			rsaKey, isRSA := leaf.PublicKey.(*rsa.PublicKey)
			assert.Equal(t, weak, isRSA)
			if weak {
				assert.Equal(t, 1024, rsaKey.N.BitLen())
			}
			c.Close()
			p.Close()
		}
	})
}

func TestMonitorSendsObservationsAndTakesNoOrders(t *testing.T) {
	p, err := New(context.Background(), "patient-monitor")
	require.NoError(t, err)
	defer p.Close()
	ep := feedOf(t, p)
	c, err := tls.Dial("tcp", ep.Address, peerTLS(t, p, ep, true))
	require.NoError(t, err)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	f, err := hl7.NewReader(c, 0).ReadFrame()
	require.NoError(t, err)
	m, err := hl7.Parse(f)
	require.NoError(t, err)
	assert.Equal(t, "ORU^R01", m.Type())
	assert.Len(t, m.All("OBX"), 2)
	ack, err := roundTrip(t, c, order("10"))
	require.NoError(t, err)
	assert.Equal(t, hl7.AR, ack.Get("MSA-1"))
	_, err = p.Settings(context.Background())
	assert.ErrorIs(t, err, device.ErrUnsupported)
}

func TestForwardLogsNeedsAPrivilegedSession(t *testing.T) {
	p, err := New(context.Background(), "infusion-pump")
	require.NoError(t, err)
	defer p.Close()
	err = p.ForwardLogs(context.Background(), "forged", device.LogCollector{Address: "127.0.0.1:1", CA: []byte("x")})
	assert.ErrorIs(t, err, device.ErrUnauthenticated)
}
