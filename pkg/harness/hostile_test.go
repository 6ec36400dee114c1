package harness_test

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/internal/hostiletest"
	"github.com/wardsec/ward/internal/safetext"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
)

// liar is a simulated pump that announces a hostile firmware string.
type liar struct {
	*sim.Pump
	fw string
}

func (l liar) Identify(ctx context.Context) (device.Identity, error) {
	id, err := l.Pump.Identify(ctx)
	id.Firmware = l.fw
	return id, err
}

func (l liar) UpdateStatus(ctx context.Context) (device.UpdateStatus, error) {
	st, err := l.Pump.UpdateStatus(ctx)
	st.Firmware = l.fw
	return st, err
}

// hostileFirmware has a path, an escape sequence and more than 255 bytes.
var hostileFirmware = "1.4/../../etc\x1b]0;owned\x07" + strings.Repeat("A", 300)

func liarRegistry(t *testing.T) *device.Registry {
	reg := simRegistry(t)
	require.NoError(t, reg.Register("liar", func(ctx context.Context, u *url.URL) (device.Device, error) {
		d, err := sim.Open(ctx, &url.URL{Scheme: "sim", Host: u.Host})
		if err != nil {
			return nil, err
		}
		return liar{d.(*sim.Pump), hostileFirmware}, nil
	}))
	return reg
}

// A device whose firmware string would make a path, an escape or an
// over-long name must not cost the fleet its bundle: the bundle is
// written for every target and verifies, and no file is named after what
// the device said.
func TestOneDeviceCannotDestroyTheFleetsEvidence(t *testing.T) {
	ctx := context.Background()
	r := harness.New(liarRegistry(t), catalogue(t), features.FS, harness.WithControls("524B-b-3"))
	run, _, err := r.Run(ctx, harness.RunInfo{}, []string{"liar://infusion-pump", "sim://infusion-pump"})
	require.NoError(t, err)
	require.Len(t, run.Targets, 2)
	for _, tg := range run.Targets {
		assert.Empty(t, tg.Error, tg.URI)
	}
	// The liar's SBOM does not describe the firmware it claims; the honest
	// unit is unaffected.
	assert.Equal(t, evidence.NotSatisfied, run.Targets[0].Controls[0].Outcome, run.Targets[0].Controls[0].Reason)
	assert.Equal(t, evidence.Satisfied, run.Targets[1].Controls[0].Outcome, run.Targets[1].Controls[0].Reason)
	fw := run.Targets[0].Identity.Firmware
	assert.Contains(t, fw, fmt.Sprintf("[truncated: 256 of %d bytes shown]", len(hostileFirmware)))

	out := t.TempDir()
	dir, err := evidence.Write(ctx, out, run)
	require.NoError(t, err)
	_, err = evidence.Verify(ctx, dir, nil)
	require.NoError(t, err)
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		name := d.Name()
		assert.LessOrEqual(t, len(name), evidence.MaxNameLen, p)
		assert.True(t, safetext.Safe(name), "unsafe file name %q", name)
		assert.NotContains(t, name, "AAAA", "file named after device data: %s", p)
		return nil
	}))
	// Artifacts are stored by digest; the written run names each target's
	// SBOM, and the stored object is there.
	written, err := evidence.ReadRun(dir)
	require.NoError(t, err)
	n := 0
	for _, tg := range written.Targets {
		for _, sc := range tg.Scenarios {
			for _, a := range sc.Artifacts {
				if strings.HasSuffix(a.Name, "-sbom-running-firmware.cdx.json") {
					n++
					assert.FileExists(t, filepath.Join(dir, filepath.FromSlash(a.Path)))
				}
			}
		}
	}
	assert.GreaterOrEqual(t, n, 2, "an SBOM artifact for each target")
}

// A device that answers its audit trail one byte at a time would hold
// the run for as long as it likes; the whole-target deadline makes it that
// target's error, and the other target is checked as usual.
func TestSlowDripHitsTheTargetDeadline(t *testing.T) {
	hd := hostiletest.New(t)
	hd.SetCapabilities("audit-source", "authenticator", "provisioner")
	drip := hostiletest.Drip([]byte(strings.Repeat(" ", 100000)), 50*time.Millisecond)
	for _, p := range []struct{ m, path string }{{"GET", "/audit"}, {"POST", "/users"}, {"POST", "/login"}} {
		hd.Handle(p.m, p.path, drip)
	}
	reg := simRegistry(t)
	require.NoError(t, https.Register(reg))
	r := harness.New(reg, catalogue(t), features.FS, harness.WithControls("HIPAA-164.312-b"),
		harness.WithTargetTimeout(2*time.Second), harness.WithTargetConcurrency(2))
	run, _, err := r.Run(context.Background(), harness.RunInfo{}, []string{hd.Target(), "sim://infusion-pump"})
	require.NoError(t, err)
	require.Len(t, run.Targets, 2)
	slow, honest := run.Targets[0], run.Targets[1]
	assert.Contains(t, slow.Error, harness.ErrTargetDeadline.Error())
	for _, c := range slow.Controls {
		assert.Equal(t, evidence.Error, c.Outcome, c.ID)
	}
	assert.Empty(t, honest.Error)
	for _, c := range honest.Controls {
		assert.Equal(t, evidence.Satisfied, c.Outcome, "%s: %s", c.ID, c.Reason)
	}
}
