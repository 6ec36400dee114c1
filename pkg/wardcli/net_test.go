package wardcli

import (
	"io"
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A malformed net:// target is a usage error (exit 2), and a black-box
// device with an anonymous MQTT broker fails its authentication control
// (exit 1).
func TestCheckNetTarget(t *testing.T) {
	code, _, stderr := ward(t, "check", "--out", t.TempDir(), "--target", "net://10.0.0.1:22")
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, "takes no port")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				h := make([]byte, 2)
				if _, err := io.ReadFull(c, h); err != nil || h[0] != 0x10 {
					return
				}
				io.CopyN(io.Discard, c, int64(h[1]))
				c.Write([]byte{0x20, 2, 0, 0}) // CONNACK: accepted, no credentials asked
			}()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	code, stdout, stderr := ward(t, "check", "--out", t.TempDir(), "--control", "FDA-PMC-AUTHN-3",
		"--target", "net://127.0.0.1?timeout=1s&ports="+strconv.Itoa(port))
	assert.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "MQTT broker accepted a CONNECT without credentials")
}
