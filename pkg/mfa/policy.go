package mfa

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/wardsec/ward/pkg/access"
)

// Assurance is how strongly a session's user was authenticated, after NIST
// SP 800-63B's authenticator assurance levels.
type Assurance int

const (
	AAL1 Assurance = 1 // one factor (a password)
	AAL2 Assurance = 2 // two distinct factors
)

func (a Assurance) String() string { return fmt.Sprintf("AAL%d", int(a)) }

// SessionLimits bound a session: it ends after Idle without a request
// (automatic logoff) and after Absolute whatever happens.
type SessionLimits struct {
	Idle     time.Duration
	Absolute time.Duration
}

// Lockout is the throttling policy. Every failed attempt (wrong password,
// wrong or replayed code, unknown user) counts against the account named
// and against the source it came from.
//
// Account: after n consecutive failures the next attempt must wait
// BackoffBase·2^(n-1) (at most BackoffMax); at MaxFailures the account
// locks for LockDuration, and every further failure while the count stands
// locks it again for twice as long (at most MaxLockDuration). After
// AdminUnlockAfter consecutive failures only an administrator unlocks it
// (Verifier.Unlock). A success resets the count.
//
// Source: the first SourceFreeFailures failures from a source cost nothing
// (a shared nurse station sees typos); after that each attempt from it must
// wait BackoffBase·2^k (at most BackoffMax). A source is forgiven after
// SourceQuiet without failures. This is what stops password spraying: one
// guess against many accounts from one place.
type Lockout struct {
	MaxFailures      int           // default 5; 1 to 100 (NIST SP 800-63B's ceiling)
	LockDuration     time.Duration // default 15m
	MaxLockDuration  time.Duration // default 24h
	AdminUnlockAfter int           // default 20; MaxFailures to 100
	BackoffBase      time.Duration // default 1s
	BackoffMax       time.Duration // default 5m

	SourceFreeFailures int           // default 10
	SourceQuiet        time.Duration // default 15m
	// TrackedKeys bounds the memory kept for sources and for names that
	// are not accounts (default 10000). When full, the entry idle longest
	// is forgotten.
	TrackedKeys int
}

// PasswordPolicy is what a password must be, and how it is hashed.
type PasswordPolicy struct {
	// MinLength (in characters) for roles that log in with a password
	// alone; MinLengthMFA for roles that always add a second factor.
	// Defaults 15 and 8, as NIST SP 800-63B-4 asks.
	MinLength    int
	MinLengthMFA int
	MaxLength    int // in bytes; default 256. Longer login attempts fail without hashing more.

	// Hash parameters. argon2id (RFC 9106) is used unless FIPS 140-3 mode is
	// on, then PBKDF2-HMAC-SHA256. Defaults: argon2id t=2, m=19 MiB, p=1
	// (OWASP's minimum; ~30 ms here), PBKDF2 600,000 iterations (OWASP
	// 2023; ~170 ms here). Lower them only in tests.
	Argon2Time       uint32
	Argon2MemoryKiB  uint32
	Argon2Threads    uint8
	PBKDF2Iterations int
}

// OTPPolicy configures one-time codes.
type OTPPolicy struct {
	Issuer    string // shown in authenticator apps; default "Ward device"
	Skew      int    // TOTP steps accepted either side of now; default 1, at most 3
	LookAhead int    // HOTP counters accepted ahead of the last used; default 5, at most 50
}

// Policy is everything a Verifier enforces. Start from DefaultPolicy and
// change what you need; zero fields given to WithPolicy take the default.
type Policy struct {
	// Factors is how many distinct factors each role needs: 1 (password)
	// or 2 (password plus a code, recovery code, WebAuthn or device
	// factor). Roles not listed need 2. The privileged roles (biomed,
	// administrator, service) always need 2: New refuses less.
	Factors map[access.Role]int

	Sessions    map[Assurance]SessionLimits // per assurance level
	BreakGlass  time.Duration               // lifetime of an emergency session; default 30m, at most 4h
	FreshAuth   time.Duration               // sensitive actions need an authentication this recent; default 5m
	MaxSessions int                         // default 10000; break-glass is never refused for it

	Lockout  Lockout
	Password PasswordPolicy
	OTP      OTPPolicy
}

// DefaultPolicy returns Ward's defaults (docs/mfa.md explains each).
func DefaultPolicy() Policy {
	return Policy{
		Factors: map[access.Role]int{
			access.Patient: 1, access.Clinician: 1,
			access.Biomed: 2, access.Administrator: 2, access.Service: 2,
		},
		Sessions: map[Assurance]SessionLimits{
			AAL1: {Idle: 15 * time.Minute, Absolute: 12 * time.Hour},
			AAL2: {Idle: 10 * time.Minute, Absolute: 4 * time.Hour},
		},
		BreakGlass:  30 * time.Minute,
		FreshAuth:   5 * time.Minute,
		MaxSessions: 10000,
		Lockout: Lockout{
			MaxFailures: 5, LockDuration: 15 * time.Minute, MaxLockDuration: 24 * time.Hour,
			AdminUnlockAfter: 20, BackoffBase: time.Second, BackoffMax: 5 * time.Minute,
			SourceFreeFailures: 10, SourceQuiet: 15 * time.Minute, TrackedKeys: 10000,
		},
		Password: PasswordPolicy{
			MinLength: 15, MinLengthMFA: 8, MaxLength: 256,
			Argon2Time: 2, Argon2MemoryKiB: 19 * 1024, Argon2Threads: 1,
			PBKDF2Iterations: 600_000,
		},
		OTP: OTPPolicy{Issuer: "Ward device", Skew: 1, LookAhead: 5},
	}
}

// ErrInvalidPolicy is returned by New for a policy it will not run.
var ErrInvalidPolicy = errors.New("mfa: invalid policy")

// complete fills zero fields from the defaults and checks the result.
func (p Policy) complete() (Policy, error) {
	d := DefaultPolicy()
	bad := func(format string, a ...any) (Policy, error) {
		return Policy{}, fmt.Errorf("%w: "+format, append([]any{ErrInvalidPolicy}, a...)...)
	}
	factors := maps.Clone(d.Factors)
	for _, r := range slices.Sorted(maps.Keys(p.Factors)) {
		n := p.Factors[r]
		if !r.Valid() {
			return bad("unknown role %q", r)
		}
		if n != 1 && n != 2 {
			return bad("%s: %d factors; 1 or 2", r, n)
		}
		if r.Privileged() && n < 2 {
			return bad("%s is privileged and always needs two factors", r)
		}
		factors[r] = n
	}
	p.Factors = factors
	sessions := maps.Clone(d.Sessions)
	for _, a := range slices.Sorted(maps.Keys(p.Sessions)) {
		l := p.Sessions[a]
		if a != AAL1 && a != AAL2 {
			return bad("session limits for unknown level %d", int(a))
		}
		if l.Idle <= 0 || l.Absolute <= 0 || l.Idle > l.Absolute {
			return bad("%s sessions: idle %v, absolute %v: both positive, idle at most absolute", a, l.Idle, l.Absolute)
		}
		sessions[a] = l
	}
	p.Sessions = sessions
	def := func(v *time.Duration, dv time.Duration) {
		if *v == 0 {
			*v = dv
		}
	}
	defInt := func(v *int, dv int) {
		if *v == 0 {
			*v = dv
		}
	}
	def(&p.BreakGlass, d.BreakGlass)
	def(&p.FreshAuth, d.FreshAuth)
	defInt(&p.MaxSessions, d.MaxSessions)
	if p.BreakGlass < 0 || p.BreakGlass > 4*time.Hour {
		return bad("break-glass lifetime %v: at most 4h", p.BreakGlass)
	}
	if p.FreshAuth < 0 || p.MaxSessions < 0 {
		return bad("negative fresh-auth window or session cap")
	}

	l, dl := &p.Lockout, d.Lockout
	defInt(&l.MaxFailures, dl.MaxFailures)
	def(&l.LockDuration, dl.LockDuration)
	def(&l.MaxLockDuration, dl.MaxLockDuration)
	defInt(&l.AdminUnlockAfter, dl.AdminUnlockAfter)
	def(&l.BackoffBase, dl.BackoffBase)
	def(&l.BackoffMax, dl.BackoffMax)
	defInt(&l.SourceFreeFailures, dl.SourceFreeFailures)
	def(&l.SourceQuiet, dl.SourceQuiet)
	defInt(&l.TrackedKeys, dl.TrackedKeys)
	switch {
	case l.MaxFailures < 1 || l.MaxFailures > 100:
		return bad("lockout after %d failures: 1 to 100 (NIST SP 800-63B)", l.MaxFailures)
	case l.AdminUnlockAfter < l.MaxFailures || l.AdminUnlockAfter > 100:
		return bad("administrator unlock after %d failures: between MaxFailures and 100", l.AdminUnlockAfter)
	case l.LockDuration < 0 || l.MaxLockDuration < l.LockDuration:
		return bad("lock durations %v, %v", l.LockDuration, l.MaxLockDuration)
	case l.BackoffBase < 0 || l.BackoffMax < l.BackoffBase:
		return bad("backoff %v, %v", l.BackoffBase, l.BackoffMax)
	case l.SourceFreeFailures < 0 || l.SourceQuiet < 0 || l.TrackedKeys < 16:
		return bad("source throttling %d, %v, %d keys (at least 16)", l.SourceFreeFailures, l.SourceQuiet, l.TrackedKeys)
	}

	pw, dp := &p.Password, d.Password
	defInt(&pw.MinLength, dp.MinLength)
	defInt(&pw.MinLengthMFA, dp.MinLengthMFA)
	defInt(&pw.MaxLength, dp.MaxLength)
	if pw.Argon2Time == 0 {
		pw.Argon2Time = dp.Argon2Time
	}
	if pw.Argon2MemoryKiB == 0 {
		pw.Argon2MemoryKiB = dp.Argon2MemoryKiB
	}
	if pw.Argon2Threads == 0 {
		pw.Argon2Threads = dp.Argon2Threads
	}
	defInt(&pw.PBKDF2Iterations, dp.PBKDF2Iterations)
	switch {
	case pw.MinLength < 8 || pw.MinLengthMFA < 8:
		return bad("minimum password length %d/%d: at least 8", pw.MinLength, pw.MinLengthMFA)
	case pw.MaxLength < 64 || pw.MaxLength > maxPasswordBytes:
		return bad("maximum password length %d: 64 to %d bytes", pw.MaxLength, maxPasswordBytes)
	case pw.MaxLength < pw.MinLength || pw.MaxLength < pw.MinLengthMFA:
		return bad("maximum password length below the minimum")
	case pw.Argon2MemoryKiB < 8*uint32(pw.Argon2Threads) || pw.Argon2MemoryKiB > maxArgon2MemoryKiB:
		return bad("argon2id memory %d KiB", pw.Argon2MemoryKiB)
	case pw.Argon2Time > maxArgon2Time || pw.PBKDF2Iterations < 1 || pw.PBKDF2Iterations > maxPBKDF2Iterations:
		return bad("hash cost out of range")
	}

	o, do := &p.OTP, d.OTP
	if o.Issuer == "" {
		o.Issuer = do.Issuer
	}
	defInt(&o.Skew, do.Skew)
	defInt(&o.LookAhead, do.LookAhead)
	if o.Skew < 0 || o.Skew > 3 || o.LookAhead < 1 || o.LookAhead > 50 {
		return bad("OTP skew %d (0 to 3), look-ahead %d (1 to 50)", o.Skew, o.LookAhead)
	}
	return p, nil
}

// factorsFor returns how many factors role needs (2 for anything unknown).
func (p *Policy) factorsFor(r access.Role) int {
	if n, ok := p.Factors[r]; ok && !r.Privileged() {
		return n
	}
	return 2
}
