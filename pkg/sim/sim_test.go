package sim_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/sim"
)

func newPump(t *testing.T, weak ...string) *sim.Pump {
	t.Helper()
	p, err := sim.New(context.Background(), "infusion-pump", sim.WithWeaknesses(weak...))
	require.NoError(t, err)
	require.NoError(t, p.CreateUser(context.Background(), "nurse.jones", "correct horse battery", "clinician"))
	return p
}

func TestLoginRefusesWrongPasswordAndUnknownUser(t *testing.T) {
	ctx := context.Background()
	p := newPump(t)
	_, err := p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "wrong"})
	assert.ErrorIs(t, err, device.ErrDenied)
	_, err = p.Login(ctx, device.Credentials{User: "ghost", Password: "correct horse battery"})
	assert.ErrorIs(t, err, device.ErrDenied)
	_, err = p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "correct horse battery"})
	assert.ErrorIs(t, err, device.ErrDenied, "a second attempt right after a failure waits out the backoff")
	require.NoError(t, p.AdvanceClock(ctx, 2*time.Second))
	tok, err := p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "correct horse battery"})
	require.NoError(t, err)
	assert.Len(t, tok, 43, "256 random bits, base64url")
}

func TestPatientDataNeedsASession(t *testing.T) {
	ctx := context.Background()
	p := newPump(t)
	_, err := p.ReadPatient(ctx, "", "P-1001")
	assert.ErrorIs(t, err, device.ErrUnauthenticated)
	assert.ErrorIs(t, p.WritePatient(ctx, "forged", "P-1001", []byte("x")), device.ErrUnauthenticated)

	tok, err := p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "correct horse battery"})
	require.NoError(t, err)
	b, err := p.ReadPatient(ctx, tok, "P-1001")
	require.NoError(t, err)
	assert.Contains(t, string(b), "Ada Synthetic")

	require.NoError(t, p.Logout(ctx, tok))
	_, err = p.ReadPatient(ctx, tok, "P-1001")
	assert.ErrorIs(t, err, device.ErrUnauthenticated, "a logged-out session must be dead")
}

func TestNoAuthWeaknessServesAnyone(t *testing.T) {
	p := newPump(t, "no-auth")
	_, err := p.ReadPatient(context.Background(), "", "P-1001")
	assert.NoError(t, err)
}

func TestAuditTrailIsChainedSignedAndComplete(t *testing.T) {
	ctx := context.Background()
	p := newPump(t)
	_, _ = p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "bad", Source: "10.0.0.7"})
	exp, err := p.AuditLog(ctx)
	require.NoError(t, err)
	rep, err := audit.Verify(exp.Log, exp.Checkpoint, exp.PublicKey)
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Records) // user.create, failed login
	recs, err := audit.ParseLog(exp.Log)
	require.NoError(t, err)
	assert.Equal(t, "login", recs[1].Action)
	assert.Equal(t, audit.Failure, recs[1].Outcome)
	assert.Equal(t, "10.0.0.7", recs[1].Source)
}

func TestAuditWeaknesses(t *testing.T) {
	ctx := context.Background()

	p := newPump(t, "no-audit")
	exp, err := p.AuditLog(ctx)
	require.NoError(t, err)
	assert.Empty(t, exp.Log, "no-audit records nothing")

	p = newPump(t, "mutable-audit")
	exp, err = p.AuditLog(ctx)
	require.NoError(t, err)
	assert.NotEmpty(t, exp.Log, "mutable-audit still records")
	_, err = audit.Verify(exp.Log, exp.Checkpoint, exp.PublicKey)
	assert.ErrorIs(t, err, audit.ErrTampered, "but without protection, so it cannot verify")
}

func TestRawStorageTamperingIsDetected(t *testing.T) {
	ctx := context.Background()
	p := newPump(t)
	exp, err := p.AuditLog(ctx)
	require.NoError(t, err)
	raw, err := p.ReadStored(ctx, exp.LogPath)
	require.NoError(t, err)
	tampered := strings.Replace(string(raw), `"outcome":"success"`, `"outcome":"failure"`, 1)
	require.NotEqual(t, string(raw), tampered)
	require.NoError(t, p.WriteStored(ctx, exp.LogPath, []byte(tampered)))
	exp, err = p.AuditLog(ctx)
	require.NoError(t, err)
	_, err = audit.Verify(exp.Log, exp.Checkpoint, exp.PublicKey)
	assert.ErrorIs(t, err, audit.ErrTampered)
}

func TestOpenRejectsBadTargets(t *testing.T) {
	for _, raw := range []string{
		"sim://toaster",
		"sim://infusion-pump?weaken=no-audit,bogus",
		"sim://infusion-pump?foo=1",
		"sim://infusion-pump/extra",
		"sim://infusion-pump?serial=",
	} {
		t.Run(raw, func(t *testing.T) {
			u, err := url.Parse(raw)
			require.NoError(t, err)
			_, err = sim.Open(context.Background(), u)
			assert.ErrorIs(t, err, device.ErrBadTarget)
		})
	}
}

func TestOpenAppliesWeaknessesAndSerial(t *testing.T) {
	u, _ := url.Parse("sim://infusion-pump?weaken=no-auth,mutable-audit&serial=X-9")
	d, err := sim.Open(context.Background(), u)
	require.NoError(t, err)
	p := d.(*sim.Pump)
	assert.Equal(t, []string{"mutable-audit", "no-auth"}, p.Weaknesses())
	id, _ := p.Identify(context.Background())
	assert.Equal(t, "X-9", id.Serial)
}

func TestWeaknessesAreDocumented(t *testing.T) {
	for _, w := range sim.Weaknesses() {
		assert.NotEmpty(t, w.Description, w.Name)
		assert.NotEmpty(t, w.Fails, w.Name)
	}
}
