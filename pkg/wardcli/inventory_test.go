package wardcli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	exampleRecords = "../../examples/inventory/records.csv"
	examplePatches = "../../examples/inventory/patches.csv"
)

func importExample(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "inventory.json")
	code, stdout, stderr := ward(t, "inventory", "import", "--records", exampleRecords, "--patches", examplePatches, "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "5 record(s), 5 patch(es)")
	return out
}

func TestInventoryImportListFilters(t *testing.T) {
	inv := importExample(t)
	list := func(args ...string) []string {
		code, stdout, stderr := ward(t, append([]string{"inventory", "list", "--inventory", inv, "--today", "2026-11-01"}, args...)...)
		require.Equal(t, 0, code, stderr)
		var ids []string
		for _, l := range strings.Split(stdout, "\n")[1:] {
			if f := strings.Fields(l); len(f) > 1 && strings.Contains(f[0], "-0") {
				ids = append(ids, f[0])
			}
		}
		return ids
	}
	assert.Equal(t, []string{"MON-0101", "PUMP-0042", "GW-0002", "PRN-0007", "INF-0001"}, list())
	assert.Equal(t, []string{"MON-0101", "PUMP-0042"}, list("--risk", "high"))
	assert.Equal(t, []string{"PUMP-0042"}, list("--overdue-patch"))
	assert.Equal(t, []string{"MON-0101", "INF-0001"}, list("--phi", "stores"))
	assert.Equal(t, []string{"GW-0002"}, list("--zone", "clinical-servers"))
	assert.Empty(t, list("--zone", "clinical-servers", "--risk", "critical"))

	code, stdout, _ := ward(t, "inventory", "list", "--inventory", inv, "--today", "2026-11-01", "--json", "--overdue-patch")
	require.Equal(t, 0, code)
	var rows []struct {
		Record struct {
			AssetID string `json:"asset_id"`
		}
		Assessment struct {
			Risk    string `json:"risk"`
			Reasons []struct{ Rule string }
		}
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rows))
	require.Len(t, rows, 1)
	assert.Equal(t, "critical", rows[0].Assessment.Risk)
	assert.Equal(t, "critical-patch-overdue", rows[0].Assessment.Reasons[0].Rule)
}

func TestInventoryUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("asset_id,phi\nA,none\nB,often\n"), 0o644))
	existing := importExample(t)
	before, _ := os.ReadFile(existing)
	for name, tc := range map[string]struct {
		args []string
		msg  string
	}{
		"bad row":         {[]string{"inventory", "import", "--records", bad, "--out", filepath.Join(dir, "x.json")}, `line 3, column "phi"`},
		"no out":          {[]string{"inventory", "import", "--records", exampleRecords}, "--out"},
		"csv out":         {[]string{"inventory", "import", "--records", exampleRecords, "--out", filepath.Join(dir, "x.csv")}, ".json"},
		"exists":          {[]string{"inventory", "import", "--records", exampleRecords, "--out", existing}, "--force"},
		"bad risk":        {[]string{"inventory", "list", "--inventory", existing, "--risk", "severe"}, "--risk"},
		"bad phi":         {[]string{"inventory", "list", "--inventory", existing, "--phi", "some"}, "--phi"},
		"bad today":       {[]string{"inventory", "list", "--inventory", existing, "--today", "tomorrow"}, "--today"},
		"no inventory":    {[]string{"inventory", "list"}, "--inventory"},
		"missing file":    {[]string{"inventory", "list", "--inventory", filepath.Join(dir, "none.json")}, "no such file"},
		"diff needs two":  {[]string{"inventory", "diff", existing}, "accepts 2 arg"},
		"report no out":   {[]string{"inventory", "report", "--inventory", existing}, "--out"},
		"bad patch table": {[]string{"inventory", "import", "--records", exampleRecords, "--patches", bad, "--out", filepath.Join(dir, "y.json")}, "unknown column"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := ward(t, tc.args...)
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, tc.msg)
			var msg []string
			for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
				if !strings.HasPrefix(l, "Run 'ward --help'") {
					msg = append(msg, l)
				}
			}
			assert.Len(t, msg, 1, "one line: %s", stderr)
		})
	}
	after, _ := os.ReadFile(existing)
	assert.Equal(t, before, after, "a refused import leaves the existing inventory alone")
	_, err := os.Stat(filepath.Join(dir, "x.json"))
	assert.True(t, os.IsNotExist(err), "a failed import writes nothing")
}

func TestInventoryReportAndDiff(t *testing.T) {
	inv := importExample(t)
	html := filepath.Join(t.TempDir(), "inv.html")
	code, stdout, stderr := ward(t, "inventory", "report", "--inventory", inv, "--today", "2026-11-01", "--out", html, "--risk", "medium")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "4 device(s)")
	b, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(b), "PUMP-0042")
	assert.NotContains(t, string(b), "INF-0001</td>", "filtered out: low risk")

	code, stdout, _ = ward(t, "inventory", "diff", inv, inv)
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "0 added, 0 removed, 0 changed")

	// The CSV without the patches, one firmware changed and one row gone.
	csv, err := os.ReadFile(exampleRecords)
	require.NoError(t, err)
	lines := strings.Split(string(csv), "\n")
	changed := strings.Replace(strings.Join(append(lines[:1:1], lines[2:]...), "\n"), "AcmePump 9,AP-000123,(01)01234567890128(21)AP-000123,infusion pump,medical-devices,Ward 3 room 12,Biomed (R. Patel),processes,4.2.1", "AcmePump 9,AP-000123,(01)01234567890128(21)AP-000123,infusion pump,medical-devices,Ward 3 room 12,Biomed (R. Patel),processes,4.3.0", 1)
	newer := filepath.Join(t.TempDir(), "new.csv")
	require.NoError(t, os.WriteFile(newer, []byte(changed), 0o644))
	code, stdout, _ = ward(t, "inventory", "diff", inv, newer)
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "- INF-0001")
	assert.Contains(t, stdout, `~ PUMP-0042  firmware: "4.2.1" -> "4.3.0"`)
	assert.Contains(t, stdout, "0 added, 1 removed, 1 changed")
}

func TestCheckWithInventory(t *testing.T) {
	inv := importExample(t)
	ids := "NPRM-164.308-a-1,FDA-PMC-ID-1"

	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--out", out, "--control", ids, "--inventory", inv, "--update-inventory")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stderr, "1 of 1 target(s) matched a record, 0 unknown")
	html, err := os.ReadFile(filepath.Join(bundleIn(t, out), "inventory.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), "INF-0001")
	report, err := os.ReadFile(filepath.Join(bundleIn(t, out), "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(report), `<a href="inventory.html"><code>inventory.html</code></a>: the device inventory this run was checked against`,
		"the auditor's report links the inventory view")
	code, _, _ = ward(t, "evidence", "verify", bundleIn(t, out))
	assert.Equal(t, 0, code, "the inventory view is covered by the signed manifest")
	// The record of the unit checked now says when it was seen.
	code, stdout, _ = ward(t, "inventory", "list", "--inventory", inv, "--json", "--phi", "stores")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, `"last_seen"`)

	// A unit the inventory does not list: an unknown device, named, and
	// the inventory control fails.
	code, stdout, stderr = ward(t, "check", "--out", t.TempDir(), "--control", ids, "--inventory", inv, "--target", "sim://infusion-pump?serial=SIM-IP-000099")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "unknown device sim://infusion-pump?serial=SIM-IP-000099")
	assert.Regexp(t, `FAILED\s+NPRM-164.308-a-1`, stdout)

	// Without --inventory the simulator is checked against its provisioned
	// identity, and the default run still passes.
	code, _, stderr = ward(t, "check", "--out", t.TempDir(), "--control", ids)
	assert.Equal(t, 0, code, stderr)

	code, _, stderr = ward(t, "check", "--out", t.TempDir(), "--update-inventory")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--update-inventory needs --inventory")
	bad := filepath.Join(t.TempDir(), "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("asset_id\nA\n"), 0o644))
	code, _, stderr = ward(t, "check", "--out", t.TempDir(), "--inventory", bad)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `column "phi"`)
}

// --update-inventory rewrites the file but never widens it: a 0600
// inventory stays 0600.
func TestUpdateInventoryKeepsFileMode(t *testing.T) {
	inv := importExample(t)
	require.NoError(t, os.Chmod(inv, 0o600))
	code, stdout, stderr := ward(t, "check", "--out", t.TempDir(), "--control", "FDA-PMC-ID-1", "--inventory", inv, "--update-inventory")
	require.Equal(t, 0, code, stdout+stderr)
	assert.Contains(t, stderr, "updated")
	st, err := os.Stat(inv)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}
