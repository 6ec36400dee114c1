package mfa

import (
	"bufio"
	"crypto/fips140"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Bounds on hash parameters, also applied to parameters read back from a
// Store, so a tampered record cannot make one login cost a gigabyte.
const (
	maxPasswordBytes    = 1024
	maxArgon2MemoryKiB  = 1 << 20 // 1 GiB
	maxArgon2Time       = 64
	maxPBKDF2Iterations = 10_000_000
	saltLen             = 16 // 128 bits, the FIPS 140-3 minimum for PBKDF2
	hashLen             = 32
)

// Algorithm names in encoded hashes (PHC string format).
const (
	algArgon2id = "argon2id"
	algPBKDF2   = "pbkdf2-sha256"
)

// ErrWeakPassword is returned when a new password is refused; the message
// says why.
var ErrWeakPassword = errors.New("mfa: password refused")

// passwordHash is a parsed encoded hash.
type passwordHash struct {
	alg     string
	time    uint32 // argon2id
	memory  uint32 // argon2id, KiB
	threads uint8  // argon2id
	iter    int    // pbkdf2
	salt    []byte
	sum     []byte
}

var b64 = base64.RawStdEncoding

// hashPassword hashes pw with the algorithm FIPS mode allows and the
// policy's parameters.
func hashPassword(pw string, p *PasswordPolicy) (string, error) {
	h := currentParams(p)
	h.salt = randomBytes(saltLen)
	sum, err := h.derive(pw)
	if err != nil {
		return "", err
	}
	h.sum = sum
	return h.encode(), nil
}

// currentParams are the parameters new hashes get.
func currentParams(p *PasswordPolicy) passwordHash {
	if fips140.Enabled() {
		return passwordHash{alg: algPBKDF2, iter: p.PBKDF2Iterations}
	}
	return passwordHash{alg: algArgon2id, time: p.Argon2Time, memory: p.Argon2MemoryKiB, threads: p.Argon2Threads}
}

func (h *passwordHash) derive(pw string) ([]byte, error) {
	switch h.alg {
	case algArgon2id:
		if fips140.Enabled() {
			return nil, errNotApprovedHash
		}
		return argon2.IDKey([]byte(pw), h.salt, h.time, h.memory, h.threads, hashLen), nil
	case algPBKDF2:
		return pbkdf2.Key(sha256.New, pw, h.salt, h.iter, hashLen)
	}
	return nil, errBadHash
}

var (
	errBadHash         = errors.New("mfa: malformed password hash")
	errNotApprovedHash = errors.New("mfa: argon2id is not FIPS 140-3 approved; reset the password in FIPS mode")
)

// sameParams reports whether h was made with the parameters new hashes
// get (otherwise a successful login rehashes).
func (h *passwordHash) sameParams(p *PasswordPolicy) bool {
	c := currentParams(p)
	return h.alg == c.alg && h.time == c.time && h.memory == c.memory && h.threads == c.threads && h.iter == c.iter
}

func (h *passwordHash) encode() string {
	switch h.alg {
	case algArgon2id:
		return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", h.memory, h.time, h.threads, b64.EncodeToString(h.salt), b64.EncodeToString(h.sum))
	default:
		return fmt.Sprintf("$pbkdf2-sha256$i=%d$%s$%s", h.iter, b64.EncodeToString(h.salt), b64.EncodeToString(h.sum))
	}
}

// parseHash reads an encoded hash, refusing parameters outside the bounds.
func parseHash(s string) (passwordHash, error) {
	if len(s) > 512 {
		return passwordHash{}, errBadHash
	}
	f := strings.Split(s, "$")
	var h passwordHash
	var salt, sum string
	switch {
	case len(f) == 6 && f[0] == "" && f[1] == algArgon2id && f[2] == "v=19":
		var m, t, p uint64
		n, err := fmt.Sscanf(f[3], "m=%d,t=%d,p=%d", &m, &t, &p)
		if err != nil || n != 3 || fmt.Sprintf("m=%d,t=%d,p=%d", m, t, p) != f[3] {
			return passwordHash{}, errBadHash
		}
		if m < 8*p || m > maxArgon2MemoryKiB || t < 1 || t > maxArgon2Time || p < 1 || p > 255 {
			return passwordHash{}, errBadHash
		}
		h = passwordHash{alg: algArgon2id, memory: uint32(m), time: uint32(t), threads: uint8(p)}
		salt, sum = f[4], f[5]
	case len(f) == 5 && f[0] == "" && f[1] == algPBKDF2 && strings.HasPrefix(f[2], "i="):
		i, err := strconv.Atoi(f[2][2:])
		if err != nil || i < 1 || i > maxPBKDF2Iterations || strconv.Itoa(i) != f[2][2:] {
			return passwordHash{}, errBadHash
		}
		h = passwordHash{alg: algPBKDF2, iter: i}
		salt, sum = f[3], f[4]
	default:
		return passwordHash{}, errBadHash
	}
	var err1, err2 error
	h.salt, err1 = b64.DecodeString(salt)
	h.sum, err2 = b64.DecodeString(sum)
	if err1 != nil || err2 != nil || len(h.salt) < saltLen || len(h.salt) > 64 || len(h.sum) < 16 || len(h.sum) > 64 {
		return passwordHash{}, errBadHash
	}
	return h, nil
}

// checkHash reports whether pw matches the encoded hash, comparing in
// constant time. It returns an error, and false, for a hash it cannot use.
func checkHash(encoded, pw string) (bool, *passwordHash, error) {
	h, err := parseHash(encoded)
	if err != nil {
		return false, nil, err
	}
	sum, err := h.derive(pw)
	if err != nil {
		return false, nil, err
	}
	return subtle.ConstantTimeCompare(sum, h.sum) == 1, &h, nil
}

//go:embed denylist.txt
var denylistText string

// denylist holds refused passwords, lower case: the most common passwords
// and the defaults medical and IT equipment has shipped with.
var denylist = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(denylistText))
	for sc.Scan() {
		w := strings.TrimSpace(sc.Text())
		if w != "" && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}()

// CheckPassword returns nil if pw may be the password of user (a canonical
// name) when it needs at least minLen characters, and an error matching
// ErrWeakPassword that says why otherwise. Refused: too short or too long,
// on the deny list (common and vendor-default passwords, also with digits
// or symbols added at either end: "Welcome2024!", "admin123"), containing
// the user name or a part of it, one repeated character, a keyboard or
// number sequence.
func CheckPassword(user, pw string, minLen, maxBytes int) error {
	weak := func(why string) error { return fmt.Errorf("%w: %s", ErrWeakPassword, why) }
	if !utf8.ValidString(pw) {
		return weak("not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(pw); n < minLen {
		return weak(fmt.Sprintf("%d characters; at least %d needed (a passphrase of several words is easiest)", n, minLen))
	}
	if len(pw) > maxBytes {
		return weak(fmt.Sprintf("longer than %d bytes", maxBytes))
	}
	lower := strings.ToLower(pw)
	core := strings.Trim(lower, "0123456789!@#$%^&*()_+-=.,;:?~'\"/\\| ")
	if denylist[lower] || denylist[core] || denylist[strings.ReplaceAll(core, " ", "")] || denylist[unleet(core)] {
		return weak("a commonly used or default password")
	}
	if user != "" {
		local, _, _ := strings.Cut(strings.ToLower(user), "@")
		if strings.Contains(lower, local) {
			return weak("contains the user name")
		}
		for _, part := range strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' }) {
			if len(part) >= 4 && strings.Contains(lower, part) {
				return weak("contains part of the user name")
			}
		}
	}
	if isRepetitive(lower) {
		return weak("a repeated character or a simple sequence")
	}
	return nil
}

// unleet undoes the usual character swaps ("p@ssw0rd").
func unleet(s string) string {
	return strings.NewReplacer("@", "a", "4", "a", "3", "e", "1", "i", "!", "i", "0", "o", "$", "s", "5", "s", "7", "t").Replace(s)
}

// isRepetitive reports a string made of one character, or of steps of +1
// or -1 through it ("abcdef", "987654321"), or a keyboard row run.
func isRepetitive(s string) bool {
	r := []rune(s)
	if len(r) < 2 {
		return true
	}
	same, up, down := true, true, true
	for i := 1; i < len(r); i++ {
		same = same && r[i] == r[0]
		up = up && r[i] == r[i-1]+1
		down = down && r[i] == r[i-1]-1
	}
	if same || up || down {
		return true
	}
	for _, row := range []string{"1234567890", "0987654321", "1234567890qwertyuiopasdfghjklzxcvbnm",
		"qwertzuiopasdfghjklyxcvbnm", "azertyuiopqsdfghjklmwxcvbn", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p"} {
		if len(s) >= 8 && strings.Contains(row+row+row, s) {
			return true
		}
	}
	return false
}
