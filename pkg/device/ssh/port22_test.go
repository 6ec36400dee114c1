package ssh_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/sshdtest"
	"github.com/wardsec/ward/pkg/device"
	wssh "github.com/wardsec/ward/pkg/device/ssh"
)

// A device on the standard port 22 whose known_hosts entry (written the
// way OpenSSH writes it for port 22: the bare host, no [host]:22) holds
// only its Ed25519 key, while the device also has an RSA key the client
// would prefer. The handshake must ask for the known key type; before the
// fix the lookup dropped the port, found nothing, and every control was in
// error with "host key mismatch: presented ssh-rsa key".
func TestPort22WithOneKnownKeyType(t *testing.T) {
	lab := sshdtest.Lab(t, "dev")
	s := sshdtest.Start(t, sshdtest.InNamespace(lab, "dev", 22), sshdtest.WithRSAHostKey())
	require.Equal(t, 22, s.Port)
	kh, err := os.ReadFile(s.KnownHosts)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(kh), "127.0.0.1 ssh-ed25519 "), "known_hosts must use OpenSSH's port-22 form, got %q", kh)

	for name, target := range map[string]string{
		"implicit port": strings.Replace(s.Target(""), "127.0.0.1:22", "127.0.0.1", 1),
		"explicit port": s.Target(""),
	} {
		t.Run(name, func(t *testing.T) {
			u, err := url.Parse(target)
			require.NoError(t, err)
			var d device.Device
			err = lab.In("dev", func() error {
				var err error
				d, err = wssh.Open(context.Background(), u)
				return err
			})
			require.NoError(t, err)
			defer d.Close()
			// The connection works after the namespace switch: a command runs.
			_, err = d.(*wssh.Device).ListeningPorts(context.Background())
			require.NoError(t, err)
		})
	}

	// The key check itself still bites on port 22: a known_hosts naming
	// only the RSA key of another server is a mismatch.
	other := sshdtest.Start(t, sshdtest.WithRSAHostKey())
	wrong := s.Dir + "/known_hosts_wrong"
	require.NoError(t, os.WriteFile(wrong, []byte("127.0.0.1 "+string(marshal(other.RSAHostKey))), 0o600))
	u, err := url.Parse(strings.Replace(s.Target(""), "known_hosts="+s.KnownHosts, "known_hosts="+wrong, 1))
	require.NoError(t, err)
	err = lab.In("dev", func() error {
		d, err := wssh.Open(context.Background(), u)
		if err == nil {
			d.Close()
		}
		return err
	})
	require.ErrorIs(t, err, wssh.ErrHostKeyMismatch)
	assert.Contains(t, err.Error(), "ssh-rsa")
}
