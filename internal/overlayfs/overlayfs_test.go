package overlayfs_test

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/internal/overlayfs"
)

func trees() (base, top fstest.MapFS) {
	base = fstest.MapFS{
		"frameworks.hcl":        {Data: []byte("base frameworks")},
		"access/login.feature":  {Data: []byte("base login")},
		"access/logoff.feature": {Data: []byte("base logoff")},
	}
	top = fstest.MapFS{
		"acme.hcl":             {Data: []byte("top acme")},
		"access/login.feature": {Data: []byte("top login")},
		"pump/alarm.feature":   {Data: []byte("top alarm")},
	}
	return base, top
}

func TestOverlayIsAConformingFS(t *testing.T) {
	base, top := trees()
	o, err := overlayfs.New(base, "local", top)
	require.NoError(t, err)
	require.NoError(t, fstest.TestFS(o, "frameworks.hcl", "access/login.feature", "access/logoff.feature",
		"local/acme.hcl", "local/access/login.feature", "local/pump/alarm.feature"))
	b, err := fs.ReadFile(o, "local/access/login.feature")
	require.NoError(t, err)
	assert.Equal(t, "top login", string(b), "a top file never hides a base file: it has its own path")
	b, err = fs.ReadFile(o, "access/login.feature")
	require.NoError(t, err)
	assert.Equal(t, "base login", string(b))
}

func TestOverlayRefusesATakenMountAndBadPaths(t *testing.T) {
	base, top := trees()
	_, err := overlayfs.New(base, "access", top)
	assert.ErrorIs(t, err, overlayfs.ErrMountTaken)
	for _, m := range []string{"", ".", "a/b", "../x"} {
		_, err := overlayfs.New(base, m, top)
		assert.Error(t, err, m)
	}
	o, err := overlayfs.New(base, "local", top)
	require.NoError(t, err)
	_, err = o.Open("local/../frameworks.hcl")
	assert.True(t, errors.Is(err, fs.ErrInvalid))
	_, err = o.Open("local/missing.hcl")
	var pe *fs.PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "local/missing.hcl", pe.Path)
}

func TestOverlapping(t *testing.T) {
	base, top := trees()
	got, err := overlayfs.Overlapping(base, top)
	require.NoError(t, err)
	assert.Equal(t, []string{"access/login.feature"}, got)
}
