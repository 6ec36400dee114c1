package mfa

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"strings"
)

// Recovery codes: RecoveryCodeCount codes of 80 random bits each, shown
// once as XXXX-XXXX-XXXX-XXXX (base32) and stored only as salted SHA-256
// hashes. With 80 bits a fast hash is enough: nobody can search that space
// offline, and online guessing is throttled like any other factor.
const (
	RecoveryCodeCount = 10
	recoveryBytes     = 10 // 80 bits: 16 base32 characters
	recoveryDomain    = "ward/mfa/recovery-code/v1\x00"
)

var recoveryEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newRecoveryCodes returns fresh codes and their stored form.
func newRecoveryCodes() ([]string, *Recovery) {
	r := &Recovery{Salt: randomBytes(16)}
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		c := recoveryEncoding.EncodeToString(randomBytes(recoveryBytes))
		codes[i] = c[0:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:16]
		r.Hashes = append(r.Hashes, recoveryHash(r.Salt, c))
	}
	return codes, r
}

func recoveryHash(salt []byte, normalized string) []byte {
	h := sha256.New()
	h.Write([]byte(recoveryDomain))
	h.Write(salt)
	h.Write([]byte(normalized))
	return h.Sum(nil)
}

// normalizeRecovery accepts a code as printed, in either case, with or
// without its hyphens and spaces.
func normalizeRecovery(s string) (string, bool) {
	if len(s) > 64 {
		return "", false
	}
	n := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s))
	if len(n) != 16 {
		return "", false
	}
	if _, err := recoveryEncoding.DecodeString(n); err != nil {
		return "", false
	}
	return n, true
}

// matchRecovery returns the stored hash code matches, comparing with every
// stored hash in constant time.
func matchRecovery(r *Recovery, code string) ([]byte, bool) {
	if r == nil {
		return nil, false
	}
	n, ok := normalizeRecovery(code)
	if !ok {
		return nil, false
	}
	h := recoveryHash(r.Salt, n)
	var found []byte
	for _, stored := range r.Hashes {
		if subtle.ConstantTimeCompare(stored, h) == 1 {
			found = stored
		}
	}
	return found, found != nil
}

// removeRecovery returns r without the code hashed as h, and false if h is
// no longer there (used meanwhile).
func removeRecovery(r *Recovery, h []byte) (*Recovery, bool) {
	if r == nil {
		return nil, false
	}
	out := &Recovery{Salt: r.Salt}
	found := false
	for _, stored := range r.Hashes {
		if !found && bytes.Equal(stored, h) {
			found = true
			continue
		}
		out.Hashes = append(out.Hashes, stored)
	}
	return out, found
}
