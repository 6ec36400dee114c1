package harness

import (
	"context"
	"errors"

	"github.com/wardsec/ward/pkg/device"
)

// Scenario is a step function's handle on the scenario it runs in: the
// opened device, and what the step reports. Ward's own steps use the same
// operations. A Scenario is valid only while its scenario runs; it is safe
// for concurrent use.
type Scenario struct {
	w *world
}

// ScenarioFrom returns the handle of the scenario a step function runs in,
// from the context godog passes it; nil outside a Runner's scenario.
func ScenarioFrom(ctx context.Context) *Scenario {
	w := worldFrom(ctx)
	if w == nil {
		return nil
	}
	return &Scenario{w: w}
}

// Target is the target URI the scenario checks.
func (s *Scenario) Target() string { return s.w.target }

// Name is the scenario's name.
func (s *Scenario) Name() string { return s.w.pickle.Name }

// Device is the target, opened for this scenario. The Runner closes it
// when the scenario ends.
func (s *Scenario) Device() device.Device { return s.w.dev }

// OpenUnit opens the target once more (for a sim:// target, a second
// unit), for checks that need two devices. It is closed when the scenario
// ends.
func (s *Scenario) OpenUnit(ctx context.Context) (device.Device, error) {
	return s.w.open(ctx)
}

// Observe records, in words, what the step saw on the device; the report
// shows it next to the step. Write what an auditor needs to judge the
// verdict; device text is escaped when it is shown.
func (s *Scenario) Observe(format string, args ...any) { s.w.observe(format, args...) }

// Attach keeps raw evidence the step captured (a response, a log, a
// capture) in the evidence bundle and the cucumber JSON. The name is made
// safe as a file name and prefixed with the step number.
func (s *Scenario) Attach(name, mediaType string, data []byte) {
	s.w.attach(name, mediaType, data)
}

// NotApplicable marks the scenario not applicable on this target because
// of reason (say what the device lacks or what could not be observed),
// and returns the error the step must return: the remaining steps are
// skipped. Not applicable is never a pass, and never hides a failure seen
// before it.
func (s *Scenario) NotApplicable(reason error) error {
	if reason == nil {
		reason = errors.New("not applicable (no reason given)")
	}
	return skip(s.w, reason)
}

// Cleanup registers f to run when the scenario ends, newest first, before
// the device is closed: a step that changes a real device puts it back.
// A cleanup's error makes the scenario's outcome an error.
func (s *Scenario) Cleanup(f func(context.Context) error) { s.w.onCleanup(f) }

// Capability returns the scenario device's capability C (a Go interface
// the driver implements, Ward's or the maker's own), or, when the device
// lacks it, the error a step returns to make the scenario not applicable:
//
//	alarm, err := harness.Capability[AlarmTester](sc, "occlusion alarm test")
//	if err != nil {
//		return err
//	}
//
// name says in words what the capability is, for the not-applicable
// reason.
func Capability[C any](s *Scenario, name string) (C, error) {
	return capability[C](s.w, name)
}
