package serve_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/pki"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
	"github.com/wardsec/ward/pkg/sim/serve"
)

// A given CA issues the service's certificate: the printed target pins it,
// and a target naming the CA file works as well.
func TestGivenCAIsTrustedByPinAndByFile(t *testing.T) {
	ca, err := pki.NewCA("site CA", time.Now())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, err := serve.Start(ctx, serve.Config{Profile: "infusion-pump", CACert: ca.CertPEM(), CAKey: ca.KeyPEM()})
	require.NoError(t, err)
	assert.Contains(t, svc.Target, "ca-sha256="+ca.Fingerprint())

	f := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(f, ca.CertPEM(), 0o600))
	reg := device.NewRegistry()
	require.NoError(t, https.Register(reg))
	for _, target := range []string{svc.Target, "https://" + svc.Addr + "?ca=" + url.QueryEscape(f)} {
		d, err := reg.Open(ctx, target)
		require.NoError(t, err, target)
		id, err := d.Identify(ctx)
		require.NoError(t, err)
		assert.Equal(t, "SIM-IP-000001", id.Serial)
		require.NoError(t, d.Close())
	}

	// Another CA's pin or file is refused.
	other, _ := pki.NewCA("other", time.Now())
	g := filepath.Join(t.TempDir(), "other.pem")
	require.NoError(t, os.WriteFile(g, other.CertPEM(), 0o600))
	for _, target := range []string{"https://" + svc.Addr + "?ca-sha256=" + other.Fingerprint(), "https://" + svc.Addr + "?ca=" + url.QueryEscape(g)} {
		_, err := reg.Open(ctx, target)
		require.Error(t, err, target)
		assert.False(t, strings.Contains(err.Error(), "\n"))
	}
	cancel()
	assert.NoError(t, svc.Wait())
}

// With SingleUnit every check reaches the same unit: an account made
// through one connection is there for the next.
func TestSingleUnitKeepsState(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := device.NewRegistry()
	require.NoError(t, https.Register(reg))
	var svcs []*serve.Service
	for _, single := range []bool{false, true} {
		svc, err := serve.Start(ctx, serve.Config{Profile: "infusion-pump", SingleUnit: single})
		require.NoError(t, err)
		svcs = append(svcs, svc)
		const user, pw = "pat.doe", "Correct-Horse-Battery-9"
		a, err := reg.Open(ctx, svc.Target)
		require.NoError(t, err)
		require.NoError(t, a.(device.Provisioner).CreateUser(ctx, user, pw, "clinician"))
		require.NoError(t, a.Close())
		b, err := reg.Open(ctx, svc.Target)
		require.NoError(t, err)
		_, err = b.(device.Authenticator).Login(ctx, device.Credentials{User: user, Password: pw})
		if single {
			assert.NoError(t, err, "the same unit")
		} else {
			assert.ErrorIs(t, err, device.ErrDenied, "a fresh unit per check")
		}
		require.NoError(t, b.Close())
	}
	cancel()
	for _, svc := range svcs {
		assert.NoError(t, svc.Wait())
	}
}

func TestStartRefusesBadConfig(t *testing.T) {
	ctx := context.Background()
	for _, cfg := range []serve.Config{
		{Profile: "toaster"},
		{Profile: "infusion-pump", Weaknesses: []string{"bogus"}},
		{Profile: "infusion-pump", CACert: []byte("x"), CAKey: []byte("y")},
		{Profile: "infusion-pump", Listen: "256.0.0.1:1"},
	} {
		_, err := serve.Start(ctx, cfg)
		assert.Error(t, err, "%+v", cfg)
	}
}
