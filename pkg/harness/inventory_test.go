package harness_test

import (
	"context"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/inventory"
)

func exampleInventory(t *testing.T) *inventory.Inventory {
	t.Helper()
	f, err := os.Open("../../examples/inventory/records.csv")
	require.NoError(t, err)
	defer f.Close()
	recs, err := inventory.ReadRecordsCSV(f)
	require.NoError(t, err)
	pf, err := os.Open("../../examples/inventory/patches.csv")
	require.NoError(t, err)
	defer pf.Close()
	ps, err := inventory.ReadPatchesCSV(pf)
	require.NoError(t, err)
	return &inventory.Inventory{Records: recs, Patches: ps}
}

func inventoryOutcomes(t *testing.T, reg *device.Registry, inv *inventory.Inventory, target string) map[string]evidence.Control {
	t.Helper()
	r := harness.New(reg, catalogue(t), features.FS, harness.WithInventory(inv), harness.WithControls("NPRM-164.308-a-1", "FDA-PMC-ID-1", "524B-b-2"))
	res, _, err := r.Check(context.Background(), target)
	require.NoError(t, err)
	out := map[string]evidence.Control{}
	for _, c := range res.Controls {
		out[c.ID] = c
	}
	return out
}

// Against a site inventory: the listed simulator passes; a unit the
// inventory does not list is an unknown device; a record whose firmware
// differs from what the unit reports fails self-identification only.
func TestSiteInventory(t *testing.T) {
	reg := simRegistry(t)
	inv := exampleInventory(t)

	got := inventoryOutcomes(t, reg, inv, "sim://infusion-pump")
	assert.Equal(t, evidence.Satisfied, got["NPRM-164.308-a-1"].Outcome, got["NPRM-164.308-a-1"].Reason)
	assert.Equal(t, evidence.Satisfied, got["FDA-PMC-ID-1"].Outcome, got["FDA-PMC-ID-1"].Reason)
	assert.Equal(t, evidence.Satisfied, got["524B-b-2"].Outcome, got["524B-b-2"].Reason)

	// The site's patch list (fixed release dates) flags the unit that
	// lacks the critical one; nothing else changes.
	got = inventoryOutcomes(t, reg, inv, "sim://infusion-pump?weaken=unpatched")
	assert.Equal(t, evidence.NotSatisfied, got["524B-b-2"].Outcome)
	assert.Contains(t, got["524B-b-2"].Reason, "SIM-2026-03 (released 2026-03-02, due 2026-04-01)")
	assert.Equal(t, evidence.Satisfied, got["NPRM-164.308-a-1"].Outcome)

	// A patch the site lists but has not released to the bulletin yet is
	// still the site's call: a critical one missing and overdue fails.
	extraPatch := exampleInventory(t)
	extraPatch.Patches = append(extraPatch.Patches, inventory.Patch{ID: "SITE-HOTFIX-1", Manufacturer: "Ward Simulated Devices",
		Model: "SIM-IP-100 infusion pump", Released: inventory.DateOf(time.Now().AddDate(0, 0, -31)), Criticality: inventory.Critical})
	got = inventoryOutcomes(t, reg, extraPatch, "sim://infusion-pump")
	assert.Equal(t, evidence.NotSatisfied, got["524B-b-2"].Outcome)
	assert.Contains(t, got["524B-b-2"].Reason, "SITE-HOTFIX-1")
	extraPatch.Patches[len(extraPatch.Patches)-1].Released = inventory.DateOf(time.Now().AddDate(0, 0, -20))
	got = inventoryOutcomes(t, reg, extraPatch, "sim://infusion-pump")
	assert.Equal(t, evidence.Satisfied, got["524B-b-2"].Outcome, "within its 30-day window")

	got = inventoryOutcomes(t, reg, inv, "sim://infusion-pump?serial=SIM-IP-000099")
	assert.Equal(t, evidence.NotSatisfied, got["NPRM-164.308-a-1"].Outcome)
	assert.Contains(t, got["NPRM-164.308-a-1"].Reason, "unknown device")
	assert.Equal(t, evidence.NotSatisfied, got["FDA-PMC-ID-1"].Outcome, "its own identity is in no record either")

	drift := exampleInventory(t)
	rec, _ := drift.Record("INF-0001")
	rec.Firmware = "1.4.1"
	got = inventoryOutcomes(t, reg, drift, "sim://infusion-pump")
	assert.Equal(t, evidence.Satisfied, got["NPRM-164.308-a-1"].Outcome)
	assert.Equal(t, evidence.NotSatisfied, got["FDA-PMC-ID-1"].Outcome)
	assert.Contains(t, got["FDA-PMC-ID-1"].Reason, `firmware "1.4.2" (inventory "1.4.1")`)

	// Two records claiming the same unit: ambiguous, not a match.
	dup := exampleInventory(t)
	extra := *rec
	extra.AssetID = "INF-0001-COPY"
	dup.Records = append(dup.Records, extra)
	got = inventoryOutcomes(t, reg, dup, "sim://infusion-pump")
	assert.Equal(t, evidence.NotSatisfied, got["NPRM-164.308-a-1"].Outcome)
	assert.Contains(t, got["NPRM-164.308-a-1"].Reason, "ambiguous")
}

// A device with only an identity: with a site inventory, the inventory
// match is checkable and done; self-identification needs an authenticated
// query the device lacks. Without a site inventory both are not-applicable.
func TestInventoryOnIdentityOnlyDevice(t *testing.T) {
	reg := device.NewRegistry()
	require.NoError(t, reg.Register("bare", func(context.Context, *url.URL) (device.Device, error) { return bare{}, nil }))
	inv := &inventory.Inventory{Records: []inventory.Record{{AssetID: "B-1", Manufacturer: "Acme", Model: "Bare", Serial: "1", PHI: inventory.PHINone}}}
	got := inventoryOutcomes(t, reg, inv, "bare://x")
	assert.Equal(t, evidence.Satisfied, got["NPRM-164.308-a-1"].Outcome)
	assert.Equal(t, evidence.NotApplicable, got["FDA-PMC-ID-1"].Outcome)
	assert.Equal(t, evidence.NotApplicable, got["524B-b-2"].Outcome)

	got = inventoryOutcomes(t, reg, nil, "bare://x")
	assert.Equal(t, evidence.NotApplicable, got["NPRM-164.308-a-1"].Outcome)
	assert.Contains(t, got["NPRM-164.308-a-1"].Reason, "site inventory")
}
