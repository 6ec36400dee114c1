package inventory_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/inventory"
)

var today = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

func date(s string) inventory.Date {
	d, err := inventory.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// example loads examples/inventory/.
func example(t testing.TB) *inventory.Inventory {
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
	inv := &inventory.Inventory{Records: recs, Patches: ps}
	require.NoError(t, inv.Validate())
	return inv
}

func TestExampleInventoryRisk(t *testing.T) {
	inv := example(t)
	got := map[string]inventory.RiskClass{}
	for _, r := range inv.Rows(inventory.Filter{}, inventory.DefaultPolicy(), today) {
		got[r.Record.AssetID] = r.Assessment.Class
	}
	assert.Equal(t, map[string]inventory.RiskClass{
		"MON-0101": "critical", "PUMP-0042": "critical", "PRN-0007": "medium", "GW-0002": "medium", "INF-0001": "low",
	}, got)
}

// good is a record no rule objects to on `today`.
func good() inventory.Record {
	return inventory.Record{
		AssetID: "A-1", Manufacturer: "Acme", Model: "P9", Serial: "S1", Zone: "medical-devices", Owner: "Biomed",
		PHI: inventory.PHIStores, Firmware: "1.0", SBOM: "sbom.json", EndOfSupport: date("2030-01-01"),
		LastScan: date("2026-10-01"), LastPenTest: date("2026-06-01"),
	}
}

// Each rule of docs/inventory.md, on its own: which class it gives and
// that its reason is shown.
func TestRiskRules(t *testing.T) {
	patches := []inventory.Patch{
		{ID: "CRIT-1", Manufacturer: "Acme", Model: "P9", Released: date("2026-09-01"), Criticality: inventory.Critical},
		{ID: "HIGH-1", Manufacturer: "Acme", Model: "P9", Released: date("2026-08-01"), Criticality: inventory.High},
		{ID: "FRESH-CRIT", Manufacturer: "Acme", Model: "P9", Released: date("2026-10-20"), Criticality: inventory.Critical},
		{ID: "OTHER-MODEL", Manufacturer: "Acme", Model: "X1", Released: date("2025-01-01"), Criticality: inventory.Critical},
	}
	all := []string{"CRIT-1", "HIGH-1", "FRESH-CRIT"}
	for _, tc := range []struct {
		name   string
		edit   func(*inventory.Record)
		class  inventory.RiskClass
		rules  []string
		reason string
	}{
		{"baseline", func(*inventory.Record) {}, "low", []string{"baseline"}, "no rule raised the risk"},
		{"end of support, stores PHI", func(r *inventory.Record) { r.EndOfSupport = date("2026-06-30") }, "critical", []string{"end-of-support"}, "support ended 2026-06-30"},
		{"end of support today", func(r *inventory.Record) { r.EndOfSupport = date("2026-11-01") }, "critical", []string{"end-of-support"}, "support ended"},
		{"end of support, no PHI", func(r *inventory.Record) { r.EndOfSupport = date("2026-06-30"); r.PHI = inventory.PHINone }, "high", []string{"end-of-support"}, ""},
		{"end of support near", func(r *inventory.Record) { r.EndOfSupport = date("2027-03-01") }, "medium", []string{"end-of-support-near"}, "within 180 days"},
		{"critical patch overdue, PHI", func(r *inventory.Record) { r.Patches = []string{"HIGH-1", "FRESH-CRIT"} }, "critical", []string{"critical-patch-overdue"}, "CRIT-1 (released 2026-09-01, due 2026-10-01)"},
		{"critical patch overdue, transmits only", func(r *inventory.Record) {
			r.Patches = []string{"HIGH-1", "FRESH-CRIT"}
			r.PHI = inventory.PHITransmitsOnly
		}, "high", []string{"critical-patch-overdue"}, ""},
		{"critical patch within window", func(r *inventory.Record) { r.Patches = []string{"CRIT-1", "HIGH-1"} }, "low", []string{"baseline"}, ""},
		{"high patch overdue, PHI", func(r *inventory.Record) { r.Patches = []string{"CRIT-1", "FRESH-CRIT"} }, "high", []string{"patch-overdue"}, "high HIGH-1"},
		{"high patch overdue, no PHI", func(r *inventory.Record) { r.Patches = []string{"CRIT-1", "FRESH-CRIT"}; r.PHI = inventory.PHINone }, "medium", []string{"patch-overdue"}, ""},
		{"no zone, PHI", func(r *inventory.Record) { r.Zone = "" }, "high", []string{"no-zone"}, "network zone"},
		{"no zone, no PHI", func(r *inventory.Record) { r.Zone = ""; r.PHI = inventory.PHINone }, "medium", []string{"no-zone"}, ""},
		{"no owner", func(r *inventory.Record) { r.Owner = "" }, "medium", []string{"no-owner"}, "responsible"},
		{"never scanned", func(r *inventory.Record) { r.LastScan = inventory.Date{} }, "medium", []string{"scan-overdue"}, "never"},
		{"scan too old", func(r *inventory.Record) { r.LastScan = date("2026-04-01") }, "medium", []string{"scan-overdue"}, "2026-04-01"},
		{"scan just in time", func(r *inventory.Record) { r.LastScan = date("2026-05-02") }, "low", []string{"baseline"}, ""},
		{"never pen-tested", func(r *inventory.Record) { r.LastPenTest = inventory.Date{} }, "medium", []string{"pentest-overdue"}, "never"},
		{"pen test too old", func(r *inventory.Record) { r.LastPenTest = date("2025-10-01") }, "medium", []string{"pentest-overdue"}, "2025-10-01"},
		{"no SBOM", func(r *inventory.Record) { r.SBOM = "" }, "medium", []string{"no-sbom"}, "524B"},
		{"firmware drift", func(r *inventory.Record) { r.SeenFirmware = "0.9" }, "medium", []string{"firmware-drift"}, "reports firmware 0.9"},
		{"highest wins", func(r *inventory.Record) { r.Owner = ""; r.EndOfSupport = date("2026-01-01") }, "critical", []string{"end-of-support", "no-owner"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			r.Patches = all
			tc.edit(&r)
			inv := &inventory.Inventory{Records: []inventory.Record{r}, Patches: patches}
			require.NoError(t, inv.Validate())
			a := inv.Assess(&inv.Records[0], inventory.DefaultPolicy(), today)
			assert.Equal(t, tc.class, a.Class)
			var rules, whys []string
			for _, why := range a.Reasons {
				rules = append(rules, why.Rule)
				whys = append(whys, why.Why)
			}
			assert.Equal(t, tc.rules, rules)
			assert.Contains(t, strings.Join(whys, "|"), tc.reason)
		})
	}
}

func TestMissingPatchesAndOverdue(t *testing.T) {
	inv := example(t)
	r, ok := inv.Record("PUMP-0042")
	require.True(t, ok)
	a := inv.Assess(r, inventory.DefaultPolicy(), today)
	require.Len(t, a.Missing, 2)
	assert.Equal(t, "ACME-2026-07", a.Missing[0].Patch.ID)
	assert.True(t, a.Missing[0].Overdue)
	assert.Equal(t, "2026-08-31", a.Missing[0].Due.String())
	assert.False(t, a.Missing[1].Overdue, "the medium patch is within its 90 days")
	assert.True(t, a.OverdueCritical())

	// A stricter policy window makes the medium one overdue too; a patch
	// released in the future is not missing yet.
	pol := inventory.DefaultPolicy()
	pol.PatchWindow[inventory.Medium] = 5 * 24 * time.Hour
	a = inv.Assess(r, pol, today)
	assert.True(t, a.Missing[1].Overdue)
	assert.Len(t, inv.MissingPatches(r, pol, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)), 0)
}

func TestFilters(t *testing.T) {
	inv := example(t)
	ids := func(f inventory.Filter) []string {
		var out []string
		for _, r := range inv.Rows(f, inventory.DefaultPolicy(), today) {
			out = append(out, r.Record.AssetID)
		}
		return out
	}
	assert.Equal(t, []string{"MON-0101", "PUMP-0042", "GW-0002", "PRN-0007", "INF-0001"}, ids(inventory.Filter{}), "highest risk first, then by id")
	assert.Equal(t, []string{"MON-0101", "PUMP-0042"}, ids(inventory.Filter{Risk: "high"}))
	assert.Equal(t, []string{"PUMP-0042"}, ids(inventory.Filter{OverduePatch: true}))
	assert.Equal(t, []string{"MON-0101", "INF-0001"}, ids(inventory.Filter{PHI: inventory.PHIStores}))
	assert.Equal(t, []string{"GW-0002"}, ids(inventory.Filter{Zone: "Clinical-Servers"}))
	assert.Empty(t, ids(inventory.Filter{Zone: "guest"}))
}

func TestCSVImportErrorsNameLineAndColumn(t *testing.T) {
	head := "asset_id,phi,end_of_support,last_seen,patches\n"
	for _, tc := range []struct {
		name, in string
		line     int
		column   string
		msg      string
	}{
		{"empty", "", 1, "", "empty file"},
		{"unknown column", "asset_id,phi,colour\n", 1, "colour", "unknown column"},
		{"duplicate column", "asset_id,phi,phi\n", 1, "phi", "twice"},
		{"missing required column", "asset_id,model\nA,B\n", 1, "phi", "required column"},
		{"missing asset id", head + "A,stores,,,\n,stores,,,\n", 3, "asset_id", "required"},
		{"bad phi", head + "A,stores,,,\nB,sometimes,,,\n", 3, "phi", `"sometimes" is not one of`},
		{"bad date", head + "A,stores,2026-13-01,,\n", 2, "end_of_support", "not a date"},
		{"bad time", head + "A,stores,,yesterday,\n", 2, "last_seen", "RFC 3339"},
		{"duplicate id", head + "A,stores,,,\nB,none,,,\nA,none,,,\n", 4, "asset_id", "repeats line 2"},
		{"ragged row", head + "A,stores\n", 2, "", "2 fields, the header has 5"},
		{"bad quoting", head + "A,\"stores,,,\n", 2, "", "quote"},
		{"multi-line field keeps real lines", "asset_id,phi,location\n\"A\",stores,\"two\nlines\"\nB,bad,x\n", 4, "phi", "not one of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := inventory.ReadRecordsCSV(strings.NewReader(tc.in))
			require.Error(t, err)
			var ie *inventory.ImportError
			require.ErrorAs(t, err, &ie)
			assert.ErrorIs(t, err, inventory.ErrInvalid)
			assert.Equal(t, tc.line, ie.Line, err.Error())
			assert.Equal(t, tc.column, ie.Column, err.Error())
			assert.Contains(t, err.Error(), tc.msg)
			assert.NotContains(t, err.Error(), "\n")
		})
	}

	_, err := inventory.ReadPatchesCSV(strings.NewReader("id,model,released,criticality\nP1,M,2026-01-01,urgent\n"))
	var ie *inventory.ImportError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, 2, ie.Line)
	assert.Equal(t, "criticality", ie.Column)
}

func TestJSONImportErrorsNameLineAndKey(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
		column   string
		msg      string
	}{
		{"empty", "", 1, "", "end of file"},
		{"not an object", "[]", 1, "", "want"},
		{"no version", `{"records": []}`, 1, "version", "required"},
		{"future version", "{\n  \"version\": 2,\n  \"records\": []}", 2, "version", "not supported"},
		{"unknown key", "{\"version\":1,\n\"recs\": []}", 2, "recs", "unknown key"},
		{"unknown record key", "{\"version\":1,\"records\":[\n{\"asset_id\":\"A\",\"phi\":\"none\"},\n{\"asset_id\":\"B\",\"phi\":\"none\",\"colour\":1}]}", 3, "", "unknown field"},
		{"bad phi", "{\"version\":1,\"records\":[\n{\"asset_id\":\"A\",\"phi\":\"none\"},\n\n{\"asset_id\":\"B\",\n\"phi\":\"often\"}]}", 4, "phi", "not one of"},
		{"wrong type", "{\"version\":1,\"records\":[\n{\"asset_id\":\"A\",\n\"phi\":\"none\",\n\"patches\":\"P1\"}]}", 4, "patches", "cannot unmarshal"},
		{"bad date", "{\"version\":1,\"records\":[\n{\"asset_id\":\"A\",\"phi\":\"none\",\"last_scan\":\"soon\"}]}", 2, "", "not a date"},
		{"duplicate asset", "{\"version\":1,\"records\":[\n{\"asset_id\":\"A\",\"phi\":\"none\"},\n{\"asset_id\":\"A\",\"phi\":\"none\"}]}", 3, "asset_id", "repeats the record on line 2"},
		{"syntax", "{\"version\":1,\n\"records\":[\n{\"asset_id\" \"A\"}]}", 3, "", "invalid character"},
		{"trailing data", "{\"version\":1,\"records\":[]}\n{}", 2, "", "after the inventory"},
		{"duplicate key", "{\"version\":1,\"records\":[],\n\"records\":[]}", 2, "records", "twice"},
		{"bad patch", "{\"version\":1,\"records\":[],\"patches\":[\n{\"id\":\"P\",\"model\":\"M\",\"released\":\"2026-01-01\",\"criticality\":\"meh\"}]}", 2, "criticality", "not one of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := inventory.ReadJSON(strings.NewReader(tc.in))
			require.Error(t, err)
			var ie *inventory.ImportError
			require.ErrorAs(t, err, &ie)
			assert.ErrorIs(t, err, inventory.ErrInvalid)
			assert.Equal(t, tc.line, ie.Line, err.Error())
			assert.Equal(t, tc.column, ie.Column, err.Error())
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestRoundTrip(t *testing.T) {
	inv := example(t)
	inv.Records[0].LastSeen = time.Date(2026, 10, 30, 8, 0, 0, 0, time.UTC)
	inv.Records[0].SeenFirmware = "1.4.3"

	var j bytes.Buffer
	require.NoError(t, inventory.WriteJSON(&j, inv))
	back, err := inventory.ReadJSON(&j)
	require.NoError(t, err)
	assert.Equal(t, inv, back)
	assert.True(t, inventory.DiffInventories(inv, back).Empty())

	var c, p bytes.Buffer
	require.NoError(t, inventory.WriteRecordsCSV(&c, inv.Records))
	require.NoError(t, inventory.WritePatchesCSV(&p, inv.Patches))
	recs, err := inventory.ReadRecordsCSV(&c)
	require.NoError(t, err)
	ps, err := inventory.ReadPatchesCSV(&p)
	require.NoError(t, err)
	assert.Equal(t, inv, &inventory.Inventory{Records: recs, Patches: ps})
}

// Golden file: the JSON format stays as docs/inventory.md describes it.
func TestJSONGolden(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, inventory.WriteJSON(&b, example(t)))
	golden := filepath.Join("testdata", "example.golden.json")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		require.NoError(t, os.WriteFile(golden, b.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String())
}

func TestSaveIsCrashSafe(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "inv.json")
	inv := example(t)
	require.NoError(t, inventory.Save(name, inv))
	back, err := inventory.Load(name)
	require.NoError(t, err)
	assert.Equal(t, inv, back)

	// A save that fails validation leaves the old file as it was and no
	// temporary file behind.
	before, _ := os.ReadFile(name)
	bad := *inv
	bad.Records = append([]inventory.Record{}, inv.Records...)
	bad.Records = append(bad.Records, bad.Records[0]) // duplicate asset id
	require.ErrorIs(t, inventory.Save(name, &bad), inventory.ErrInvalid)
	after, _ := os.ReadFile(name)
	assert.Equal(t, before, after)
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "no temporary file left behind")

	// Patches cannot go into a records CSV: refused, not dropped.
	assert.ErrorIs(t, inventory.Save(filepath.Join(dir, "inv.csv"), inv), inventory.ErrInvalid)
	require.NoError(t, inventory.Save(filepath.Join(dir, "recs.csv"), &inventory.Inventory{Records: inv.Records}))
	_, err = inventory.Load(filepath.Join(dir, "recs.txt"))
	assert.Error(t, err)
}

func TestObserveFlagsUnknownAndStale(t *testing.T) {
	inv := example(t)
	seen := time.Date(2026, 10, 31, 9, 0, 0, 0, time.UTC)
	res := inv.Observe([]inventory.Observation{
		{Target: "sim://infusion-pump", Manufacturer: "Ward Simulated Devices", Model: "SIM-IP-100 infusion pump",
			Serial: "SIM-IP-000001", Firmware: "1.4.2", UDI: "(01)00000000000000(21)SIM-IP-000001", Seen: seen},
		// Matched by serial; reports newer firmware than inventoried.
		{Target: "ssh://pump42", Manufacturer: "Acme Medical", Model: "AcmePump 9", Serial: "AP-000123", Firmware: "4.3.0", Seen: seen},
		// Same serial as a known unit but another model: not that unit.
		{Target: "ssh://rogue", Manufacturer: "Acme Medical", Model: "AcmeMon 7", Serial: "AP-000123", Firmware: "1", Seen: seen},
		{Target: "sim://infusion-pump?serial=SIM-IP-000099", Model: "SIM-IP-100 infusion pump", Serial: "SIM-IP-000099", Seen: seen},
	})
	assert.Equal(t, map[string]string{"sim://infusion-pump": "INF-0001", "ssh://pump42": "PUMP-0042"}, res.Matched)
	require.Len(t, res.Unknown, 2)
	assert.Equal(t, "ssh://rogue", res.Unknown[0].Target)
	assert.Equal(t, []inventory.Mismatch{{AssetID: "PUMP-0042", Field: "firmware", Inventory: "4.2.1", Device: "4.3.0"}}, res.Mismatches)

	r, _ := inv.Record("PUMP-0042")
	assert.Equal(t, seen, r.LastSeen)
	assert.Equal(t, "4.3.0", r.SeenFirmware)
	assert.Equal(t, inventory.RiskCritical, inv.Assess(r, inventory.DefaultPolicy(), today).Class)
	r1, _ := inv.Record("INF-0001")
	assert.Empty(t, r1.SeenFirmware)

	// An older observation does not move LastSeen back.
	inv.Observe([]inventory.Observation{{Serial: "AP-000123", Model: "AcmePump 9", Seen: seen.Add(-time.Hour)}})
	assert.Equal(t, seen, r.LastSeen)

	var stale []string
	for _, s := range inv.Stale(today, 30*24*time.Hour) {
		stale = append(stale, s.AssetID)
	}
	assert.ElementsMatch(t, []string{"MON-0101", "PRN-0007", "GW-0002"}, stale, "never seen counts as stale; seen yesterday does not")
}

func TestDiff(t *testing.T) {
	a := example(t)
	b := example(t)
	b.Records = b.Records[1:] // INF-0001 removed
	r, _ := b.Record("PUMP-0042")
	r.Firmware = "4.3.0"
	r.Patches = append(r.Patches, "ACME-2026-07")
	b.Records = append(b.Records, inventory.Record{AssetID: "NEW-1", PHI: inventory.PHINone})
	d := inventory.DiffInventories(a, b)
	require.Len(t, d.Added, 1)
	assert.Equal(t, "NEW-1", d.Added[0].AssetID)
	require.Len(t, d.Removed, 1)
	assert.Equal(t, "INF-0001", d.Removed[0].AssetID)
	assert.Equal(t, []inventory.Change{{AssetID: "PUMP-0042", Fields: []inventory.FieldChange{
		{Field: "firmware", Old: "4.2.1", New: "4.3.0"},
		{Field: "patches", Old: "ACME-2026-02", New: "ACME-2026-02;ACME-2026-07"},
	}}}, d.Changed)
	assert.False(t, d.Empty())
}

// Attack: a record with markup in its fields (a hostile CSV from a
// vendor portal) is shown as text, never run as script.
func TestHTMLEscapes(t *testing.T) {
	inv := example(t)
	inv.Records[0].Location = `<script>alert(1)</script>`
	inv.Records[0].Owner = `" onmouseover="x`
	var b bytes.Buffer
	require.NoError(t, inventory.WriteHTML(&b, inventory.Report{
		Generated: today, Rows: inv.Rows(inventory.Filter{}, inventory.DefaultPolicy(), today),
		Unknown: []inventory.Observation{{Target: "ssh://<b>x</b>", Serial: "9"}},
		Stale:   inv.Stale(today, 30*24*time.Hour), StaleDays: 30,
	}))
	out := b.String()
	assert.NotContains(t, out, "<script>alert")
	assert.Contains(t, out, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.NotContains(t, out, `" onmouseover="x`)
	assert.NotContains(t, out, "<b>x</b>")
	for _, want := range []string{"MON-0101", "support ended 2026-06-30", "class=\"risk-critical\"", "not inventoried", "Not seen for more than 30 days"} {
		assert.Contains(t, out, want)
	}

	var sec bytes.Buffer
	require.NoError(t, inventory.WriteHTMLSection(&sec, inventory.Report{Rows: inv.Rows(inventory.Filter{}, inventory.DefaultPolicy(), today)}))
	assert.True(t, strings.HasPrefix(sec.String(), "<section"))
	assert.NotContains(t, sec.String(), "<html")
}

func TestParseFilters(t *testing.T) {
	_, err := inventory.ParseRisk("severe")
	assert.True(t, errors.Is(err, inventory.ErrInvalid))
	c, err := inventory.ParseRisk("HIGH")
	require.NoError(t, err)
	assert.Equal(t, inventory.RiskHigh, c)
	_, err = inventory.ParsePHI("maybe")
	assert.ErrorIs(t, err, inventory.ErrInvalid)
}

// Attack: a record whose fields are spreadsheet formulas (a hostile asset
// name from a vendor feed) is exported as text, never as a formula, and
// imports back unchanged.
func TestCSVExportDefusesFormulas(t *testing.T) {
	recs := []inventory.Record{{
		AssetID: "=HYPERLINK(\"http://x\")", Location: "+cmd|' /C calc'!A0", Owner: "@SUM(1)", Type: "-2+3",
		Manufacturer: "'quoted", PHI: inventory.PHINone,
	}}
	var b bytes.Buffer
	require.NoError(t, inventory.WriteRecordsCSV(&b, recs))
	for _, line := range strings.Split(b.String(), "\n")[1:] {
		for _, cell := range strings.Split(line, ",") {
			cell = strings.TrimPrefix(cell, `"`)
			if cell != "" {
				assert.NotContains(t, "=+-@", cell[:1], "cell %q would run as a formula", cell)
			}
		}
	}
	back, err := inventory.ReadRecordsCSV(&b)
	require.NoError(t, err)
	assert.Equal(t, recs, back)
}
