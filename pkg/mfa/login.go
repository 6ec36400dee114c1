package mfa

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
)

// Input bounds: anything longer is cut (names, sources, reasons, for the
// record) or refused (proofs) before any work is done.
const (
	maxSourceLen  = 256
	maxReasonLen  = 1024
	maxProofs     = 8
	maxProofBytes = 64 << 10
	unspecified   = "unspecified"
)

// attempt carries one authentication through its steps.
type attempt struct {
	action string // audit action: "login", "break-glass", "session.reauth"
	name   string // canonical name, or the claimed one clipped if invalid
	source string
	now    time.Time
	known  bool     // the name is an account
	user   User     // the account, if known
	before Throttle // the account's throttle before this attempt's charge
	locks  bool     // this attempt, failing, locks the account
}

// Login authenticates c and opens a session. The role's policy says how
// many factors it needs; with the password right but too few factors it
// returns ErrSecondFactorRequired (and the attempt does not count as a
// failure), so a device can ask for the code in a second step by calling
// Login again with both.
//
// Failures return ErrDenied whatever went wrong, after the same work
// (a password hash) whether or not the user exists; a replayed code returns
// an error matching ErrReplay and ErrDenied; throttling and lockout return
// a *ThrottleError matching ErrThrottled or ErrLocked. Every outcome is
// audited.
func (v *Verifier) Login(ctx context.Context, c Credentials) (Session, error) {
	a, factors, err := v.authenticate(ctx, &c, "login", func(u *User) int { return v.policy.factorsFor(u.Role) })
	if err != nil {
		return Session{}, err
	}
	s, err := v.openSession(ctx, &a, factors, false, "")
	if err != nil {
		return Session{}, err
	}
	return s, nil
}

// BreakGlass opens an emergency session for a clinical emergency in which
// the user's usual second factor is unavailable. It needs the user's
// password (so a user name alone opens nothing) and a reason, which is
// recorded; it needs no second factor. Only roles the access policy grants
// access.BreakGlass may use it. The session may do what the access
// policy's Emergency list allows, lasts Policy.BreakGlass from now and then
// ends by itself (it is never extended), and is unmistakable in the audit
// trail: a "break-glass" record when it starts, a "break-glass.end" record
// when it ends, an "access.granted" record for every permission used, and
// an alert through the Alerter. Failed attempts count towards lockout like
// any other.
func (v *Verifier) BreakGlass(ctx context.Context, c Credentials, reason string) (Session, error) {
	reason = clip(strings.TrimSpace(reason), maxReasonLen)
	if reason == "" {
		_ = v.record(ctx, audit.Event{Actor: clip(c.User, access.MaxNameLen*2), Source: clip(c.Source, maxSourceLen),
			Action: access.ActionBreakGlass, Object: "session", Outcome: audit.Failure,
			Detail: map[string]string{"reason": "no reason given"}})
		return Session{}, ErrReasonRequired
	}
	a, factors, err := v.authenticate(ctx, &c, access.ActionBreakGlass, func(*User) int { return 1 })
	if err != nil {
		return Session{}, err
	}
	subj := access.Subject{User: a.user.Name, Role: a.user.Role, Source: a.source}
	if !v.access.Allowed(subj, access.BreakGlass) {
		_ = v.record(ctx, audit.Event{Actor: a.user.Name, Source: a.source, Action: access.ActionBreakGlass,
			Object: "session", Outcome: audit.Denied,
			Detail: map[string]string{"role": string(a.user.Role), "reason": reason, "refused": "role may not break glass"}})
		return Session{}, fmt.Errorf("%w: %s may not use break-glass", access.ErrForbidden, a.user.Role)
	}
	return v.openSession(ctx, &a, factors, true, reason)
}

// Reauthenticate confirms that the user of the session behind token is
// still there, for sensitive actions (Authorize returns ErrReauthRequired
// when the last authentication is older than Policy.FreshAuth). c.User is
// ignored: it is the session's user who re-authenticates, with as many
// factors as the session was opened with (the password alone for
// break-glass). It does not extend the session's absolute lifetime.
func (v *Verifier) Reauthenticate(ctx context.Context, token string, c Credentials) (Session, error) {
	s, err := v.Check(ctx, token)
	if err != nil {
		return Session{}, err
	}
	c.User = s.User
	need := func(u *User) int {
		if s.BreakGlass {
			return 1
		}
		return max(v.policy.factorsFor(u.Role), int(s.Level))
	}
	a, factors, err := v.authenticate(ctx, &c, "session.reauth", need)
	if err != nil {
		return Session{}, err
	}
	s, err = v.sessions.reauth(token, a.now)
	if err != nil {
		return Session{}, err
	}
	if err := v.record(ctx, audit.Event{Actor: s.User, Source: a.source, Action: "session.reauth", Object: "session",
		Outcome: audit.Success, Detail: map[string]string{"session": s.ID, "factors": joinFactors(factors)}}); err != nil {
		return Session{}, fmt.Errorf("mfa: re-authentication not recorded: %w", err)
	}
	return s, nil
}

// Authorize checks the session behind token, asks for a fresh
// authentication if perm is sensitive and the last one is older than
// Policy.FreshAuth (ErrReauthRequired), and asks the access policy whether
// the session's subject may do perm (access.ErrForbidden). It is the one
// call a device makes before each operation; it returns the session so the
// operation can record who did it.
func (v *Verifier) Authorize(ctx context.Context, token string, perm access.Permission) (Session, error) {
	s, err := v.Check(ctx, token)
	if err != nil {
		return Session{}, err
	}
	if v.access.Sensitive(perm) && v.now().Sub(s.AuthTime) > v.policy.FreshAuth {
		_ = v.record(ctx, audit.Event{Actor: s.User, Source: s.Source, Action: "reauth.required", Object: string(perm),
			Outcome: audit.Denied, Detail: map[string]string{"session": s.ID,
				"authenticated": s.AuthTime.UTC().Format(time.RFC3339)}})
		return s, ErrReauthRequired
	}
	if err := v.access.Authorize(ctx, s.Subject(), perm); err != nil {
		return s, err
	}
	return s, nil
}

// authenticate runs one attempt: throttling, password, further factors,
// and the atomic commit that consumes one-time codes. need says how many
// factors the account needs.
func (v *Verifier) authenticate(ctx context.Context, c *Credentials, action string, need func(*User) int) (attempt, []string, error) {
	if err := ctx.Err(); err != nil {
		return attempt{}, nil, fmt.Errorf("mfa: %w", err)
	}
	a := attempt{action: action, now: v.now(), source: clip(c.Source, maxSourceLen)}
	if a.source == "" {
		a.source = unspecified
	}
	name, nameErr := access.CanonicalName(c.User)
	if nameErr != nil {
		a.name = clip(c.User, access.MaxNameLen*2)
	} else {
		a.name = name
	}
	lock := &v.policy.Lockout

	// 1. Throttle: the source, then the account, each charged up front.
	if err := v.sources.update(a.source, a.now, func(t *Throttle) error { return admitSource(t, a.now, lock) }); err != nil {
		return a, nil, v.refused(ctx, &a, err)
	}
	admit := func(t *Throttle) error {
		a.before = *t
		l, err := admitAccount(t, a.now, lock)
		a.locks = l
		return err
	}
	var err error
	if nameErr == nil {
		err = v.store.Update(ctx, a.name, func(u *User) error {
			if err := admit(&u.Throttle); err != nil {
				return err
			}
			a.user, a.known = *u, true
			return nil
		})
	}
	if nameErr != nil || errors.Is(err, ErrNotFound) {
		// Not an account: the same bookkeeping, kept in memory, so a
		// name that does not exist locks exactly like one that does.
		err = v.ghosts.update("name:"+a.name, a.now, admit)
	}
	if err != nil {
		v.refundSource(&a)
		var te *ThrottleError
		if errors.As(err, &te) {
			return a, nil, v.refused(ctx, &a, err)
		}
		return a, nil, fmt.Errorf("mfa: account store: %w", err)
	}

	// 2. The password. An unknown user is checked against a dummy hash
	// with the same parameters: the same work, the same answer.
	encoded := v.dummy
	if a.known {
		encoded = a.user.Password
	}
	ok, ph, herr := v.checkPassword(ctx, encoded, c.Password)
	if errors.Is(herr, context.Canceled) || errors.Is(herr, context.DeadlineExceeded) {
		v.refund(ctx, &a)
		return a, nil, fmt.Errorf("mfa: %w", herr)
	}
	if !a.known || !ok {
		reason := "wrong password"
		switch {
		case !a.known && nameErr != nil:
			reason = "invalid user name"
		case !a.known:
			reason = "unknown user"
		case herr != nil:
			reason = herr.Error()
		}
		return a, nil, v.failed(ctx, &a, reason, ErrDenied)
	}

	// 3. Further factors, each verified; none consumed yet.
	factors := []string{FactorPassword}
	var otpStep uint64
	var otpRec *OTP
	var recoveryHash []byte
	if c.OTP != "" {
		if a.user.OTP == nil {
			return a, nil, v.failed(ctx, &a, "code given but no OTP enrolled", ErrDenied)
		}
		step, m, err := v.verifyOTP(&a.user, c.OTP, a.now)
		v.trace("otp")
		switch {
		case errors.Is(err, ErrUnseal):
			return a, nil, v.failed(ctx, &a, "OTP seed does not unseal", ErrDenied)
		case err != nil:
			return a, nil, v.failed(ctx, &a, err.Error(), fmt.Errorf("%w: %w", ErrDenied, err))
		case m == otpReplay:
			return a, nil, v.failed(ctx, &a, "replayed code", replayErr())
		case m == otpNoMatch:
			return a, nil, v.failed(ctx, &a, "wrong code", ErrDenied)
		}
		otpStep, otpRec = step, a.user.OTP
		factors = append(factors, a.user.OTP.Type)
	}
	if c.RecoveryCode != "" {
		h, ok := matchRecovery(a.user.Recovery, c.RecoveryCode)
		if !ok {
			return a, nil, v.failed(ctx, &a, "wrong recovery code", ErrDenied)
		}
		recoveryHash = h
		factors = append(factors, FactorRecovery)
	}
	if len(c.Proofs) > maxProofs {
		return a, nil, v.failed(ctx, &a, "too many proofs", ErrDenied)
	}
	for _, fname := range sortedProofNames(c.Proofs) {
		f := v.factors[fname]
		switch {
		case f == nil:
			return a, nil, v.failed(ctx, &a, "unknown factor "+strconv.Quote(clip(fname, 32)), ErrDenied)
		case len(c.Proofs[fname]) > maxProofBytes:
			return a, nil, v.failed(ctx, &a, fname+" proof too large", ErrDenied)
		}
		if err := f.Verify(ctx, a.user.Name, c.Proofs[fname]); err != nil {
			return a, nil, v.failed(ctx, &a, fname+": "+clip(err.Error(), 200), ErrDenied)
		}
		factors = append(factors, fname)
	}

	// 4. Enough factors? If not, this was no failure: refund it.
	if n := need(&a.user); len(factors) < n {
		v.refund(ctx, &a)
		_ = v.record(ctx, audit.Event{Actor: a.name, Source: a.source, Action: a.action, Object: "session",
			Outcome: audit.Failure, Detail: map[string]string{"reason": "second factor required",
				"factors": joinFactors(factors), "required": strconv.Itoa(n)}})
		return a, nil, ErrSecondFactorRequired
	}

	// 5. Commit atomically: consume the code and the recovery code (a
	// concurrent attempt with the same code loses here), reset the count.
	var rehash string
	if ph != nil && !ph.sameParams(&v.policy.Password) {
		rehash, _ = v.hashNew(ctx, c.Password)
	}
	err = v.store.Update(ctx, a.name, func(u *User) error {
		if otpRec != nil {
			if err := consumeOTP(u, otpRec, otpStep); err != nil {
				return err
			}
		}
		if recoveryHash != nil {
			r, ok := removeRecovery(u.Recovery, recoveryHash)
			if !ok {
				return errRecoveryCommit
			}
			u.Recovery = r
		}
		if rehash != "" && u.Password == a.user.Password {
			u.Password = rehash
		}
		u.Throttle = Throttle{}
		a.user = *u
		return nil
	})
	switch {
	case errors.Is(err, errReplayCommit):
		return a, nil, v.failed(ctx, &a, "replayed code (concurrent use)", replayErr())
	case errors.Is(err, errRecoveryCommit):
		return a, nil, v.failed(ctx, &a, "recovery code already used", ErrDenied)
	case err != nil:
		return a, nil, fmt.Errorf("mfa: account store: %w", err)
	}
	v.refundSource(&a)
	if recoveryHash != nil {
		left := 0
		if a.user.Recovery != nil {
			left = len(a.user.Recovery.Hashes)
		}
		_ = v.record(ctx, audit.Event{Actor: a.name, Source: a.source, Action: "recovery.use", Object: a.name,
			Outcome: audit.Success, Detail: map[string]string{"remaining": strconv.Itoa(left)}})
	}
	return a, factors, nil
}

// verifyOTP compares code with u's enrolled generator at now, consuming
// nothing.
func (v *Verifier) verifyOTP(u *User, code string, now time.Time) (uint64, otpMatch, error) {
	seed, err := v.sealer.Open(u.OTP.Sealed, seedContext(u.Name))
	if err != nil {
		return 0, otpNoMatch, ErrUnseal
	}
	defer clear(seed)
	return matchOTP(u.OTP, seed, code, now, &v.policy.OTP)
}

// consumeOTP marks step used in u (inside a Store.Update): it fails if the
// enrolment changed or step, or a later one, was used meanwhile.
func consumeOTP(u *User, verified *OTP, step uint64) error {
	if u.OTP == nil || !bytes.Equal(u.OTP.Sealed, verified.Sealed) || step < u.OTP.Next {
		return errReplayCommit
	}
	o := *u.OTP
	o.Next = step + 1
	u.OTP = &o
	return nil
}

var (
	errReplayCommit   = errors.New("mfa: internal: code consumed concurrently")
	errRecoveryCommit = errors.New("mfa: internal: recovery code consumed concurrently")
)

func replayErr() error { return fmt.Errorf("%w: %w", ErrDenied, ErrReplay) }

// checkPassword verifies pw against encoded, doing the full hash work even
// for an over-long password, an unknown user or a hash it cannot use.
func (v *Verifier) checkPassword(ctx context.Context, encoded, pw string) (bool, *passwordHash, error) {
	select {
	case v.hashSem <- struct{}{}:
	case <-ctx.Done():
		return false, nil, ctx.Err()
	}
	defer func() { <-v.hashSem }()
	v.trace("hash")
	tooLong := len(pw) > v.policy.Password.MaxLength
	if tooLong {
		encoded, pw = v.dummy, ""
	}
	ok, ph, err := checkHash(encoded, pw)
	if err != nil {
		// Still do the work, so a broken or unapproved hash is not a
		// timing signal.
		_, _, _ = checkHash(v.dummy, pw)
		return false, nil, err
	}
	if tooLong {
		return false, nil, errors.New("password longer than allowed")
	}
	return ok, ph, nil
}

// hashNew hashes a new password under the hashing semaphore.
func (v *Verifier) hashNew(ctx context.Context, pw string) (string, error) {
	select {
	case v.hashSem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-v.hashSem }()
	v.trace("hash")
	return hashPassword(pw, &v.policy.Password)
}

// refused records an attempt turned away by throttling and returns err.
func (v *Verifier) refused(ctx context.Context, a *attempt, err error) error {
	var te *ThrottleError
	errors.As(err, &te)
	action, d := a.action+".throttled", map[string]string{"scope": te.Scope}
	if te.Locked {
		action = a.action + ".locked"
	}
	if !te.Until.IsZero() {
		d["until"] = te.Until.UTC().Format(time.RFC3339)
	} else if te.Locked {
		d["until"] = "administrator unlock"
	}
	_ = v.record(ctx, audit.Event{Actor: a.name, Source: a.source, Action: action, Object: "session",
		Outcome: audit.Denied, Detail: d})
	return err
}

// failed records a failed attempt (its charge stands), the lock it may
// have caused, and returns err.
func (v *Verifier) failed(ctx context.Context, a *attempt, reason string, err error) error {
	action := a.action
	outcome := audit.Failure
	if errors.Is(err, ErrReplay) {
		action, outcome = "mfa.replay", audit.Denied
	}
	d := map[string]string{"reason": reason}
	if action != a.action {
		d["during"] = a.action
	}
	_ = v.record(ctx, audit.Event{Actor: a.name, Source: a.source, Action: action, Object: "session",
		Outcome: outcome, Detail: d})
	if a.locks {
		v.lockedOut(ctx, a)
	}
	return err
}

// lockedOut records and alerts that a's failure locked the account.
func (v *Verifier) lockedOut(ctx context.Context, a *attempt) {
	l := &v.policy.Lockout
	failures := a.before.Failures + 1
	var until time.Time
	if failures < l.AdminUnlockAfter {
		until = a.now.Add(backoff(failures-l.MaxFailures+1, l.LockDuration, l.MaxLockDuration))
	}
	d := map[string]string{"failures": strconv.Itoa(failures)}
	if until.IsZero() {
		d["until"] = "administrator unlock"
	} else {
		d["until"] = until.UTC().Format(time.RFC3339)
	}
	if !a.known {
		d["account"] = "none"
	}
	_ = v.record(ctx, audit.Event{Actor: a.name, Source: a.source, Action: access.ActionAccountLocked, Object: a.name,
		Outcome: audit.Denied, Detail: d})
	v.alert(ctx, Alert{Time: a.now, Kind: AlertLockout, User: a.name, Source: a.source, Until: until})
}

// refund undoes the up-front charges of an attempt that was no failure.
func (v *Verifier) refund(ctx context.Context, a *attempt) {
	v.refundSource(a)
	undo := func(t *Throttle) error { refundAccount(t, a.before); return nil }
	if a.known {
		_ = v.store.Update(ctx, a.name, func(u *User) error { return undo(&u.Throttle) })
	} else {
		_ = v.ghosts.update("name:"+a.name, a.now, undo)
	}
}

func (v *Verifier) refundSource(a *attempt) {
	_ = v.sources.update(a.source, a.now, func(t *Throttle) error { refundSource(t); return nil })
}

// openSession creates the session for a successful attempt and records it;
// a session that cannot be recorded is withdrawn.
func (v *Verifier) openSession(ctx context.Context, a *attempt, factors []string, breakGlass bool, reason string) (Session, error) {
	level := AAL1
	if len(factors) >= 2 {
		level = AAL2
	}
	limits := v.policy.Sessions[level]
	if breakGlass {
		limits = SessionLimits{Idle: v.policy.BreakGlass, Absolute: v.policy.BreakGlass}
	}
	s, err := v.sessions.create(v, sessionSpec{
		user: a.user.Name, role: a.user.Role, level: level, factors: factors, breakGlass: breakGlass,
		reason: reason, source: a.source, now: a.now, limits: limits,
	})
	action := a.action
	if err != nil {
		_ = v.record(ctx, audit.Event{Actor: a.name, Source: a.source, Action: action, Object: "session",
			Outcome: audit.Failure, Detail: map[string]string{"reason": err.Error()}})
		return Session{}, err
	}
	d := map[string]string{
		"session": s.ID, "level": level.String(), "factors": joinFactors(factors), "role": string(s.Role),
		"expires": s.Expires.UTC().Format(time.RFC3339),
	}
	if breakGlass {
		d["reason"] = reason
		d["break_glass"] = "true"
		if v.alerter == nil {
			d["alert"] = "no alerter configured"
		}
	}
	if err := v.record(ctx, audit.Event{Actor: s.User, Source: a.source, Action: action, Object: "session",
		Outcome: audit.Success, Detail: d}); err != nil {
		v.sessions.remove(s.Token)
		return Session{}, fmt.Errorf("mfa: session not opened: it could not be recorded: %w", err)
	}
	if breakGlass {
		v.alert(ctx, Alert{Time: a.now, Kind: AlertBreakGlass, User: s.User, Source: a.source, Reason: reason, Until: s.Expires})
	}
	return s, nil
}
