package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/wardsec/ward/pkg/evidence"
)

// RunInfo describes the run for the evidence: which tool and which
// catalogue.
type RunInfo struct {
	Tool      evidence.Tool
	Catalogue evidence.Catalogue
}

// Run checks every target in turn and returns the whole run plus the
// combined cucumber JSON report. Targets are probed first, so a typo in the
// third target fails the run (ErrConfig) before the first one is checked.
func (r *Runner) Run(ctx context.Context, info RunInfo, targets []string) (*evidence.Run, []byte, error) {
	if len(targets) == 0 {
		return nil, nil, fmt.Errorf("%w: no target", ErrConfig)
	}
	if _, err := r.selected(); err != nil {
		return nil, nil, err
	}
	if _, err := r.stepTable(); err != nil {
		return nil, nil, err
	}
	for _, t := range targets {
		if _, err := r.Probe(ctx, t); err != nil && errors.Is(err, ErrConfig) {
			return nil, nil, err
		}
	}
	run := &evidence.Run{ID: evidence.NewRunID(), Tool: info.Tool, Catalogue: info.Catalogue, Started: r.now().UTC()}
	// Targets are independent: up to r.targets of them are checked at
	// once (a fleet keeps both cores busy where one target's scenarios
	// leave them idle between round trips). Results keep the given order.
	run.Targets = make([]evidence.Target, len(targets))
	reports := make([][]byte, len(targets))
	errs := make([]error, len(targets))
	sem := make(chan struct{}, r.targets)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res, rep, err := r.checkWithin(ctx, t)
			if err == nil {
				// One target's unstorable evidence is its own error,
				// never a bundle lost for the whole fleet.
				if cerr := evidence.CheckArtifactNames(&res); cerr != nil {
					res = evidenceError(res, cerr)
				}
			}
			if len(targets) > 1 {
				prefixIDs(&res, fmt.Sprintf("t%d-", i+1))
			}
			run.Targets[i], reports[i], errs[i] = res, rep, err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	run.Finished = r.now().UTC()
	cucumber, err := mergeCucumber(targets, reports)
	if err != nil {
		return nil, nil, err
	}
	return run, cucumber, nil
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

// mergeCucumber joins per-target cucumber JSON reports (arrays of features)
// into one, tagging each feature with its target so dashboards can tell
// the runs apart.
func mergeCucumber(targets []string, reports [][]byte) ([]byte, error) {
	all := []map[string]any{}
	for i, rep := range reports {
		if len(rep) == 0 {
			continue
		}
		var feats []map[string]any
		if err := json.Unmarshal(rep, &feats); err != nil {
			return nil, fmt.Errorf("cucumber report of %s: %w", targets[i], err)
		}
		for _, f := range feats {
			tags, _ := f["tags"].([]any)
			f["tags"] = append(tags, map[string]any{"name": "@target:" + targets[i], "line": 0})
			all = append(all, f)
		}
	}
	return json.MarshalIndent(all, "", "  ")
}
