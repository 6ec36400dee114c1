package serve_test

import (
	"context"
	"crypto/fips140"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
	"github.com/wardsec/ward/pkg/sim/serve"
)

func automated(t testing.TB) *control.Catalogue {
	t.Helper()
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	require.False(t, diags.HasErrors(), "embedded catalogue: %v", diags)
	auto := *cat
	auto.Controls = nil
	for _, c := range cat.Controls {
		if c.Verification.NeedsScenarios() {
			auto.Controls = append(auto.Controls, c)
		}
	}
	return &auto
}

func table(res evidence.Target) map[string]evidence.Outcome {
	out := map[string]evidence.Outcome{}
	for _, c := range res.Controls {
		out[c.ID] = c.Outcome
	}
	return out
}

// The same checks over the network give the same outcome for every
// control as in process: for the secure pump and under every weakness. One
// server per weakness; the cases run eight at a time, since most of their
// time is spent waiting (on loopback round trips, and on a collector that
// a weakened unit never writes to).
func TestNetworkedOutcomesEqualInProcess(t *testing.T) {
	cat := automated(t)
	reg := device.NewRegistry()
	require.NoError(t, sim.Register(reg))
	require.NoError(t, https.Register(reg))
	r := harness.New(reg, cat, features.FS, harness.WithConcurrency(8))
	cases := append([]sim.Weakness{{Name: ""}}, sim.Weaknesses()...)
	type result struct {
		inproc, remote evidence.Target
		err            error
		shutdown       error
	}
	results := make([]result, len(cases))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, w := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var weak []string
			local := "sim://infusion-pump"
			if w.Name != "" {
				weak = []string{w.Name}
				local += "?weaken=" + w.Name
			}
			res := &results[i]
			svc, err := serve.Start(ctx, serve.Config{Profile: "infusion-pump", Weaknesses: weak})
			if err != nil {
				res.err = err
				res.inproc, _, _ = r.Check(ctx, local)
				return
			}
			var lerr, rerr error
			var cw sync.WaitGroup
			cw.Add(2)
			go func() { defer cw.Done(); res.inproc, _, lerr = r.Check(ctx, local) }()
			go func() { defer cw.Done(); res.remote, _, rerr = r.Check(ctx, svc.Target) }()
			cw.Wait()
			res.inproc, res.remote = withPlans(cat, res.inproc), withPlans(cat, res.remote)
			res.err = errors.Join(lerr, rerr)
			cancel()
			res.shutdown = svc.Wait()
		}()
	}
	wg.Wait()
	for i, w := range cases {
		name := w.Name
		if name == "" {
			name = "secure"
		}
		t.Run(name, func(t *testing.T) {
			res := results[i]
			if w.Unapproved && fips140.Enforced() {
				// The module refuses the weak unit's algorithm: neither
				// the in-process unit nor the networked simulator starts.
				require.Error(t, res.err)
				assert.Contains(t, res.err.Error(), "FIPS 140-only mode")
				assert.Contains(t, res.inproc.Error, "FIPS 140-only mode")
				return
			}
			require.NoError(t, res.err)
			require.Empty(t, res.remote.Error)
			if w.Name == "cleartext-management-api" {
				// Over the network the whole API is plain HTTP: the
				// transport checks find it, and nothing else is sent to
				// the device; in process only the listed service is.
				for _, c := range res.remote.Controls {
					if slices.Contains(w.Fails, c.ID) {
						assert.Equal(t, evidence.NotSatisfied, c.Outcome, "%s: %s", c.ID, c.Reason)
						assert.Regexp(t, `management-api .*(speaks no TLS|in cleartext)`, c.Reason, c.ID)
					} else {
						assert.Equal(t, evidence.NotApplicable, c.Outcome, "%s: %s", c.ID, c.Reason)
						assert.Contains(t, c.Reason, "the harness sends no credentials or test data over it", c.ID)
					}
				}
				assert.Equal(t, slices.Sorted(slices.Values(w.Fails)), outcomeIDs(res.inproc, evidence.NotSatisfied))
				return
			}
			if !assert.Equal(t, table(res.inproc), table(res.remote)) {
				for i, c := range res.inproc.Controls {
					if r := res.remote.Controls[i]; c.Outcome != r.Outcome {
						t.Logf("%s: in process %s (%s); over the network %s (%s)", c.ID, c.Outcome, c.Reason, r.Outcome, r.Reason)
					}
				}
			}
			for _, c := range res.remote.Controls {
				if c.Outcome != evidence.Satisfied && c.Outcome != evidence.NotSatisfied {
					t.Errorf("%s: %s over the network: %s", c.ID, c.Outcome, c.Reason)
				}
			}
			failed := 0
			for _, c := range res.remote.Controls {
				if c.Outcome == evidence.NotSatisfied {
					failed++
				}
			}
			assert.Equal(t, len(w.Fails), failed, "over the network, the weakness fails exactly its controls")
			assert.NoError(t, res.shutdown, "clean shutdown")
		})
	}
}

// The patient monitor too: equal outcomes in process and over the network,
// and the checks that need a programmable pump are not applicable.
func TestNetworkedMonitorEqualsInProcess(t *testing.T) {
	reg := device.NewRegistry()
	require.NoError(t, sim.Register(reg))
	require.NoError(t, https.Register(reg))
	r := harness.New(reg, automated(t), features.FS, harness.WithConcurrency(8))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, err := serve.Start(ctx, serve.Config{Profile: "patient-monitor"})
	require.NoError(t, err)
	inproc, _, err := r.Check(ctx, "sim://patient-monitor")
	require.NoError(t, err)
	remote, _, err := r.Check(ctx, svc.Target)
	require.NoError(t, err)
	assert.Equal(t, table(inproc), table(remote))
	got := table(remote)
	for _, id := range []string{"HIPAA-164.312-e-2-i", "FDA-PMC-INTEG-5"} {
		assert.Equal(t, evidence.NotApplicable, got[id], id)
	}
	for _, id := range []string{"HIPAA-164.312-e-2-ii", "FDA-PMC-AUTHN-3", "FDA-PMC-LOG-1", "HIPAA-164.312-d"} {
		assert.Equal(t, evidence.Satisfied, got[id], id)
	}
	assert.Equal(t, "SIM-PM-200 patient monitor", remote.Identity.Model)

	// A monitor that sends its observations to any peer fails mutual
	// authentication, and only that.
	weak, _, err := r.Check(ctx, "sim://patient-monitor?weaken=no-client-auth")
	require.NoError(t, err)
	for id, o := range table(weak) {
		want := got[id]
		if id == "FDA-PMC-AUTHN-3" {
			want = evidence.NotSatisfied
		}
		assert.Equal(t, want, o, id)
	}
}

func outcomeIDs(res evidence.Target, want evidence.Outcome) []string {
	var ids []string
	for _, c := range res.Controls {
		if c.Outcome == want {
			ids = append(ids, c.ID)
		}
	}
	return ids
}
