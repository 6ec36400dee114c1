package wardtest_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
	"github.com/wardsec/ward/pkg/wardtest"
)

// recorder is a wardtest.T that keeps what Check reported.
type recorder struct {
	errors, fatals, logs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
}
func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

func simRegistry(t *testing.T) *device.Registry {
	reg := device.NewRegistry()
	require.NoError(t, sim.Register(reg))
	return reg
}

func TestCheckFailsExactlyTheControlsNotSatisfied(t *testing.T) {
	ids := wardtest.WithControls("HIPAA-164.312-d", "HIPAA-164.312-b")
	var secure recorder
	res := wardtest.Check(&secure, simRegistry(t), "sim://infusion-pump", ids)
	assert.Empty(t, secure.errors)
	assert.Empty(t, secure.fatals)
	assert.Len(t, secure.logs, 2)
	require.Len(t, res.Controls, 2)
	for _, c := range res.Controls {
		assert.Equal(t, evidence.Satisfied, c.Outcome, c.ID)
	}

	var weak recorder
	res = wardtest.Check(&weak, simRegistry(t), "sim://infusion-pump?weaken=no-auth", ids)
	require.Len(t, weak.errors, 1, "%v", weak.errors)
	assert.True(t, strings.HasPrefix(weak.errors[0], "HIPAA-164.312-d not-satisfied: "), weak.errors[0])
	assert.Len(t, res.Controls, 2)
}

const acmeControls = `
framework "acme" {
  name       = "Acme product requirements"
  citation   = "Acme PRD-7"
  tag_prefix = "ACME"
}

control "ACME-BEEP-1" {
  framework   = "acme"
  title       = "The pump beeps"
  citations   = ["Acme PRD-7 4.2"]
  status      = "required"
  severity    = "low"
  requirement = "The pump beeps when asked."
  remediation = "Connect the buzzer."
  verification {
    method = "scenario"
  }
}
`

// Beeper is a maker's capability.
type Beeper interface{ Beep(context.Context) error }

type pump struct{ beeps bool }

func (pump) Identify(context.Context) (device.Identity, error) {
	return device.Identity{Manufacturer: "Acme", Model: "P", Serial: "1", Firmware: "1"}, nil
}
func (pump) Close() error { return nil }
func (p pump) Beep(context.Context) error {
	if !p.beeps {
		return fmt.Errorf("no sound")
	}
	return nil
}

func beepSteps() harness.StepSet {
	set := harness.StepSet{Name: "acme"}
	set.Step(`^the pump is asked to beep$`, func(ctx context.Context) error {
		sc := harness.ScenarioFrom(ctx)
		b, err := harness.Capability[Beeper](sc, "beeper")
		if err != nil {
			return err
		}
		if err := b.Beep(ctx); err != nil {
			return fmt.Errorf("the pump did not beep: %w", err)
		}
		sc.Observe("the pump beeped")
		return nil
	})
	return set
}

func acmeRegistry(t *testing.T) *device.Registry {
	reg := device.NewRegistry()
	require.NoError(t, reg.Register("acme", func(_ context.Context, u *url.URL) (device.Device, error) {
		return pump{beeps: u.Host == "good"}, nil
	}))
	return reg
}

func TestCheckWithTheMakersCatalogueAndSteps(t *testing.T) {
	ctl := fstest.MapFS{"acme.hcl": {Data: []byte(acmeControls)}}
	feat := fstest.MapFS{"beep.feature": {Data: []byte("@ACME-BEEP-1\nFeature: Beep\n  Scenario: Beep\n    Then the pump is asked to beep\n")}}
	opts := []wardtest.Option{wardtest.WithCatalogue(ctl, feat), wardtest.WithSteps(beepSteps())}

	var good recorder
	res := wardtest.Check(&good, acmeRegistry(t), "acme://good", opts...)
	assert.Empty(t, good.errors)
	assert.Empty(t, good.fatals)
	var found bool
	for _, c := range res.Controls {
		if c.ID == "ACME-BEEP-1" {
			found = true
			assert.Equal(t, evidence.Satisfied, c.Outcome)
		} else {
			assert.Equal(t, evidence.NotApplicable, c.Outcome, "%s: the pump has none of Ward's capabilities", c.ID)
		}
	}
	assert.True(t, found)
	assert.Greater(t, len(res.Controls), 20, "Ward's own controls ran too")

	var bad recorder
	wardtest.Check(&bad, acmeRegistry(t), "acme://bad", opts...)
	require.Len(t, bad.errors, 1)
	assert.Contains(t, bad.errors[0], "ACME-BEEP-1 not-satisfied: ")
	assert.Contains(t, bad.errors[0], "the pump did not beep")

	// Expected outcomes: a discrimination test passes on the bad pump and
	// fails on the good one.
	expect := append(opts, wardtest.WithExpected(map[string]evidence.Outcome{"ACME-BEEP-1": evidence.NotSatisfied}))
	var expectBad, expectGood recorder
	wardtest.Check(&expectBad, acmeRegistry(t), "acme://bad", expect...)
	assert.Empty(t, expectBad.errors)
	wardtest.Check(&expectGood, acmeRegistry(t), "acme://good", expect...)
	require.Len(t, expectGood.errors, 1)
	assert.Contains(t, expectGood.errors[0], "ACME-BEEP-1 satisfied, want not-satisfied")
}

func TestCheckStopsOnABrokenCatalogue(t *testing.T) {
	for name, tc := range map[string]struct {
		ctl, feat fstest.MapFS
		steps     []harness.StepSet
		want      string
	}{
		"undefined step": {
			ctl:  fstest.MapFS{"acme.hcl": {Data: []byte(acmeControls)}},
			feat: fstest.MapFS{"beep.feature": {Data: []byte("@ACME-BEEP-1\nFeature: Beep\n  Scenario: Beep\n    Then the pump is asked to beep\n")}},
			want: `local/beep.feature:4: Error: Undefined step: scenario "Beep": step "the pump is asked to beep"`,
		},
		"id defined twice": {
			ctl:  fstest.MapFS{"dup.hcl": {Data: []byte(strings.ReplaceAll(acmeControls, "ACME-BEEP-1", "HIPAA-164.312-d"))}},
			want: `was already declared at access.hcl:6`,
		},
		"unusable step": {
			steps: []harness.StepSet{{Name: "x", Steps: []harness.StepDef{{Expr: "unanchored", Func: func() {}}}}},
			want:  "anchor the expression",
		},
	} {
		t.Run(name, func(t *testing.T) {
			var r recorder
			opts := []wardtest.Option{wardtest.WithSteps(tc.steps...)}
			if tc.ctl != nil || tc.feat != nil {
				opts = append(opts, wardtest.WithCatalogue(tc.ctl, tc.feat))
			}
			wardtest.Check(&r, acmeRegistry(t), "acme://good", opts...)
			require.Len(t, r.fatals, 1)
			assert.Contains(t, r.fatals[0], tc.want)
		})
	}
}
