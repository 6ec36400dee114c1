package harness

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

func newTestWorld() *world {
	return &world{acct: newAccountWorld(), auth: newAuthWorld(), data: newDataWorld()}
}

// Personal names get the scenario's suffix; names whose refusal a scenario
// checks (generic, shared, malformed) are sent as written, as are vendor
// defaults never created; unknown users get the suffix and stay unknown.
func TestDeviceNames(t *testing.T) {
	w := newTestWorld()
	sfx := w.acct.suffix
	require.Len(t, sfx, suffixLen)
	for _, c := range sfx {
		require.True(t, c >= 'a' && c <= 'z' || c >= '2' && c <= '7', "suffix %q", sfx)
	}
	for _, tc := range []struct{ scenario, device string }{
		{"nurse.jones", "nurse.jones." + sfx},
		{"Nurse.Jones", "Nurse.Jones." + sfx}, // differs only in case, as in the scenario
		{"pat.doe@example.org", "pat.doe." + sfx + "@example.org"},
		{"nurse", "nurse"},
		{"admin", "admin"},
		{"icu-nurse", "icu-nurse"},
		{"Shared2", "Shared2"},
		{"bad name", "bad name"},
		{strings.Repeat("a", access.MaxNameLen-3), strings.Repeat("a", access.MaxNameLen-3)}, // the suffix would make it too long
	} {
		got := w.personalUser(tc.scenario)
		assert.Equal(t, tc.device, got, tc.scenario)
		assert.Equal(t, got, w.deviceUser(tc.scenario), "the mapping is kept")
		if got != tc.scenario {
			_, err := access.CanonicalName(got)
			assert.NoError(t, err, "%q is a name pkg/access accepts", got)
		}
	}
	c1, _ := access.CanonicalName(w.deviceUser("nurse.jones"))
	c2, _ := access.CanonicalName(w.deviceUser("Nurse.Jones"))
	assert.Equal(t, c1, c2, "still one identity on the device")

	assert.Equal(t, "root", w.deviceUser("root"), "a vendor default no step created is sent as written")
	assert.Equal(t, "ghost."+sfx, w.unknownUser("ghost"))
	assert.Equal(t, "ward.nobody."+sfx, w.unknownUser("ward.nobody"), "an unknown generic-looking name too")
	assert.Equal(t, "ghost."+sfx, w.deviceUser("ghost"))

	other := newTestWorld()
	assert.NotEqual(t, w.acct.suffix, other.acct.suffix, "each scenario its own suffix")
	assert.NotEqual(t, w.source(), other.source())
	assert.True(t, strings.HasPrefix(w.source(), harnessSource+"-"))
}

// A password built from the user's name is built from the device's name
// for that user, whatever the case it was written in.
func TestPasswordWithDeviceName(t *testing.T) {
	for _, tc := range []struct{ pw, user, name, want string }{
		{"pat.doe.is.my.name", "pat.doe", "pat.doe.abc234", "pat.doe.abc234.is.my.name"},
		{"PAT.DOE!2025", "pat.doe", "pat.doe.abc234", "pat.doe.abc234!2025"},
		{"Password12345678!", "pat.doe", "pat.doe.abc234", "Password12345678!"},
		{"patxdoe", "pat.doe", "pat.doe.abc234", "patxdoe"}, // "." is literal
		{"admin", "admin", "admin", "admin"},
	} {
		assert.Equal(t, tc.want, withDeviceName(tc.pw, tc.user, tc.name), tc.pw)
	}
}

// A scenario's records are those naming its device names or its login
// source; its first one fixes where its record numbers start.
func TestScenarioRecords(t *testing.T) {
	w := newTestWorld()
	nurse := w.personalUser("nurse.jones")
	recs := []audit.Record{
		{Seq: 7, Actor: "nurse.jones.earlier", Source: "ward-harness-earlie", Action: "login"},
		{Seq: 8, Actor: "provisioner", Source: "provisioning", Action: "user.create", Object: nurse},
		{Seq: 9, Actor: nurse, Source: w.source(), Action: "login"},
		{Seq: 10, Actor: "unauthenticated", Source: w.source(), Action: "login"},
		{Seq: 11, Actor: "monitor", Source: "device", Action: "monitor.traffic-spike"},
	}
	var ours []uint64
	for _, r := range recs {
		if w.ours(r) {
			ours = append(ours, r.Seq)
		}
	}
	assert.Equal(t, []uint64{8, 9, 10}, ours)
	assert.Equal(t, 1, w.firstRecord(recs))
	assert.Equal(t, uint64(7), w.acct.first.offset)
	assert.Equal(t, 1, w.firstRecord(recs[2:]), "found once, kept")
	lines := make([][]byte, len(recs))
	i, err := recordAt(w, lines, 2)
	require.NoError(t, err)
	assert.Equal(t, 2, i, "the scenario's record 2 is the trail's record 9")
	_, err = recordAt(w, lines, 5)
	assert.Error(t, err, "the scenario has 4 records")
}

// sliceDevice is a driver whose type == cannot compare.
type sliceDevice []int

func (sliceDevice) Identify(context.Context) (device.Identity, error) { return device.Identity{}, nil }
func (sliceDevice) Close() error                                      { return nil }

type ptrDevice struct{ n int }

func (*ptrDevice) Identify(context.Context) (device.Identity, error) { return device.Identity{}, nil }
func (*ptrDevice) Close() error                                      { return nil }

func TestSameDevice(t *testing.T) {
	a, b := &ptrDevice{1}, &ptrDevice{1}
	assert.True(t, sameDevice(a, a))
	assert.False(t, sameDevice(a, b))
	assert.False(t, sameDevice(sliceDevice{1}, sliceDevice{1}), "no panic, and not known to be one")
	assert.False(t, sameDevice(a, sliceDevice{1}))
}
