package osv

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDpkgCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "1.1", -1},
		{"1.10", "1.9", 1},
		{"1.0~rc1", "1.0", -1}, // ~ sorts before the end
		{"1.0", "1.0a", -1},
		{"1.0a", "1.0+", -1}, // letters before other characters
		{"1:0.9", "2.0", 1},  // epoch first
		{"2.0-1", "2.0-2", -1},
		{"2.0-10", "2.0-9", 1},
		{"3.0.11-1~deb12u2", "3.0.11-1", -1},
		{"3.0.13-1~deb12u1", "3.0.11-1~deb12u2", 1},
		{"1.001", "1.1", 0}, // leading zeros
	} {
		assert.Equal(t, tc.want, Dpkg.Compare(tc.a, tc.b), "%s vs %s", tc.a, tc.b)
		assert.Equal(t, -tc.want, Dpkg.Compare(tc.b, tc.a), "%s vs %s", tc.b, tc.a)
	}
}

func TestRPMCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "1.0.1", -1},
		{"1.10", "1.9", 1},
		{"1.0a", "1.0", 1},
		{"1.0~rc1", "1.0", -1},
		{"1.0^git1", "1.0", 1},
		{"1.0-1.el9", "1.0-2.el9", -1},
		{"1:1.0-1", "2.0-1", 1},
		{"2.a", "2.1", -1}, // a number is newer than letters
	} {
		assert.Equal(t, tc.want, RPM.Compare(tc.a, tc.b), "%s vs %s", tc.a, tc.b)
		assert.Equal(t, -tc.want, RPM.Compare(tc.b, tc.a), "%s vs %s", tc.b, tc.a)
	}
}

const sample = `{"vulns":[
 {"id":"DSA-0001-1","aliases":["CVE-2024-0001"],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]},
 {"id":"OSV-LAST","affected":[{"package":{"ecosystem":"Debian","name":"busybox"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.30"},{"last_affected":"1.35.0-4"}]}]}]},
 {"id":"OSV-LIST","affected":[{"package":{"name":"pumpd"},"versions":["2.1.0","2.1.1"]}]},
 {"id":"RHSA-1","affected":[{"package":{"ecosystem":"Red Hat","name":"openssl"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-27.el9"}]}]}]}
]}`

func TestAffects(t *testing.T) {
	advs, err := Parse([]byte(sample))
	require.NoError(t, err)
	require.Len(t, advs, 4)
	byID := map[string]Advisory{}
	for _, a := range advs {
		byID[a.ID] = a
	}
	for _, tc := range []struct {
		id, pkg, version string
		scheme           Scheme
		affected         bool
		fixed            string
	}{
		{"DSA-0001-1", "openssl", "3.0.11-1~deb12u2", Dpkg, true, "3.0.13-1~deb12u1"},
		{"DSA-0001-1", "openssl", "3.0.13-1~deb12u1", Dpkg, false, ""},
		{"DSA-0001-1", "openssl", "3.0.11-1~deb12u2", RPM, false, ""}, // a Debian advisory says nothing of rpm packages
		{"DSA-0001-1", "libssl3", "3.0.11-1~deb12u2", Dpkg, false, ""},
		{"OSV-LAST", "busybox", "1.35.0-4", Dpkg, true, ""},
		{"OSV-LAST", "busybox", "1.35.0-5", Dpkg, false, ""},
		{"OSV-LAST", "busybox", "1.29", Dpkg, false, ""},
		{"OSV-LIST", "pumpd", "2.1.1", Dpkg, true, ""},
		{"OSV-LIST", "pumpd", "2.1.2", Dpkg, false, ""},
		{"RHSA-1", "openssl", "1:3.0.7-25.el9", RPM, true, "1:3.0.7-27.el9"},
	} {
		got, fixed := byID[tc.id].Affects(tc.scheme, tc.pkg, tc.version)
		assert.Equal(t, tc.affected, got, "%s %s %s", tc.id, tc.pkg, tc.version)
		assert.Equal(t, tc.fixed, fixed, "%s %s %s", tc.id, tc.pkg, tc.version)
	}
}

func TestParseForms(t *testing.T) {
	one, err := Parse([]byte(`{"id":"X-1","affected":[]}`))
	require.NoError(t, err)
	assert.Equal(t, "X-1", one[0].ID)
	arr, err := Parse([]byte(`[{"id":"X-1"},{"id":"X-2"}]`))
	require.NoError(t, err)
	assert.Len(t, arr, 2)
	for name, bad := range map[string]string{
		"empty":            ``,
		"not json":         `id: X`,
		"no id":            `[{"affected":[]}]`,
		"nameless package": `{"id":"X","affected":[{"package":{"ecosystem":"Debian"}}]}`,
		"event sets two":   `{"id":"X","affected":[{"package":{"name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}`,
		"event sets none":  `{"id":"X","affected":[{"package":{"name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{}]}]}]}`,
		"a string":         `"X"`,
	} {
		_, err := Parse([]byte(bad))
		assert.ErrorIs(t, err, ErrFormat, name)
	}
}
