package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestKeysStayOutsideTheDataDirectory(t *testing.T) {
	for _, c := range []struct {
		keys, data string
		ok         bool
	}{
		{"", "/var/thermo", true},
		{"/secure/keys", "/var/thermo", true},
		{"/var/thermo-keys", "/var/thermo", true},
		{"/var/thermo/keys", "/var/thermo", false},
		{"/var/thermo", "/var/thermo", false},
		{"/var", "/var/thermo", false},
		{filepath.Join("data", "..", "data", "k"), "data", false},
	} {
		err := checkKeysDir(c.keys, c.data)
		assert.Equal(t, c.ok, err == nil, "keys %q data %q: %v", c.keys, c.data, err)
	}
}

func TestKeyFileRefusesAWrongLength(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "audit.key")
	k, err := keyFile(p)
	assert.NoError(t, err)
	again, err := keyFile(p)
	assert.NoError(t, err)
	assert.Equal(t, k, again, "the key persists")
	assert.NoError(t, writeShort(p))
	_, err = keyFile(p)
	assert.Error(t, err)
}

func writeShort(p string) error { return os.WriteFile(p, []byte("short"), 0o600) }
