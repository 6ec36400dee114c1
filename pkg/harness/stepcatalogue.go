package harness

import (
	"cmp"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/cucumber/godog"

	"github.com/wardsec/ward/internal/safetext"
)

// StepInfo is one step definition in the step catalogue.
type StepInfo struct {
	Set     string   `json:"set"`               // the step set (StepSet.Name)
	Expr    string   `json:"expr"`              // the regular expression, as registered
	Phrase  string   `json:"phrase"`            // Expr for people: <text> and <n> for the arguments
	Func    string   `json:"func"`              // the Go function that runs it
	Touches []string `json:"touches,omitempty"` // device state it changes (see @touches: in docs/controls.md)
	Uses    int      `json:"uses"`              // scenario steps in the features it matches
	Example *StepUse `json:"example,omitempty"` // the first of them
}

// StepUse is a scenario step as written in a feature file.
type StepUse struct {
	Feature string `json:"feature"` // path within the features
	Line    int    `json:"line"`
	Text    string `json:"text"`
}

// StepProblem is a scenario step that no definition matches (undefined)
// or that more than one does (ambiguous): either way the scenario would
// end in error, whatever the device does.
type StepProblem struct {
	StepUse
	Scenario string   `json:"scenario"`
	Kind     string   `json:"kind"`              // "undefined" or "ambiguous"
	Matches  []string `json:"matches,omitempty"` // the expressions, when ambiguous
}

// String is the problem as lint prints it, file:line first; what came
// from the feature file is escaped (safetext), so it is safe on a terminal.
func (p StepProblem) String() string {
	e := safetext.Escape
	if p.Kind == "ambiguous" {
		return fmt.Sprintf(`%s:%d: Error: Ambiguous step: scenario "%s": step "%s" matches %d step definitions: %s`,
			e(p.Feature), p.Line, e(p.Scenario), e(p.Text), len(p.Matches), e(strings.Join(p.Matches, " | ")))
	}
	return fmt.Sprintf(`%s:%d: Error: Undefined step: scenario "%s": step "%s" matches no step definition (see 'ward steps list')`,
		e(p.Feature), p.Line, e(p.Scenario), e(p.Text))
}

// StepReport is the step catalogue: every definition with what uses it,
// and the scenario steps that cannot run.
type StepReport struct {
	Steps    []StepInfo    `json:"steps"`
	Problems []StepProblem `json:"problems,omitempty"`
}

// CheckSteps matches every scenario step of features (nil: none) against
// Ward's steps and extra, the way a Runner made WithSteps(extra...) would.
// An unusable definition is an error wrapping ErrStepDefinition.
func CheckSteps(features fs.FS, extra ...StepSet) (*StepReport, error) {
	table, err := compileSteps(extra)
	if err != nil {
		return nil, err
	}
	touches := stepTouches()
	rep := &StepReport{Steps: make([]StepInfo, len(table.defs))}
	at := map[*compiledStep]int{}
	for i := range table.defs {
		d := &table.defs[i]
		at[d] = i
		rep.Steps[i] = StepInfo{Set: d.set, Expr: d.expr.String(), Phrase: Phrase(d.expr.String()), Func: d.name, Touches: touches[d.expr.String()]}
		if len(d.touches) > 0 {
			rep.Steps[i].Touches = d.touches
		}
	}
	if features == nil {
		return rep, nil
	}
	idx, err := (&Runner{features: features}).index()
	if err != nil {
		return nil, err
	}
	suite := godog.TestSuite{Options: &godog.Options{FS: features, Paths: []string{"."}}}
	feats, err := suite.RetrieveFeatures()
	if err != nil {
		return nil, fmt.Errorf("%w: features: %w", ErrConfig, err)
	}
	// A background step is in every scenario of its feature, an outline
	// step in every example: count each written step (file, line, text)
	// once.
	seen := map[StepUse]bool{}
	for _, f := range feats {
		for _, p := range f.Pickles {
			for _, st := range p.Steps {
				use := StepUse{Feature: p.Uri, Text: st.Text}
				if len(st.AstNodeIds) > 0 {
					use.Line = idx.nodes[st.AstNodeIds[0]].line
				}
				if seen[use] {
					continue
				}
				seen[use] = true
				m := table.match(st.Text)
				switch len(m) {
				case 0:
					rep.Problems = append(rep.Problems, StepProblem{StepUse: use, Scenario: p.Name, Kind: "undefined"})
				case 1:
					s := &rep.Steps[at[m[0]]]
					s.Uses++
					if s.Example == nil || cmpUse(use, *s.Example) < 0 {
						u := use
						s.Example = &u
					}
				default:
					pr := StepProblem{StepUse: use, Scenario: p.Name, Kind: "ambiguous"}
					for _, d := range m {
						pr.Matches = append(pr.Matches, d.expr.String())
					}
					rep.Problems = append(rep.Problems, pr)
				}
			}
		}
	}
	slices.SortFunc(rep.Problems, func(a, b StepProblem) int { return cmpUse(a.StepUse, b.StepUse) })
	return rep, nil
}

func cmpUse(a, b StepUse) int {
	return cmp.Or(cmp.Compare(a.Feature, b.Feature), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Text, b.Text))
}

// phraseArgs are the capture groups the step catalogue shows as
// placeholders, longest first.
var phraseArgs = []struct{ group, shown string }{
	{`"([^"]+)"`, `"<text>"`},
	{`"([^"]*)"`, `"<text>"`},
	{`([0-9.]+)`, `<number>`},
	{`([0-9, ]+)`, `<numbers>`},
	{`(\d+)`, `<n>`},
	{`([a-z-]+)`, `<word>`},
}

// Phrase renders a step expression for people: without its anchors, and
// with the common capture groups shown as placeholders ("<text>", "<n>").
// Other groups (alternatives such as "(can|cannot)") stay as written.
func Phrase(expr string) string {
	s := strings.TrimSuffix(strings.TrimPrefix(expr, "^"), "$")
	for _, a := range phraseArgs {
		s = strings.ReplaceAll(s, a.group, a.shown)
	}
	return s
}
