package sim_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/sim"
)

// biomed logs in a biomed technician (password and TOTP).
func biomed(t *testing.T, p *sim.Pump) string {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, p.CreateUser(ctx, "ravi.patel", pw, "biomed"))
	uri, err := p.EnrollTOTP(ctx, "ravi.patel")
	require.NoError(t, err)
	now, _ := p.DeviceTime(ctx)
	tok, err := p.Login(ctx, device.Credentials{User: "ravi.patel", Password: pw, OTP: authenticator(t, uri, now)})
	require.NoError(t, err)
	return tok
}

// TestPumpUpdates runs every update case on a unit with a line of its own
// and on units that share one Line with every other case (secure and
// weakened units interleaved, as in a fleet): a unit's weaknesses, and what
// another unit of its line published or installed, never change its
// outcome.
func TestPumpUpdates(t *testing.T) {
	ctx := context.Background()
	line := sim.NewLine()
	for _, shared := range []bool{false, true} {
		for _, tc := range []struct {
			name    string
			weak    []string
			release device.Release
			want    string // "installed" or the refusal reason
		}{
			{"newer signed", nil, device.Release{Newer: true}, "installed"},
			{"unsigned", nil, device.Release{Newer: true, Signer: "none"}, "untrusted"},
			{"attacker key", nil, device.Release{Newer: true, Signer: "attacker"}, "untrusted"},
			{"tampered", nil, device.Release{Newer: true, Tampered: true}, "hash-mismatch"},
			{"older", nil, device.Release{}, "rollback"},
			{"expired", nil, device.Release{Newer: true, Expired: true}, "expired"},
			{"no sbom", nil, device.Release{Newer: true, NoSBOM: true}, "no-sbom"},
			{"fails self-test", nil, device.Release{Newer: true, FailsHealthCheck: true}, "health-check"},
			{"unsigned, weakened", []string{"unsigned-updates"}, device.Release{Newer: true, Signer: "none"}, "installed"},
			{"attacker key, weakened", []string{"unsigned-updates"}, device.Release{Newer: true, Signer: "attacker"}, "installed"},
			{"tampered, unsigned-updates", []string{"unsigned-updates"}, device.Release{Newer: true, Tampered: true}, "hash-mismatch"},
			{"older, weakened", []string{"update-rollback"}, device.Release{}, "installed"},
			{"expired, weakened", []string{"stale-metadata"}, device.Release{Newer: true, Expired: true}, "installed"},
			{"no sbom, weakened", []string{"no-sbom"}, device.Release{Newer: true, NoSBOM: true}, "installed"},
			{"fails self-test, weakened", []string{"no-update-healthcheck"}, device.Release{Newer: true, FailsHealthCheck: true}, "installed"},
		} {
			t.Run(fmt.Sprintf("%s/shared-line=%v", tc.name, shared), func(t *testing.T) {
				p := newPump(t, tc.weak...)
				if shared {
					var err error
					p, err = sim.New(ctx, "infusion-pump", sim.WithWeaknesses(tc.weak...), sim.WithLine(line))
					require.NoError(t, err)
				}
				tok := biomed(t, p)
				before, err := p.UpdateStatus(ctx)
				require.NoError(t, err)
				require.True(t, before.Verified)
				require.Equal(t, "1.4.2", before.Firmware)
				target, err := p.PublishRelease(ctx, tc.release)
				require.NoError(t, err)
				err = p.InstallUpdate(ctx, tok, target)
				after, _ := p.UpdateStatus(ctx)
				assert.Equal(t, tc.want, after.LastResult)
				assert.True(t, after.Verified, "the device always runs a verified image")
				if tc.want == "installed" {
					require.NoError(t, err)
					assert.Equal(t, target, after.Image)
					assert.NotEqual(t, before.Version, after.Version)
					return
				}
				assert.ErrorIs(t, err, device.ErrUpdateRefused)
				assert.Equal(t, before.Image, after.Image, "a refused update changes nothing")
				assert.Equal(t, before.Version, after.Version)
			})
		}
	}
}

func TestPumpUpdateNeedsPermission(t *testing.T) {
	ctx := context.Background()
	p := newPump(t)
	tok, err := p.Login(ctx, device.Credentials{User: "nurse.jones", Password: "correct horse battery"})
	require.NoError(t, err)
	target, err := p.PublishRelease(ctx, device.Release{Newer: true})
	require.NoError(t, err)
	assert.ErrorIs(t, p.InstallUpdate(ctx, tok, target), device.ErrDenied)
	assert.ErrorIs(t, p.InstallUpdate(ctx, "forged", target), device.ErrUnauthenticated)
}

func TestPumpUpdateSurvivesPowerCuts(t *testing.T) {
	ctx := context.Background()
	for _, phase := range []string{"download", "write", "switch", "health-check"} {
		t.Run(phase, func(t *testing.T) {
			p := newPump(t)
			tok := biomed(t, p)
			before, _ := p.UpdateStatus(ctx)
			target, err := p.PublishRelease(ctx, device.Release{Newer: true})
			require.NoError(t, err)
			require.NoError(t, p.InterruptNextUpdate(ctx, phase))
			require.ErrorIs(t, p.InstallUpdate(ctx, tok, target), device.ErrPowerLoss)
			require.NoError(t, p.Restart(ctx))
			st, err := p.UpdateStatus(ctx)
			require.NoError(t, err)
			assert.True(t, st.Verified)
			assert.Contains(t, []string{before.Image, target}, st.Image)
			if st.Image != target {
				require.NoError(t, p.InstallUpdate(ctx, tok, target))
			}
		})
	}
	assert.ErrorIs(t, newPump(t).InterruptNextUpdate(ctx, "reboot"), device.ErrUnsupported)
}
