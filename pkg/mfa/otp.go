package mfa

import (
	"crypto/fips140"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// OTP types, algorithms and limits.
const (
	TypeTOTP = "totp"
	TypeHOTP = "hotp"

	maxURILen     = 2048
	maxCodeInput  = 32 // bytes of code input looked at; more is refused unread
	minSeedBytes  = 16 // 128 bits, RFC 4226's minimum (and FIPS's 112-bit HMAC key floor)
	maxSeedBytes  = 64
	defaultPeriod = 30
)

// ErrNotApproved is returned for a TOTP/HOTP algorithm FIPS 140-3 mode does
// not allow (HMAC-SHA-1 under GODEBUG=fips140=only).
var ErrNotApproved = errors.New("mfa: algorithm not allowed in FIPS 140-3 mode")

// errBadURI is wrapped by every otpauth URI refusal.
var errBadURI = errors.New("mfa: invalid otpauth URI")

// otpKey is a parsed otpauth:// URI, or a freshly generated seed.
type otpKey struct {
	typ       string
	algorithm string // SHA1, SHA256, SHA512
	digits    int
	period    int    // TOTP
	counter   uint64 // HOTP: the next counter
	seed      []byte
	issuer    string
	account   string
}

// defaultAlgorithm is SHA1 (what every authenticator app supports) unless
// FIPS 140-3 mode is on, where it is SHA256 (HMAC-SHA-1 is refused under
// fips140=only; apps that ignore the algorithm parameter cannot be used).
func defaultAlgorithm() string {
	if fips140.Enabled() {
		return "SHA256"
	}
	return "SHA1"
}

// algorithmAllowed reports whether alg may be used now.
func algorithmAllowed(alg string) error {
	switch alg {
	case "SHA256", "SHA512":
		return nil
	case "SHA1":
		if fips140.Enabled() {
			return fmt.Errorf("%w: HMAC-SHA-1 codes", ErrNotApproved)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown algorithm %q", errBadURI, alg)
}

func hashFunc(alg string) func() hash.Hash {
	switch alg {
	case "SHA256":
		return sha256.New
	case "SHA512":
		return sha512.New
	default:
		return sha1.New
	}
}

func pquernaAlgorithm(alg string) otp.Algorithm {
	switch alg {
	case "SHA256":
		return otp.AlgorithmSHA256
	case "SHA512":
		return otp.AlgorithmSHA512
	default:
		return otp.AlgorithmSHA1
	}
}

// newTOTPKey generates a seed and its otpauth:// URI with pquerna/otp.
func newTOTPKey(issuer, account string) (*otpKey, string, error) {
	alg := defaultAlgorithm()
	size := uint(20)
	if alg != "SHA1" {
		size = 32
	}
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: account, Period: defaultPeriod, SecretSize: size,
		Digits: otp.DigitsSix, Algorithm: pquernaAlgorithm(alg),
	})
	if err != nil {
		return nil, "", fmt.Errorf("mfa: generate TOTP seed: %w", err)
	}
	key, err := parseOTPURI(k.URL())
	if err != nil {
		return nil, "", fmt.Errorf("mfa: generated URI does not parse: %w", err)
	}
	return key, k.URL(), nil
}

// parseOTPURI reads an otpauth:// URI strictly: pquerna/otp's accessors
// fall back to defaults for parameters they cannot read, which for a
// security setting is the wrong answer, so every parameter present must
// parse and be one Ward supports.
func parseOTPURI(s string) (*otpKey, error) {
	bad := func(format string, a ...any) (*otpKey, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{errBadURI}, a...)...)
	}
	if len(s) > maxURILen {
		return bad("longer than %d bytes", maxURILen)
	}
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil {
		return bad("does not parse")
	}
	if u.Scheme != "otpauth" || u.Opaque != "" || u.User != nil || u.Fragment != "" || u.RawFragment != "" {
		return bad("not of the form otpauth://TYPE/LABEL?PARAMETERS")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return bad("query does not parse")
	}
	for name, vals := range q {
		switch name {
		case "secret", "issuer", "algorithm", "digits", "period", "counter", "image":
		default:
			return bad("unknown parameter %q", name)
		}
		if len(vals) != 1 {
			return bad("parameter %q given %d times", name, len(vals))
		}
	}
	k, err := otp.NewKeyFromURL(s)
	if err != nil {
		return bad("does not parse")
	}
	key := &otpKey{typ: k.Type(), issuer: k.Issuer(), account: k.AccountName()}
	if key.typ != TypeTOTP && key.typ != TypeHOTP {
		return bad("type %q is neither totp nor hotp", key.typ)
	}
	secret := strings.ToUpper(strings.TrimRight(k.Secret(), "="))
	if len(secret) > base32.StdEncoding.WithPadding(base32.NoPadding).EncodedLen(maxSeedBytes) {
		return bad("secret too long")
	}
	key.seed, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil {
		return bad("secret is not base32")
	}
	if len(key.seed) < minSeedBytes || len(key.seed) > maxSeedBytes {
		return bad("secret is %d bytes; %d to %d needed", len(key.seed), minSeedBytes, maxSeedBytes)
	}
	key.algorithm = "SHA1"
	if a := q.Get("algorithm"); a != "" {
		key.algorithm = strings.ToUpper(a)
		if key.algorithm != "SHA1" && key.algorithm != "SHA256" && key.algorithm != "SHA512" {
			return bad("algorithm %q", a)
		}
	}
	key.digits = 6
	if d := q.Get("digits"); d != "" {
		if d != "6" && d != "8" {
			return bad("digits %q: 6 or 8", d)
		}
		key.digits = int(k.Digits())
	}
	switch key.typ {
	case TypeTOTP:
		key.period = defaultPeriod
		if p := q.Get("period"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 15 || n > 120 || strconv.Itoa(n) != p {
				return bad("period %q: 15 to 120 seconds", p)
			}
			key.period = n
		}
		if q.Has("counter") {
			return bad("counter given for totp")
		}
	case TypeHOTP:
		if q.Has("period") {
			return bad("period given for hotp")
		}
		if c := q.Get("counter"); c != "" {
			n, err := strconv.ParseUint(c, 10, 64)
			if err != nil || strconv.FormatUint(n, 10) != c || n > 1<<62 {
				return bad("counter %q", c)
			}
			key.counter = n
		}
	}
	return key, nil
}

// uri encodes key as an otpauth:// URI.
func (k *otpKey) uri() string {
	v := url.Values{}
	v.Set("secret", base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(k.seed))
	if k.issuer != "" {
		v.Set("issuer", k.issuer)
	}
	v.Set("algorithm", k.algorithm)
	v.Set("digits", strconv.Itoa(k.digits))
	if k.typ == TypeTOTP {
		v.Set("period", strconv.Itoa(k.period))
	} else {
		v.Set("counter", strconv.FormatUint(k.counter, 10))
	}
	label := k.account
	if k.issuer != "" {
		label = k.issuer + ":" + k.account
	}
	u := url.URL{Scheme: "otpauth", Host: k.typ, Path: "/" + label, RawQuery: v.Encode()}
	return u.String()
}

// parseCode reads a code typed by a person: digits, possibly grouped with
// spaces or a hyphen ("123 456"), exactly digits long. It returns the value
// and false for anything else, reading at most maxCodeInput bytes.
func parseCode(s string, digits int) (uint32, bool) {
	if len(s) > maxCodeInput || digits < 6 || digits > 8 {
		return 0, false
	}
	var v uint32
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == digits {
				return 0, false
			}
			v = v*10 + uint32(c-'0')
			n++
		case c == ' ' || c == '-':
		default:
			return 0, false
		}
	}
	if n != digits {
		return 0, false
	}
	return v, true
}

var pow10 = [...]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// otpVerifier computes HOTP values (RFC 4226 section 5.3: HMAC over the
// big-endian counter, dynamic truncation) for one seed, reusing one HMAC
// state. pquerna/otp computes the same values (the tests check it on every
// algorithm and length) but formats them through strings and allocates per
// code; a verifier compares three to fifty of them per attempt.
type otpVerifier struct {
	mac    hash.Hash
	used   bool // mac needs a Reset before the next code
	digits int
	buf    [8]byte
	sum    [sha512.Size]byte
}

func newOTPVerifier(alg string, seed []byte, digits int) (otpVerifier, error) {
	if err := algorithmAllowed(alg); err != nil {
		return otpVerifier{}, err
	}
	if len(seed) < minSeedBytes {
		return otpVerifier{}, fmt.Errorf("%w: seed shorter than %d bytes", errBadURI, minSeedBytes)
	}
	return otpVerifier{mac: hmac.New(hashFunc(alg), seed), digits: digits}, nil
}

func (o *otpVerifier) code(counter uint64) uint32 {
	if o.used {
		o.mac.Reset()
	}
	o.used = true
	binary.BigEndian.PutUint64(o.buf[:], counter)
	o.mac.Write(o.buf[:])
	sum := o.mac.Sum(o.sum[:0])
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return v % pow10[o.digits]
}

// otpMatch is the outcome of comparing a code with a window of steps.
type otpMatch int

const (
	otpNoMatch otpMatch = iota
	otpFresh            // matched a step not yet used: accept it
	otpReplay           // matched only steps already used
)

// matchOTP compares code with every step in the window for rec at now and
// returns the step to accept. The current step is tried first and a fresh
// match ends the search (a valid code costs one HMAC); a wrong code is
// compared with every step, in constant time, so how long a refusal takes
// says nothing about the code. (An accepted code's timing tells the
// caller nothing the answer does not.)
func matchOTP(rec *OTP, seed []byte, code string, now time.Time, p *OTPPolicy) (uint64, otpMatch, error) {
	v, err := newOTPVerifier(rec.Algorithm, seed, rec.Digits)
	if err != nil {
		return 0, otpNoMatch, err
	}
	val, ok := parseCode(code, rec.Digits)
	if !ok {
		return 0, otpNoMatch, nil
	}
	var cur, lo, hi uint64
	switch rec.Type {
	case TypeTOTP:
		if rec.Period < 1 {
			return 0, otpNoMatch, errBadURI
		}
		t := now.Unix()
		if t < 0 {
			return 0, otpNoMatch, nil
		}
		cur = uint64(t) / uint64(rec.Period)
		lo, hi = cur-min(cur, uint64(p.Skew)), cur+uint64(p.Skew)
	case TypeHOTP:
		// The last used counter is checked too, to tell a replay from a
		// wrong code.
		lo, hi = rec.Next-min(rec.Next, 1), rec.Next+uint64(p.LookAhead)-1
		cur = rec.Next
	default:
		return 0, otpNoMatch, errBadURI
	}
	used := false
	try := func(s uint64) bool {
		if subtle.ConstantTimeEq(int32(v.code(s)), int32(val)) != 1 {
			return false
		}
		if s >= rec.Next {
			return true
		}
		used = true
		return false
	}
	if try(cur) {
		return cur, otpFresh, nil
	}
	for s := lo; s <= hi; s++ {
		if s != cur && try(s) {
			return s, otpFresh, nil
		}
	}
	if used {
		return 0, otpReplay, nil
	}
	return 0, otpNoMatch, nil
}
