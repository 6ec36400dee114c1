package harness_test

import (
	"context"
	"crypto/fips140"
	"net/url"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
)

// catalogue is the embedded catalogue's automated part: the controls that
// scenarios verify. Procedural (attestation) controls have their own tests
// (ApplyAttestations).
func catalogue(t testing.TB) *control.Catalogue {
	t.Helper()
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	require.False(t, diags.HasErrors(), "embedded catalogue: %v", diags)
	auto := *cat
	auto.Controls = nil
	for _, c := range cat.Controls {
		if c.Verification.Method == control.MethodScenario {
			auto.Controls = append(auto.Controls, c)
		}
	}
	return &auto
}

func simRegistry(t testing.TB) *device.Registry {
	t.Helper()
	reg := device.NewRegistry()
	require.NoError(t, sim.Register(reg))
	return reg
}

func outcomeSet(res evidence.Target, want evidence.Outcome) []string {
	var ids []string
	for _, c := range res.Controls {
		if c.Outcome == want {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// The secure simulator satisfies every control in the catalogue.
func TestSecureSimulatorSatisfiesEveryControl(t *testing.T) {
	cat := behavioural(t)
	r := harness.New(simRegistry(t), cat, features.FS)
	res, cucumber, err := r.Check(context.Background(), "sim://infusion-pump")
	require.NoError(t, err)
	res = withPlans(t, cat, res)
	require.NotEmpty(t, cucumber)
	require.Len(t, res.Controls, len(cat.Controls))
	for _, c := range res.Controls {
		assert.Equal(t, evidence.Satisfied, c.Outcome, "%s: %s", c.ID, c.Reason)
		assert.NotEmpty(t, c.Scenarios, c.ID)
	}
	for _, s := range res.Scenarios {
		assert.Equal(t, evidence.ScenarioPassed, s.Status, "%s: %s", s.Name, s.Reason)
		assert.NotZero(t, s.Line, s.ID)
		for _, st := range s.Steps {
			assert.NotEmpty(t, st.Keyword, "%s: %s", s.ID, st.Text)
		}
	}
	assert.Equal(t, "SIM-IP-000001", res.Identity.Serial)
}

// Each weakness toggle fails exactly the controls it is declared to fail,
// and every other control stays satisfied: the harness discriminates.
func TestEachWeaknessFailsExactlyItsControls(t *testing.T) {
	cat := behavioural(t)
	r := harness.New(simRegistry(t), cat, features.FS)
	for _, w := range sim.Weaknesses() {
		t.Run(w.Name, func(t *testing.T) {
			t.Parallel() // some wait out a deadline (a log that never arrives)
			res, _, err := r.Check(context.Background(), "sim://infusion-pump?weaken="+w.Name)
			require.NoError(t, err)
			res = withPlans(t, cat, res)
			if w.Unapproved && fips140.Enforced() {
				// The module refuses the weak unit's algorithm, so the unit
				// never starts: every control is an error, none passes.
				assert.Contains(t, res.Error, "FIPS 140-only mode")
				assert.Len(t, outcomeSet(res, evidence.Error), len(cat.Controls))
				return
			}
			failed := outcomeSet(res, evidence.NotSatisfied)
			want := slices.Sorted(slices.Values(w.Fails))
			assert.Equal(t, want, failed)
			assert.Len(t, outcomeSet(res, evidence.Satisfied), len(cat.Controls)-len(want),
				"every control the weakness does not touch stays satisfied")
			for _, c := range res.Controls {
				if c.Outcome == evidence.NotSatisfied {
					assert.NotEmpty(t, c.Reason)
				}
			}
		})
	}
}

// Every control in the catalogue is failed by at least one weakness, so no
// control's scenarios are untested against a broken device.
func TestEveryControlHasAWeaknessThatFailsIt(t *testing.T) {
	cat := behavioural(t)
	covered := map[string]bool{}
	for _, w := range sim.Weaknesses() {
		for _, id := range w.Fails {
			_, ok := cat.Control(id)
			assert.True(t, ok, "weakness %s names unknown control %s", w.Name, id)
			covered[id] = true
		}
	}
	for _, c := range cat.Controls {
		assert.True(t, covered[c.ID], "no weakness makes %s fail", c.ID)
	}
}

// bare is a device with identity only: every capability check must make
// the controls not-applicable, never satisfied.
type bare struct{}

func (bare) Identify(context.Context) (device.Identity, error) {
	return device.Identity{Manufacturer: "Acme", Model: "Bare", Serial: "1", Firmware: "0"}, nil
}
func (bare) Close() error { return nil }

func TestMissingCapabilityIsNotApplicableNeverPassed(t *testing.T) {
	reg := device.NewRegistry()
	require.NoError(t, reg.Register("bare", func(context.Context, *url.URL) (device.Device, error) { return bare{}, nil }))
	res, _, err := harness.New(reg, catalogue(t), features.FS).Check(context.Background(), "bare://x")
	require.NoError(t, err)
	for _, c := range res.Controls {
		assert.Equal(t, evidence.NotApplicable, c.Outcome, c.ID)
		if !strings.Contains(c.Reason, "destructive scenario") { // not a scratch unit either
			assert.Contains(t, c.Reason, "does not support")
		}
	}
	for _, s := range res.Scenarios {
		assert.Equal(t, evidence.ScenarioNotApplicable, s.Status, s.Name)
	}
}

// In strict mode an undefined step is an error, never a pass.
func TestUndefinedStepIsAnError(t *testing.T) {
	feats := fstest.MapFS{
		"audit/x.feature": {Data: []byte(`@HIPAA-164.312-b
Feature: x
  Scenario: uses a step nobody wrote
    Given a clinician account "nurse.jones"
    Then the moon is made of cheese
`)},
	}
	cat, _, _, diags := control.Lint(controls.FS, feats)
	_ = diags // the other controls have no scenario here; only 164.312-b is run
	r := harness.New(simRegistry(t), cat, feats, harness.WithControls("HIPAA-164.312-b"))
	res, _, err := r.Check(context.Background(), "sim://infusion-pump")
	require.NoError(t, err)
	require.Len(t, res.Controls, 1)
	assert.Equal(t, evidence.Error, res.Controls[0].Outcome)
	assert.Contains(t, res.Controls[0].Reason, "undefined")
}

// A target that cannot be opened as written is a configuration error
// before anything runs.
func TestBadTargetsAreConfigErrors(t *testing.T) {
	r := harness.New(simRegistry(t), catalogue(t), features.FS)
	for _, target := range []string{
		"nope://x",
		"sim://toaster",
		"sim://infusion-pump?weaken=bogus",
		"sim://infusion-pump?colour=red",
		"infusion-pump",
	} {
		t.Run(target, func(t *testing.T) {
			_, _, err := r.Run(context.Background(), harness.RunInfo{}, []string{target})
			require.ErrorIs(t, err, harness.ErrConfig)
			assert.ErrorIs(t, err, device.ErrBadTarget)
		})
	}
}

func TestRunCoversEveryTarget(t *testing.T) {
	r := harness.New(simRegistry(t), catalogue(t), features.FS)
	run, cucumber, err := r.Run(context.Background(), harness.RunInfo{}, []string{
		"sim://infusion-pump?serial=A", "sim://infusion-pump?serial=B&weaken=no-auth",
	})
	require.NoError(t, err)
	require.Len(t, run.Targets, 2)
	assert.Equal(t, "A", run.Targets[0].Identity.Serial)
	assert.Equal(t, "B", run.Targets[1].Identity.Serial)
	assert.Empty(t, outcomeSet(run.Targets[0], evidence.NotSatisfied))
	assert.Equal(t, []string{"HIPAA-164.312-d"}, outcomeSet(run.Targets[1], evidence.NotSatisfied))
	assert.Contains(t, string(cucumber), "@target:sim://infusion-pump?serial=B")
	assert.NotEmpty(t, run.ID)
}

// Progress counts every scenario once and ends with the target's totals.
func TestProgressReportsEveryScenario(t *testing.T) {
	var events []harness.Progress
	r := harness.New(simRegistry(t), catalogue(t), features.FS,
		harness.WithProgressFunc(func(p harness.Progress) { events = append(events, p) }))
	res, _, err := r.Check(context.Background(), "sim://infusion-pump?weaken=no-auth")
	require.NoError(t, err)
	require.Len(t, events, len(res.Scenarios)+1)
	last := events[len(events)-1]
	assert.True(t, last.TargetDone)
	assert.Equal(t, len(res.Scenarios), last.Done)
	failed := 0
	for _, s := range res.Scenarios {
		if s.Status == evidence.ScenarioFailed {
			failed++
		}
	}
	assert.Equal(t, failed, last.Failed)
	assert.Positive(t, failed)
}

// A device without capabilities: every not-applicable control says what
// the device would have to offer, in words, never an internal capability
// name, and controls that lack the same thing share one phrase.
func TestNotApplicableSaysWhatTheDeviceWouldOffer(t *testing.T) {
	reg := device.NewRegistry()
	require.NoError(t, reg.Register("bare", func(context.Context, *url.URL) (device.Device, error) { return bare{}, nil }))
	res, _, err := harness.New(reg, catalogue(t), features.FS).Check(context.Background(), "bare://x")
	require.NoError(t, err)
	groups := map[string]int{}
	for _, c := range res.Controls {
		if c.Outcome != evidence.NotApplicable {
			continue
		}
		require.NotEmpty(t, c.Needs, c.ID)
		assert.NotContains(t, c.Needs, "target does not support", c.ID)
		groups[c.Needs]++
	}
	assert.Greater(t, groups["exposes no login"]+groups["exposes no account management"], 5, "%v", groups)
	assert.Less(t, len(groups), len(res.Controls)/2, "reasons are grouped: %v", groups)
	assert.Equal(t, "exposes no account management", harness.Offer("open: target does not support account provisioning"))
	assert.Equal(t, "offers no teleport", harness.Offer("target does not support teleport"))
	assert.Equal(t, "the target serves one unit", harness.Offer("the target serves one unit"))
}
