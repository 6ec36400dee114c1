package netprobe

import (
	"context"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/wardsec/ward/internal/sshdtest"
)

// A real OpenSSH that takes keys only: recognised, its banner kept, no
// password login to try, nothing found, and the login without
// credentials refused.
func TestProbeRealOpenSSHKeysOnly(t *testing.T) {
	srv := sshdtest.Start(t)
	s := newProber(t).ProbeTCP(context.Background(), netip.MustParseAddrPort(srv.Addr()), "")
	assert.Equal(t, "ssh", s.Protocol)
	assert.Contains(t, s.Banner, "SSH-2.0-OpenSSH")
	assert.Empty(t, s.Findings)
	assert.True(t, s.NoLogin, "%v", s.Checked)
	assert.False(t, s.CredentialsTested)
	assert.True(t, s.AccessTested)
}
