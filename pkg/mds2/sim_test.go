package mds2_test

import (
	"context"
	"crypto/fips140"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
)

// simRun is one real check of a simulator, written as a signed bundle and
// read back verified (so artifact paths and contents are as `ward mds2
// fill` sees them).
type simRun struct {
	run    *evidence.Run
	bundle string
}

var (
	simRunsMu sync.Mutex
	simRuns   = map[string]*simRun{}
	// bundles outlives every test: runs are shared between tests.
	bundles string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ward-mds2-test-")
	if err != nil {
		panic(err)
	}
	bundles = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// checkSim runs the whole embedded catalogue against uri once per test
// binary (a check costs a couple of CPU seconds). Controls that need a
// written plan besides their scenarios get a current attestation, as in
// pkg/harness's weakness matrix, so the secure simulator satisfies every
// control that scenarios verify; purely procedural controls stay not
// assessed.
func checkSim(t testing.TB, uri string) *simRun {
	t.Helper()
	simRunsMu.Lock()
	defer simRunsMu.Unlock()
	if r, ok := simRuns[uri]; ok {
		return r
	}
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	require.False(t, diags.HasErrors(), "%v", diags)
	reg := device.NewRegistry()
	require.NoError(t, sim.Register(reg))
	res, _, err := harness.New(reg, cat, features.FS).Check(context.Background(), uri)
	require.NoError(t, err)
	now := time.Now().UTC()
	var as []harness.Attestation
	for _, c := range cat.Controls {
		if c.Verification.NeedsAttestation() && c.Verification.NeedsScenarios() {
			as = append(as, harness.Attestation{
				Attestation: control.Attestation{ID: "A-" + c.ID, Control: c.ID, AttestedBy: "Sam Lee",
					Date: now.AddDate(0, -1, 0), Expires: now.AddDate(0, 6, 0), Targets: []string{"*"}},
			})
		}
	}
	run := &evidence.Run{ID: "run-" + uri, Tool: evidence.Tool{Name: "ward", Version: "test"}, Started: now, Finished: now,
		Targets: []evidence.Target{res}}
	harness.ApplyAttestations(run, cat, as, now)
	dir, err := evidence.Write(context.Background(), bundles, run, evidence.WithName(fmt.Sprintf("run-%d", len(simRuns))))
	require.NoError(t, err)
	read, _, err := evidence.ReadVerifiedRun(context.Background(), dir, nil)
	require.NoError(t, err)
	r := &simRun{run: read, bundle: dir}
	simRuns[uri] = r
	return r
}

// weakened is the secure run with the controls weakness w fails set to
// not satisfied: what pkg/harness's TestEachWeaknessFailsExactlyItsControls
// proves a real check under w produces, without paying for 50 more checks.
func weakened(secure *evidence.Run, w sim.Weakness) *evidence.Run {
	run := *secure
	run.Targets = []evidence.Target{secure.Targets[0]}
	t := &run.Targets[0]
	t.Controls = slices.Clone(t.Controls)
	for i := range t.Controls {
		if slices.Contains(w.Fails, t.Controls[i].ID) {
			t.Controls[i].Outcome = evidence.NotSatisfied
			t.Controls[i].Reason = "failed under " + w.Name
		}
	}
	return &run
}

func skipUnapproved(t *testing.T, w sim.Weakness) bool {
	t.Helper()
	return w.Unapproved && fips140.Enforced()
}
