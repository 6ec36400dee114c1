package wardcli

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/inventory"
)

// outcomeRow is what must agree between the CLI and the Go API for one
// control on one target: the outcome and what the pipeline decided.
type outcomeRow struct {
	Outcome     evidence.Outcome
	Reason      string
	Waiver      string
	Attestation string
}

func outcomeTable(t *testing.T, run evidence.Run) map[string]map[string]outcomeRow {
	t.Helper()
	out := map[string]map[string]outcomeRow{}
	for _, tg := range run.Targets {
		rows := map[string]outcomeRow{}
		for _, c := range tg.Controls {
			r := outcomeRow{Outcome: c.Outcome, Reason: c.Reason}
			if c.Waiver != nil {
				r.Waiver = c.Waiver.ID + map[bool]string{true: " applied", false: " not applied"}[c.Waiver.Applied]
			}
			if c.Attestation != nil {
				r.Attestation = c.Attestation.ID + map[bool]string{true: " accepted", false: " refused"}[c.Attestation.Accepted]
			}
			rows[c.ID] = r
		}
		out[tg.URI] = rows
	}
	return out
}

// The pipeline belongs to the library (#17): the same attestations,
// waivers and inventory give the same results.json outcomes through the Go
// API (harness.Runner.Execute, evidence.Write with Result.Files) as
// through ward check, and the Go API's bundle gets the pipeline's files.
func TestPipelineGoAPIEqualsCLI(t *testing.T) {
	catDir := catalogueWithAttestation(t)
	recent := time.Now().UTC().AddDate(0, 0, -30).Format("2006-01-02")
	att := attestationFile(t, recent, "2999-01-01", true)
	wv := waiverFile(t, "2999-12-31")
	invFile := importExample(t)
	ids := []string{"HIPAA-164.308-a-5", "HIPAA-164.312-d", "NPRM-164.308-a-1", "FDA-PMC-ID-1"}
	targets := []string{
		"sim://infusion-pump",                                     // in the inventory, secure
		"sim://infusion-pump?weaken=no-auth",                      // HIPAA-164.312-d fails: waived
		"sim://infusion-pump?serial=SIM-IP-000099&weaken=no-auth", // unknown to the inventory
	}

	// Through the CLI.
	cliOut := t.TempDir()
	args := []string{"check", "--out", cliOut, "--controls", catDir, "--replace-catalogue", "--attestations", att, "--waivers", wv, "--inventory", invFile}
	for _, id := range ids {
		args = append(args, "--control", id)
	}
	for _, tg := range targets {
		args = append(args, "--target", tg)
	}
	code, stdout, stderr := ward(t, args...)
	require.Equal(t, 1, code, "the unknown device fails the inventory control\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	cli := readRun(t, bundleIn(t, cliOut))

	// Through the Go API, as a device maker's program would.
	cat, _, _, diags := control.Lint(os.DirFS(catDir), features.FS)
	require.False(t, diags.HasErrors(), "%v", diags)
	as, _, diags := control.LoadAttestations([]string{att}, cat)
	require.False(t, diags.HasErrors(), "%v", diags)
	ws, _, diags := control.LoadWaivers([]string{wv}, cat)
	require.False(t, diags.HasErrors(), "%v", diags)
	inv, err := inventory.Load(invFile)
	require.NoError(t, err)
	reg, err := checkRegistry()
	require.NoError(t, err)
	r := harness.New(reg, cat, features.FS, harness.WithControls(ids...),
		harness.WithAttestations(harness.ReadAttestations(as)...), harness.WithWaivers(ws...), harness.WithInventory(inv))
	res, err := r.Execute(context.Background(), harness.RunInfo{}, targets)
	require.NoError(t, err)
	apiDir, err := evidence.Write(context.Background(), t.TempDir(), res.Run, res.Files...)
	require.NoError(t, err)
	api := readRun(t, apiDir)

	want := outcomeTable(t, cli)
	assert.Equal(t, want, outcomeTable(t, api))
	// The table is not trivially equal: each pipeline stage decided something.
	assert.Equal(t, evidence.Satisfied, want[targets[0]]["HIPAA-164.308-a-5"].Outcome, "attested")
	assert.Equal(t, "A-TRAIN accepted", want[targets[0]]["HIPAA-164.308-a-5"].Attestation)
	assert.Equal(t, evidence.Waived, want[targets[1]]["HIPAA-164.312-d"].Outcome, "waived")
	assert.Equal(t, evidence.NotSatisfied, want[targets[2]]["NPRM-164.308-a-1"].Outcome, "unknown to the inventory")
	// The pipeline's files reach the Go API's bundle.
	b, err := os.ReadFile(filepath.Join(apiDir, "attestations", "A-TRAIN", "roster.pdf"))
	require.NoError(t, err)
	assert.Equal(t, "%PDF-1.4 training roster", string(b))
	assert.FileExists(t, filepath.Join(apiDir, "inventory.html"))
	require.NotNil(t, res.Inventory)
	assert.Len(t, res.Inventory.Unknown, 1)
	require.Len(t, res.Waivers, 1)
	assert.True(t, res.Waivers[0].Matched)
	assert.Contains(t, stderr, "ward: inventory: 2 of 3 target(s) matched a record, 1 unknown")
}
