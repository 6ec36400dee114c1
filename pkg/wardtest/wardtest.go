package wardtest

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/internal/overlayfs"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
)

// T is the part of *testing.T (or *testing.B) that Check uses.
type T interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// Option configures Check.
type Option func(*config)

type config struct {
	ctx      context.Context
	controls fs.FS
	features fs.FS
	steps    []harness.StepSet
	ids      []string
	expect   map[string]evidence.Outcome
	harness  []harness.Option
}

// WithCatalogue adds the maker's own controls (*.hcl) and features
// (*.feature) to the embedded catalogue, as `ward check --controls
// --features` does: their files appear under local/, and an id defined
// twice is a lint error. Either may be nil.
func WithCatalogue(controls, features fs.FS) Option {
	return func(c *config) { c.controls, c.features = controls, features }
}

// WithSteps adds the maker's step definitions (harness.WithSteps).
func WithSteps(sets ...harness.StepSet) Option {
	return func(c *config) { c.steps = append(c.steps, sets...) }
}

// WithControls checks only these controls (default: every control verified
// by scenarios alone; a go test cannot attest to procedural ones).
func WithControls(ids ...string) Option {
	return func(c *config) { c.ids = append(c.ids, ids...) }
}

// WithExpected states the outcome a control must have, instead of
// satisfied: a discrimination test (a build with a protection switched off
// must fail its control) or a known gap being fixed. A control with
// another outcome fails the test.
func WithExpected(want map[string]evidence.Outcome) Option {
	return func(c *config) {
		if c.expect == nil {
			c.expect = map[string]evidence.Outcome{}
		}
		for id, o := range want {
			c.expect[id] = o
		}
	}
}

// WithHarness passes options to the harness Runner (concurrency, clock,
// inventory, ...).
func WithHarness(opts ...harness.Option) Option {
	return func(c *config) { c.harness = append(c.harness, opts...) }
}

// WithContext runs the check under ctx (default: context.Background).
func WithContext(ctx context.Context) Option {
	return func(c *config) { c.ctx = ctx }
}

// Sources returns the embedded controls and features with ctl and feat
// (either may be nil) added under local/, as Check and `ward check
// --controls --features` use them.
func Sources(ctl, feat fs.FS) (fs.FS, fs.FS, error) {
	c, f := fs.FS(controls.FS), fs.FS(features.FS)
	var err error
	if ctl != nil {
		if c, err = overlayfs.New(controls.FS, "local", ctl); err != nil {
			return nil, nil, err
		}
	}
	if feat != nil {
		if f, err = overlayfs.New(features.FS, "local", feat); err != nil {
			return nil, nil, err
		}
	}
	return c, f, nil
}

// Check runs the catalogue against target, opened through reg. It stops
// the test (t.Fatalf) on a catalogue that does not lint, a scenario step no
// definition matches, or a target that cannot be opened as written; it
// fails it (t.Errorf, once per control) for each control not satisfied or
// in error; and it returns the target's results.
func Check(t T, reg *device.Registry, target string, opts ...Option) evidence.Target {
	t.Helper()
	cfg := config{ctx: context.Background()}
	for _, o := range opts {
		o(&cfg)
	}
	ctlFS, featFS, err := Sources(cfg.controls, cfg.features)
	if err != nil {
		t.Fatalf("wardtest: %v", err)
		return evidence.Target{}
	}
	cat, _, src, diags := control.Lint(ctlFS, featFS)
	if diags.HasErrors() {
		var b bytes.Buffer
		_ = control.WriteDiagnostics(&b, src, diags, 100, false)
		t.Fatalf("wardtest: the control catalogue does not lint:\n%s", b.String())
		return evidence.Target{}
	}
	rep, err := harness.CheckSteps(featFS, cfg.steps...)
	if err != nil {
		t.Fatalf("wardtest: %v", err)
		return evidence.Target{}
	}
	if len(rep.Problems) > 0 {
		var b bytes.Buffer
		for _, p := range rep.Problems {
			fmt.Fprintln(&b, p.String())
		}
		t.Fatalf("wardtest: %d scenario step(s) match no step definition or more than one:\n%s", len(rep.Problems), b.String())
		return evidence.Target{}
	}
	undeclared, err := harness.CheckTouches(featFS, cfg.steps...)
	if err != nil {
		t.Fatalf("wardtest: %v", err)
		return evidence.Target{}
	}
	for _, u := range undeclared {
		t.Errorf("wardtest: %s", u)
	}
	ids := cfg.ids
	if len(ids) == 0 {
		for _, c := range cat.Controls {
			if c.Verification.Method == control.MethodScenario {
				ids = append(ids, c.ID)
			}
		}
	}
	hopts := append([]harness.Option{harness.WithControls(ids...), harness.WithSteps(cfg.steps...)}, cfg.harness...)
	res, _, err := harness.New(reg, cat, featFS, hopts...).Check(cfg.ctx, target)
	if err != nil {
		t.Fatalf("wardtest: %s: %v", target, err)
		return res
	}
	if res.Error != "" {
		t.Errorf("wardtest: %s: %s", target, res.Error)
	}
	for _, c := range res.Controls {
		if want, ok := cfg.expect[c.ID]; ok {
			if c.Outcome != want {
				t.Errorf("%s %s, want %s: %s", c.ID, c.Outcome, want, c.Reason)
			} else {
				t.Logf("%s %s (as expected): %s", c.ID, c.Outcome, c.Reason)
			}
			continue
		}
		switch c.Outcome {
		case evidence.NotSatisfied, evidence.Error:
			t.Errorf("%s %s: %s", c.ID, c.Outcome, c.Reason)
		default:
			t.Logf("%s %s: %s", c.ID, c.Outcome, c.Reason)
		}
	}
	return res
}
