package wardcli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/evidence"
)

var fleet = []string{
	"sim://infusion-pump?serial=F-1",
	"sim://infusion-pump?serial=F-2&weaken=no-auth",
	"sim://infusion-pump?serial=F-3",
	"sim://infusion-pump?serial=F-4&weaken=lossy-backup",
	"sim://infusion-pump?serial=F-5",
}

func writeFleet(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "fleet.txt")
	var b []byte
	for _, u := range fleet {
		b = append(b, u+"\n"...)
	}
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

// outcomes is what must be equal between a sharded-and-merged run and a
// single run: targets in order with identities, controls with outcomes,
// scenarios with ids and statuses. Times and run ids differ by nature.
type outcomeView struct {
	URI       string
	Serial    string
	Controls  map[string]evidence.Outcome
	Scenarios map[string]evidence.ScenarioStatus
}

func view(t *testing.T, dir string) []outcomeView {
	run, err := evidence.ReadRun(dir)
	require.NoError(t, err)
	var out []outcomeView
	for _, tg := range run.Targets {
		v := outcomeView{URI: tg.URI, Serial: tg.Identity.Serial, Controls: map[string]evidence.Outcome{}, Scenarios: map[string]evidence.ScenarioStatus{}}
		for _, c := range tg.Controls {
			v.Controls[c.ID] = c.Outcome
		}
		for _, s := range tg.Scenarios {
			v.Scenarios[s.ID] = s.Status
		}
		out = append(out, v)
	}
	return out
}

// Sharding a fleet over three CI jobs and merging the bundles gives the
// same results as one unsharded run.
func TestShardAndMergeEqualsSingleRun(t *testing.T) {
	targets := writeFleet(t)
	single := t.TempDir()
	code, _, stderr := ward(t, "check", "--targets", targets, "--out", single)
	require.Equal(t, 1, code, stderr)

	key, _ := keyPair(t)
	var shardDirs []string
	for _, s := range []string{"2/3", "1/3", "3/3"} { // any order
		out := t.TempDir()
		code, _, stderr := ward(t, "check", "--targets", targets, "--shard", s, "--out", out, "--sign-key", key)
		require.Contains(t, []int{0, 1}, code, stderr)
		shardDirs = append(shardDirs, bundleIn(t, out))
	}
	merged := t.TempDir()
	code, stdout, stderr := ward(t, append(append([]string{"evidence", "merge"}, shardDirs...), "--out", merged)...)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	mdir := bundleIn(t, merged)

	code, _, stderr = ward(t, "evidence", "verify", mdir)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, view(t, bundleIn(t, single)), view(t, mdir))

	var feats []any
	b, err := os.ReadFile(filepath.Join(mdir, "cucumber.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &feats))
	assert.NotEmpty(t, feats)

	// An incomplete or altered set is refused.
	code, _, _ = ward(t, "evidence", "merge", shardDirs[0], shardDirs[1], "--out", t.TempDir())
	assert.Equal(t, 2, code, "a missing shard")
	code, _, _ = ward(t, "evidence", "merge", shardDirs[0], shardDirs[0], shardDirs[1], "--out", t.TempDir())
	assert.Equal(t, 2, code, "a repeated shard")
	junit := filepath.Join(shardDirs[2], "junit.xml")
	jb, _ := os.ReadFile(junit)
	jb[10] ^= 1
	require.NoError(t, os.WriteFile(junit, jb, 0o644))
	code, _, stderr = ward(t, append(append([]string{"evidence", "merge"}, shardDirs...), "--out", t.TempDir())...)
	assert.Equal(t, 1, code, "an altered input")
	assert.Contains(t, stderr, "junit.xml")
}

func TestDiffFindsRegressionsAndRecoveries(t *testing.T) {
	good, bad := t.TempDir(), t.TempDir()
	code, _, _ := ward(t, "check", "--out", good, "--target", "sim://infusion-pump")
	require.Equal(t, 0, code)
	code, _, _ = ward(t, "check", "--out", bad, "--target", "sim://infusion-pump?weaken=no-auth")
	require.Equal(t, 1, code)
	g, b := bundleIn(t, good), bundleIn(t, bad)

	code, stdout, _ := ward(t, "evidence", "diff", g, b)
	assert.Equal(t, 1, code, stdout)
	assert.Contains(t, stdout, "REGRESSED HIPAA-164.312-d")
	assert.Contains(t, stdout, "1 regressed, 0 recovered")

	code, stdout, _ = ward(t, "evidence", "diff", b, g)
	assert.Equal(t, 0, code, stdout)
	assert.Contains(t, stdout, "recovered HIPAA-164.312-d")

	code, stdout, _ = ward(t, "evidence", "diff", g, g)
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "0 regressed, 0 recovered")
}
