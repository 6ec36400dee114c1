package harness

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v21"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/sim"
)

// Every scenario of the catalogue declares, with @touches: tags an auditor
// reads next to it, every piece of device state its steps touch, and only
// resource names from the vocabulary. A scenario that moves the clock
// without saying so is caught here, not by a flaky run on a real device.
func TestScenariosDeclareTheStateTheirStepsTouch(t *testing.T) {
	suite := godog.TestSuite{Options: &godog.Options{FS: features.FS, Paths: []string{"."}}}
	feats, err := suite.RetrieveFeatures()
	require.NoError(t, err)
	n := 0
	for _, f := range feats {
		for _, p := range f.Pickles {
			n++
			declared, unknown := control.TouchedResources(tagNames(p.Tags))
			assert.Empty(t, unknown, "%s: %q", p.Uri, p.Name)
			for _, st := range p.Steps {
				for _, res := range StepResources(st.Text) {
					assert.Contains(t, declared, res, "%s: %q: step %q touches %s: tag it @touches:%s", p.Uri, p.Name, st.Text, res, res)
				}
			}
		}
	}
	require.Greater(t, n, 50)
}

// Every expression of the step-resource table is a step the harness
// registers: a step renamed without its entry would lose its protection
// silently.
func TestStepResourceTableNamesRegisteredSteps(t *testing.T) {
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	require.False(t, diags.HasErrors())
	reg := device.NewRegistry()
	require.NoError(t, sim.Register(reg))
	// One scenario registers every step.
	_, _, err := New(reg, cat, features.FS, WithControls("NPRM-164.308-a-1")).Check(context.Background(), "sim://infusion-pump")
	require.NoError(t, err)
	var registered []string
	stepExprs.Range(func(k, _ any) bool { registered = append(registered, k.(string)); return true })
	require.Greater(t, len(registered), 100)
	for expr, res := range stepTouches() {
		assert.Contains(t, registered, expr)
		for _, r := range res {
			_, ok := control.LookupResource(r)
			assert.True(t, ok, "%s: %s", expr, r)
		}
		regexp.MustCompile(expr)
	}
}

func TestScenarioResourcesJoinsTagsAndSteps(t *testing.T) {
	p := &godog.Scenario{
		Tags:  []*messages.PickleTag{{Name: "@HIPAA-164.312-b"}, {Name: "@touches:storage"}, {Name: "@touches:bogus"}},
		Steps: []*messages.PickleStep{{Text: "16 minutes pass without any request"}, {Text: `"kim.lee" is logged in`}},
	}
	got := scenarioResources(p)
	assert.Equal(t, []string{"bogus", "clock", "storage"}, got, "an unknown name still keeps scenarios apart")
	assert.True(t, slices.IsSorted(got))
	assert.Empty(t, StepResources(`"kim.lee" is logged in`))
}
