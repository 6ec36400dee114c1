package ssh_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/sshdtest"
	wssh "github.com/wardsec/ward/pkg/device/ssh"
)

// Held: a device whose storage streams without end (a file that is
// /dev/zero) gives a one-line command error once the output cap is
// reached, not exhausted memory or a hang.
func TestEndlessOutputIsCut(t *testing.T) {
	s := sshdtest.Start(t)
	root := deviceRoot(t, false)
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(root, "var/lib/pump/endless")))
	d, err := open(t, s.Target("profile="+writeProfile(t, root, nil)))
	require.NoError(t, err)
	_, err = d.ReadStored(context.Background(), "var/lib/pump/endless")
	require.ErrorIs(t, err, wssh.ErrCommand)
	assert.Contains(t, err.Error(), "bytes of output")
	assert.NotContains(t, err.Error(), "\n")
}
