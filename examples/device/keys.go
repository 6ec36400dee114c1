package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardsec/ward/pkg/atrest"
)

// deviceKeys returns the key that signs the audit log and the key that
// seals stored readings. On hardware both live in a secure element and
// never leave it. The example keeps them in dir, which must not be the
// data directory (whoever copies the data must not get the key with it),
// so the device can restart on its data; with dir "" it makes new keys at
// each start, and a restart then cannot reopen the data directory.
//
// Each key is a file of 32 random bytes (the Ed25519 seed, the AES-256
// key), mode 0600, written atomically on first use.
func deviceKeys(dir string) (ed25519.PrivateKey, []byte, error) {
	if dir == "" {
		seed, storage := make([]byte, ed25519.SeedSize), make([]byte, 32)
		if _, err := rand.Read(seed); err != nil {
			return nil, nil, err
		}
		if _, err := rand.Read(storage); err != nil {
			return nil, nil, err
		}
		return ed25519.NewKeyFromSeed(seed), storage, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	seed, err := keyFile(filepath.Join(dir, "audit.key"))
	if err != nil {
		return nil, nil, err
	}
	storage, err := keyFile(filepath.Join(dir, "storage.key"))
	if err != nil {
		return nil, nil, err
	}
	return ed25519.NewKeyFromSeed(seed), storage, nil
}

// keyFile reads a 32-byte key, creating it when absent.
func keyFile(path string) ([]byte, error) {
	k, err := os.ReadFile(path)
	switch {
	case err == nil && len(k) == 32:
		return k, nil
	case err == nil:
		return nil, fmt.Errorf("key %s: %d bytes, want 32", path, len(k))
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	k = make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := atrest.WriteFileAtomic(path, 0o600, func(w io.Writer) error { _, err := w.Write(k); return err }); err != nil {
		return nil, fmt.Errorf("key %s: %w", path, err)
	}
	return k, nil
}

// checkKeysDir refuses a key directory inside the data directory (or the
// other way round): a copy of the data would carry the key that opens it.
func checkKeysDir(keys, data string) error {
	if keys == "" {
		return nil
	}
	k, err1 := filepath.Abs(keys)
	d, err2 := filepath.Abs(data)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	for _, p := range [][2]string{{d, k}, {k, d}} {
		if rel, err := filepath.Rel(p[0], p[1]); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("--keys %s: must be outside the data directory %s", keys, data)
		}
	}
	return nil
}
