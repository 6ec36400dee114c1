package main

import (
	"bufio"
	"context"
	"io"
	"slices"
	"strings"
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
)

// serve starts the example device and returns its target.
func serve(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"--data", t.TempDir()}, args...), pw); pw.Close() }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, pr)
	target, ok := strings.CutPrefix(strings.TrimSpace(line), "target: ")
	require.True(t, ok, line)
	return target
}

func check(t *testing.T, target string) map[string]evidence.Control {
	t.Helper()
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	require.False(t, diags.HasErrors())
	reg := device.NewRegistry()
	require.NoError(t, https.Register(reg))
	var ids []string
	for _, c := range cat.Controls {
		if c.Verification.Method == control.MethodScenario {
			ids = append(ids, c.ID)
		}
	}
	res, _, err := harness.New(reg, cat, features.FS, harness.WithControls(ids...)).Check(context.Background(), target)
	require.NoError(t, err)
	require.Empty(t, res.Error)
	out := map[string]evidence.Control{}
	for _, c := range res.Controls {
		out[c.ID] = c
		t.Logf("%-24s %-14s %s", c.ID, c.Outcome, c.Reason)
	}
	return out
}

// The development build satisfies the controls its capabilities let the
// harness check, and only those: the rest are not applicable, never passed.
func TestExampleDeviceUnderWardCheck(t *testing.T) {
	got := check(t, serve(t, "--dev"))
	checked := []string{"FDA-PMC-AUTHN-1", "FDA-PMC-AUTHN-4", "FDA-PMC-LOG-2", "HIPAA-164.308-a-5-ii-D", "HIPAA-164.312-a-2-i",
		"HIPAA-164.312-a-2-iv", "HIPAA-164.312-b", "HIPAA-164.312-c-2", "HIPAA-164.312-d"}
	for id, c := range got {
		want := evidence.NotApplicable
		if slices.Contains(checked, id) {
			want = evidence.Satisfied
		}
		assert.Equal(t, want, c.Outcome, "%s: %s", id, c.Reason)
	}
}

// The production build offers no test hooks: only the default-credentials
// check (which needs no account of its own) can run; everything that needs
// test accounts is not applicable, never passed.
func TestExampleProductionBuildIsNotApplicable(t *testing.T) {
	target := serve(t)
	reg := device.NewRegistry()
	require.NoError(t, https.Register(reg))
	d, err := reg.Open(context.Background(), target)
	require.NoError(t, err)
	defer d.Close()
	_, err = device.As[device.Provisioner](d, "provisioning")
	assert.ErrorIs(t, err, device.ErrUnsupported)
	pd, err := device.As[device.PatientData](d, "patient data")
	require.NoError(t, err)
	_, err = pd.ReadPatient(context.Background(), "not-a-session", "P-1001")
	assert.ErrorIs(t, err, device.ErrUnauthenticated, "the stored reading needs a session")
	for id, c := range check(t, target) {
		want := evidence.NotApplicable
		if id == "FDA-PMC-AUTHN-1" {
			want = evidence.Satisfied
		}
		assert.Equal(t, want, c.Outcome, "%s: %s", id, c.Reason)
	}
}
