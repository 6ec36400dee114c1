package atrest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Keyring keeps key-encryption keys as files in one directory (mode 0700,
// one "ID.key" file of mode 0600 per key) and is the device's crypto-erase
// switch: Destroy overwrites and removes a key, after which every file
// wrapped only to that key is unrecoverable, wherever its copies are.
//
// A Keyring is a KeyUnwrapper for all its keys; Wrapper returns a
// KeyWrapper for one. Keys are read from disk on every use and never
// cached, so after Destroy nothing obtained from the Keyring can use the
// key. With an Auditor, creating and destroying keys are recorded.
//
// What Destroy cannot do: overwriting a file does not guarantee the old
// blocks are gone on flash storage (wear levelling) or copy-on-write and
// journalling file systems, and it cannot reach backups of the key or
// copies in another process's memory. Where that matters, keep KEKs in a
// secure element, TPM or HSM (see SoftHSM for the interface) and destroy
// them there; the Keyring then holds only what such hardware cannot.
//
// It is safe for concurrent use within one process.
type Keyring struct {
	dir     string
	auditor Auditor
	mu      sync.Mutex
}

const keySuffix = ".key"

// OpenKeyring uses dir as a key ring, creating it (mode 0700) if needed,
// and erases key temp files a crash left behind. a may be nil.
func OpenKeyring(dir string, a Auditor) (*Keyring, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("atrest: keyring: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("atrest: keyring: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("atrest: keyring: %s is not a directory", dir)
	}
	stale, _ := filepath.Glob(filepath.Join(dir, ".*"+keySuffix+".tmp-*"))
	for _, p := range stale {
		_ = erase(p) // best effort: never committed, so nothing is wrapped to it
	}
	return &Keyring{dir: dir, auditor: a}, nil
}

func (k *Keyring) path(id string) (string, error) {
	if err := validRawKeyID(id); err != nil {
		return "", fmt.Errorf("atrest: keyring: %w", err)
	}
	return filepath.Join(k.dir, id+keySuffix), nil
}

// Generate creates a new random key named id (its fingerprint if id is
// empty) and returns a wrapper for it. It fails if the id is taken.
func (k *Keyring) Generate(ctx context.Context, id string) (KeyWrapper, error) {
	key, err := GenerateKey(id)
	if err != nil {
		return nil, err
	}
	if err := k.Import(ctx, key); err != nil {
		return nil, err
	}
	return keyringKey{k, key.ID()}, nil
}

// Import stores key in the ring under key.ID(), crash-safely. It fails if
// the id is taken.
func (k *Keyring) Import(ctx context.Context, key *RawKey) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := k.path(key.ID())
	if err != nil {
		return err
	}
	b, _ := key.MarshalText()
	defer clear(b)
	k.mu.Lock()
	err = writeAtomic(p, 0o600, true, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	k.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("atrest: keyring: store key %q: %w", key.ID(), err)
	}
	return record(ctx, k.auditor, ActionKeyCreate, key.ID(), err, map[string]string{"keyring": k.dir})
}

// Wrapper returns a KeyWrapper for key id, which must exist.
func (k *Keyring) Wrapper(id string) (KeyWrapper, error) {
	if _, err := k.load(id); err != nil {
		return nil, err
	}
	return keyringKey{k, id}, nil
}

// IDs lists the ids of the keys in the ring, sorted.
func (k *Keyring) IDs() ([]string, error) {
	ents, err := os.ReadDir(k.dir)
	if err != nil {
		return nil, fmt.Errorf("atrest: keyring: %w", err)
	}
	var ids []string
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), keySuffix)
		if ok && e.Type().IsRegular() && validRawKeyID(id) == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func (k *Keyring) load(id string) (*RawKey, error) {
	p, err := k.path(id)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	key, err := LoadKeyFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: keyring %s has no key %q", ErrNoMatchingKey, k.dir, id)
	}
	if err != nil {
		return nil, err
	}
	if key.ID() != id {
		return nil, fmt.Errorf("atrest: keyring: %s holds key %q, not %q", p, key.ID(), id)
	}
	return key, nil
}

// UnwrapKey implements KeyUnwrapper for every key in the ring.
func (k *Keyring) UnwrapKey(ctx context.Context, s Stanza) ([]byte, error) {
	if s.Type != TypeAES256GCM || validRawKeyID(s.KeyID) != nil {
		return nil, ErrNoMatchingKey
	}
	key, err := k.load(s.KeyID)
	if err != nil {
		return nil, err
	}
	return key.UnwrapKey(ctx, s)
}

// Destroy crypto-erases key id: it overwrites the key file with random
// bytes, fsyncs it, removes it and fsyncs the directory. Afterwards data
// wrapped only to this key cannot be opened by anyone; see the Keyring
// documentation for what overwriting cannot reach.
func (k *Keyring) Destroy(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p, err := k.path(id)
	if err != nil {
		return err
	}
	k.mu.Lock()
	err = erase(p)
	if err == nil {
		err = syncDir(k.dir)
	}
	k.mu.Unlock()
	if errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("%w: keyring %s has no key %q", ErrNoMatchingKey, k.dir, id)
	} else if err != nil {
		err = fmt.Errorf("atrest: keyring: destroy %q: %w", id, err)
	}
	return record(ctx, k.auditor, ActionKeyDestroy, id, err, map[string]string{"keyring": k.dir, "method": "overwrite, fsync, unlink"})
}

// erase overwrites a file with random bytes, fsyncs and removes it.
func erase(name string) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err == nil {
		junk := make([]byte, st.Size())
		rand.Read(junk)
		if _, err = f.WriteAt(junk, 0); err == nil {
			err = f.Sync()
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Remove(name)
}

type keyringKey struct {
	k  *Keyring
	id string
}

func (kk keyringKey) WrapKey(ctx context.Context, dataKey []byte) (Stanza, error) {
	key, err := kk.k.load(kk.id)
	if err != nil {
		return Stanza{}, err
	}
	return key.WrapKey(ctx, dataKey)
}
