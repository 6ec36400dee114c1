package https_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
)

// Account removal crosses the network: the account and its session end on
// the device, a second removal is not an error, a name needing escaping
// arrives as sent, and a device without the capability answers
// unsupported.
func TestDeleteUserOverTheNetwork(t *testing.T) {
	ctx := context.Background()
	p := pump(t)
	d, err := open(t, served(t, p, false))
	require.NoError(t, err)
	defer d.Close()
	rm, err := device.As[device.AccountRemover](d, "account removal")
	require.NoError(t, err)
	const user, pw = "pat.doe@example.org", "Correct-Horse-Battery-9"
	require.NoError(t, d.(device.Provisioner).CreateUser(ctx, user, pw, "clinician"))
	tok, err := d.(device.Authenticator).Login(ctx, device.Credentials{User: user, Password: pw})
	require.NoError(t, err)

	require.NoError(t, rm.DeleteUser(ctx, user))
	_, err = p.Login(ctx, device.Credentials{User: user, Password: pw})
	assert.ErrorIs(t, err, device.ErrDenied, "gone on the device itself")
	_, err = d.(device.PatientData).ReadPatient(ctx, tok, "P-1001")
	assert.ErrorIs(t, err, device.ErrUnauthenticated, "its session ended")
	assert.NoError(t, rm.DeleteUser(ctx, user), "already gone")
	assert.NoError(t, rm.DeleteUser(ctx, "a/b c"), "an odd name is one path element")

	bare, err := open(t, served(t, identityOnly{}, false))
	require.NoError(t, err)
	defer bare.Close()
	_, err = device.As[device.AccountRemover](bare, "account removal")
	assert.ErrorIs(t, err, device.ErrUnsupported)
}
