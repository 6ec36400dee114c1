package sim

import (
	"context"
	"crypto/rand"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/wardsec/ward/pkg/atrest"
	"github.com/wardsec/ward/pkg/device"
)

// chachaVault is the weakness unapproved-crypto: the unit keeps its own key
// in the secure element, but wraps each file's data key with
// ChaCha20-Poly1305 from golang.org/x/crypto. The cipher is sound, and
// that is the point: nothing else about the unit is weaker, yet its stored
// data now rests on an algorithm outside any FIPS 140-3 validated module,
// which is exactly what FDA-PMC-CRYPTO-1 asks a device not to do. (x/crypto
// is not part of Go's FIPS module, so GODEBUG=fips140=only does not stop
// it: the device has to choose approved algorithms itself.)
type chachaVault struct{ *secureElement }

// stanzaChaCha is the stanza type the weak unit writes. It is a custom
// provider type as far as pkg/atrest is concerned.
const stanzaChaCha = "chacha20-poly1305"

func (v chachaVault) seal(ctx context.Context, _ string, pt []byte) ([]byte, error) {
	return atrest.Seal(ctx, pt, v)
}

func (v chachaVault) open(ctx context.Context, name string, sealed []byte) ([]byte, error) {
	pt, err := atrest.Open(ctx, sealed, v)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", device.ErrIntegrity, name, err)
	}
	return pt, nil
}

func (v chachaVault) aead() (id string, aead chachaAEAD, err error) {
	id, key, err := v.export()
	if err != nil {
		return "", nil, err
	}
	defer clear(key)
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return "", nil, err
	}
	return id, a, nil
}

type chachaAEAD interface {
	NonceSize() int
	Seal(dst, nonce, plaintext, additionalData []byte) []byte
	Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
}

// WrapKey implements atrest.KeyWrapper: XChaCha20-Poly1305 with a random
// nonce prepended, the key id as additional data.
func (v chachaVault) WrapKey(ctx context.Context, dataKey []byte) (atrest.Stanza, error) {
	if err := ctx.Err(); err != nil {
		return atrest.Stanza{}, err
	}
	id, a, err := v.aead()
	if err != nil {
		return atrest.Stanza{}, err
	}
	nonce := make([]byte, a.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return atrest.Stanza{}, err
	}
	return atrest.Stanza{Type: stanzaChaCha, KeyID: id, Wrapped: a.Seal(nonce, nonce, dataKey, []byte(id))}, nil
}

// UnwrapKey implements atrest.KeyUnwrapper.
func (v chachaVault) UnwrapKey(ctx context.Context, s atrest.Stanza) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id, a, err := v.aead()
	if err != nil {
		return nil, err
	}
	if s.Type != stanzaChaCha || s.KeyID != id {
		return nil, atrest.ErrNoMatchingKey
	}
	n := a.NonceSize()
	if len(s.Wrapped) < n {
		return nil, atrest.ErrAuthentication
	}
	dk, err := a.Open(nil, s.Wrapped[:n], s.Wrapped[n:], []byte(id))
	if err != nil {
		return nil, atrest.ErrAuthentication
	}
	return dk, nil
}
