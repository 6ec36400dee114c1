package harness

import (
	"regexp"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v21"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
)

// Every scenario of the catalogue declares, with @touches: tags an auditor
// reads next to it, every piece of device state its steps touch, and only
// resource names from the vocabulary. A scenario that moves the clock
// without saying so is caught here, not by a flaky run on a real device.
func TestScenariosDeclareTheStateTheirStepsTouch(t *testing.T) {
	found, err := CheckTouches(features.FS)
	require.NoError(t, err)
	for _, u := range found {
		t.Error(u)
	}
	suite := godog.TestSuite{Options: &godog.Options{FS: features.FS, Paths: []string{"."}}}
	feats, err := suite.RetrieveFeatures()
	require.NoError(t, err)
	n := 0
	for _, f := range feats {
		for _, p := range f.Pickles {
			n++
			_, unknown := control.TouchedResources(tagNames(p.Tags))
			assert.Empty(t, unknown, "%s: %q", p.Uri, p.Name)
		}
	}
	require.Greater(t, n, 50)
}

// A scenario that forgets a tag is found, with where it is.
func TestCheckTouchesFindsAMissingTag(t *testing.T) {
	fsys := fstest.MapFS{"a/clock.feature": {Data: []byte(`@HIPAA-164.312-a-2-iii
Feature: F

  Scenario: Moves the clock
    Given a clinician account "nurse.jones"
    When 16 minutes pass without any request

  @touches:clock
  Scenario: Says so
    When 16 minutes pass without any request
`)}}
	found, err := CheckTouches(fsys)
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, Undeclared{Feature: "a/clock.feature", Line: 4, Scenario: "Moves the clock", Step: "16 minutes pass without any request", Resource: "clock"}, found[0])
	assert.Contains(t, found[0].String(), "a/clock.feature:4: ")
	assert.Contains(t, found[0].String(), "tag it @touches:clock")
}

// Every expression of the step-resource table is a step the harness
// registers: a step renamed without its entry would lose its protection
// silently.
func TestStepResourceTableNamesRegisteredSteps(t *testing.T) {
	var registered []string
	for _, set := range BuiltinSteps() {
		for _, d := range set.Steps {
			registered = append(registered, d.Expr)
		}
	}
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
	got := scenarioResources(p, nil)
	assert.Equal(t, []string{"bogus", "clock", "storage"}, got, "an unknown name still keeps scenarios apart")
	assert.True(t, slices.IsSorted(got))
	assert.Empty(t, StepResources(`"kim.lee" is logged in`))
}

// A device maker's step that declares what it touches keeps its scenario
// apart like Ward's own, and lint holds the scenario's tags to it.
func TestExtraStepTouches(t *testing.T) {
	set := StepSet{Name: "acme"}
	set.Steps = append(set.Steps, StepDef{Expr: `^the pump's clock is set back a day$`, Func: func() {}, Touches: []string{"clock"}})
	table, err := compileSteps([]StepSet{set})
	require.NoError(t, err)
	p := &godog.Scenario{Steps: []*messages.PickleStep{{Text: "the pump's clock is set back a day"}}}
	assert.Equal(t, []string{"clock"}, scenarioResources(p, table.extraTouches()))
	assert.Empty(t, scenarioResources(p, nil))

	feats := fstest.MapFS{"a/clock.feature": {Data: []byte("Feature: Clock\n\n  Scenario: Back a day\n    Given the pump's clock is set back a day\n")}}
	found, err := CheckTouches(feats, set)
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, "clock", found[0].Resource)

	rep, err := CheckSteps(nil, set)
	require.NoError(t, err)
	assert.Equal(t, []string{"clock"}, rep.Steps[len(rep.Steps)-1].Touches)

	bad := StepSet{Name: "acme", Steps: []StepDef{{Expr: `^x$`, Func: func() {}, Touches: []string{"clocks"}}}}
	_, err = compileSteps([]StepSet{bad})
	assert.ErrorIs(t, err, ErrStepDefinition)
	assert.ErrorContains(t, err, `touches "clocks"`)
}
