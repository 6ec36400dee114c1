package atrest

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io/fs"
	"slices"
	"sync"
)

// SoftHSM is an in-memory stand-in for a hardware key store (a PKCS#11
// token, a TPM, a secure element, a cloud KMS), for tests and simulators.
// Keys are generated inside it and no method returns their bytes: callers
// hold only key ids, exactly as with a real token, and Destroy makes every
// file wrapped only to that key unrecoverable. It uses the same stanza
// scheme as RawKey ("aes-256-gcm"), so it shows what a hardware provider
// has to implement: WrapKey and UnwrapKey over a key it never exports.
// It is safe for concurrent use.
type SoftHSM struct {
	mu   sync.RWMutex
	keys map[string]cipher.AEAD
}

// NewSoftHSM returns an empty SoftHSM.
func NewSoftHSM() *SoftHSM { return &SoftHSM{keys: map[string]cipher.AEAD{}} }

// GenerateKey creates a key named id inside the HSM. The id must be a
// valid raw key id and not in use.
func (h *SoftHSM) GenerateKey(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validRawKeyID(id); err != nil {
		return fmt.Errorf("atrest: softhsm: %w", err)
	}
	key := make([]byte, 32)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	aead, err := newGCM(key)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.keys[id]; ok {
		return fmt.Errorf("atrest: softhsm: key %q: %w", id, fs.ErrExist)
	}
	h.keys[id] = aead
	return nil
}

// Destroy deletes key id. Files wrapped only to it cannot be opened again.
func (h *SoftHSM) Destroy(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.keys[id]; !ok {
		return fmt.Errorf("atrest: softhsm: key %q: %w", id, ErrNoMatchingKey)
	}
	delete(h.keys, id)
	return nil
}

// IDs lists the keys the HSM holds, sorted.
func (h *SoftHSM) IDs() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ids := make([]string, 0, len(h.keys))
	for id := range h.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Wrapper returns a KeyWrapper that wraps with key id. The key is looked
// up on each use, so a destroyed key stops wrapping at once.
func (h *SoftHSM) Wrapper(id string) KeyWrapper { return hsmKey{h, id} }

type hsmKey struct {
	h  *SoftHSM
	id string
}

func (k hsmKey) WrapKey(ctx context.Context, dataKey []byte) (Stanza, error) {
	if err := ctx.Err(); err != nil {
		return Stanza{}, err
	}
	if len(dataKey) != DataKeySize {
		return Stanza{}, fmt.Errorf("atrest: wrap: data key is %d bytes, want %d", len(dataKey), DataKeySize)
	}
	k.h.mu.RLock()
	aead, ok := k.h.keys[k.id]
	k.h.mu.RUnlock()
	if !ok {
		return Stanza{}, fmt.Errorf("atrest: softhsm: key %q: %w", k.id, ErrNoMatchingKey)
	}
	return gcmWrap(aead, TypeAES256GCM, k.id, nil, dataKey), nil
}

// UnwrapKey implements KeyUnwrapper for every key the HSM holds.
func (h *SoftHSM) UnwrapKey(ctx context.Context, s Stanza) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.Type != TypeAES256GCM {
		return nil, ErrNoMatchingKey
	}
	h.mu.RLock()
	aead, ok := h.keys[s.KeyID]
	h.mu.RUnlock()
	if !ok {
		return nil, ErrNoMatchingKey
	}
	dk, ok := gcmUnwrap(aead, s)
	if !ok {
		return nil, fmt.Errorf("%w: HSM key %q did not open its stanza (another key under that id, or an altered header)", ErrAuthentication, s.KeyID)
	}
	return dk, nil
}
