package sim_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/sim"
)

var _ device.AccountRemover = (*sim.Pump)(nil)

// A removed account's session ends and its password opens nothing; the
// removal is recorded; removing it again is not an error; a generic
// account the shared-account weakness made is removed too, with its
// weak-path session.
func TestDeleteUser(t *testing.T) {
	ctx := context.Background()
	p := newPump(t)
	require.NoError(t, p.CreateUser(ctx, "pat.doe", pw, "clinician"))
	tok, err := p.Login(ctx, device.Credentials{User: "pat.doe", Password: pw})
	require.NoError(t, err)

	require.NoError(t, p.DeleteUser(ctx, "pat.doe"))
	_, err = p.ReadPatient(ctx, tok, "P-1001")
	assert.ErrorIs(t, err, device.ErrUnauthenticated, "the session ended with the account")
	_, err = p.Login(ctx, device.Credentials{User: "pat.doe", Password: pw})
	assert.ErrorIs(t, err, device.ErrDenied)
	recs := records(t, p)
	var deleted int
	for _, r := range recs {
		if r.Action == "user.delete" && r.Object == "pat.doe" && r.Outcome == audit.Success {
			deleted++
		}
	}
	assert.Equal(t, 1, deleted)
	assert.NoError(t, p.DeleteUser(ctx, "pat.doe"), "already gone")
	assert.NoError(t, p.DeleteUser(ctx, "never.there"))
	assert.NoError(t, p.DeleteUser(ctx, "nurse"), "a generic name no account has")

	shared := newPump(t, "shared-account")
	require.NoError(t, shared.CreateUser(ctx, "nurse", pw, "clinician"))
	tok, err = shared.Login(ctx, device.Credentials{User: "nurse", Password: pw})
	require.NoError(t, err)
	require.NoError(t, shared.DeleteUser(ctx, "nurse"))
	_, err = shared.ReadPatient(ctx, tok, "P-1001")
	assert.ErrorIs(t, err, device.ErrUnauthenticated, "the weak-path session ended too")
	_, err = shared.Login(ctx, device.Credentials{User: "nurse", Password: pw})
	assert.ErrorIs(t, err, device.ErrDenied)
	assert.Equal(t, 1, countActions(records(t, shared), "provisioner", "user.delete"))
}
