package harness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/internal/mgmttest"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
)

// resident is one simulated unit that every open of its target reaches,
// as a real device or a management API without units mode: what one
// scenario leaves on it, the next one finds. Close leaves it running.
type resident struct{ *sim.Pump }

func (resident) Close() error { return nil }

// ScratchUnit: a kept unit stands for a device in service, not a scratch
// unit, so @destructive scenarios need harness.WithDestructive.
func (resident) ScratchUnit() bool { return false }

// noRemover is a resident unit that cannot remove accounts, as a device
// without device.AccountRemover.
type noRemover struct{ resident }

func (noRemover) HasCapability(c reflect.Type) bool {
	return c != reflect.TypeFor[device.AccountRemover]()
}

// serveOne serves p alone (no units mode) over the management API on
// loopback and returns the target that reaches it.
func serveOne(t *testing.T, p *sim.Pump) string {
	t.Helper()
	return mgmttest.Target(t, resident{p})
}

func outcomeTable(res evidence.Target) map[string]evidence.Outcome {
	out := map[string]evidence.Outcome{}
	for _, c := range res.Controls {
		out[c.ID] = c.Outcome
	}
	return out
}

func reasons(res evidence.Target) map[string]string {
	out := map[string]string{}
	for _, c := range res.Controls {
		out[c.ID] = c.Reason
	}
	return out
}

// disposal is the control whose scenario decommissions the device: it
// crypto-erases the unit, so on a unit that is kept it can only run last.
const disposal = "HIPAA-164.310-d-2-i"

// difference is how a control legitimately ends on a unit that is kept,
// unlike on a fresh sim:// unit.
type difference struct {
	outcome evidence.Outcome
	reason  string // a fragment of the control's reason
	why     string
}

// onOneUnit lists the controls that cannot end on a kept unit as on a
// fresh one, and why. Anything else differing is a failure: a scenario
// that leaves the unit unfit for the next (an account that exists, a
// throttled login source, an attacker's update server, a quarantine, a
// moved clock that breaks certificate checks, earlier runs' audit
// records) shows up here.
func onOneUnit(int) map[string]difference {
	d := map[string]difference{
		// Both need a unit other than the one checked; the target has one.
		"FDA-PMC-CRYPTO-2": {evidence.NotApplicable, "the target serves one unit",
			"one unit's key must open nothing on another unit of the model"},
		"HIPAA-164.308-a-7-ii-B": {evidence.NotApplicable, "the target serves one unit",
			"a backup must restore onto a clean unit"},
	}
	return d
}

// The default catalogue runs twice against one unit that keeps its state,
// once in process and once over the management API without units mode,
// at 1, 2, 8 and 32 scenarios at once (a fresh unit for each): every run
// gives the fresh sim:// outcome table, except the controls that need
// another unit (not applicable, with the reason). Scenarios that touch the
// same device state (@touches: tags and the steps' own resources) take
// turns; the others run side by side. The beacon goes to a host drawn per
// scenario, so it is new to the unit on every run. The decommissioning
// check, which destroys the unit, is not run unless allowed, then runs
// last and passes too. Before resources were declared, the first run at
// concurrency 8 failed 20 of the 42 controls (a moved clock expired other
// scenarios' sessions, installs raced, an audit-trail edit was undone over
// other scenarios' records).
func TestCatalogueTwiceOnOneUnit(t *testing.T) {
	ctx := context.Background()
	cat := behavioural(t)
	fresh, _, err := harness.New(simRegistry(t), cat, features.FS).Check(ctx, "sim://infusion-pump")
	require.NoError(t, err)
	want := outcomeTable(withPlans(t, cat, fresh))
	for id, o := range want {
		require.Equal(t, evidence.Satisfied, o, id)
	}
	var ids []string
	for _, c := range cat.Controls {
		if c.ID != disposal {
			ids = append(ids, c.ID)
		}
	}
	for _, conc := range []int{1, 2, 8, 32} {
		t.Run(fmt.Sprintf("concurrency-%d", conc), func(t *testing.T) {
			p, err := sim.New(ctx, "infusion-pump")
			require.NoError(t, err)
			t.Cleanup(func() { p.Close() })
			reg := simRegistry(t)
			require.NoError(t, https.Register(reg))
			require.NoError(t, reg.Register("resident", func(context.Context, *url.URL) (device.Device, error) { return resident{p}, nil }))
			r := harness.New(reg, cat, features.FS, harness.WithConcurrency(conc), harness.WithControls(ids...))
			for run, target := range []string{"resident://infusion-pump", serveOne(t, p)} {
				run++
				res, _, err := r.Check(ctx, target)
				require.NoError(t, err)
				require.Empty(t, res.Error)
				res = withPlans(t, cat, res)
				got, why := outcomeTable(res), reasons(res)
				expect := onOneUnit(run)
				for _, id := range ids {
					if d, ok := expect[id]; ok {
						assert.Equal(t, d.outcome, got[id], "run %d, %s (%s): %s", run, id, d.why, why[id])
						assert.Contains(t, why[id], d.reason, "run %d, %s", run, id)
						continue
					}
					assert.Equal(t, want[id], got[id], "run %d, %s: %s", run, id, why[id])
				}
			}
			assertNoTestAccounts(t, ctx, p)
			if conc != 1 {
				return
			}
			// Last, the check that destroys the unit: not run unless allowed.
			for _, target := range []string{"resident://infusion-pump", serveOne(t, p)} {
				res, _, err := harness.New(reg, cat, features.FS, harness.WithControls(disposal)).Check(ctx, target)
				require.NoError(t, err)
				require.Len(t, res.Scenarios, 1)
				assert.Equal(t, evidence.ScenarioNotApplicable, res.Scenarios[0].Status, "%s: %s", target, res.Scenarios[0].Reason)
				assert.Contains(t, res.Scenarios[0].Reason, "--allow-destructive")
			}
			assertNotDecommissioned(t, ctx, p)
			last := harness.New(reg, cat, features.FS, harness.WithConcurrency(1), harness.WithControls(disposal), harness.WithDestructive(true))
			res, _, err := last.Check(ctx, "resident://infusion-pump")
			require.NoError(t, err)
			assert.Equal(t, evidence.Satisfied, outcomeTable(res)[disposal], reasons(res)[disposal])
		})
	}
}

// assertNoTestAccounts checks, from the unit's audit trail, that every
// account created on it was deleted again.
func assertNoTestAccounts(t *testing.T, ctx context.Context, p *sim.Pump) {
	t.Helper()
	created, deleted := accountRecords(t, ctx, p)
	require.NotEmpty(t, created, "the runs created test accounts")
	for _, n := range created {
		assert.Contains(t, deleted, n, "test account %q was left on the device", n)
	}
}

// accountRecords returns the accounts the unit's audit trail records as
// created and as deleted.
func accountRecords(t *testing.T, ctx context.Context, p *sim.Pump) (created, deleted []string) {
	t.Helper()
	exp, err := p.AuditLog(ctx)
	require.NoError(t, err)
	_, err = audit.Verify(exp.Log, exp.Checkpoint, exp.PublicKey)
	require.NoError(t, err, "the audit trail the runs leave verifies")
	for line := range bytes.Lines(exp.Log) {
		var r audit.Record
		require.NoError(t, json.Unmarshal(line, &r))
		if r.Outcome != audit.Success {
			continue
		}
		switch r.Action {
		case "user.create":
			created = append(created, r.Object)
		case "user.delete":
			deleted = append(deleted, r.Object)
		}
	}
	return created, deleted
}

// Without device.AccountRemover the accounts stay, the scenarios still
// pass, and the evidence says which accounts remain.
func TestAccountsRemainWithoutRemover(t *testing.T) {
	ctx := context.Background()
	cat := catalogue(t)
	p, err := sim.New(ctx, "infusion-pump")
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	reg := simRegistry(t)
	require.NoError(t, reg.Register("kept", func(context.Context, *url.URL) (device.Device, error) {
		return noRemover{resident{p}}, nil
	}))
	const id = "HIPAA-164.312-b" // audit_controls.feature: three scenarios, one account each
	r := harness.New(reg, cat, features.FS, harness.WithConcurrency(1), harness.WithControls(id))
	for range 2 {
		res, _, err := r.Check(ctx, "kept://infusion-pump")
		require.NoError(t, err)
		require.Equal(t, evidence.Satisfied, outcomeTable(res)[id], reasons(res)[id])
		for _, s := range res.Scenarios {
			last := s.Steps[len(s.Steps)-1]
			assert.Contains(t, last.Observed, "the device offers no account removal, so the test accounts", s.Name)
		}
	}
	created, deleted := accountRecords(t, ctx, p)
	assert.Len(t, created, 6, "two runs of three scenarios, each its own nurse.jones")
	assert.Empty(t, deleted)
	for _, n := range created {
		assert.True(t, strings.HasPrefix(n, "nurse.jones."), n)
	}
	assert.Len(t, slices.Compact(slices.Sorted(slices.Values(created))), 6, "every scenario run used its own name")
}

// Every scenario's accounts carry one random suffix, shown next to the
// readable name when the account is made, and are removed at its end.
func TestAccountNamesInEvidence(t *testing.T) {
	ctx := context.Background()
	cat := catalogue(t)
	const id = "HIPAA-164.308-a-1-ii-D" // activity_review.feature: three accounts in one scenario
	r := harness.New(simRegistry(t), cat, features.FS, harness.WithControls(id))
	res, _, err := r.Check(ctx, "sim://infusion-pump")
	require.NoError(t, err)
	require.Equal(t, evidence.Satisfied, outcomeTable(res)[id], reasons(res)[id])
	i := slices.IndexFunc(res.Scenarios, func(s evidence.Scenario) bool {
		return strings.HasPrefix(s.Name, "The review lists privileged actions")
	})
	require.GreaterOrEqual(t, i, 0, "the three-account scenario")
	steps := res.Scenarios[i].Steps
	var suffix string
	for _, user := range []string{"ravi.patel", "kim.lee", "nurse.jones"} {
		i := slices.IndexFunc(steps, func(s evidence.Step) bool {
			return strings.Contains(s.Observed, `account "`+user+`" (on the device "`+user+`.`)
		})
		require.GreaterOrEqual(t, i, 0, "the creation of %s shows both names", user)
		o := steps[i].Observed
		rest := o[strings.Index(o, `(on the device "`+user+`.`)+len(`(on the device "`+user+`.`):]
		s := rest[:strings.Index(rest, `"`)]
		assert.Len(t, s, 6, o)
		if suffix == "" {
			suffix = s
		}
		assert.Equal(t, suffix, s, "one suffix per scenario")
	}
	last := steps[len(steps)-1].Observed
	assert.Contains(t, last, "after the scenario: removed the test accounts")
	for _, user := range []string{"ravi.patel", "kim.lee", "nurse.jones"} {
		assert.Contains(t, last, `"`+user+"."+suffix+`"`)
	}
}

// On a unit that keeps its state, a weakness in accounts, logins or the
// audit trail still fails its controls, on the second run as on the
// first: accounts, records and throttling left by the first run hide
// nothing from the second.
func TestWeaknessesStillFailOnOneUnit(t *testing.T) {
	cat := behavioural(t)
	byName := map[string]sim.Weakness{}
	for _, w := range sim.Weaknesses() {
		byName[w.Name] = w
	}
	for _, name := range []string{"default-credentials", "shared-account", "weak-passwords", "no-lockout", "no-mfa",
		"totp-replay", "no-rbac", "no-auto-logoff", "silent-break-glass", "mutable-audit", "secrets-in-logs", "no-auth"} {
		w, ok := byName[name]
		require.True(t, ok, name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			p, err := sim.New(ctx, "infusion-pump", sim.WithWeaknesses(name))
			require.NoError(t, err)
			t.Cleanup(func() { p.Close() })
			reg := device.NewRegistry()
			require.NoError(t, reg.Register("resident", func(context.Context, *url.URL) (device.Device, error) { return resident{p}, nil }))
			r := harness.New(reg, cat, features.FS, harness.WithConcurrency(1), harness.WithControls(w.Fails...))
			for run := 1; run <= 2; run++ {
				res, _, err := r.Check(ctx, "resident://infusion-pump")
				require.NoError(t, err)
				got := outcomeTable(withPlans(t, cat, res))
				for _, id := range w.Fails {
					assert.Equal(t, evidence.NotSatisfied, got[id], "run %d, %s", run, id)
				}
			}
		})
	}
}

// assertNotDecommissioned checks that the unit still holds its storage
// key: a destructive scenario that was refused did not run half-way.
func assertNotDecommissioned(t *testing.T, ctx context.Context, p *sim.Pump) {
	t.Helper()
	_, key, err := p.ExportStorageKey(ctx)
	require.NoError(t, err, "the unit's storage key is gone")
	require.Len(t, key, 32)
}
