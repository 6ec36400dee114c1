package harness_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/harness"
)

func TestCheckStepsFindsUndefinedAndAmbiguousSteps(t *testing.T) {
	feats := fstest.MapFS{"acme/alarm.feature": {Data: []byte(`@ACME-ALARM-1
Feature: Occlusion alarm

  Background:
    Given a clinician account "nurse.jones"

  Scenario: Alarm
    Given the infusion line is occluded
    Then the occlusion alarm sounds within 5 seconds

  Scenario: Typo
    Given the infusion line is ocluded
    Then the pump beeps twice
`)}}
	beeps := harness.StepSet{Name: "acme-beeps"}
	beeps.Step(`^the pump beeps (\w+)$`, func(context.Context, string) error { return nil })
	beeps.Step(`^the pump beeps twice$`, func(context.Context) error { return nil })
	rep, err := harness.CheckSteps(feats, alarmSteps(), beeps)
	require.NoError(t, err)
	require.Len(t, rep.Problems, 2, "%+v", rep.Problems)
	assert.Equal(t, harness.StepProblem{
		StepUse:  harness.StepUse{Feature: "acme/alarm.feature", Line: 12, Text: "the infusion line is ocluded"},
		Scenario: "Typo", Kind: "undefined",
	}, rep.Problems[0])
	assert.Equal(t, `acme/alarm.feature:12: Error: Undefined step: scenario "Typo": step "the infusion line is ocluded" matches no step definition (see 'ward steps list')`, rep.Problems[0].String())
	assert.Equal(t, "ambiguous", rep.Problems[1].Kind)
	assert.Equal(t, 13, rep.Problems[1].Line)
	assert.ElementsMatch(t, []string{`^the pump beeps (\w+)$`, `^the pump beeps twice$`}, rep.Problems[1].Matches)

	byExpr := map[string]harness.StepInfo{}
	for _, s := range rep.Steps {
		byExpr[s.Expr] = s
	}
	occl := byExpr[`^the occlusion alarm sounds within (\d+) seconds$`]
	assert.Equal(t, "acme-alarm", occl.Set)
	assert.Equal(t, "the occlusion alarm sounds within <n> seconds", occl.Phrase)
	assert.Equal(t, 1, occl.Uses)
	require.NotNil(t, occl.Example)
	assert.Equal(t, harness.StepUse{Feature: "acme/alarm.feature", Line: 9, Text: "the occlusion alarm sounds within 5 seconds"}, *occl.Example)
	var acct harness.StepInfo
	for _, s := range rep.Steps {
		if s.Example != nil && s.Example.Text == `a clinician account "nurse.jones"` {
			acct = s
		}
	}
	assert.Equal(t, "access", acct.Set)
	assert.Equal(t, 1, acct.Uses, "a background step counts once, not once per scenario")
	assert.Equal(t, "harness.stepAccount", acct.Func[len(acct.Func)-len("harness.stepAccount"):])
}

// The embedded features use only defined steps, each matching exactly one
// definition.
func TestEmbeddedFeaturesHaveNoStepProblems(t *testing.T) {
	rep, err := harness.CheckSteps(features.FS)
	require.NoError(t, err)
	assert.Empty(t, rep.Problems)
	assert.Greater(t, len(rep.Steps), 100)
}

func TestCheckStepsRefusesUnusableDefinitions(t *testing.T) {
	_, err := harness.CheckSteps(nil, harness.StepSet{Name: "x", Steps: []harness.StepDef{{Expr: "unanchored", Func: func() {}}}})
	assert.ErrorIs(t, err, harness.ErrStepDefinition)
}

func TestPhrase(t *testing.T) {
	for expr, want := range map[string]string{
		`^"([^"]+)" logs in with the correct password$`:            `"<text>" logs in with the correct password`,
		`^(\d+) (second|minute|hour)s? pass(?:es)?$`:               `<n> (second|minute|hour)s? pass(?:es)?`,
		`^the pump is programmed over the feed at ([0-9.]+) mL/h$`: `the pump is programmed over the feed at <number> mL/h`,
	} {
		assert.Equal(t, want, harness.Phrase(expr))
	}
}

// BenchmarkCheckSteps is what lint (and so every ward check) adds to find
// undefined steps: the embedded features against every definition.
func BenchmarkCheckSteps(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := harness.CheckSteps(features.FS); err != nil {
			b.Fatal(err)
		}
	}
}
