package serve_test

import (
	"context"
	"testing"
	"time"

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
		if c.Verification.Method == control.MethodScenario {
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
// control as in process: for the secure pump and under every weakness.
func TestNetworkedOutcomesEqualInProcess(t *testing.T) {
	cat := automated(t)
	reg := device.NewRegistry()
	require.NoError(t, sim.Register(reg))
	require.NoError(t, https.Register(reg))
	r := harness.New(reg, cat, features.FS, harness.WithConcurrency(8))
	cases := append([]sim.Weakness{{Name: ""}}, sim.Weaknesses()...)
	for _, w := range cases {
		name := w.Name
		if name == "" {
			name = "secure"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var weak []string
			local := "sim://infusion-pump"
			if w.Name != "" {
				weak = []string{w.Name}
				local += "?weaken=" + w.Name
			}
			svc, err := serve.Start(ctx, serve.Config{Profile: "infusion-pump", Weaknesses: weak})
			require.NoError(t, err)
			inproc, _, err := r.Check(ctx, local)
			require.NoError(t, err)
			remote, _, err := r.Check(ctx, svc.Target)
			require.NoError(t, err)
			require.Empty(t, remote.Error)
			assert.Equal(t, table(inproc), table(remote))
			for _, c := range remote.Controls {
				if c.Outcome != evidence.Satisfied && c.Outcome != evidence.NotSatisfied {
					t.Errorf("%s: %s over the network: %s", c.ID, c.Outcome, c.Reason)
				}
			}
			cancel()
			start := time.Now()
			assert.NoError(t, svc.Wait())
			t.Log("shutdown took", time.Since(start))
		})
	}
}
