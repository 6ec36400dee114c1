package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wardsec/ward/pkg/evidence"
)

// DefaultTargetTimeout bounds how long one target may take, unless
// WithTargetTimeout says otherwise. A full check of the simulator takes
// well under a minute; a real device answering each request within the
// drivers' per-request timeouts finishes in a few minutes. Ten minutes
// leaves room for that and still ends a CI job held by a device that
// answers a byte at a time.
const DefaultTargetTimeout = 10 * time.Minute

// ErrTargetDeadline reports a target that did not finish within the
// whole-target deadline: it is that target's error, and the run goes on.
var ErrTargetDeadline = errors.New("target deadline exceeded")

// WithTargetTimeout sets the whole-target deadline (default
// DefaultTargetTimeout; 0 or less: none). Per-request timeouts cannot stop
// a device that answers every request just in time, or one byte at a time.
func WithTargetTimeout(d time.Duration) Option { return func(r *Runner) { r.targetTimeout = d } }

// checkWithin runs Check under the target deadline. When the deadline, and
// not the caller, ended the check, the target becomes an error outcome.
func (r *Runner) checkWithin(ctx context.Context, target string) (evidence.Target, []byte, error) {
	if r.targetTimeout <= 0 {
		return r.Check(ctx, target)
	}
	tctx, cancel := context.WithTimeout(ctx, r.targetTimeout)
	defer cancel()
	res, rep, err := r.Check(tctx, target)
	if ctx.Err() != nil || tctx.Err() == nil {
		return res, rep, err
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return res, rep, err
	}
	ctrls, serr := r.selected()
	if serr != nil {
		return res, nil, serr
	}
	derr := fmt.Errorf("%w: not finished within %s", ErrTargetDeadline, r.targetTimeout)
	res.Error = derr.Error()
	res.Scenarios = nil
	res.Controls = outcomes(ctrls, nil, derr)
	res.Finished = r.now().UTC()
	if r.progress != nil {
		r.progress(Progress{Target: target, TargetDone: true})
	}
	return res, nil, nil
}
