package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
)

// The custom driver's targets run beside the built-in ones: the check its
// capabilities allow (no default credentials) passes, but the control also
// has host-configuration scenarios the driver cannot serve, so it is only
// partly checkable: not applicable like every other, never satisfied; the
// simulator's results are unaffected.
func TestCustomDriverRunsBesideBuiltIns(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"acme://pump-7", "sim://infusion-pump?weaken=no-auth"}, &out))
	acme, simOut, ok := strings.Cut(out.String(), "sim://")
	require.True(t, ok, out.String())
	assert.Contains(t, acme, "acme://pump-7 (AI-9 PUMP-7)")
	for _, line := range strings.Split(strings.TrimSpace(acme), "\n")[1:] {
		f := strings.Fields(line)
		assert.Equal(t, "not-applicable", f[1], line)
	}
	assert.Contains(t, simOut, "HIPAA-164.312-d          not-satisfied")

	err := run(context.Background(), []string{"acme://"}, &out)
	assert.ErrorIs(t, err, device.ErrBadTarget)
}
