package mfa

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
)

// Account administration. Each method takes the actor (who asks) for the
// audit trail; authorizing them is the caller's job, normally through
// Authorize(ctx, token, access.UserManage) whose Session.User is the actor.
// A device provisioning its first account at the factory passes a
// descriptive actor such as "factory-provisioning".

// seedContext binds a sealed OTP seed to its account.
func seedContext(name string) []byte { return []byte("ward/mfa/otp-seed/v1\x00" + name) }

// adminResult records an administrative action and returns err, or the
// recording error if the action succeeded but could not be recorded.
func (v *Verifier) adminResult(ctx context.Context, actor, action, object string, detail map[string]string, err error) error {
	outcome := audit.Success
	if err != nil {
		outcome = audit.Failure
		if detail == nil {
			detail = map[string]string{}
		}
		detail["reason"] = clip(err.Error(), 256)
	}
	if rerr := v.record(ctx, audit.Event{Actor: actor, Action: action, Object: object, Outcome: outcome, Detail: detail}); rerr != nil && err == nil {
		return fmt.Errorf("mfa: %s not recorded: %w", action, rerr)
	}
	return err
}

// minLength is the password length the role's policy asks for.
func (v *Verifier) minLength(r access.Role) int {
	if v.policy.factorsFor(r) >= 2 {
		return v.policy.Password.MinLengthMFA
	}
	return v.policy.Password.MinLength
}

// CreateUser adds an account. It refuses shared and generic names
// (access.ErrSharedAccount), names that are not names (access.ErrInvalidName),
// unknown roles, taken names (ErrExists, names are unique ignoring case) and
// weak passwords (ErrWeakPassword, the message says why). The password is
// stored only as a hash. A privileged role cannot log in until a second
// factor is enrolled (EnrollTOTP, ImportOTP, NewRecoveryCodes or a device
// factor).
func (v *Verifier) CreateUser(ctx context.Context, actor, name string, role access.Role, password string) error {
	canon, err := access.CanonicalName(name)
	object := canon
	if err != nil {
		object = clip(name, access.MaxNameLen*2)
	}
	detail := map[string]string{"role": string(role)}
	if err == nil && !role.Valid() {
		err = fmt.Errorf("mfa: unknown role %q", role)
	}
	if err == nil {
		err = CheckPassword(canon, password, v.minLength(role), v.policy.Password.MaxLength)
	}
	var hash string
	if err == nil {
		hash, err = v.hashNew(ctx, password)
	}
	created := false
	if err == nil {
		err = v.store.Create(ctx, User{Name: canon, Role: role, Password: hash, Created: v.now().UTC()})
		if errors.Is(err, ErrExists) {
			err = fmt.Errorf("%w: %s", ErrExists, canon)
		}
		created = err == nil
	}
	if err = v.adminResult(ctx, actor, "user.create", object, detail, err); err != nil && created {
		_ = v.store.Delete(ctx, canon) // created but not recorded: undo it
	}
	return err
}

// DeleteUser removes an account and ends its sessions.
func (v *Verifier) DeleteUser(ctx context.Context, actor, name string) error {
	canon, err := access.CanonicalName(name)
	if err == nil {
		err = v.store.Delete(ctx, canon)
	}
	if err == nil {
		v.endSessions(ctx, func(s *Session) bool { return s.User == canon }, "revoked", v.now())
	}
	return v.adminResult(ctx, actor, "user.delete", canon, nil, err)
}

// SetPassword sets a new password, after the same checks as CreateUser,
// and ends the account's sessions. When actor is the user themself it is
// recorded as "password.change" (the caller should require Reauthenticate
// first), otherwise as an administrator's "password.reset".
func (v *Verifier) SetPassword(ctx context.Context, actor, name, password string) error {
	canon, err := access.CanonicalName(name)
	var u User
	if err == nil {
		u, err = v.store.Get(ctx, canon)
	}
	if err == nil {
		err = CheckPassword(canon, password, v.minLength(u.Role), v.policy.Password.MaxLength)
	}
	var hash string
	if err == nil {
		hash, err = v.hashNew(ctx, password)
	}
	if err == nil {
		err = v.store.Update(ctx, canon, func(u *User) error { u.Password = hash; return nil })
	}
	if err == nil {
		v.endSessions(ctx, func(s *Session) bool { return s.User == canon }, "revoked", v.now())
	}
	action := "password.reset"
	if actor == canon {
		action = "password.change"
	}
	return v.adminResult(ctx, actor, action, canon, nil, err)
}

// EnrollTOTP gives the account a new TOTP generator (replacing any OTP
// enrolment) and returns its otpauth:// URI, to show once as a QR code.
// Codes are 6 digits every 30 s with HMAC-SHA-1, or HMAC-SHA-256 in FIPS
// 140-3 mode. The seed is stored sealed. The device should ask for a first
// code at once (Login or Reauthenticate) to confirm the app has it.
func (v *Verifier) EnrollTOTP(ctx context.Context, actor, name string) (string, error) {
	canon, err := access.CanonicalName(name)
	var uri string
	var key *otpKey
	if err == nil {
		_, err = v.store.Get(ctx, canon)
	}
	if err == nil {
		key, uri, err = newTOTPKey(v.policy.OTP.Issuer, canon)
	}
	var undo func()
	if err == nil {
		undo, err = v.storeOTP(ctx, canon, key)
	}
	detail := map[string]string{"type": TypeTOTP}
	if key != nil {
		detail["algorithm"] = key.algorithm
	}
	if err = v.adminResult(ctx, actor, "mfa.enroll", canon, detail, err); err != nil {
		if undo != nil {
			undo()
		}
		return "", err
	}
	return uri, nil
}

// ImportOTP enrols a TOTP or HOTP generator provisioned elsewhere (a
// hardware token's seed file), given as an otpauth:// URI. The URI is
// checked strictly: base32 secret of 16 to 64 bytes, algorithm SHA1,
// SHA256 or SHA512 (not SHA1 in FIPS mode: ErrNotApproved), 6 or 8
// digits, a 15 to 120 s period, and no unknown or repeated parameters.
func (v *Verifier) ImportOTP(ctx context.Context, actor, name, uri string) error {
	canon, err := access.CanonicalName(name)
	var key *otpKey
	if err == nil {
		_, err = v.store.Get(ctx, canon)
	}
	if err == nil {
		key, err = parseOTPURI(uri)
	}
	if err == nil {
		err = algorithmAllowed(key.algorithm)
	}
	var undo func()
	if err == nil {
		undo, err = v.storeOTP(ctx, canon, key)
	}
	detail := map[string]string{"imported": "true"}
	if key != nil {
		detail["type"], detail["algorithm"], detail["digits"] = key.typ, key.algorithm, strconv.Itoa(key.digits)
	}
	if err = v.adminResult(ctx, actor, "mfa.enroll", canon, detail, err); err != nil && undo != nil {
		undo()
	}
	return err
}

// storeOTP seals and stores key as name's OTP enrolment, and returns a
// function that puts the previous one back (for an enrolment that could
// not be recorded: the user keeps the generator they have).
func (v *Verifier) storeOTP(ctx context.Context, name string, key *otpKey) (func(), error) {
	sealed, err := v.sealer.Seal(key.seed, seedContext(name))
	clear(key.seed)
	if err != nil {
		return nil, fmt.Errorf("mfa: seal OTP seed: %w", err)
	}
	rec := &OTP{Type: key.typ, Algorithm: key.algorithm, Digits: key.digits, Period: key.period, Sealed: sealed}
	if key.typ == TypeHOTP {
		rec.Next = key.counter
	}
	var old *OTP
	err = v.store.Update(ctx, name, func(u *User) error { old, u.OTP = u.OTP, rec; return nil })
	undo := func() {
		_ = v.store.Update(context.WithoutCancel(ctx), name, func(u *User) error {
			if u.OTP != nil && bytes.Equal(u.OTP.Sealed, rec.Sealed) {
				u.OTP = old
			}
			return nil
		})
	}
	return undo, err
}

// NewRecoveryCodes replaces the account's recovery codes with
// RecoveryCodeCount fresh single-use ones and returns them, to show once.
// Each counts as a second factor once.
func (v *Verifier) NewRecoveryCodes(ctx context.Context, actor, name string) ([]string, error) {
	canon, err := access.CanonicalName(name)
	codes, rec := newRecoveryCodes()
	var old *Recovery
	stored := false
	if err == nil {
		err = v.store.Update(ctx, canon, func(u *User) error { old, u.Recovery = u.Recovery, rec; return nil })
		stored = err == nil
	}
	if err = v.adminResult(ctx, actor, "recovery.generate", canon,
		map[string]string{"codes": strconv.Itoa(len(codes))}, err); err != nil {
		if stored { // not recorded: the old codes stay valid
			_ = v.store.Update(context.WithoutCancel(ctx), canon, func(u *User) error {
				if u.Recovery != nil && bytes.Equal(u.Recovery.Salt, rec.Salt) {
					u.Recovery = old
				}
				return nil
			})
		}
		return nil, err
	}
	return codes, nil
}

// Unlock clears an account's lockout and failure count.
func (v *Verifier) Unlock(ctx context.Context, actor, name string) error {
	canon, err := access.CanonicalName(name)
	var before Throttle
	if err == nil {
		err = v.store.Update(ctx, canon, func(u *User) error { before = u.Throttle; u.Throttle = Throttle{}; return nil })
	}
	return v.adminResult(ctx, actor, "account.unlock", canon,
		map[string]string{"failures": strconv.Itoa(before.Failures)}, err)
}

// Locked reports whether the account is locked now, and until when (zero:
// until an administrator unlocks it).
func (v *Verifier) Locked(ctx context.Context, name string) (bool, Throttle, error) {
	canon, err := access.CanonicalName(name)
	if err != nil {
		return false, Throttle{}, err
	}
	u, err := v.store.Get(ctx, canon)
	if err != nil {
		return false, Throttle{}, err
	}
	return u.Throttle.AdminLocked || v.now().Before(u.Throttle.LockedUntil), u.Throttle, nil
}
