package sim_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/sim"
)

const pw = "correct horse battery staple"

// authenticator computes the code an app holding uri shows at t.
func authenticator(t *testing.T, uri string, at time.Time) string {
	t.Helper()
	k, err := otp.NewKeyFromURL(uri)
	require.NoError(t, err)
	code, err := totp.GenerateCodeCustom(k.Secret(), at, totp.ValidateOpts{Period: uint(k.Period()), Digits: k.Digits(), Algorithm: k.Algorithm()})
	require.NoError(t, err)
	return code
}

// admin creates an administrator with a TOTP authenticator.
func admin(t *testing.T, p *sim.Pump, name string) string {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, p.CreateUser(ctx, name, pw, "administrator"))
	uri, err := p.EnrollTOTP(ctx, name)
	require.NoError(t, err)
	return uri
}

func records(t *testing.T, p *sim.Pump) []audit.Record {
	t.Helper()
	exp, err := p.AuditLog(context.Background())
	require.NoError(t, err)
	var out []audit.Record
	for _, l := range strings.Split(strings.TrimSpace(string(exp.Log)), "\n") {
		if l == "" {
			continue
		}
		var r audit.Record
		require.NoError(t, json.Unmarshal([]byte(l), &r))
		out = append(out, r)
	}
	return out
}

func countActions(recs []audit.Record, actor, action string) int {
	n := 0
	for _, r := range recs {
		if r.Actor == actor && r.Action == action {
			n++
		}
	}
	return n
}

func TestPrivilegedLoginNeedsTheSecondFactor(t *testing.T) {
	ctx := context.Background()
	p := newPump(t)
	uri := admin(t, p, "kim.lee")
	_, err := p.Login(ctx, device.Credentials{User: "kim.lee", Password: pw})
	assert.ErrorIs(t, err, device.ErrDenied)
	assert.ErrorIs(t, err, device.ErrSecondFactorRequired)
	now, _ := p.DeviceTime(ctx)
	code := authenticator(t, uri, now)
	tok, err := p.Login(ctx, device.Credentials{User: "kim.lee", Password: pw, OTP: code})
	require.NoError(t, err)
	require.NoError(t, p.Perform(ctx, tok, "user.manage"))

	// The same code again, by someone who saw it, is refused and recorded.
	_, err = p.Login(ctx, device.Credentials{User: "kim.lee", Password: pw, OTP: code, Source: "10.66.0.1"})
	assert.ErrorIs(t, err, device.ErrDenied)
	assert.Equal(t, 1, countActions(records(t, p), "kim.lee", "mfa.replay"))

	// no-mfa: the password alone opens an administrator's session.
	weak := newPump(t, "no-mfa")
	admin(t, weak, "kim.lee")
	_, err = weak.Login(ctx, device.Credentials{User: "kim.lee", Password: pw})
	assert.NoError(t, err)

	// totp-replay: the same code works twice.
	weak = newPump(t, "totp-replay")
	uri = admin(t, weak, "kim.lee")
	code = authenticator(t, uri, now)
	_, err = weak.Login(ctx, device.Credentials{User: "kim.lee", Password: pw, OTP: code})
	require.NoError(t, err)
	_, err = weak.Login(ctx, device.Credentials{User: "kim.lee", Password: pw, OTP: code})
	assert.NoError(t, err)
}

func TestGuessingLocksTheAccount(t *testing.T) {
	ctx := context.Background()
	guess := func(p *sim.Pump) error {
		for range 5 {
			_, _ = p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "wrong password " + time.Now().String()})
			require.NoError(t, p.AdvanceClock(ctx, time.Minute))
		}
		_, err := p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "correct horse battery"})
		return err
	}
	p := newPump(t)
	assert.ErrorIs(t, guess(p), device.ErrDenied)
	recs := records(t, p)
	assert.Equal(t, 1, countActions(recs, "nurse.jones", "account.locked"))
	assert.Len(t, p.Alerts(), 1)

	assert.NoError(t, guess(newPump(t, "no-lockout")))
}

func TestSessionsEndWhenIdle(t *testing.T) {
	ctx := context.Background()
	for weak, want := range map[string]error{"": device.ErrUnauthenticated, "no-auto-logoff": nil} {
		p := newPump(t, weak)
		tok, err := p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "correct horse battery"})
		require.NoError(t, err)
		require.NoError(t, p.AdvanceClock(ctx, 14*time.Minute))
		require.NoError(t, p.Perform(ctx, tok, "infusion.program"), "activity within the limit keeps it alive")
		require.NoError(t, p.AdvanceClock(ctx, 16*time.Minute))
		err = p.Perform(ctx, tok, "infusion.program")
		if want == nil {
			assert.NoError(t, err, weak)
		} else {
			assert.ErrorIs(t, err, want, weak)
		}
	}
	assert.Error(t, newPump(t).AdvanceClock(ctx, -time.Second), "the clock only moves forward")
}

func TestOperationsFollowTheRole(t *testing.T) {
	ctx := context.Background()
	p := newPump(t)
	tok, err := p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "correct horse battery"})
	require.NoError(t, err)
	assert.NoError(t, p.Perform(ctx, tok, "infusion.program"))
	err = p.Perform(ctx, tok, "firmware.update")
	assert.ErrorIs(t, err, device.ErrDenied)
	assert.NotErrorIs(t, err, device.ErrUnauthenticated)
	assert.ErrorIs(t, p.Perform(ctx, tok, "bake.cake"), device.ErrUnsupported)
	assert.Equal(t, 1, countActions(records(t, p), "nurse.jones", "access.denied"))

	// Backups, decommissioning and configuration exports are for biomed
	// technicians and administrators.
	_, err = p.ExportConfig(ctx, tok)
	assert.ErrorIs(t, err, device.ErrDenied)
	_, err = p.CreateBackup(ctx, tok)
	assert.ErrorIs(t, err, device.ErrDenied)
	assert.ErrorIs(t, p.Decommission(ctx, tok), device.ErrDenied)

	weak := newPump(t, "no-rbac")
	tok, err = weak.Login(ctx, device.Credentials{User: "nurse.jones", Password: "correct horse battery"})
	require.NoError(t, err)
	assert.NoError(t, weak.Perform(ctx, tok, "firmware.update"))
	assert.Equal(t, 1, countActions(records(t, weak), "nurse.jones", "access.denied"), "permissive mode still records the refusal")
}

func TestBreakGlass(t *testing.T) {
	ctx := context.Background()
	p := newPump(t)
	creds := device.Credentials{User: "nurse.jones", Password: "correct horse battery", Source: "bedside"}
	_, err := p.BreakGlass(ctx, creds, "  ")
	assert.ErrorIs(t, err, device.ErrDenied)
	tok, err := p.BreakGlass(ctx, creds, "code blue, bed 4")
	require.NoError(t, err)
	assert.NoError(t, p.Perform(ctx, tok, "infusion.limits.change"), "the emergency override")
	assert.ErrorIs(t, p.Perform(ctx, tok, "firmware.update"), device.ErrDenied)
	require.NoError(t, p.AdvanceClock(ctx, 31*time.Minute))
	assert.ErrorIs(t, p.Perform(ctx, tok, "infusion.program"), device.ErrUnauthenticated)
	recs := records(t, p)
	assert.Equal(t, 2, countActions(recs, "nurse.jones", "break-glass"), "the refusal without a reason and the start")
	assert.Equal(t, 1, countActions(recs, "nurse.jones", "break-glass.end"))

	weak := newPump(t, "silent-break-glass")
	before := len(records(t, weak))
	tok, err = weak.BreakGlass(ctx, creds, "")
	require.NoError(t, err)
	require.NoError(t, weak.AdvanceClock(ctx, 24*time.Hour))
	assert.NoError(t, weak.Perform(ctx, tok, "infusion.program"))
	assert.Len(t, records(t, weak), before, "nothing recorded")
	_, err = weak.BreakGlass(ctx, device.Credentials{User: "nurse.jones", Password: "wrong"}, "x")
	assert.ErrorIs(t, err, device.ErrDenied, "the password still counts")
}

func TestAccountNamesAndPasswords(t *testing.T) {
	ctx := context.Background()
	p := newPump(t, "default-credentials")
	for _, name := range []string{"nurse", "admin", "icu-nurse", "Nurse.Jones"} {
		assert.ErrorIs(t, p.CreateUser(ctx, name, pw, "clinician"), device.ErrDenied, name)
	}
	assert.ErrorIs(t, p.CreateUser(ctx, "pat.doe", "Password12345678!", "clinician"), device.ErrDenied)
	assert.ErrorIs(t, p.CreateUser(ctx, "pat.doe", pw, "superuser"), device.ErrDenied)
	tok, err := p.Login(ctx, device.Credentials{User: "admin", Password: "admin"})
	require.NoError(t, err, "default-credentials ships admin/admin")
	assert.NoError(t, p.Perform(ctx, tok, "user.manage"))
	_, err = newPump(t).Login(ctx, device.Credentials{User: "admin", Password: "admin"})
	assert.ErrorIs(t, err, device.ErrDenied)

	shared := newPump(t, "shared-account")
	require.NoError(t, shared.CreateUser(ctx, "nurse", pw, "clinician"))
	tok, err = shared.Login(ctx, device.Credentials{User: "nurse", Password: pw})
	require.NoError(t, err)
	_, err = shared.ReadPatient(ctx, tok, "P-1001")
	assert.NoError(t, err)
	require.NoError(t, shared.Logout(ctx, tok))
	_, err = shared.ReadPatient(ctx, tok, "P-1001")
	assert.ErrorIs(t, err, device.ErrUnauthenticated)

	weak := newPump(t, "weak-passwords")
	require.NoError(t, weak.CreateUser(ctx, "pat.doe", "Password12345678!", "clinician"))
	_, err = weak.Login(ctx, device.Credentials{User: "pat.doe", Password: "Password12345678!"})
	assert.NoError(t, err, "pkg/mfa verifies the simulator's own hash")
}

func TestRestoreCarriesAccountsAndAuthenticatorsToACleanUnit(t *testing.T) {
	ctx := context.Background()
	src := newPump(t)
	require.NoError(t, src.CreateUser(ctx, "ravi.patel", pw, "biomed"))
	uri, err := src.EnrollTOTP(ctx, "ravi.patel")
	require.NoError(t, err)
	now, _ := src.DeviceTime(ctx)
	tok, err := src.Login(ctx, device.Credentials{User: "ravi.patel", Password: pw, OTP: authenticator(t, uri, now)})
	require.NoError(t, err)
	b, err := src.CreateBackup(ctx, tok)
	require.NoError(t, err)

	dst, err := sim.New(ctx, "infusion-pump")
	require.NoError(t, err)
	require.NoError(t, dst.CreateUser(ctx, "ines.sato", pw, "administrator"))
	uri2, err := dst.EnrollTOTP(ctx, "ines.sato")
	require.NoError(t, err)
	tok2, err := dst.Login(ctx, device.Credentials{User: "ines.sato", Password: pw, OTP: authenticator(t, uri2, now)})
	require.NoError(t, err)
	require.NoError(t, dst.RestoreBackup(ctx, tok2, b))
	assert.ErrorIs(t, dst.Perform(ctx, tok2, "audit.read"), device.ErrUnauthenticated, "a restore ends every session")

	require.NoError(t, dst.AdvanceClock(ctx, 30*time.Second))
	now, _ = dst.DeviceTime(ctx)
	_, err = dst.Login(ctx, device.Credentials{User: "ravi.patel", Password: pw, OTP: authenticator(t, uri, now)})
	assert.NoError(t, err, "the same password and authenticator work on the clean unit")
	_, err = dst.Login(ctx, device.Credentials{User: "nurse.jones", Password: "correct horse battery"})
	assert.NoError(t, err)
}

func TestActivityReview(t *testing.T) {
	ctx := context.Background()
	p := newPump(t)
	uri := admin(t, p, "kim.lee")
	_, err := p.BreakGlass(ctx, device.Credentials{User: "nurse.jones", Password: "correct horse battery"}, "code blue")
	require.NoError(t, err)
	now, _ := p.DeviceTime(ctx)
	tok, err := p.Login(ctx, device.Credentials{User: "kim.lee", Password: pw, OTP: authenticator(t, uri, now)})
	require.NoError(t, err)
	require.NoError(t, p.Perform(ctx, tok, "user.manage"))
	rep, err := p.ReviewActivity(ctx, tok, time.Time{}, time.Time{})
	require.NoError(t, err)
	require.Len(t, rep.Unreviewed, 1)
	assert.Equal(t, "nurse.jones", rep.Unreviewed[0].User)
	var kim device.UserActivity
	for _, u := range rep.Users {
		if u.User == "kim.lee" {
			kim = u
		}
	}
	assert.Equal(t, 1, kim.Actions["user.manage"])

	nurse, err := p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "correct horse battery"})
	require.NoError(t, err)
	_, err = p.ReviewActivity(ctx, nurse, time.Time{}, time.Time{})
	assert.ErrorIs(t, err, device.ErrDenied)
}

func TestSecretsInLogsStillLeaksTriedPasswords(t *testing.T) {
	ctx := context.Background()
	p := newPump(t, "secrets-in-logs")
	_, _ = p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "tried-this-one"})
	exp, err := p.AuditLog(ctx)
	require.NoError(t, err)
	assert.Contains(t, string(exp.Log), "tried-this-one")
	p = newPump(t)
	_, _ = p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "tried-this-one"})
	exp, err = p.AuditLog(ctx)
	require.NoError(t, err)
	assert.NotContains(t, string(exp.Log), "tried-this-one")
}
