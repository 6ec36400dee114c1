package atrest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// KeyWrapper wraps a file's data key to one key-encryption key (KEK).
// RawKey, Passphrase, SoftHSM handles and Keyring handles implement it; so
// can a PKCS#11 token, a TPM or a cloud KMS: the data key is 32 bytes, and
// the returned stanza carries whatever the provider needs to unwrap it
// later. Implementations must not keep dataKey.
type KeyWrapper interface {
	WrapKey(ctx context.Context, dataKey []byte) (Stanza, error)
}

// KeyUnwrapper opens stanzas wrapped to keys it holds. For a stanza that is
// not for one of its keys (another type or key id) it returns an error
// matching ErrNoMatchingKey, and the next unwrapper is tried. A stanza that
// is for its key but does not open gives ErrAuthentication (or
// ErrWrongPassphrase). On success it returns the 32-byte data key.
type KeyUnwrapper interface {
	UnwrapKey(ctx context.Context, s Stanza) ([]byte, error)
}

// TypeAES256GCM is the stanza type of RawKey, Keyring and SoftHSM: the data
// key sealed by AES-256-GCM under the KEK, with a random nonce.
const TypeAES256GCM = "aes-256-gcm"

// wrapAAD is the additional data of the built-in wrapping AEAD: it binds
// the stanza's type, key id and params, so none of them can be changed or
// the wrapped key moved to another key id without the unwrap failing.
func wrapAAD(typ, keyID string, params []byte) []byte {
	b := make([]byte, 0, len(labelWrap)+1+1+len(typ)+1+len(keyID)+2+len(params))
	b = append(b, labelWrap...)
	b = append(b, 0)
	b = append(b, byte(len(typ)))
	b = append(b, typ...)
	b = append(b, byte(len(keyID)))
	b = append(b, keyID...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(params)))
	return append(b, params...)
}

// newGCM returns AES-256-GCM with random nonces: the FIPS 140-3 approved
// constructor, whose Seal prepends a fresh 96-bit nonce from the module's
// DRBG.
func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCMWithRandomNonce(b)
}

func gcmWrap(aead cipher.AEAD, typ, keyID string, params, dataKey []byte) Stanza {
	return Stanza{Type: typ, KeyID: keyID, Params: params,
		Wrapped: aead.Seal(nil, nil, dataKey, wrapAAD(typ, keyID, params))}
}

func gcmUnwrap(aead cipher.AEAD, s Stanza) ([]byte, bool) {
	dk, err := aead.Open(nil, nil, s.Wrapped, wrapAAD(s.Type, s.KeyID, s.Params))
	if err != nil || len(dk) != DataKeySize {
		return nil, false
	}
	return dk, true
}

// RawKey is a 256-bit key-encryption key held in memory: loaded from a key
// file, generated, or provisioned by the device. It wraps with
// AES-256-GCM (stanza type "aes-256-gcm"). It is safe for concurrent use.
type RawKey struct {
	id   string
	key  []byte
	aead cipher.AEAD
}

// GenerateKey returns a new random key. An empty id is replaced by the
// key's fingerprint ("k-" and 16 hex digits, see Fingerprint).
func GenerateKey(id string) (*RawKey, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("atrest: generate key: %w", err)
	}
	return NewRawKey(id, key)
}

// NewRawKey returns a key-encryption key over a copy of key (32 bytes).
// An empty id is replaced by the key's fingerprint. Raw key ids are 1 to 64
// bytes of A-Z a-z 0-9 '.' '_' '-', not starting with '.', so a key ring
// can use them as file names.
func NewRawKey(id string, key []byte) (*RawKey, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("atrest: raw key is %d bytes, want 32", len(key))
	}
	if id == "" {
		id = Fingerprint(key)
	}
	if err := validRawKeyID(id); err != nil {
		return nil, fmt.Errorf("atrest: %w", err)
	}
	k := &RawKey{id: id, key: slices.Clone(key)}
	var err error
	if k.aead, err = newGCM(k.key); err != nil {
		return nil, fmt.Errorf("atrest: raw key: %w", err)
	}
	return k, nil
}

// Fingerprint is the default key id of a raw key: "k-" followed by the
// first 8 bytes of SHA-256("ward/atrest/v1 key id" || 0x00 || key) in hex.
// It names a key without revealing it.
func Fingerprint(key []byte) string {
	d := sha256.New()
	d.Write([]byte(labelKeyID))
	d.Write([]byte{0})
	d.Write(key)
	return "k-" + hex.EncodeToString(d.Sum(nil)[:8])
}

func validRawKeyID(id string) error {
	if len(id) == 0 || len(id) > 64 || id[0] == '.' {
		return fmt.Errorf("raw key id %q: want 1 to 64 bytes, not starting with '.'", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("raw key id %q: only A-Z a-z 0-9 . _ - are allowed", id)
		}
	}
	return nil
}

// ID returns the key id written to headers.
func (k *RawKey) ID() string { return k.id }

// WrapKey implements KeyWrapper.
func (k *RawKey) WrapKey(ctx context.Context, dataKey []byte) (Stanza, error) {
	if err := ctx.Err(); err != nil {
		return Stanza{}, err
	}
	if len(dataKey) != DataKeySize {
		return Stanza{}, fmt.Errorf("atrest: wrap: data key is %d bytes, want %d", len(dataKey), DataKeySize)
	}
	return gcmWrap(k.aead, TypeAES256GCM, k.id, nil, dataKey), nil
}

// UnwrapKey implements KeyUnwrapper.
func (k *RawKey) UnwrapKey(ctx context.Context, s Stanza) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.Type != TypeAES256GCM || s.KeyID != k.id {
		return nil, ErrNoMatchingKey
	}
	dk, ok := gcmUnwrap(k.aead, s)
	if !ok {
		return nil, fmt.Errorf("%w: key %q did not open its stanza (another key under that id, or an altered header)", ErrAuthentication, k.id)
	}
	return dk, nil
}

// Key file format: one line,
//
//	ward-atrest-key/v1 <id> <key, base64url without padding> <check>\n
//
// where check is the first 4 bytes, in hex, of
// HMAC-SHA256(key, "ward/atrest/v1 key check"): a damaged key file is
// reported as damaged instead of failing later as a wrong key.
const (
	keyFilePrefix = "ward-atrest-key/v1"
	labelKeyCheck = "ward/atrest/v1 key check"
)

func keyCheck(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(labelKeyCheck))
	return hex.EncodeToString(m.Sum(nil)[:4])
}

// MarshalText encodes the key in the key file format. The result is
// secret.
func (k *RawKey) MarshalText() ([]byte, error) {
	return fmt.Appendf(nil, "%s %s %s %s\n", keyFilePrefix, k.id,
		base64.RawURLEncoding.EncodeToString(k.key), keyCheck(k.key)), nil
}

// ParseKey decodes a key file's contents.
func ParseKey(b []byte) (*RawKey, error) {
	line, ok := bytes.CutSuffix(b, []byte("\n"))
	f := strings.Split(string(line), " ")
	if !ok || len(f) != 4 || f[0] != keyFilePrefix {
		return nil, errors.New("atrest: not a key file (want one line: ward-atrest-key/v1 ID KEY CHECK)")
	}
	key, err := base64.RawURLEncoding.Strict().DecodeString(f[2])
	if err != nil || len(key) != 32 {
		return nil, errors.New("atrest: key file: the key is not 32 bytes of base64url")
	}
	if keyCheck(key) != f[3] {
		return nil, errors.New("atrest: key file damaged: check value does not match the key")
	}
	if f[1] == "" {
		// A written key file always names its key; an empty id would be
		// replaced by the fingerprint, reading a damaged file as a key
		// with another name.
		return nil, errors.New("atrest: key file damaged: no key id")
	}
	return NewRawKey(f[1], key)
}

// LoadKeyFile reads a key file written by SaveKeyFile (or `ward atrest
// keygen`).
func LoadKeyFile(name string) (*RawKey, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("atrest: load key: %w", err)
	}
	k, err := ParseKey(b)
	clear(b)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, name)
	}
	return k, nil
}

// SaveKeyFile writes k to name with mode 0600, crash-safely (temp file,
// fsync, rename, fsync of the directory). It refuses to replace an
// existing file: overwriting a key can make data unrecoverable.
func SaveKeyFile(name string, k *RawKey) error {
	b, _ := k.MarshalText()
	defer clear(b)
	err := writeAtomic(name, 0o600, true, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
	if err != nil {
		return fmt.Errorf("atrest: save key: %w", err)
	}
	return nil
}

// unwrapDataKey finds a stanza one of the unwrappers opens and checks the
// header MAC with the resulting data key. It returns the derived keys.
func unwrapDataKey(ctx context.Context, h *header, unwrappers []KeyUnwrapper) (*fileKeys, []byte, error) {
	if len(unwrappers) == 0 {
		return nil, nil, errors.New("atrest: no key unwrappers given")
	}
	var firstErr error
	rank := 0
	for _, s := range h.stanzas {
		for _, u := range unwrappers {
			if u == nil {
				return nil, nil, errors.New("atrest: nil KeyUnwrapper")
			}
			dk, err := u.UnwrapKey(ctx, s)
			if err == nil {
				if len(dk) != DataKeySize {
					return nil, nil, fmt.Errorf("atrest: unwrapper for %q returned %d bytes, want %d", s.KeyID, len(dk), DataKeySize)
				}
				keys, err := deriveKeys(dk, &h.fileID)
				if err != nil {
					return nil, nil, err
				}
				if !h.verifyMAC(keys.mac[:]) {
					clear(dk)
					return nil, nil, ErrAuthentication
				}
				return keys, dk, nil
			}
			if cerr := ctx.Err(); cerr != nil {
				return nil, nil, fmt.Errorf("atrest: unwrap: %w", cerr)
			}
			if errors.Is(err, ErrNoMatchingKey) {
				continue
			}
			// Keep the most telling failure: a matching key that did not
			// open beats a wrong passphrase beats a refused algorithm
			// beats anything else (I/O, a provider's own error).
			r := 1
			switch {
			case errors.Is(err, ErrAuthentication):
				r = 4
			case errors.Is(err, ErrWrongPassphrase):
				r = 3
			case errors.Is(err, ErrNotApproved):
				r = 2
			}
			if r > rank {
				rank, firstErr = r, err
			}
		}
	}
	if firstErr != nil {
		return nil, nil, firstErr
	}
	ids := make([]string, len(h.stanzas))
	for i, s := range h.stanzas {
		ids[i] = fmt.Sprintf("%s (%s)", s.KeyID, s.Type)
	}
	return nil, nil, fmt.Errorf("%w: the file is sealed to %s", ErrNoMatchingKey, strings.Join(ids, ", "))
}

// newDataKey returns a fresh random data key.
func newDataKey() ([]byte, error) {
	dk := make([]byte, DataKeySize)
	if _, err := rand.Read(dk); err != nil {
		return nil, fmt.Errorf("atrest: generate data key: %w", err)
	}
	return dk, nil
}

// wrapAll wraps dataKey with every wrapper, in order.
func wrapAll(ctx context.Context, dataKey []byte, wrappers []KeyWrapper) ([]Stanza, error) {
	if len(wrappers) == 0 {
		return nil, errors.New("atrest: no key wrappers given")
	}
	out := make([]Stanza, 0, len(wrappers))
	for _, w := range wrappers {
		if w == nil {
			return nil, errors.New("atrest: nil KeyWrapper")
		}
		s, err := w.WrapKey(ctx, dataKey)
		if err != nil {
			return nil, fmt.Errorf("atrest: wrap data key: %w", err)
		}
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("atrest: wrapper returned a bad stanza: %w", err)
		}
		out = append(out, s)
	}
	return out, nil
}
