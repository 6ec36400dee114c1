package sim_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/sim"
	"github.com/wardsec/ward/pkg/update"
)

// provisionRecords returns the unit's audit records of its factory
// provisioning, after checking the whole log verifies.
func provisionRecords(t *testing.T, p *sim.Pump) []audit.Record {
	t.Helper()
	exp, err := p.AuditLog(context.Background())
	require.NoError(t, err)
	_, err = audit.Verify(exp.Log, exp.Checkpoint, exp.PublicKey)
	require.NoError(t, err)
	recs, err := audit.ParseLog(exp.Log)
	require.NoError(t, err)
	var out []audit.Record
	for _, r := range recs {
		if r.Action == update.ActionProvision {
			out = append(out, r)
		}
	}
	return out
}

// TestLineUnitsKeepTheirOwnSecrets: units of one line share what the maker
// ships, never what a unit keeps secret.
func TestLineUnitsKeepTheirOwnSecrets(t *testing.T) {
	ctx := context.Background()
	line := sim.NewLine()
	var keys, auditKeys []string
	for range 2 {
		p, err := sim.New(ctx, "infusion-pump", sim.WithLine(line))
		require.NoError(t, err)
		_, err = p.UpdateStatus(ctx)
		require.NoError(t, err)
		_, k, err := p.ExportStorageKey(ctx)
		require.NoError(t, err)
		exp, err := p.AuditLog(ctx)
		require.NoError(t, err)
		keys, auditKeys = append(keys, string(k)), append(auditKeys, string(exp.PublicKey))
	}
	assert.NotEqual(t, keys[0], keys[1], "two units of one line share a storage key")
	assert.NotEqual(t, auditKeys[0], auditKeys[1], "two units of one line share an audit signing key")
}

// TestLineUnitsStartClean: what one unit of a line installed, published or
// had attacked is nowhere on the next unit, which starts from the factory
// firmware with the provisioning in its own audit log, as a unit with a
// line of its own does.
func TestLineUnitsStartClean(t *testing.T) {
	ctx := context.Background()
	line := sim.NewLine()
	a, err := sim.New(ctx, "infusion-pump", sim.WithLine(line))
	require.NoError(t, err)
	tok := biomed(t, a)
	first, err := a.PublishRelease(ctx, device.Release{Newer: true})
	require.NoError(t, err)
	require.NoError(t, a.InstallUpdate(ctx, tok, first))
	_, err = a.PublishRelease(ctx, device.Release{Newer: true, Tampered: true})
	require.NoError(t, err)
	_, err = a.PublishRelease(ctx, device.Release{Newer: true, Signer: "attacker"})
	require.NoError(t, err)
	st, err := a.UpdateStatus(ctx)
	require.NoError(t, err)
	require.Equal(t, "1.4.3", st.Firmware)

	b, err := sim.New(ctx, "infusion-pump", sim.WithLine(line))
	require.NoError(t, err)
	st, err = b.UpdateStatus(ctx)
	require.NoError(t, err)
	assert.Equal(t, "1.4.2", st.Firmware, "the next unit runs the factory firmware")
	assert.True(t, st.Verified)
	assert.NotEmpty(t, st.SBOM, "the factory firmware's SBOM is in its slot")
	// b's repository is the maker's as shipped: its first release gets
	// the name a's first did, and installs (no attacker answers for it,
	// no tampered file is served).
	tokB := biomed(t, b)
	next, err := b.PublishRelease(ctx, device.Release{Newer: true})
	require.NoError(t, err)
	assert.Equal(t, first, next)
	// Scenarios run side by side: a's frozen mirror must not answer b.
	_, err = a.PublishRelease(ctx, device.Release{Newer: true, Expired: true})
	require.NoError(t, err)
	require.NoError(t, b.InstallUpdate(ctx, tokB, next))

	own, err := sim.New(ctx, "infusion-pump")
	require.NoError(t, err)
	_, err = own.UpdateStatus(ctx)
	require.NoError(t, err)
	want := provisionRecords(t, own)
	require.Len(t, want, 1)
	for _, p := range []*sim.Pump{a, b} {
		got := provisionRecords(t, p)
		require.Len(t, got, 1, "the provisioning is recorded once")
		assert.Equal(t, want[0].Actor, got[0].Actor)
		assert.Equal(t, want[0].Source, got[0].Source)
		assert.Equal(t, want[0].Object, got[0].Object)
		assert.Equal(t, want[0].Outcome, got[0].Outcome)
		assert.Equal(t, want[0].Detail, got[0].Detail)
	}
}

// TestLineFollowsTheUnitClock: a unit whose clock reads far from when its
// line last shipped gets update metadata dated on its own clock. Material
// shipped a year and more before would carry an expired root.
func TestLineFollowsTheUnitClock(t *testing.T) {
	ctx := context.Background()
	line := sim.NewLine()
	start := time.Now()
	first, err := sim.New(ctx, "infusion-pump", sim.WithLine(line), sim.WithClock(func() time.Time { return start }))
	require.NoError(t, err)
	_, err = first.UpdateStatus(ctx)
	require.NoError(t, err)

	for _, ahead := range []time.Duration{30 * time.Second, 400 * 24 * time.Hour} {
		p, err := sim.New(ctx, "infusion-pump", sim.WithLine(line), sim.WithClock(func() time.Time { return start }))
		require.NoError(t, err)
		require.NoError(t, p.AdvanceClock(ctx, ahead))
		tok := biomed(t, p)
		target, err := p.PublishRelease(ctx, device.Release{Newer: true})
		require.NoError(t, err)
		require.NoError(t, p.InstallUpdate(ctx, tok, target), "%v ahead", ahead)
		st, err := p.UpdateStatus(ctx)
		require.NoError(t, err)
		assert.Equal(t, "1.4.3", st.Firmware)
		assert.Equal(t, "installed", st.LastResult)
	}
}

// TestLineServesConcurrentUnits: units of one line, secure and weakened,
// built and updated at once (as a fleet's scenarios run) each end on their
// own new firmware. Run with -race.
func TestLineServesConcurrentUnits(t *testing.T) {
	ctx := context.Background()
	line := sim.NewLine()
	pumps := make([]*sim.Pump, 6)
	errs := make([]error, len(pumps))
	var wg sync.WaitGroup
	for i := range pumps {
		wg.Go(func() {
			var weak []string
			if i%2 == 1 {
				weak = []string{"update-rollback"}
			}
			pumps[i], errs[i] = sim.New(ctx, "infusion-pump", sim.WithLine(line), sim.WithWeaknesses(weak...))
			if errs[i] == nil {
				_, errs[i] = pumps[i].UpdateStatus(ctx)
			}
		})
	}
	wg.Wait()
	tokens := make([]string, len(pumps))
	for i, p := range pumps {
		require.NoError(t, errs[i])
		tokens[i] = biomed(t, p)
	}
	for i, p := range pumps {
		wg.Go(func() {
			target, err := p.PublishRelease(ctx, device.Release{Newer: true})
			if err == nil {
				err = p.InstallUpdate(ctx, tokens[i], target)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, p := range pumps {
		require.NoError(t, errs[i])
		st, err := p.UpdateStatus(ctx)
		require.NoError(t, err)
		assert.Equal(t, "1.4.3", st.Firmware, "unit %d", i)
	}
}
