package harness_test

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/internal/netlab"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
)

var segmentControls = []string{"FDA-PMC-AUTHZ-2", "FDA-PMC-AUTHZ-3", "FDA-PMC-DETECT-1", "FDA-PMC-RESIL-1", "HIPAA-164.308-a-6-ii", "NPRM-164.312-a-2-vi"}

// TestSegmentScenariosOnRealNetwork runs the segmentation scenarios
// against the pump in network-namespace mode (real TCP through a router
// enforcing the generated nftables): the secure pump satisfies them and
// each network weakness fails exactly its controls there too.
func TestSegmentScenariosOnRealNetwork(t *testing.T) {
	if err := netlab.Available(); err != nil {
		if os.Getenv("WARD_REQUIRE_REAL") == "1" {
			t.Fatalf("network namespaces required (WARD_REQUIRE_REAL=1): %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
	r := harness.New(simRegistry(t), catalogue(t), features.FS, harness.WithControls(segmentControls...))
	cases := map[string][]string{"": nil}
	for _, w := range sim.Weaknesses() {
		if slices.ContainsFunc(w.Fails, func(id string) bool { return slices.Contains(segmentControls, id) }) {
			cases[w.Name] = w.Fails
		}
	}
	require.Len(t, cases, 5, "the secure pump and the four network weaknesses")
	for weak, fails := range cases {
		t.Run("weaken="+weak, func(t *testing.T) {
			t.Parallel() // each pump has its own namespaces
			res, _, err := r.Check(context.Background(), "sim://infusion-pump?netns=1&weaken="+weak)
			require.NoError(t, err)
			assert.Equal(t, slices.Sorted(slices.Values(fails)), outcomeSet(res, evidence.NotSatisfied))
			assert.Len(t, outcomeSet(res, evidence.Satisfied), len(segmentControls)-len(fails))
		})
	}
}
