package mfa

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// Sealer protects OTP seeds at rest. Seal encrypts and authenticates
// plaintext bound to context; Open reverses it and fails if either was
// changed. The Verifier binds each seed to its user, so a sealed seed
// copied to another account does not open.
//
// A device with a key store (TPM, secure element, pkg/atrest's key
// providers) implements Sealer over it; NewAESSealer is the portable one.
type Sealer interface {
	Seal(plaintext, context []byte) ([]byte, error)
	Open(sealed, context []byte) ([]byte, error)
}

// ErrUnseal is returned when a sealed seed does not open: wrong key, or
// the stored bytes were altered or moved to another account.
var ErrUnseal = errors.New("mfa: sealed secret does not open")

type aesSealer struct{ aead cipher.AEAD }

// NewAESSealer returns a Sealer using AES-256-GCM with random nonces
// (cipher.NewGCMWithRandomNonce, FIPS 140-3 approved) under a 32-byte key.
// The key must be kept outside the Store (device key storage).
func NewAESSealer(key []byte) (Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("mfa: sealing key is %d bytes, want 32", len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("mfa: sealing key: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(b)
	if err != nil {
		return nil, fmt.Errorf("mfa: sealing key: %w", err)
	}
	return aesSealer{aead}, nil
}

// newEphemeralSealer is the default: a key that lives as long as the
// process, like the MemStore default.
func newEphemeralSealer() Sealer {
	s, err := NewAESSealer(randomBytes(32))
	if err != nil {
		panic("mfa: ephemeral sealer: " + err.Error())
	}
	return s
}

func (s aesSealer) Seal(plaintext, context []byte) ([]byte, error) {
	return s.aead.Seal(nil, nil, plaintext, context), nil
}

func (s aesSealer) Open(sealed, context []byte) ([]byte, error) {
	if len(sealed) < s.aead.Overhead() {
		return nil, ErrUnseal
	}
	p, err := s.aead.Open(nil, nil, sealed, context)
	if err != nil {
		return nil, ErrUnseal
	}
	return p, nil
}

// randomBytes returns n bytes from crypto/rand, which never fails.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
