package sim

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/mfa"
)

// The weak code paths of the authentication weaknesses. pkg/mfa and
// pkg/access cannot be configured into these mistakes (a privileged role
// with one factor, a generic account name, a reused code, an unrecorded
// emergency session), so the simulator makes them the way real firmware
// does: with its own code beside the library. Each is reached only with its
// weakness on. Where the library does allow a setting (lockout thresholds,
// session lifetimes), the weakness is that setting, as on a misconfigured
// device.

var base64URL = base64.RawURLEncoding

// factoryUser and factoryPassword are the default-credentials weakness: an
// administrator account compiled into the firmware.
const (
	factoryUser     = "admin"
	factoryPassword = "admin"
)

// legacySession is a session opened by a weak code path, outside pkg/mfa:
// it never expires.
type legacySession struct {
	user       string
	role       access.Role
	source     string
	breakGlass bool
	silent     bool // silent-break-glass: nothing done in it is recorded
}

func (p *Pump) newLegacySession(ls legacySession) string {
	tok := newToken()
	p.mu.Lock()
	p.legacy[tok] = ls
	p.mu.Unlock()
	return tok
}

func (p *Pump) legacySession(token string) (legacySession, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ls, ok := p.legacy[token]
	return ls, ok
}

func (p *Pump) takeLegacySession(token string) (legacySession, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ls, ok := p.legacy[token]
	delete(p.legacy, token)
	return ls, ok
}

// authorizeLegacy checks a weak-path session against the pump's table
// (recorded, unless the session is silent).
func (p *Pump) authorizeLegacy(ctx context.Context, ls legacySession, perm access.Permission) (caller, error) {
	c := caller{Subject: access.Subject{User: ls.user, Role: ls.role, BreakGlass: ls.breakGlass, Source: ls.source, Session: "legacy"}, silent: ls.silent}
	var err error
	if ls.silent {
		if !p.access.Allowed(c.Subject, perm) {
			err = fmt.Errorf("%w: %s may not %s", access.ErrForbidden, ls.user, perm)
		}
	} else {
		err = p.access.Authorize(ctx, c.Subject, perm)
	}
	if err != nil && !p.weak["no-rbac"] {
		return c, fmt.Errorf("%w: %w", device.ErrDenied, err)
	}
	return c, nil
}

// legacyLogin is the pump's own password check for accounts whose names
// pkg/mfa refuses: the factory administrator (default-credentials) and
// shared accounts (shared-account). A password alone opens a session that
// never expires. handled is false when the credentials are not such an
// account's, and pkg/mfa decides (and records) as usual.
func (p *Pump) legacyLogin(ctx context.Context, c device.Credentials) (token string, handled bool, err error) {
	if !p.weak["default-credentials"] && !p.weak["shared-account"] {
		return "", false, nil
	}
	if _, err := access.CanonicalName(c.User); err == nil {
		return "", false, nil // a name pkg/mfa accepts is pkg/mfa's
	}
	p.mu.Lock()
	u, ok := p.accounts[c.User]
	p.mu.Unlock()
	if !ok || !checkSimHash(u.Password, c.Password) {
		return "", false, nil
	}
	tok := p.newLegacySession(legacySession{user: u.Name, role: u.Role, source: c.Source})
	if err := p.record(ctx, audit.Event{Actor: u.Name, Source: c.Source, Action: "login", Object: "session", Outcome: audit.Success,
		Detail: map[string]string{"role": string(u.Role), "factors": "password", "account": "legacy"}}); err != nil {
		p.takeLegacySession(tok)
		return "", true, err
	}
	return tok, true, nil
}

// weakCreateUser creates what pkg/mfa would refuse: shared or generic
// names (shared-account) and weak passwords (weak-passwords), hashing the
// password itself. done is false when the request is not such a case.
func (p *Pump) weakCreateUser(ctx context.Context, user, password string, role access.Role) (done bool, err error) {
	canon, nameErr := access.CanonicalName(user)
	var via string
	switch {
	case !role.Valid() || password == "":
		return false, nil
	case p.weak["shared-account"] && errors.Is(nameErr, access.ErrSharedAccount):
		canon, via = user, "shared-account"
	case p.weak["weak-passwords"] && nameErr == nil:
		pol := p.verifier.Load().Policy()
		minLen := pol.Password.MinLength
		if role.Privileged() || pol.Factors[role] >= 2 {
			minLen = pol.Password.MinLengthMFA
		}
		if mfa.CheckPassword(canon, password, minLen, pol.Password.MaxLength) == nil {
			return false, nil
		}
		via = "weak-passwords"
	default:
		return false, nil
	}
	hash, err := p.simHash(password)
	if err != nil {
		return true, err
	}
	err = accountStore{p}.Create(ctx, mfa.User{Name: canon, Role: role, Password: hash, Created: p.now()})
	outcome := audit.Success
	if err != nil {
		outcome = audit.Failure
	}
	if rerr := p.record(ctx, audit.Event{Actor: "provisioner", Source: "provisioning", Action: "user.create", Object: canon,
		Outcome: outcome, Detail: map[string]string{"role": string(role), "checks": "skipped (" + via + ")"}}); rerr != nil && err == nil {
		err = rerr
	}
	if errors.Is(err, mfa.ErrExists) {
		err = fmt.Errorf("sim: create user %q: %w: %w", canon, device.ErrDenied, err)
	}
	return true, err
}

// simHash hashes a password the pump's own way, in pkg/mfa's PHC encoding
// for PBKDF2-HMAC-SHA256 (which pkg/mfa can verify too).
func (p *Pump) simHash(pw string) (string, error) {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	it := p.hashing.PBKDF2Iterations
	sum, err := pbkdf2.Key(sha256.New, pw, salt, it, 32)
	if err != nil {
		return "", fmt.Errorf("sim: hash password: %w", err)
	}
	b := base64.RawStdEncoding
	return fmt.Sprintf("$pbkdf2-sha256$i=%d$%s$%s", it, b.EncodeToString(salt), b.EncodeToString(sum)), nil
}

// checkSimHash verifies pw against a simHash encoding.
func checkSimHash(encoded, pw string) bool {
	f := strings.Split(encoded, "$")
	if len(f) != 5 || f[1] != "pbkdf2-sha256" || !strings.HasPrefix(f[2], "i=") {
		return false
	}
	it, err := strconv.Atoi(f[2][2:])
	if err != nil || it < 1 || it > 10_000_000 {
		return false
	}
	b := base64.RawStdEncoding
	salt, err1 := b.DecodeString(f[3])
	want, err2 := b.DecodeString(f[4])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, pw, salt, it, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// keypadFactor is the no-mfa weakness: the pump counts its own keypad as a
// second factor, and the keypad proves nothing.
type keypadFactor struct{}

func (keypadFactor) Name() string { return "keypad" }

func (keypadFactor) Verify(context.Context, string, []byte) error { return nil }

// forgetUsedCode is the totp-replay weakness: the account store does not
// keep the used-step marker of a TOTP enrolment, so a code stays valid for
// its whole window however often it is used.
func forgetUsedCode(before, after *mfa.OTP) *mfa.OTP {
	if before == nil || after == nil || string(before.Sealed) != string(after.Sealed) || after.Next <= before.Next {
		return after
	}
	o := *after
	o.Next = before.Next
	return &o
}

// noLockout is the no-lockout weakness: the loosest throttling pkg/mfa
// accepts (100 failures, NIST's ceiling, before a lock of a nanosecond; a
// nanosecond of backoff).
func noLockout() mfa.Lockout {
	return mfa.Lockout{
		MaxFailures: 100, AdminUnlockAfter: 100, LockDuration: time.Nanosecond, MaxLockDuration: time.Nanosecond,
		BackoffBase: time.Nanosecond, BackoffMax: time.Nanosecond, SourceFreeFailures: 100,
	}
}

// neverLogOff is the no-auto-logoff weakness: sessions configured to last
// ten years whether used or not.
func neverLogOff() map[mfa.Assurance]mfa.SessionLimits {
	never := 10 * 365 * 24 * time.Hour
	return map[mfa.Assurance]mfa.SessionLimits{mfa.AAL1: {Idle: never, Absolute: never}, mfa.AAL2: {Idle: never, Absolute: never}}
}

// silentBreakGlass is the silent-break-glass weakness: the password still
// counts, but no reason is asked, nothing is recorded or alerted, and the
// emergency session never ends.
func (p *Pump) silentBreakGlass(ctx context.Context, c device.Credentials, reason string) (string, error) {
	ctx = context.WithValue(ctx, silentKey{}, true)
	if strings.TrimSpace(reason) == "" {
		reason = "none given"
	}
	v := p.verifier.Load()
	s, err := v.BreakGlass(ctx, mfa.Credentials{User: c.User, Password: c.Password, Source: c.Source, OTP: c.OTP}, reason)
	if err != nil {
		return "", loginError("break-glass", c.User, err)
	}
	_ = v.Logout(ctx, s.Token) // handed over to a session that never ends
	return p.newLegacySession(legacySession{user: s.User, role: s.Role, source: s.Source, breakGlass: true, silent: true}), nil
}
