package harness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"weak"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
)

// sinkControls are few and quick, so fleets of many units stay cheap.
var sinkControls = []string{"HIPAA-164.312-b", "FDA-PMC-LOG-2"}

func sinkRunner(t *testing.T, opts ...harness.Option) *harness.Runner {
	t.Helper()
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	require.False(t, diags.HasErrors(), "%v", diags)
	reg := device.NewRegistry()
	require.NoError(t, sim.Register(reg))
	return harness.New(reg, cat, features.FS, append([]harness.Option{harness.WithControls(sinkControls...)}, opts...)...)
}

func fleet(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("sim://infusion-pump?serial=SIM-IP-%06d", i+1)
		if i%3 == 1 {
			out[i] += "&weaken=mutable-audit"
		}
	}
	return out
}

// A streaming run keeps nothing of a finished target: with one target at
// a time, every earlier target's memory is collectable while the run goes
// on, and none is left in the result. This is what bounds a fleet's
// memory by the targets being checked at once, not by the fleet.
func TestTargetSinkRetainsNoFinishedTarget(t *testing.T) {
	const n = 8
	var (
		mu      sync.Mutex
		got     []int
		scen    []weak.Pointer[evidence.Scenario]
		ctrl    []weak.Pointer[evidence.Control]
		cuc     []weak.Pointer[byte]
		alive   []string
		outcome = map[int]evidence.Outcome{}
	)
	check := func(upTo int) {
		runtime.GC()
		runtime.GC()
		for i := 0; i < upTo; i++ {
			if scen[i].Value() != nil || ctrl[i].Value() != nil || cuc[i].Value() != nil {
				alive = append(alive, fmt.Sprintf("target %d still reachable when %d targets had finished", i, upTo+1))
			}
		}
	}
	sink := func(_ context.Context, index int, tg *evidence.Target, cucumber []byte) error {
		mu.Lock()
		defer mu.Unlock()
		require.NotEmpty(t, tg.Scenarios)
		require.NotEmpty(t, cucumber)
		check(len(got))
		got = append(got, index)
		scen = append(scen, weak.Make(&tg.Scenarios[0]))
		ctrl = append(ctrl, weak.Make(&tg.Controls[0]))
		cuc = append(cuc, weak.Make(&cucumber[0]))
		for _, c := range tg.Controls {
			if c.ID == "FDA-PMC-LOG-2" {
				outcome[index] = c.Outcome
			}
		}
		return nil
	}
	r := sinkRunner(t, harness.WithTargetSink(sink), harness.WithTargetConcurrency(1))
	res, err := r.Execute(context.Background(), harness.RunInfo{}, fleet(n))
	require.NoError(t, err)
	assert.Nil(t, res.Run.Targets, "the result keeps no target")
	assert.Nil(t, res.Cucumber, "nor their cucumber reports")
	assert.False(t, res.Run.Finished.IsZero())
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, n)
	check(n)
	assert.Empty(t, alive)
	// The targets were really checked: the weakened units failed.
	for i := range n {
		want := evidence.Satisfied
		if i%3 == 1 {
			want = evidence.NotSatisfied
		}
		assert.Equal(t, want, outcome[i], "target %d", i)
	}
}

// The check above discriminates: a sink that keeps what it is given keeps
// the targets reachable, and the same weak pointers see it.
func TestTargetSinkRetentionIsObservable(t *testing.T) {
	var kept []*evidence.Target
	var ctrl []weak.Pointer[evidence.Control]
	sink := func(_ context.Context, _ int, tg *evidence.Target, _ []byte) error {
		kept = append(kept, tg)
		ctrl = append(ctrl, weak.Make(&tg.Controls[0]))
		return nil
	}
	r := sinkRunner(t, harness.WithTargetSink(sink), harness.WithTargetConcurrency(1))
	_, err := r.Execute(context.Background(), harness.RunInfo{}, fleet(2))
	require.NoError(t, err)
	runtime.GC()
	runtime.GC()
	for i := range ctrl {
		assert.NotNil(t, ctrl[i].Value(), "target %d is kept by the sink", i)
	}
	runtime.KeepAlive(kept)
}

// A streaming run gives the sink exactly what a run without a sink
// returns: the same outcomes per position, the same scenario ids, and
// cucumber reports that, joined in order, are Run's combined report.
func TestTargetSinkGetsWhatRunReturns(t *testing.T) {
	targets := fleet(4)
	plain, cucumber, err := sinkRunner(t, harness.WithTargetConcurrency(2)).Run(context.Background(), harness.RunInfo{}, targets)
	require.NoError(t, err)

	var mu sync.Mutex
	byIndex := map[int]evidence.Target{}
	reports := map[int][]byte{}
	r := sinkRunner(t, harness.WithTargetConcurrency(2), harness.WithTargetSink(func(_ context.Context, i int, tg *evidence.Target, c []byte) error {
		mu.Lock()
		defer mu.Unlock()
		byIndex[i], reports[i] = *tg, c
		return nil
	}))
	_, err = r.Execute(context.Background(), harness.RunInfo{}, targets)
	require.NoError(t, err)
	require.Len(t, byIndex, len(targets))
	var joined []json.RawMessage
	for i, want := range plain.Targets {
		got := byIndex[i]
		assert.Equal(t, want.URI, got.URI)
		require.Len(t, got.Controls, len(want.Controls))
		for k := range want.Controls {
			assert.Equal(t, want.Controls[k].Outcome, got.Controls[k].Outcome, "%s %s", want.URI, want.Controls[k].ID)
			assert.Equal(t, want.Controls[k].Scenarios, got.Controls[k].Scenarios)
		}
		var feats []json.RawMessage
		require.NoError(t, json.Unmarshal(reports[i], &feats))
		tag, _ := json.Marshal("@target:" + want.URI)
		assert.True(t, bytes.Contains(reports[i], tag), "target %d's report is tagged %s", i, tag)
		joined = append(joined, feats...)
	}
	var all []json.RawMessage
	require.NoError(t, json.Unmarshal(cucumber, &all))
	assert.Len(t, joined, len(all), "as many features as the combined report")
}

// A sink that fails stops the run: the error says so (ErrSink, and the
// sink's own error), no result is claimed, and targets not yet started
// are not checked.
func TestTargetSinkErrorFailsRun(t *testing.T) {
	full := errors.New("disk full")
	calls := 0
	r := sinkRunner(t, harness.WithTargetConcurrency(1), harness.WithTargetSink(func(context.Context, int, *evidence.Target, []byte) error {
		calls++
		if calls == 2 {
			return full
		}
		return nil
	}))
	res, err := r.Execute(context.Background(), harness.RunInfo{}, fleet(6))
	require.Error(t, err)
	assert.Nil(t, res)
	assert.ErrorIs(t, err, harness.ErrSink)
	assert.ErrorIs(t, err, full)
	assert.Equal(t, 2, calls, "no target is handed over after the failure")
}
