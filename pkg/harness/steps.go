package harness

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"github.com/cucumber/godog"

	"github.com/wardsec/ward/pkg/control"
)

// ErrStepDefinition reports a step definition that cannot be used: an
// expression that does not compile or is not anchored, a function godog
// cannot call, or an expression two sets both define.
var ErrStepDefinition = errors.New("invalid step definition")

// A StepSet is a named group of step definitions. Ward's own steps are
// step sets (one per area: "access", "audit", ...), registered through the
// same path as a device maker's (WithSteps).
type StepSet struct {
	// Name says where the steps come from ("acme-pump"); the step
	// catalogue (ward steps list, docs/steps.md) groups steps by it.
	Name  string
	Steps []StepDef
}

// StepDef defines one step.
type StepDef struct {
	// Expr is a regular expression the whole step text must match:
	// anchored with ^ and $, each capture group one argument of Func.
	Expr string
	// Func is a step function as godog calls it: an optional
	// context.Context first, then one parameter per capture group
	// (string, int, float64, ...), returning error, context.Context or
	// (context.Context, error). ScenarioFrom(ctx) gives it the scenario.
	Func any
	// Touches names the device state the step changes or needs unchanged
	// (control.Resources: "clock", "accounts", ...). On a device that
	// keeps its state, scenarios with such a step never run alongside
	// others touching the same state, and lint requires the scenario's
	// @touches: tag for it, as for Ward's own steps.
	Touches []string
}

// Step adds a definition to the set.
func (s *StepSet) Step(expr string, fn any) {
	s.Steps = append(s.Steps, StepDef{Expr: expr, Func: fn})
}

// WithSteps adds step definitions to those Ward has. Each set is checked
// when the Runner is made (an unusable definition makes Check and Run
// return ErrConfig); a step text that two definitions match is an
// ambiguous step, which `ward controls lint` reports before a run.
func WithSteps(sets ...StepSet) Option {
	return func(r *Runner) { r.extraSteps = append(r.extraSteps, sets...) }
}

// BuiltinSteps returns Ward's own step sets, in catalogue order.
func BuiltinSteps() []StepSet {
	areas := []struct {
		name     string
		register func(*StepSet)
	}{
		{"access", registerAccessSteps},
		{"audit", registerAuditSteps},
		{"atrest", registerAtRestSteps},
		{"backup", registerBackupSteps},
		{"mfa", registerMFASteps},
		{"planted", registerPlantedSteps},
		{"inventory", registerInventorySteps},
		{"patches", registerPatchSteps},
		{"config", registerConfigSteps},
		{"update", registerUpdateSteps},
		{"transport", registerTransportSteps},
		{"netprobe", registerNetProbeSteps},
		{"segment", registerSegmentSteps},
		{"host", registerHostSteps},
		{"contingency", registerContingencySteps},
	}
	out := make([]StepSet, len(areas))
	for i, a := range areas {
		out[i].Name = a.name
		a.register(&out[i])
	}
	return out
}

// compiledStep is one definition ready for godog.
type compiledStep struct {
	set     string
	expr    *regexp.Regexp
	fn      any
	name    string   // the Go function, for the step catalogue
	touches []string // StepDef.Touches (Ward's own: stepTouches)
}

// stepTable is every definition a Runner uses, compiled once when the
// Runner is made and shared, read-only, by all its scenarios.
type stepTable struct {
	defs []compiledStep
}

// compileSteps checks and compiles the built-in sets and extra.
func compileSteps(extra []StepSet) (*stepTable, error) {
	sets := append(BuiltinSteps(), extra...)
	t := &stepTable{}
	where := map[string]string{} // expression -> the set defining it
	var errs []error
	for _, s := range sets {
		if s.Name == "" {
			errs = append(errs, fmt.Errorf("%w: a step set has no name", ErrStepDefinition))
		}
		for _, d := range s.Steps {
			c, err := compileStep(s.Name, d)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if first, dup := where[d.Expr]; dup {
				errs = append(errs, fmt.Errorf("%w: set %q defines %q again (set %q has it)", ErrStepDefinition, s.Name, d.Expr, first))
				continue
			}
			where[d.Expr] = s.Name
			t.defs = append(t.defs, c)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return t, nil
}

var (
	typeContext = reflect.TypeFor[context.Context]()
	typeError   = reflect.TypeFor[error]()
	typeBytes   = reflect.TypeFor[[]byte]()
	typeDoc     = reflect.TypeFor[*godog.DocString]()
	typeTable   = reflect.TypeFor[*godog.Table]()
)

// compileStep checks one definition the way godog would call it, so a
// mistake is found when the Runner is made, not in the middle of a run.
func compileStep(set string, d StepDef) (compiledStep, error) {
	bad := func(format string, args ...any) (compiledStep, error) {
		return compiledStep{}, fmt.Errorf("%w: set %q, step %q: %s", ErrStepDefinition, set, d.Expr, fmt.Sprintf(format, args...))
	}
	if !strings.HasPrefix(d.Expr, "^") || !strings.HasSuffix(d.Expr, "$") {
		return bad("anchor the expression with ^ and $, so that it cannot match inside another step's text")
	}
	re, err := regexp.Compile(d.Expr)
	if err != nil {
		return bad("%v", err)
	}
	if d.Func == nil {
		return bad("no function")
	}
	ft := reflect.TypeOf(d.Func)
	if ft.Kind() != reflect.Func {
		return bad("Func is a %s, not a function", ft)
	}
	if ft.IsVariadic() {
		return bad("a variadic function cannot be a step")
	}
	switch {
	case ft.NumOut() == 0:
	case ft.NumOut() == 1 && (ft.Out(0) == typeError || ft.Out(0) == typeContext):
	case ft.NumOut() == 2 && ft.Out(0) == typeContext && ft.Out(1) == typeError:
	default:
		return bad("the function must return error, context.Context or (context.Context, error)")
	}
	in := 0
	if ft.NumIn() > 0 && ft.In(0) == typeContext {
		in = 1
	}
	args := ft.NumIn() - in
	// One argument per capture group, and one more for a doc string or
	// table under the step.
	if args > re.NumSubexp()+1 {
		return bad("the function takes %d arguments, the expression captures %d", args, re.NumSubexp())
	}
	for i := in; i < ft.NumIn(); i++ {
		p := ft.In(i)
		switch p.Kind() {
		case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		default:
			if p != typeBytes && p != typeDoc && p != typeTable {
				return bad("argument %d has type %s, which godog cannot pass", i-in+1, p)
			}
		}
	}
	for _, res := range d.Touches {
		if _, ok := control.LookupResource(res); !ok {
			return bad("touches %q, which is not a resource (see control.Resources)", res)
		}
	}
	name := "?"
	if f := runtime.FuncForPC(reflect.ValueOf(d.Func).Pointer()); f != nil {
		name = f.Name()
	}
	return compiledStep{set: set, expr: re, fn: d.Func, name: name, touches: slices.Clone(d.Touches)}, nil
}

// register hands the table to one godog suite. It runs once per target
// (godog copies the suite's definitions into every scenario), not once per
// scenario: registering with godog costs a runtime.Caller each.
func (t *stepTable) register(sc *godog.ScenarioContext) {
	for _, d := range t.defs {
		sc.Step(d.expr, d.fn)
	}
}

// match returns the definitions whose expression matches text.
func (t *stepTable) match(text string) []*compiledStep {
	var out []*compiledStep
	for i := range t.defs {
		if t.defs[i].expr.MatchString(text) {
			out = append(out, &t.defs[i])
		}
	}
	return out
}

// extraTouches are the rules of the steps beyond Ward's own that touch
// device state (Ward's own are touchRules).
func (t *stepTable) extraTouches() []touchRule {
	var out []touchRule
	for _, d := range t.defs {
		if len(d.touches) > 0 {
			out = append(out, touchRule{d.expr, d.touches})
		}
	}
	return out
}
