package harness_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/harness"
)

func TestParseTargets(t *testing.T) {
	in := `# the ward lab
sim://infusion-pump            # one unit
sim://infusion-pump?weaken=no-mfa count=3
sim://infusion-pump?serial=ICU count=2

https://10.0.0.7:8443?ca=ca.pem
https://127.0.0.1:8443?ca-sha256=ab count=2
`
	got, err := harness.ParseTargets(strings.NewReader(in), "fleet.txt")
	require.NoError(t, err)
	assert.Equal(t, []string{
		"sim://infusion-pump",
		"sim://infusion-pump?serial=SIM-FLEET-0001&weaken=no-mfa",
		"sim://infusion-pump?serial=SIM-FLEET-0002&weaken=no-mfa",
		"sim://infusion-pump?serial=SIM-FLEET-0003&weaken=no-mfa",
		"sim://infusion-pump?serial=ICU-0001",
		"sim://infusion-pump?serial=ICU-0002",
		"https://10.0.0.7:8443?ca=ca.pem",
		"https://127.0.0.1:8443?ca-sha256=ab",
		"https://127.0.0.1:8443?ca-sha256=ab",
	}, got, "a networked simulator answers each copy with a fresh unit")
}

func TestParseTargetsWideFleet(t *testing.T) {
	got, err := harness.ParseTargets(strings.NewReader("sim://infusion-pump count=12000\n"), "f")
	require.Error(t, err, "over MaxFleetCount")
	assert.Nil(t, got)
	got, err = harness.ParseTargets(strings.NewReader("sim://infusion-pump count=10000\n"), "f")
	require.NoError(t, err)
	require.Len(t, got, 10000)
	assert.Equal(t, "sim://infusion-pump?serial=SIM-FLEET-00001", got[0], "serials are as wide as the count")
	assert.Equal(t, "sim://infusion-pump?serial=SIM-FLEET-10000", got[9999])
}

func TestParseTargetsErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"sim://infusion-pump count=0", "f:1: count=0: want a whole number from 1 to 10000"},
		{"sim://infusion-pump count=-2", "count=-2"},
		{"sim://infusion-pump count=ten", "count=ten"},
		{"\n\nsim://infusion-pump cnt=3", "f:3: unexpected \"cnt=3\""},
		{"sim://infusion-pump count=2 extra", "at most count=N, got 3 fields"},
		{"sim://infusion-pump?%zz count=2", "query"},
	} {
		_, err := harness.ParseTargets(strings.NewReader(tc.in), "f")
		require.Error(t, err, tc.in)
		assert.True(t, errors.Is(err, harness.ErrConfig), tc.in)
		assert.Contains(t, err.Error(), tc.want, tc.in)
	}
}

// Attack: a targets file that never ends, or that lists more targets than
// any run checks, is a configuration error at once.
func TestTargetsFileIsBounded(t *testing.T) {
	_, err := harness.ParseTargets(io.LimitReader(repeatReader("sim://infusion-pump\n"), harness.MaxTargetsFile+100), "big.txt")
	require.ErrorIs(t, err, harness.ErrConfig)
	assert.Contains(t, err.Error(), "more than")
	_, err = harness.ParseTargets(strings.NewReader(strings.Repeat("sim://infusion-pump count=10000\n", 11)), "many.txt")
	require.ErrorIs(t, err, harness.ErrConfig)
}

type repeatReader string

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}
