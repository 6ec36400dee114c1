package harness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v21"

	"github.com/wardsec/ward/internal/safetext"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/inventory"
)

// ErrConfig reports a problem with what the user asked for (a bad target,
// an unknown control in a filter, features that do not parse). The CLI maps
// it to exit status 2.
var ErrConfig = errors.New("configuration error")

// Runner runs the feature suite against targets and maps scenario results
// to control outcomes.
type Runner struct {
	reg           *device.Registry
	cat           *control.Catalogue
	features      fs.FS
	concurrency   int
	targets       int // targets checked at once by Run
	controls      []string
	progress      func(Progress)
	now           func() time.Time
	inv           *inventory.Inventory // the site's asset inventory (WithInventory)
	destructive   bool                 // run @destructive scenarios on any device
	allowHosts    []string             // hosts besides a target's own its scenarios may reach (reach.go)
	targetTimeout time.Duration        // whole-target deadline (deadline.go)
	locks         targetLocks          // device state in use, per target (locks.go)
	extraSteps    []StepSet            // a device maker's steps (WithSteps)
	steps         *stepTable           // built-in and extra steps, compiled by New
	stepsErr      error                // why they did not compile
	touches       []touchRule          // device state the extra steps touch
	sink          TargetSink           // where finished targets go (pipeline.go)
	attests       []Attestation        // WithAttestations
	waivers       []control.Waiver     // WithWaivers
	invSave       string               // WithInventoryWriteBack
}

// Option configures a Runner.
type Option func(*Runner)

// WithConcurrency sets how many scenarios run at once per target (default:
// the number of CPUs). Scenarios are independent: each opens its own
// connection to the target.
func WithConcurrency(n int) Option { return func(r *Runner) { r.concurrency = n } }

// WithTargetConcurrency sets how many targets Run checks at once (default
// 1). Progress calls for different targets may then overlap.
func WithTargetConcurrency(n int) Option { return func(r *Runner) { r.targets = n } }

// WithControls restricts the run to these control ids.
func WithControls(ids ...string) Option {
	return func(r *Runner) { r.controls = append(r.controls, ids...) }
}

// WithProgress makes the runner print one line per finished scenario to w.
func WithProgress(w io.Writer) Option {
	return WithProgressFunc(func(p Progress) {
		if !p.TargetDone {
			fmt.Fprintf(w, "  %-14s %s\n", p.Status, safetext.Escape(p.Scenario))
		}
	})
}

// Progress reports one finished scenario, or (TargetDone) a finished
// target, with the target's running counts.
type Progress struct {
	Target     string
	Scenario   string
	Status     evidence.ScenarioStatus
	Done       int // scenarios finished on this target so far
	Failed     int // of which failed or in error
	TargetDone bool
}

// WithProgressFunc calls f as each scenario finishes and once more when a
// target is done; calls for one target never overlap.
func WithProgressFunc(f func(Progress)) Option { return func(r *Runner) { r.progress = f } }

// DestructiveTag marks a scenario that changes a device for good
// (decommissioning it crypto-erases its data).
const DestructiveTag = "@destructive"

// ErrDestructive is why a @destructive scenario did not run: the device is
// not a scratch unit (device.Scratch) and WithDestructive was not given.
var ErrDestructive = errors.New("destructive scenario: not run on a device that is not a scratch unit")

// WithDestructive runs @destructive scenarios on every device, not only on
// scratch units (simulators). Give it only for a device whose data may be
// erased: a test unit on the bench, never one in service.
func WithDestructive(allow bool) Option { return func(r *Runner) { r.destructive = allow } }

// WithClock injects the clock used for run timestamps.
func WithClock(now func() time.Time) Option { return func(r *Runner) { r.now = now } }

// New returns a Runner that opens targets through reg, reports on the
// controls of cat, and runs the *.feature files of features.
func New(reg *device.Registry, cat *control.Catalogue, features fs.FS, opts ...Option) *Runner {
	r := &Runner{reg: reg, cat: cat, features: features, concurrency: runtime.NumCPU(), now: time.Now, targetTimeout: DefaultTargetTimeout}
	for _, o := range opts {
		o(r)
	}
	if r.concurrency < 1 {
		r.concurrency = 1
	}
	if r.targets < 1 {
		r.targets = 1
	}
	r.steps, r.stepsErr = compileSteps(r.extraSteps)
	if r.steps != nil {
		r.touches = r.steps.extraTouches()
	}
	return r
}

// stepTable returns the Runner's compiled steps, or why they are unusable.
func (r *Runner) stepTable() (*stepTable, error) {
	if r.stepsErr != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, r.stepsErr)
	}
	return r.steps, nil
}

// selected returns the controls this run reports on.
func (r *Runner) selected() ([]control.Control, error) {
	if len(r.controls) == 0 {
		return r.cat.Controls, nil
	}
	var out []control.Control
	for _, id := range r.controls {
		c, ok := r.cat.Control(id)
		if !ok {
			return nil, fmt.Errorf("%w: unknown control %q", ErrConfig, id)
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return slices.CompactFunc(out, func(a, b control.Control) bool { return a.ID == b.ID }), nil
}

// Probe opens each target once and asks who it is. It fails fast, before
// any scenario runs, on targets that cannot be opened as written.
func (r *Runner) Probe(ctx context.Context, target string) (device.Identity, error) {
	d, err := r.reg.Open(ctx, target)
	if err != nil {
		if errors.Is(err, device.ErrBadTarget) {
			return device.Identity{}, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		return device.Identity{}, err
	}
	defer d.Close()
	id, err := d.Identify(ctx)
	if err != nil {
		return id, fmt.Errorf("identify %s: %w", target, err)
	}
	return id, nil
}

// Check runs every selected scenario against one target and returns the
// target's results and its cucumber JSON report.
func (r *Runner) Check(ctx context.Context, target string) (evidence.Target, []byte, error) {
	res := evidence.Target{URI: target, Started: r.now().UTC()}
	ctrls, err := r.selected()
	if err != nil {
		return res, nil, err
	}
	steps, err := r.stepTable()
	if err != nil {
		return res, nil, err
	}
	open := r.reg.Open
	id, err := r.Probe(ctx, target)
	var clear *device.CleartextError
	if errors.As(err, &clear) {
		// The device's own channel has no TLS: a finding, not an
		// unreachable target. The transport checks judge that channel
		// for real; nothing else is sent to it (cleartext.go).
		open, err = clearOpener(clear), nil
	}
	if err != nil {
		if errors.Is(err, ErrConfig) {
			return res, nil, err
		}
		// The device is unreachable: every control is in error, and the
		// run says why.
		res.Error = boundText(err.Error())
		res.Finished = r.now().UTC()
		res.Controls = outcomes(ctrls, nil, err)
		if r.progress != nil {
			r.progress(Progress{Target: target, TargetDone: true})
		}
		return res, nil, nil
	}
	res.Identity = boundIdentity(id)

	index, err := r.index()
	if err != nil {
		return res, nil, err
	}
	col := &collector{worlds: map[string]*world{}, reach: newReach(ctx, target, r.allowHosts)}
	var report bytes.Buffer
	suite := godog.TestSuite{
		Name: "ward",
		TestSuiteInitializer: func(ts *godog.TestSuiteContext) {
			steps.register(ts.ScenarioContext())
		},
		ScenarioInitializer: func(sc *godog.ScenarioContext) {
			r.initScenario(sc, target, open, col)
		},
		Options: &godog.Options{
			Format: "cucumber",
			Output: &report,
			FS:     r.features,
			Paths:  []string{"."},
			Strict: true,
			// The cucumber JSON holds no colour codes (JSON escapes ESC),
			// and godog's colour stripper writes one rune per Fprint, a
			// fifth of a run's CPU: leave the output unwrapped.
			NoColors:       false,
			Concurrency:    r.concurrency,
			Tags:           tagFilter(ctrls),
			DefaultContext: ctx,
		},
	}
	suite.Run() // the exit status is recomputed from the collected results
	if err := ctx.Err(); err != nil {
		return res, nil, err
	}
	res.Scenarios = col.scenarios(index)
	if clear != nil {
		explainCleartext(res.Scenarios, clear)
	}
	if r.progress != nil {
		col.progress(r.progress, Progress{Target: target, TargetDone: true})
	}
	res.Controls = outcomes(ctrls, res.Scenarios, nil)
	res.Finished = r.now().UTC()
	return res, report.Bytes(), nil
}

// tagFilter selects the scenarios that verify at least one of ctrls, in
// godog's tag syntax ("," is or).
func tagFilter(ctrls []control.Control) string {
	tags := make([]string, len(ctrls))
	for i, c := range ctrls {
		tags[i] = "@" + c.ID
	}
	if len(tags) == 0 {
		return "@ward-no-control-selected"
	}
	return strings.Join(tags, ",")
}

// initScenario binds one scenario to the target: its world (the state
// the step functions reach through the context) and the hooks that record
// its steps. The step definitions themselves are registered once per
// target (stepTable.register), not here.
func (r *Runner) initScenario(sc *godog.ScenarioContext, target string, open opener, col *collector) {
	sc.Before(func(ctx context.Context, p *godog.Scenario) (context.Context, error) {
		w := &world{
			target:  target,
			pickle:  p,
			auth:    newAuthWorld(),
			data:    newDataWorld(),
			inv:     &inventoryWorld{site: r.inv},
			acct:    newAccountWorld(),
			started: r.now(),
			reach:   col.reach,
		}
		w.open = func(ctx context.Context) (device.Device, error) {
			d, err := open(ctx, target)
			if err == nil {
				w.onCleanup(func(context.Context) error { return d.Close() })
			}
			return d, err
		}
		col.add(p.Id, w)
		ctx = context.WithValue(ctx, worldKey{}, w)
		d, err := open(ctx, target)
		if err != nil {
			w.fault = fmt.Errorf("open target: %w", err)
			return ctx, w.fault
		}
		w.dev = d
		if hasTag(p, DestructiveTag) && !r.destructive {
			if s, ok := d.(device.Scratch); !ok || !s.ScratchUnit() {
				return ctx, skip(w, fmt.Errorf("%w (it would erase the device; pass --allow-destructive for a unit whose data may be lost)", ErrDestructive))
			}
		}
		// A device that keeps its state: wait until no other scenario
		// touches what this one touches (a scratch unit is this
		// scenario's alone).
		if s, ok := d.(device.Scratch); !ok || !s.ScratchUnit() {
			release, err := r.locks.get(target).acquire(ctx, scenarioResources(p, r.touches), ambientResources())
			if err != nil {
				w.fault = fmt.Errorf("wait for the device state the scenario touches: %w", err)
				return ctx, w.fault
			}
			w.mu.Lock()
			w.release, w.started = release, r.now()
			w.mu.Unlock()
		}
		return ctx, nil
	})
	sc.StepContext().Before(func(ctx context.Context, st *godog.Step) (context.Context, error) {
		if w := worldFrom(ctx); w != nil {
			w.mu.Lock()
			w.observed = nil
			w.mu.Unlock()
		}
		return ctx, nil
	})
	sc.StepContext().After(func(ctx context.Context, st *godog.Step, status godog.StepResultStatus, err error) (context.Context, error) {
		w := worldFrom(ctx)
		if w == nil {
			return ctx, nil
		}
		w.mu.Lock()
		s := evidence.Step{Text: st.Text, Status: status.String(), Observed: strings.Join(w.observed, "; ")}
		if err != nil && status != godog.StepSkipped {
			s.Error = err.Error()
		}
		if status == godog.StepSkipped && w.na != nil {
			s.Error = w.na.Error()
		}
		w.steps = append(w.steps, s)
		pending := w.pending
		w.pending, w.observed = nil, nil
		w.mu.Unlock()
		if len(pending) > 0 {
			ctx = godog.Attach(ctx, pending...)
		}
		return ctx, nil
	})
	sc.After(func(ctx context.Context, p *godog.Scenario, err error) (context.Context, error) {
		w := worldFrom(ctx)
		if w == nil {
			return ctx, nil
		}
		w.finish(context.WithoutCancel(ctx))
		if r.progress != nil {
			st, _ := w.status()
			col.progress(r.progress, Progress{Target: target, Scenario: p.Name, Status: st})
		}
		return ctx, nil
	})
}

func hasTag(p *godog.Scenario, tag string) bool {
	for _, t := range p.Tags {
		if t.Name == tag {
			return true
		}
	}
	return false
}

// finish runs the scenario's cleanups (newest first) and closes the device.
// It may run twice; the second call does nothing.
func (w *world) finish(ctx context.Context) {
	w.mu.Lock()
	if w.ended.IsZero() {
		w.ended = time.Now()
	}
	cleanups := w.cleanups
	w.cleanups = nil
	dev := w.dev
	w.dev = nil
	w.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		if err := cleanups[i](ctx); err != nil && w.fault == nil {
			w.fault = fmt.Errorf("cleanup: %w", err)
		}
	}
	if dev != nil {
		_ = dev.Close()
	}
	w.mu.Lock()
	release := w.release
	w.release = nil
	w.mu.Unlock()
	if release != nil {
		release() // after the cleanups: they put the shared state back
	}
}

// status computes how a scenario ended from its recorded steps. Order of
// precedence: a broken check (error), then a failed step, then a missing
// capability, then pass.
func (w *world) status() (evidence.ScenarioStatus, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fault != nil {
		return evidence.ScenarioError, w.fault.Error()
	}
	if len(w.steps) == 0 {
		return evidence.ScenarioError, "no step ran"
	}
	for _, s := range w.steps {
		switch s.Status {
		case "undefined", "pending", "ambiguous":
			return evidence.ScenarioError, fmt.Sprintf("step %q is %s", s.Text, s.Status)
		}
	}
	for _, s := range w.steps {
		if s.Status == "failed" {
			return evidence.ScenarioFailed, fmt.Sprintf("%s: %s", s.Text, s.Error)
		}
	}
	if w.na != nil {
		return evidence.ScenarioNotApplicable, w.na.Error()
	}
	for _, s := range w.steps {
		if s.Status != "passed" {
			return evidence.ScenarioError, fmt.Sprintf("step %q ended %s", s.Text, s.Status)
		}
	}
	return evidence.ScenarioPassed, ""
}

// collector gathers the worlds of one suite run.
type collector struct {
	reach  *reach // where the target's scenarios may connect
	mu     sync.Mutex
	worlds map[string]*world
	order  []string

	pmu          sync.Mutex // serialises progress calls
	done, failed int
}

// progress counts a finished scenario (unless p is the target's end) and
// reports it.
func (c *collector) progress(f func(Progress), p Progress) {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	if !p.TargetDone {
		c.done++
		if p.Status == evidence.ScenarioFailed || p.Status == evidence.ScenarioError {
			c.failed++
		}
	}
	p.Done, p.Failed = c.done, c.failed
	f(p)
}

func (c *collector) add(id string, w *world) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.worlds[id] = w
	c.order = append(c.order, id)
}

func (c *collector) scenarios(idx *featureIndex) []evidence.Scenario {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]evidence.Scenario, 0, len(c.worlds))
	for _, id := range c.order {
		w := c.worlds[id]
		w.finish(context.Background())
		st, reason := w.status()
		loc := idx.locate(w.pickle)
		sc := evidence.Scenario{
			ID:        loc.id,
			Name:      w.pickle.Name,
			Feature:   loc.feature,
			URI:       w.pickle.Uri,
			Line:      loc.line,
			Tags:      tagNames(w.pickle.Tags),
			Status:    st,
			Reason:    reason,
			Started:   w.started.UTC(),
			Steps:     w.steps,
			Artifacts: w.artifacts,
		}
		for i := range sc.Steps {
			sc.Steps[i].Keyword = loc.keywords[i]
		}
		sc.Duration = w.ended.Sub(w.started)
		out = append(out, sc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func tagNames(tags []*messages.PickleTag) []string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.Name
	}
	return out
}

// Digest is the SHA-256 over the feature files (path and content, sorted by
// path), so evidence can say exactly which checks ran.
func Digest(features fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(features, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".feature") {
			return err
		}
		b, err := fs.ReadFile(features, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("digest features: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
