package harness_test

import (
	"context"
	"fmt"
	"net/url"
	"testing/fstest"

	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/harness"
)

// Thermometer is a device maker's own capability.
type Thermometer interface {
	ReadCelsius(ctx context.Context) (float64, error)
}

type thermo struct{ bare }

func (thermo) ReadCelsius(context.Context) (float64, error) { return 36.9, nil }

// A device maker's step, using a capability of their own, checks a
// control of their own: WithSteps adds the step to Ward's, and the step
// reaches the scenario through ScenarioFrom.
func ExampleWithSteps() {
	steps := harness.StepSet{Name: "acme-thermo"}
	steps.Step(`^the reading is between (\d+) and (\d+) degrees$`, func(ctx context.Context, lo, hi int) error {
		sc := harness.ScenarioFrom(ctx)
		th, err := harness.Capability[Thermometer](sc, "temperature reading")
		if err != nil {
			return err // the scenario is then not applicable, with this reason
		}
		c, err := th.ReadCelsius(ctx)
		if err != nil {
			return err
		}
		sc.Observe("the thermometer read %.1f °C", c)
		if c < float64(lo) || c > float64(hi) {
			return fmt.Errorf("read %.1f °C", c)
		}
		return nil
	})

	ctl := fstest.MapFS{"acme.hcl": {Data: []byte(`
framework "acme" {
  name       = "Acme requirements"
  citation   = "Acme PRD-1"
  tag_prefix = "ACME"
}
control "ACME-TEMP-1" {
  framework   = "acme"
  title       = "Plausible readings"
  citations   = ["Acme PRD-1 2.1"]
  status      = "required"
  severity    = "medium"
  requirement = "A healthy reading is plausible."
  remediation = "Calibrate the sensor."
  verification {
    method = "scenario"
  }
}
`)}}
	feat := fstest.MapFS{"temp.feature": {Data: []byte(`@ACME-TEMP-1
Feature: Plausible readings
  Scenario: A reading
    Then the reading is between 35 and 42 degrees
`)}}
	cat, _, _, diags := control.Lint(ctl, feat)
	if diags.HasErrors() {
		panic(diags)
	}
	reg := device.NewRegistry()
	_ = reg.Register("acme", func(_ context.Context, u *url.URL) (device.Device, error) {
		if u.Host == "thermo" {
			return thermo{}, nil
		}
		return bare{}, nil
	})
	r := harness.New(reg, cat, feat, harness.WithSteps(steps))
	for _, target := range []string{"acme://thermo", "acme://other"} {
		res, _, err := r.Check(context.Background(), target)
		if err != nil {
			panic(err)
		}
		c := res.Controls[0]
		fmt.Println(target, c.ID, c.Outcome+":", c.Reason)
		if obs := res.Scenarios[0].Steps[0].Observed; obs != "" {
			fmt.Println("  observed:", obs)
		}
	}
	// Output:
	// acme://thermo ACME-TEMP-1 satisfied: all 1 scenarios passed
	//   observed: the thermometer read 36.9 °C
	// acme://other ACME-TEMP-1 not-applicable: target lacks what the checks need: target does not support temperature reading
}
