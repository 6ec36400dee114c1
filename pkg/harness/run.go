package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/evidence"
)

// RunInfo describes the run for the evidence: which tool and which
// catalogue, and optionally the rest of the run's header.
type RunInfo struct {
	Tool      evidence.Tool
	Catalogue evidence.Catalogue
	// ID and Started name the run; when empty or zero, Run makes a new id
	// (evidence.NewRunID) and takes the clock's time. Set them to start
	// the evidence bundle (evidence.NewBundleWriter) before the run, as
	// a streaming caller must.
	ID      string
	Started time.Time
	// Shard is copied into the run: it checks shard Index of Count of a
	// fleet.
	Shard *evidence.Shard
}

// Header returns the run header info describes (Targets nil), making an
// id and a start time when info has none, so that a caller can start the
// evidence bundle before Run and pass the same header on: Run(ctx,
// RunInfo{..., ID: h.ID, Started: h.Started}, targets).
func (r *Runner) Header(info RunInfo) *evidence.Run {
	run := &evidence.Run{ID: info.ID, Tool: info.Tool, Catalogue: info.Catalogue, Started: info.Started.UTC(), Shard: info.Shard,
		Frameworks: Frameworks(r.cat)}
	if run.ID == "" {
		run.ID = evidence.NewRunID()
	}
	if info.Started.IsZero() {
		run.Started = r.now().UTC()
	}
	return run
}

// Run checks every target and returns the whole run plus the combined
// cucumber JSON report; see Execute, of which it is the short form.
func (r *Runner) Run(ctx context.Context, info RunInfo, targets []string) (*evidence.Run, []byte, error) {
	res, err := r.Execute(ctx, info, targets)
	if err != nil {
		return nil, nil, err
	}
	return res.Run, res.Cucumber, nil
}

// Execute checks every target, taking each one through the pipeline
// (pipeline.go: outcomes, attestations, waivers, inventory) as it
// finishes, and returns the run with the files and notes the pipeline
// adds. Targets are probed first, so a typo in the third target fails the
// run (ErrConfig) before the first one is checked. Without WithTargetSink
// the result holds every target, in the given order, and the combined
// cucumber report; with one, the sink got them and the result holds the
// header only.
func (r *Runner) Execute(ctx context.Context, info RunInfo, targets []string) (*Result, error) {
	if len(targets) == 0 {
		return nil, fmt.Errorf("%w: no target", ErrConfig)
	}
	if _, err := r.selected(); err != nil {
		return nil, err
	}
	if _, err := r.stepTable(); err != nil {
		return nil, err
	}
	for _, t := range targets {
		if _, err := r.Probe(ctx, t); err != nil && errors.Is(err, ErrConfig) {
			return nil, err
		}
	}
	run := r.Header(info)
	pipe := r.newPipeline(run.Started)
	keep := r.sink == nil
	var reports [][]byte
	if keep {
		run.Targets = make([]evidence.Target, len(targets))
		reports = make([][]byte, len(targets))
	}
	// A sink's error stops the targets still running: the run is lost
	// anyway, and its cause is the error to report.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// Targets are independent: up to r.targets of them are checked at
	// once (a fleet keeps both cores busy where one target's scenarios
	// leave them idle between round trips).
	errs := make([]error, len(targets))
	sem := make(chan struct{}, r.targets)
	var wg sync.WaitGroup
	for i, t := range targets {
		sem <- struct{}{}
		if ctx.Err() != nil {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, rep, err := r.checkWithin(ctx, t)
			if err != nil {
				errs[i] = err
				return
			}
			// One target's unstorable evidence is its own error, never a
			// bundle lost for the whole fleet.
			if cerr := evidence.CheckArtifactNames(&res); cerr != nil {
				res = evidenceError(res, cerr)
			}
			if len(targets) > 1 {
				prefixIDs(&res, fmt.Sprintf("t%d-", i+1))
			}
			pipe.target(&res)
			if keep {
				run.Targets[i], reports[i] = res, rep
				return
			}
			rep, err = tagCucumber(t, rep)
			if err == nil {
				if err = r.sink(ctx, i, &res, rep); err != nil {
					err = fmt.Errorf("%w: target %d (%s): %w", ErrSink, i+1, t, err)
				}
			}
			if err != nil {
				errs[i] = err
				cancel(err)
			}
		}()
	}
	wg.Wait()
	if cause := context.Cause(ctx); errors.Is(cause, ErrSink) {
		return nil, cause
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // cancelled before every target was started
	}
	run.Finished = r.now().UTC()
	out := &Result{Run: run}
	if keep {
		cucumber, err := mergeCucumber(targets, reports)
		if err != nil {
			return nil, err
		}
		out.Cucumber = cucumber
	}
	if err := pipe.finish(out); err != nil {
		return nil, err
	}
	return out, nil
}

// evidenceError makes t an error outcome whose artifacts could not be
// stored: they are dropped, and every control says why.
func evidenceError(t evidence.Target, err error) evidence.Target {
	t.Error = boundText("its evidence cannot be stored: " + err.Error())
	for i := range t.Scenarios {
		t.Scenarios[i].Artifacts = nil
	}
	for i := range t.Controls {
		t.Controls[i].Outcome = evidence.Error
		t.Controls[i].Reason = t.Error
	}
	return t
}

// prefixIDs makes a target's scenario ids unique within a multi-target
// run: the same scenario runs once per target, and its id names the
// target's artifact directory in the bundle.
func prefixIDs(t *evidence.Target, prefix string) {
	for i := range t.Scenarios {
		t.Scenarios[i].ID = prefix + t.Scenarios[i].ID
	}
	for i := range t.Controls {
		for j := range t.Controls[i].Scenarios {
			t.Controls[i].Scenarios[j] = prefix + t.Controls[i].Scenarios[j]
		}
	}
}

// tagCucumber tags each feature of one target's cucumber JSON report (an
// array of features) with "@target:<target>", so dashboards can tell the
// targets apart and reports of several targets can be concatenated. Only
// each feature's top level is decoded: its scenarios, steps and embedded
// artifacts are copied as they are.
func tagCucumber(target string, rep []byte) ([]byte, error) {
	if len(rep) == 0 {
		return nil, nil
	}
	feats, err := tagFeatures(target, rep)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(feats, "", "  ")
}

func tagFeatures(target string, rep []byte) ([]map[string]json.RawMessage, error) {
	var feats []map[string]json.RawMessage
	if err := json.Unmarshal(rep, &feats); err != nil {
		return nil, fmt.Errorf("cucumber report of %s: %w", target, err)
	}
	tag, err := json.Marshal(map[string]any{"name": "@target:" + target, "line": 0})
	if err != nil {
		return nil, err
	}
	for _, f := range feats {
		var tags []json.RawMessage
		if raw, ok := f["tags"]; ok {
			if err := json.Unmarshal(raw, &tags); err != nil {
				return nil, fmt.Errorf("cucumber report of %s: tags: %w", target, err)
			}
		}
		if f["tags"], err = json.Marshal(append(tags, tag)); err != nil {
			return nil, err
		}
	}
	return feats, nil
}

// mergeCucumber joins per-target cucumber JSON reports (arrays of features)
// into one, each feature tagged with its target (tagCucumber).
func mergeCucumber(targets []string, reports [][]byte) ([]byte, error) {
	all := []map[string]json.RawMessage{}
	for i, rep := range reports {
		if len(rep) == 0 {
			continue
		}
		feats, err := tagFeatures(targets[i], rep)
		if err != nil {
			return nil, err
		}
		all = append(all, feats...)
	}
	return json.MarshalIndent(all, "", "  ")
}
