package wardcli

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/realsrv"
	"github.com/wardsec/ward/pkg/evidence"
)

// One real host, judged from a login and from the network in one target:
// OpenSSH with its stock configuration and an nginx serving plain HTTP, in
// a namespace of their own. The ssh part names the device (its
// os-release); the network part finds the cleartext web UI, which the
// login alone could not judge.
func TestSSHPlusNetOnOneRealHost(t *testing.T) {
	h, err := realsrv.StartHost(context.Background(), t, []realsrv.Kind{realsrv.OpenSSH, realsrv.NginxHTTP})
	if err != nil {
		t.Fatal(err)
	}
	sshTarget := h.Server(realsrv.OpenSSH).SSHTarget("")
	require.NotEmpty(t, sshTarget)
	target := "ssh+net" + strings.TrimPrefix(sshTarget, "ssh") + "&net.ports=22,80"

	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--target", target, "--control", "HIPAA-164.312-e-2-ii", "--out", out)
	assert.Equal(t, exitNotSatisfied, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	run := readRun(t, bundleIn(t, out))
	require.Len(t, run.Targets, 1)
	tgt := run.Targets[0]
	assert.NotEmpty(t, tgt.Identity.Model, "the identity comes from the login (os-release)")
	c := controlIn(t, run, "HIPAA-164.312-e-2-ii")
	assert.Equal(t, evidence.NotSatisfied, c.Outcome, c.Reason)
	assert.Contains(t, c.Reason, ":80", "the cleartext web UI is named")

	// A parameter for a part the scheme does not combine is a usage error.
	code, _, stderr = ward(t, "check", "--target", target+"&https.timeout=1s", "--out", t.TempDir())
	assert.Equal(t, exitUsage, code, stderr)
}
