package ssh_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/internal/netlab"
	"github.com/wardsec/ward/internal/sshdtest"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	wssh "github.com/wardsec/ward/pkg/device/ssh"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/inventory"
)

func runHarness(t *testing.T, target string, ids ...string) evidence.Target {
	t.Helper()
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	require.False(t, diags.HasErrors(), "embedded catalogue: %v", diags)
	reg := device.NewRegistry()
	require.NoError(t, wssh.Register(reg))
	opts := []harness.Option{harness.WithConcurrency(2)}
	if len(ids) > 0 {
		opts = append(opts, harness.WithControls(ids...))
	} else {
		var auto []string
		for _, c := range cat.Controls {
			if c.Verification.Method == control.MethodScenario {
				auto = append(auto, c.ID)
			}
		}
		opts = append(opts, harness.WithControls(auto...))
	}
	res, _, err := harness.New(reg, cat, features.FS, opts...).Check(context.Background(), target)
	require.NoError(t, err)
	require.Empty(t, res.Error)
	return res
}

func scenario(t *testing.T, res evidence.Target, name string) evidence.Scenario {
	t.Helper()
	for _, s := range res.Scenarios {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("scenario %q did not run", name)
	return evidence.Scenario{}
}

func control1(t *testing.T, res evidence.Target, id string) evidence.Control {
	t.Helper()
	for _, c := range res.Controls {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("control %s not reported", id)
	return evidence.Control{}
}

const fieldScenario = "Test data entered on the device lies nowhere in a raw storage dump"

// The real harness, over a real SSH connection, tells a device that keeps
// its patient record in the clear from one that seals it with pkg/atrest.
func TestHarnessPlaintextCheckDiscriminates(t *testing.T) {
	s := sshdtest.Start(t)
	const atRest = "HIPAA-164.312-a-2-iv"

	plain := runHarness(t, s.Target("profile="+writeProfile(t, deviceRoot(t, false), nil)), atRest)
	sc := scenario(t, plain, fieldScenario)
	assert.Equal(t, evidence.ScenarioFailed, sc.Status)
	assert.Contains(t, sc.Reason, `test data lies in the clear (2 of 2 values): "Ada Testpatient" in "var/lib/pump/records/P-1001.json" (plain); "MRN-77123456" in "var/lib/pump/records/P-1001.json" (plain)`)
	assert.Equal(t, evidence.NotSatisfied, control1(t, plain, atRest).Outcome)

	sealed := runHarness(t, s.Target("profile="+writeProfile(t, deviceRoot(t, true), nil)), atRest)
	assert.Equal(t, evidence.ScenarioPassed, scenario(t, sealed, fieldScenario).Status)
	// The scenarios that need accounts and record writes cannot run over
	// SSH: the control is partly checkable, so not-applicable, never a
	// pass on the strength of the one scenario that ran.
	c := control1(t, sealed, atRest)
	assert.Equal(t, evidence.NotApplicable, c.Outcome, c.Reason)
	for _, sc := range sealed.Scenarios {
		if sc.Name != fieldScenario {
			assert.Equal(t, evidence.ScenarioNotApplicable, sc.Status, sc.Name)
		}
	}

	// Without test data in the profile, the field scenario is
	// not-applicable, not passed.
	none := runHarness(t, s.Target("profile="+writeProfile(t, deviceRoot(t, false), map[string]any{"test_data": []string{}})), atRest)
	assert.Equal(t, evidence.ScenarioNotApplicable, scenario(t, none, fieldScenario).Status)
}

// An empty data path (the profile names a directory with no files, or no
// data paths at all) is nothing searched: not applicable with the reason,
// never a pass.
func TestHarnessEmptyDataPathIsNotAPass(t *testing.T) {
	s := sshdtest.Start(t)
	const atRest = "HIPAA-164.312-a-2-iv"
	root := deviceRoot(t, false)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "var/lib/empty"), 0o755))
	for name, extra := range map[string]map[string]any{
		"empty directory": {"data": []string{"var/lib/empty"}},
		"no data paths":   {"data": []string{}, "logs": []string{}},
	} {
		t.Run(name, func(t *testing.T) {
			res := runHarness(t, s.Target("profile="+writeProfile(t, root, extra)), atRest)
			sc := scenario(t, res, fieldScenario)
			assert.Equal(t, evidence.ScenarioNotApplicable, sc.Status, sc.Reason)
			assert.Contains(t, sc.Reason, "raw storage")
			assert.NotEqual(t, evidence.Satisfied, control1(t, res, atRest).Outcome)
		})
	}
}

// Test data written the way clinical software writes it (a DICOM person
// name, UTF-16LE in a cache, upper case in the application log the
// profile names) is found, and every value and every file is named.
func TestHarnessFindsClinicalEncodingsInEveryFile(t *testing.T) {
	s := sshdtest.Start(t)
	root := deviceRoot(t, true) // the record store itself is sealed
	le := func(s string) []byte {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r), 0)
		}
		return b
	}
	for name, data := range map[string][]byte{
		"var/lib/pump/dicom/1.2.3.dcm": []byte("DICM\x10\x00\x10\x00PN\x10\x00Testpatient^Ada "),
		"var/lib/pump/cache.bin":       le("MRN-77123456"),
		"var/log/pump/app.log":         []byte("boot ok\nADMIT ADA TESTPATIENT\n"),
	} {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, name), data, 0o644))
	}
	res := runHarness(t, s.Target("profile="+writeProfile(t, root, nil)), "HIPAA-164.312-a-2-iv")
	sc := scenario(t, res, fieldScenario)
	require.Equal(t, evidence.ScenarioFailed, sc.Status, sc.Reason)
	assert.Contains(t, sc.Reason, `"Ada Testpatient" in "var/lib/pump/dicom/1.2.3.dcm" (DICOM/HL7 person name), "var/log/pump/app.log" (plain)`)
	assert.Contains(t, sc.Reason, `"MRN-77123456" in "var/lib/pump/cache.bin" (plain, UTF-16LE)`)
}

// Across the whole catalogue, an SSH device whose capabilities are storage,
// logs and identity is never reported as satisfying a control it could not
// be checked against, and nothing errors.
func TestHarnessWholeCatalogueOverSSH(t *testing.T) {
	s, _, reg := nsDevice(t) // a socket table of the test's own
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	require.False(t, diags.HasErrors())
	var auto []string
	for _, c := range cat.Controls {
		if c.Verification.Method == control.MethodScenario {
			auto = append(auto, c.ID)
		}
	}
	res := runWith(t, reg, s.Target("profile="+writeProfile(t, deviceRoot(t, true), nil)), auto...)
	assert.Equal(t, "AP-000123", res.Identity.Serial)
	for _, c := range res.Controls {
		assert.NotEqual(t, evidence.Error, c.Outcome, "%s: %s", c.ID, c.Reason)
		assert.NotEqual(t, evidence.Satisfied, c.Outcome, "%s: %s", c.ID, c.Reason)
		assert.NotEqual(t, evidence.NotSatisfied, c.Outcome, "%s: %s", c.ID, c.Reason)
	}
	for _, sc := range res.Scenarios {
		switch sc.Name {
		case fieldScenario, portsScenario, rootScenario, logSecretsScenario:
			assert.Equal(t, evidence.ScenarioPassed, sc.Status, "%s: %s", sc.Name, sc.Reason)
		default:
			assert.Equal(t, evidence.ScenarioNotApplicable, sc.Status, "%s: %s", sc.Name, sc.Reason)
		}
	}
}

// A real device against the site inventory: the unit over SSH announces
// the identity of PUMP-0042 in examples/inventory and matches it; the same
// unit against an inventory that lacks it is an unknown device.
func TestHarnessInventoryOverSSH(t *testing.T) {
	s := sshdtest.Start(t)
	f, err := os.Open("../../../examples/inventory/records.csv")
	require.NoError(t, err)
	defer f.Close()
	recs, err := inventory.ReadRecordsCSV(f)
	require.NoError(t, err)
	target := s.Target("profile=" + writeProfile(t, deviceRoot(t, true), nil))

	check := func(inv *inventory.Inventory) evidence.Control {
		cat, _, _, diags := control.Lint(controls.FS, features.FS)
		require.False(t, diags.HasErrors())
		reg := device.NewRegistry()
		require.NoError(t, wssh.Register(reg))
		r := harness.New(reg, cat, features.FS, harness.WithInventory(inv), harness.WithControls("NPRM-164.308-a-1"))
		res, _, err := r.Check(context.Background(), target)
		require.NoError(t, err)
		return control1(t, res, "NPRM-164.308-a-1")
	}
	c := check(&inventory.Inventory{Records: recs})
	assert.Equal(t, evidence.Satisfied, c.Outcome, c.Reason)

	var others []inventory.Record
	for _, r := range recs {
		if r.AssetID != "PUMP-0042" {
			others = append(others, r)
		}
	}
	c = check(&inventory.Inventory{Records: others})
	assert.Equal(t, evidence.NotSatisfied, c.Outcome)
	assert.Contains(t, c.Reason, "unknown device")
}

// nsDevice starts sshd on port 22 in a namespace of its own, so the
// device's socket table holds only what the test puts there, and returns
// a registry whose ssh driver dials from inside that namespace.
func nsDevice(t *testing.T) (*sshdtest.Server, *netlab.Lab, *device.Registry) {
	t.Helper()
	lab := sshdtest.Lab(t, "dev")
	s := sshdtest.Start(t, sshdtest.InNamespace(lab, "dev", 22))
	reg := device.NewRegistry()
	require.NoError(t, reg.Register(wssh.Scheme, func(ctx context.Context, u *url.URL) (device.Device, error) {
		var d device.Device
		err := lab.In("dev", func() error {
			var err error
			d, err = wssh.Open(ctx, u)
			return err
		})
		return d, err
	}))
	return s, lab, reg
}

func runWith(t *testing.T, reg *device.Registry, target string, ids ...string) evidence.Target {
	t.Helper()
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	require.False(t, diags.HasErrors(), "embedded catalogue: %v", diags)
	res, _, err := harness.New(reg, cat, features.FS, harness.WithConcurrency(2), harness.WithControls(ids...)).Check(context.Background(), target)
	require.NoError(t, err)
	require.Empty(t, res.Error)
	return res
}

const portsScenario = "The device listens on its documented ports and no others"

// The device's own socket table (ss over SSH) is judged against the
// profile's documented_ports: an undocumented listener fails FDA-PMC-AUTHZ-2,
// a loopback-only one does not count, and a profile that documents nothing
// makes the check not applicable rather than passed or failed.
func TestHarnessDocumentedPortsOverSSH(t *testing.T) {
	s, lab, reg := nsDevice(t)
	root := deviceRoot(t, true)
	const authz2 = "FDA-PMC-AUTHZ-2"
	target := func(ports ...string) string {
		return s.Target("profile=" + writeProfile(t, root, map[string]any{"documented_ports": ports}))
	}
	local, err := lab.Listen("dev", "127.0.0.1:8081")
	require.NoError(t, err)
	defer local.Close()

	res := runWith(t, reg, target("tcp/22"), authz2)
	sc := scenario(t, res, portsScenario)
	assert.Equal(t, evidence.ScenarioPassed, sc.Status, sc.Reason)

	debug, err := lab.Listen("dev", "0.0.0.0:2323")
	require.NoError(t, err)
	res = runWith(t, reg, target("tcp/22"), authz2)
	sc = scenario(t, res, portsScenario)
	assert.Equal(t, evidence.ScenarioFailed, sc.Status)
	assert.Contains(t, sc.Reason, "undocumented ports: tcp/2323 (on ")
	assert.NotContains(t, sc.Reason, "8081", "a loopback-only socket is not network exposure")
	assert.Equal(t, evidence.NotSatisfied, control1(t, res, authz2).Outcome)

	// Documented, it passes again.
	res = runWith(t, reg, target("tcp/22", "2323"), authz2)
	assert.Equal(t, evidence.ScenarioPassed, scenario(t, res, portsScenario).Status)
	debug.Close()

	res = runWith(t, reg, target(), authz2)
	sc = scenario(t, res, portsScenario)
	assert.Equal(t, evidence.ScenarioNotApplicable, sc.Status, sc.Reason)
	assert.Contains(t, sc.Reason, "documented_ports")
}
