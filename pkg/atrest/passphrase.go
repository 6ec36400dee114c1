package atrest

import (
	"context"
	"crypto/fips140"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// KDF selects how Passphrase turns a passphrase into a key-encryption key.
type KDF int

const (
	// KDFAuto uses PBKDF2-HMAC-SHA256 when crypto/fips140.Enabled() and
	// argon2id otherwise.
	KDFAuto KDF = iota
	// KDFPBKDF2 is PBKDF2-HMAC-SHA256 (FIPS 140-3 approved; weaker
	// against GPU guessing than argon2id at the same time cost). Choose
	// it for files that FIPS-mode devices must open.
	KDFPBKDF2
	// KDFArgon2id is argon2id (RFC 9106; memory-hard, not FIPS approved).
	KDFArgon2id
)

// Stanza types of the passphrase schemes.
const (
	TypePBKDF2   = "pbkdf2-sha256"
	TypeArgon2id = "argon2id"
)

// Defaults and limits of the passphrase KDFs. The defaults follow OWASP
// (2023) for PBKDF2-HMAC-SHA256 and RFC 9106's second recommended
// argon2id setting. Parameters are read from the header when opening, so
// a file keeps opening after the defaults change; the maxima stop a
// forged header from making a device spend minutes or gigabytes before
// the (then failing) unwrap.
const (
	DefaultPBKDF2Iterations = 600_000
	DefaultArgon2Time       = 3
	DefaultArgon2MemoryKiB  = 64 << 10
	DefaultArgon2Threads    = 4

	MaxPBKDF2Iterations = 10_000_000
	MaxArgon2Time       = 16
	MaxArgon2MemoryKiB  = 256 << 10
	MaxArgon2Threads    = 16

	saltLen = 16
)

// Minimum cost WrapKey accepts. Variables so that tests can write cheap
// vectors; nothing else changes them.
var (
	minPBKDF2Iterations = 100_000
	minArgon2MemoryKiB  = uint32(19 << 10)
)

// Passphrase wraps data keys with a key derived from a passphrase: the KDF
// output is an AES-256-GCM key that seals the data key, with a fresh
// 128-bit salt per stanza and the KDF parameters stored (and
// authenticated) in the stanza. A wrong passphrase is reported as
// ErrWrongPassphrase.
//
// In FIPS 140-3 mode WrapKey refuses KDFArgon2id and UnwrapKey refuses
// argon2id stanzas, both with ErrNotApproved: open such a file outside
// FIPS mode and Rewrap it with a KDFPBKDF2 passphrase.
//
// Set the exported fields before first use; a Passphrase is then safe for
// concurrent use.
type Passphrase struct {
	// ID is the key id written to the header ("passphrase" if empty).
	// When unwrapping, an empty ID tries every passphrase stanza; a set ID
	// only the stanza with that id.
	ID string
	// KDF selects the derivation for new stanzas.
	KDF KDF
	// Cost of new stanzas; zero means the Default above.
	PBKDF2Iterations int
	Argon2Time       uint32
	Argon2MemoryKiB  uint32
	Argon2Threads    uint8

	pass []byte
}

// NewPassphrase returns a Passphrase with the default settings.
func NewPassphrase(passphrase string) *Passphrase {
	return &Passphrase{pass: []byte(passphrase)}
}

func (p *Passphrase) kdf() KDF {
	if p.KDF == KDFAuto {
		if fips140.Enabled() {
			return KDFPBKDF2
		}
		return KDFArgon2id
	}
	return p.KDF
}

// WrapKey implements KeyWrapper.
func (p *Passphrase) WrapKey(ctx context.Context, dataKey []byte) (Stanza, error) {
	if err := ctx.Err(); err != nil {
		return Stanza{}, err
	}
	if len(p.pass) == 0 {
		return Stanza{}, errors.New("atrest: empty passphrase")
	}
	if len(dataKey) != DataKeySize {
		return Stanza{}, fmt.Errorf("atrest: wrap: data key is %d bytes, want %d", len(dataKey), DataKeySize)
	}
	id := p.ID
	if id == "" {
		id = "passphrase"
	}
	if err := ValidKeyID(id); err != nil {
		return Stanza{}, fmt.Errorf("atrest: %w", err)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return Stanza{}, err
	}
	var typ string
	var params []byte
	switch p.kdf() {
	case KDFPBKDF2:
		iter := p.PBKDF2Iterations
		if iter == 0 {
			iter = DefaultPBKDF2Iterations
		}
		if iter < minPBKDF2Iterations || iter > MaxPBKDF2Iterations {
			return Stanza{}, fmt.Errorf("atrest: PBKDF2 iterations %d outside %d..%d", iter, minPBKDF2Iterations, MaxPBKDF2Iterations)
		}
		typ = TypePBKDF2
		params = binary.BigEndian.AppendUint32(salt, uint32(iter))
	case KDFArgon2id:
		if fips140.Enabled() {
			return Stanza{}, fmt.Errorf("%w: argon2id passphrase (use KDFPBKDF2)", ErrNotApproved)
		}
		t, m, th := p.Argon2Time, p.Argon2MemoryKiB, p.Argon2Threads
		if t == 0 {
			t = DefaultArgon2Time
		}
		if m == 0 {
			m = DefaultArgon2MemoryKiB
		}
		if th == 0 {
			th = DefaultArgon2Threads
		}
		if t > MaxArgon2Time || m < minArgon2MemoryKiB || m > MaxArgon2MemoryKiB || th > MaxArgon2Threads || m < 8*uint32(th) {
			return Stanza{}, fmt.Errorf("atrest: argon2id parameters t=%d m=%d KiB p=%d outside the limits", t, m, th)
		}
		typ = TypeArgon2id
		params = binary.BigEndian.AppendUint32(salt, t)
		params = binary.BigEndian.AppendUint32(params, m)
		params = append(params, th)
	default:
		return Stanza{}, fmt.Errorf("atrest: unknown KDF %d", p.KDF)
	}
	kek, err := deriveKEK(p.pass, typ, params)
	if err != nil {
		return Stanza{}, err
	}
	defer clear(kek)
	aead, err := newGCM(kek)
	if err != nil {
		return Stanza{}, err
	}
	return gcmWrap(aead, typ, id, params, dataKey), nil
}

// UnwrapKey implements KeyUnwrapper.
func (p *Passphrase) UnwrapKey(ctx context.Context, s Stanza) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if (s.Type != TypePBKDF2 && s.Type != TypeArgon2id) || (p.ID != "" && p.ID != s.KeyID) {
		return nil, ErrNoMatchingKey
	}
	if len(p.pass) == 0 {
		return nil, errors.New("atrest: empty passphrase")
	}
	kek, err := deriveKEK(p.pass, s.Type, s.Params)
	if err != nil {
		return nil, err
	}
	defer clear(kek)
	aead, err := newGCM(kek)
	if err != nil {
		return nil, err
	}
	dk, ok := gcmUnwrap(aead, s)
	if !ok {
		return nil, fmt.Errorf("%w (key id %q)", ErrWrongPassphrase, s.KeyID)
	}
	return dk, nil
}

// deriveKEK checks a passphrase stanza's parameters against the limits and
// derives its 32-byte key-encryption key.
func deriveKEK(pass []byte, typ string, params []byte) ([]byte, error) {
	switch typ {
	case TypePBKDF2:
		if len(params) != saltLen+4 {
			return nil, malformed("pbkdf2-sha256 params are %d bytes, want %d", len(params), saltLen+4)
		}
		iter := binary.BigEndian.Uint32(params[saltLen:])
		if iter < 1 || iter > MaxPBKDF2Iterations {
			return nil, malformed("PBKDF2 iterations %d outside 1..%d", iter, MaxPBKDF2Iterations)
		}
		kek, err := pbkdf2.Key(sha256.New, string(pass), params[:saltLen], int(iter), 32)
		if err != nil {
			return nil, fmt.Errorf("atrest: pbkdf2: %w", err)
		}
		return kek, nil
	case TypeArgon2id:
		if fips140.Enabled() {
			return nil, fmt.Errorf("%w: the file's passphrase stanza uses argon2id; open it outside FIPS mode and rewrap it with a PBKDF2 passphrase", ErrNotApproved)
		}
		if len(params) != saltLen+9 {
			return nil, malformed("argon2id params are %d bytes, want %d", len(params), saltLen+9)
		}
		t := binary.BigEndian.Uint32(params[saltLen:])
		m := binary.BigEndian.Uint32(params[saltLen+4:])
		th := params[saltLen+8]
		if t < 1 || t > MaxArgon2Time || th < 1 || th > MaxArgon2Threads || m < 8*uint32(th) || m > MaxArgon2MemoryKiB {
			return nil, malformed("argon2id parameters t=%d m=%d KiB p=%d outside the limits", t, m, th)
		}
		return argon2.IDKey(pass, params[:saltLen], t, m, th, 32), nil
	}
	return nil, fmt.Errorf("atrest: %q is not a passphrase stanza", typ)
}
