package harness_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
)

// resident is one simulated unit that every open of its target reaches,
// as a real device or a management API without units mode: what one
// scenario leaves on it, the next one finds. Close leaves it running.
type resident struct{ *sim.Pump }

func (resident) Close() error { return nil }

func outcomeTable(res evidence.Target) map[string]evidence.Outcome {
	out := map[string]evidence.Outcome{}
	for _, c := range res.Controls {
		out[c.ID] = c.Outcome
	}
	return out
}

func TestCatalogueTwiceOnOneUnit(t *testing.T) {
	ctx := context.Background()
	cat := catalogue(t)
	p, err := sim.New(ctx, "infusion-pump")
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	reg := simRegistry(t)
	require.NoError(t, reg.Register("resident", func(context.Context, *url.URL) (device.Device, error) { return resident{p}, nil }))
	var ids []string
	for _, c := range cat.Controls {
		if c.ID != "HIPAA-164.310-d-2-i" {
			ids = append(ids, c.ID)
		}
	}
	r := harness.New(reg, cat, features.FS, harness.WithConcurrency(1), harness.WithControls(ids...))
	fresh, _, err := r.Check(ctx, "sim://infusion-pump")
	require.NoError(t, err)
	want := outcomeTable(fresh)
	for run := 1; run <= 2; run++ {
		res, _, err := r.Check(ctx, "resident://infusion-pump")
		require.NoError(t, err)
		got := outcomeTable(res)
		for _, c := range res.Controls {
			if c.Outcome != want[c.ID] {
				t.Logf("run %d: %s: %s (%s)", run, c.ID, c.Outcome, c.Reason)
			}
		}
		assert.Equal(t, want, got, "run %d", run)
	}
}
