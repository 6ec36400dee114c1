package harness_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
)

// AlarmTester is a device maker's own capability: Ward knows nothing of
// it; the maker's driver implements it and the maker's steps use it.
type AlarmTester interface {
	// Occlude blocks the infusion line and returns how long the pump
	// took to sound its alarm.
	Occlude(ctx context.Context) (time.Duration, error)
	// Clear removes the occlusion.
	Clear(ctx context.Context) error
}

// alarmPump is a driver with the maker's capability.
type alarmPump struct {
	bare
	delay   time.Duration
	cleared *atomic.Int32
}

func (p alarmPump) Occlude(context.Context) (time.Duration, error) { return p.delay, nil }
func (p alarmPump) Clear(context.Context) error                    { p.cleared.Add(1); return nil }

type occlusion struct{}

// alarmSteps are the maker's steps, written only against the exported
// API: Capability, Observe, Attach, Cleanup.
func alarmSteps() harness.StepSet {
	set := harness.StepSet{Name: "acme-alarm"}
	set.Step(`^the infusion line is occluded$`, func(ctx context.Context) (context.Context, error) {
		sc := harness.ScenarioFrom(ctx)
		a, err := harness.Capability[AlarmTester](sc, "occlusion alarm test")
		if err != nil {
			return ctx, err
		}
		sc.Cleanup(a.Clear)
		d, err := a.Occlude(ctx)
		if err != nil {
			return ctx, err
		}
		sc.Observe("the alarm sounded %s after the occlusion", d)
		sc.Attach("alarm timing.txt", "text/plain", []byte(d.String()))
		return context.WithValue(ctx, occlusion{}, d), nil
	})
	set.Step(`^the occlusion alarm sounds within (\d+) seconds$`, func(ctx context.Context, secs int) error {
		d, ok := ctx.Value(occlusion{}).(time.Duration)
		if !ok {
			return errors.New("scenario bug: no occlusion in this scenario")
		}
		if d > time.Duration(secs)*time.Second {
			return fmt.Errorf("the alarm took %s, more than %d seconds", d, secs)
		}
		return nil
	})
	return set
}

const alarmControls = `
framework "acme" {
  name       = "Acme product requirements"
  citation   = "Acme PRD-7"
  tag_prefix = "ACME"
}

control "ACME-ALARM-1" {
  framework   = "acme"
  title       = "Occlusion alarm"
  citations   = ["Acme PRD-7 4.2"]
  status      = "required"
  severity    = "high"
  requirement = "The pump alarms within 5 seconds of an occlusion."
  remediation = "Fix the pressure sensor's sampling."
  verification {
    method = "scenario"
  }
}
`

const alarmFeature = `@ACME-ALARM-1
Feature: Occlusion alarm

  Scenario: The pump alarms soon after an occlusion
    Given the infusion line is occluded
    Then the occlusion alarm sounds within 5 seconds
`

func alarmCatalogue(t *testing.T) (*control.Catalogue, fstest.MapFS) {
	t.Helper()
	feats := fstest.MapFS{"acme/alarm.feature": {Data: []byte(alarmFeature)}}
	cat, _, _, diags := control.Lint(fstest.MapFS{"acme.hcl": {Data: []byte(alarmControls)}}, feats)
	require.False(t, diags.HasErrors(), diags.Error())
	return cat, feats
}

func TestCustomStepsWithCustomCapability(t *testing.T) {
	cat, feats := alarmCatalogue(t)
	var cleared atomic.Int32
	reg := device.NewRegistry()
	require.NoError(t, reg.Register("acme", func(_ context.Context, u *url.URL) (device.Device, error) {
		switch u.Host {
		case "fast":
			return alarmPump{delay: 2 * time.Second, cleared: &cleared}, nil
		case "slow":
			return alarmPump{delay: 9 * time.Second, cleared: &cleared}, nil
		}
		return bare{}, nil // a pump without the maker's capability
	}))
	r := harness.New(reg, cat, feats, harness.WithSteps(alarmSteps()))
	for _, tc := range []struct {
		target  string
		outcome evidence.Outcome
		reason  string
		cleared int32
	}{
		{"acme://fast", evidence.Satisfied, "", 1},
		{"acme://slow", evidence.NotSatisfied, "the alarm took 9s, more than 5 seconds", 1},
		{"acme://none", evidence.NotApplicable, "occlusion alarm test", 0},
	} {
		t.Run(tc.target, func(t *testing.T) {
			cleared.Store(0)
			res, _, err := r.Check(context.Background(), tc.target)
			require.NoError(t, err)
			require.Len(t, res.Controls, 1)
			c := res.Controls[0]
			assert.Equal(t, "ACME-ALARM-1", c.ID)
			assert.Equal(t, tc.outcome, c.Outcome, c.Reason)
			assert.Contains(t, c.Reason, tc.reason)
			assert.Equal(t, tc.cleared, cleared.Load(), "the step's cleanup ran once the scenario ended")
			require.Len(t, res.Scenarios, 1)
			s := res.Scenarios[0]
			if tc.cleared > 0 {
				assert.Contains(t, s.Steps[0].Observed, "the alarm sounded")
				require.Len(t, s.Artifacts, 1)
				assert.Equal(t, "step01-alarm_timing.txt", s.Artifacts[0].Name)
			}
		})
	}
}

// Without the maker's steps the scenario's steps are undefined: an error,
// never a pass or a not applicable.
func TestCustomScenarioWithoutItsStepsIsAnError(t *testing.T) {
	cat, feats := alarmCatalogue(t)
	reg := device.NewRegistry()
	require.NoError(t, reg.Register("acme", func(context.Context, *url.URL) (device.Device, error) { return bare{}, nil }))
	res, _, err := harness.New(reg, cat, feats).Check(context.Background(), "acme://x")
	require.NoError(t, err)
	require.Len(t, res.Controls, 1)
	assert.Equal(t, evidence.Error, res.Controls[0].Outcome)
	assert.Contains(t, res.Controls[0].Reason, "undefined")
}

func TestUnusableStepDefinitionIsAConfigError(t *testing.T) {
	cat, feats := alarmCatalogue(t)
	reg := device.NewRegistry()
	ok := func(context.Context) error { return nil }
	for name, tc := range map[string]struct {
		set  harness.StepSet
		want string
	}{
		"unanchored":        {harness.StepSet{Name: "x", Steps: []harness.StepDef{{Expr: `the pump beeps`, Func: ok}}}, "anchor the expression"},
		"bad regexp":        {harness.StepSet{Name: "x", Steps: []harness.StepDef{{Expr: `^the pump (beeps$`, Func: ok}}}, "missing closing )"},
		"not a function":    {harness.StepSet{Name: "x", Steps: []harness.StepDef{{Expr: `^the pump beeps$`, Func: 42}}}, "not a function"},
		"no function":       {harness.StepSet{Name: "x", Steps: []harness.StepDef{{Expr: `^the pump beeps$`}}}, "no function"},
		"bad result":        {harness.StepSet{Name: "x", Steps: []harness.StepDef{{Expr: `^the pump beeps$`, Func: func() int { return 0 }}}}, "must return"},
		"too many args":     {harness.StepSet{Name: "x", Steps: []harness.StepDef{{Expr: `^the pump beeps (\d+)$`, Func: func(context.Context, int, int, int) error { return nil }}}}, "takes 3 arguments"},
		"bad argument type": {harness.StepSet{Name: "x", Steps: []harness.StepDef{{Expr: `^the pump beeps (\d+)$`, Func: func(context.Context, chan int) error { return nil }}}}, "cannot pass"},
		"unnamed set":       {harness.StepSet{Steps: []harness.StepDef{{Expr: `^the pump beeps$`, Func: ok}}}, "no name"},
		"a built-in again":  {harness.StepSet{Name: "x", Steps: []harness.StepDef{{Expr: `^the login is refused$`, Func: ok}}}, `(set "access" has it)`},
		"twice in the set":  {harness.StepSet{Name: "x", Steps: []harness.StepDef{{Expr: `^the pump beeps$`, Func: ok}, {Expr: `^the pump beeps$`, Func: ok}}}, `set "x" defines`},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := harness.New(reg, cat, feats, harness.WithSteps(tc.set)).Check(context.Background(), "acme://x")
			require.Error(t, err)
			assert.ErrorIs(t, err, harness.ErrConfig)
			assert.ErrorIs(t, err, harness.ErrStepDefinition)
			assert.True(t, strings.Contains(err.Error(), tc.want), err.Error())
		})
	}
}

func TestScenarioFromOutsideARunIsNil(t *testing.T) {
	assert.Nil(t, harness.ScenarioFrom(context.Background()))
}

// A step that cannot observe what it needs says so: the scenario is not
// applicable with that reason, and the steps after it do not run.
func TestStepNotApplicableWithReason(t *testing.T) {
	cat, feats := alarmCatalogue(t)
	reg := device.NewRegistry()
	require.NoError(t, reg.Register("acme", func(context.Context, *url.URL) (device.Device, error) { return bare{}, nil }))
	for name, reason := range map[string]error{
		"with a reason": errors.New("the pump is in service mode: alarms are muted"),
		"without one":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			ran := false
			set := harness.StepSet{Name: "acme-service"}
			set.Step(`^the infusion line is occluded$`, func(ctx context.Context) error {
				return harness.ScenarioFrom(ctx).NotApplicable(reason)
			})
			set.Step(`^the occlusion alarm sounds within (\d+) seconds$`, func(context.Context, int) error { ran = true; return nil })
			res, _, err := harness.New(reg, cat, feats, harness.WithSteps(set)).Check(context.Background(), "acme://x")
			require.NoError(t, err)
			c := res.Controls[0]
			assert.Equal(t, evidence.NotApplicable, c.Outcome)
			want := "no reason given"
			if reason != nil {
				want = reason.Error()
			}
			assert.Contains(t, c.Reason, want)
			assert.False(t, ran, "the steps after it are skipped")
		})
	}
}
