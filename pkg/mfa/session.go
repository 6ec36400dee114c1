package mfa

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
)

// Session is an authenticated user's session.
type Session struct {
	// Token is the bearer secret the client presents. It is set only in
	// the Session that Login and BreakGlass return; the Verifier keeps only
	// its SHA-256.
	Token string

	ID         string // non-secret identifier for logs and the audit trail
	User       string
	Role       access.Role
	Level      Assurance
	Factors    []string // the factors verified at login, e.g. "password", "totp"
	BreakGlass bool
	Reason     string // the break-glass reason
	Source     string
	Created    time.Time
	AuthTime   time.Time // the last authentication (login or Reauthenticate)
	LastSeen   time.Time // the last request
	Idle       time.Duration
	Expires    time.Time // absolute end, whatever the activity
}

// Subject is who the session acts for, for an access.Policy.
func (s Session) Subject() access.Subject {
	return access.Subject{User: s.User, Role: s.Role, BreakGlass: s.BreakGlass, Source: s.Source, Session: s.ID}
}

// expiry says why s has ended at now, or "".
func (s *Session) expiry(now time.Time) string {
	switch {
	case !now.Before(s.Expires):
		return "absolute"
	case now.Sub(s.LastSeen) >= s.Idle:
		return "idle"
	}
	return ""
}

// tokenBytes is the size of a session token's random part: 256 bits.
const tokenBytes = 32

var tokenEncoding = base64.RawURLEncoding

// tokenKey returns the map key for token: SHA-256 of its random bytes. A
// malformed token returns false.
func tokenKey(token string) ([32]byte, bool) {
	if len(token) != tokenEncoding.EncodedLen(tokenBytes) {
		return [32]byte{}, false
	}
	var raw [tokenBytes]byte
	n, err := tokenEncoding.Decode(raw[:], []byte(token))
	if err != nil || n != tokenBytes {
		return [32]byte{}, false
	}
	return sha256.Sum256(raw[:]), true
}

type sessionSpec struct {
	user       string
	role       access.Role
	level      Assurance
	factors    []string
	breakGlass bool
	reason     string
	source     string
	now        time.Time
	limits     SessionLimits
}

// sessionTable holds live sessions by token hash.
type sessionTable struct {
	mu        sync.Mutex
	m         map[[32]byte]*Session
	lastSweep time.Time
	// expired remembers, for a day, sessions that timed out, so a token
	// presented after the sweep removed its session still gets
	// ErrSessionExpired rather than ErrNoSession.
	expired map[[32]byte]endedSession
}

type endedSession struct {
	when     time.Time
	user, id string
}

const rememberExpired = 24 * time.Hour

func newSessionTable() *sessionTable {
	return &sessionTable{m: map[[32]byte]*Session{}, expired: map[[32]byte]endedSession{}}
}

func (t *sessionTable) create(v *Verifier, sp sessionSpec) (Session, error) {
	raw := randomBytes(tokenBytes)
	token := tokenEncoding.EncodeToString(raw)
	key := sha256.Sum256(raw)
	s := &Session{
		ID: hex.EncodeToString(key[:8]), User: sp.user, Role: sp.role, Level: sp.level, Factors: sp.factors,
		BreakGlass: sp.breakGlass, Reason: sp.reason, Source: sp.source,
		Created: sp.now, AuthTime: sp.now, LastSeen: sp.now, Idle: sp.limits.Idle, Expires: sp.now.Add(sp.limits.Absolute),
	}
	t.mu.Lock()
	if len(t.m) >= v.policy.MaxSessions && !sp.breakGlass {
		t.mu.Unlock()
		v.ExpireSessions(context.Background())
		t.mu.Lock()
		if len(t.m) >= v.policy.MaxSessions {
			t.mu.Unlock()
			return Session{}, ErrTooManySessions
		}
	}
	t.m[key] = s
	out := *s
	t.mu.Unlock()
	out.Token = token
	return out, nil
}

func (t *sessionTable) remove(token string) {
	if key, ok := tokenKey(token); ok {
		t.mu.Lock()
		delete(t.m, key)
		t.mu.Unlock()
	}
}

func (t *sessionTable) reauth(token string, now time.Time) (Session, error) {
	key, ok := tokenKey(token)
	if !ok {
		return Session{}, ErrNoSession
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.m[key]
	if s == nil {
		return Session{}, ErrNoSession
	}
	s.AuthTime, s.LastSeen = now, now
	return *s, nil
}

func (t *sessionTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// Check returns the live session behind token and counts the request as
// activity (resetting the idle timer). A session past its idle timeout or
// absolute lifetime is ended, recorded, and refused with ErrSessionExpired;
// an unknown, malformed, revoked or logged-out token gets ErrNoSession.
func (v *Verifier) Check(ctx context.Context, token string) (Session, error) {
	now := v.now()
	defer v.maybeSweep(ctx, now)
	key, ok := tokenKey(token)
	if !ok {
		return Session{}, v.noSession(ctx, "malformed token")
	}
	t := v.sessions
	t.mu.Lock()
	s := t.m[key]
	if s == nil {
		ended, timedOut := t.expired[key]
		t.mu.Unlock()
		if timedOut {
			_ = v.record(ctx, audit.Event{Actor: ended.user, Action: "session.expired", Object: "session", Outcome: audit.Denied,
				Detail: map[string]string{"session": ended.id, "ended": ended.when.UTC().Format(time.RFC3339)}})
			return Session{}, ErrSessionExpired
		}
		return Session{}, v.noSession(ctx, "unknown token")
	}
	if why := s.expiry(now); why != "" {
		delete(t.m, key)
		t.expired[key] = endedSession{now, s.User, s.ID}
		ended := *s
		t.mu.Unlock()
		v.recordEnd(ctx, &ended, now, why, audit.Denied)
		return Session{}, ErrSessionExpired
	}
	if now.After(s.LastSeen) {
		s.LastSeen = now
	}
	out := *s
	t.mu.Unlock()
	return out, nil
}

func (v *Verifier) noSession(ctx context.Context, why string) error {
	_ = v.record(ctx, audit.Event{Action: "session.invalid", Object: "session", Outcome: audit.Denied,
		Detail: map[string]string{"reason": why}})
	return ErrNoSession
}

// recordEnd records the end of s: "session.expired" (automatic logoff),
// "logout" or "session.revoked" for ordinary sessions, and always
// "break-glass.end" for emergency ones, so the emergency's whole span is
// plain in the trail.
func (v *Verifier) recordEnd(ctx context.Context, s *Session, now time.Time, why string, outcome audit.Outcome) {
	action := "session.expired"
	switch why {
	case "logout":
		action = "logout"
	case "revoked":
		action = "session.revoked"
	}
	d := map[string]string{"session": s.ID, "ended": why,
		"lasted": now.Sub(s.Created).Round(time.Second).String()}
	if s.BreakGlass {
		action = "break-glass.end"
		d["reason"] = s.Reason
	}
	_ = v.record(ctx, audit.Event{Actor: s.User, Source: s.Source, Action: action, Object: "session", Outcome: outcome, Detail: d})
}

// Logout ends the session behind token.
func (v *Verifier) Logout(ctx context.Context, token string) error {
	key, ok := tokenKey(token)
	if !ok {
		return v.noSession(ctx, "malformed token")
	}
	t := v.sessions
	t.mu.Lock()
	s := t.m[key]
	delete(t.m, key)
	t.mu.Unlock()
	if s == nil {
		return v.noSession(ctx, "unknown token")
	}
	now := v.now()
	why := s.expiry(now)
	if why == "" {
		why = "logout"
	}
	v.recordEnd(ctx, s, now, why, audit.Success)
	return nil
}

// RevokeSessions ends every session of user (after a password reset, a
// lost badge, a departure) and returns how many there were. actor is who
// asked, for the audit trail; the caller authorizes them (access.UserManage).
func (v *Verifier) RevokeSessions(ctx context.Context, actor, user string) (int, error) {
	name, err := access.CanonicalName(user)
	if err != nil {
		return 0, err
	}
	n := v.endSessions(ctx, func(s *Session) bool { return s.User == name }, "revoked", v.now())
	err = v.record(ctx, audit.Event{Actor: actor, Action: "session.revoke", Object: name, Outcome: audit.Success,
		Detail: map[string]string{"sessions": strconv.Itoa(n)}})
	return n, err
}

// ExpireSessions ends every session past its idle timeout or absolute
// lifetime, recording each ("session.expired", "break-glass.end"), and
// returns how many. Expired sessions are refused whenever presented; this
// makes the automatic logoff, and the end of an emergency session, show in
// the audit trail on time even if nobody presents them again. Check runs it
// at most once a minute; a device may also call it from its main loop.
func (v *Verifier) ExpireSessions(ctx context.Context) int {
	now := v.now()
	v.sessions.mu.Lock()
	v.sessions.lastSweep = now
	v.sessions.mu.Unlock()
	t := v.sessions
	t.mu.Lock()
	for k, e := range t.expired {
		if now.Sub(e.when) > rememberExpired || now.Before(e.when) {
			delete(t.expired, k)
		}
	}
	t.mu.Unlock()
	return v.endSessions(ctx, func(s *Session) bool { return s.expiry(now) != "" }, "", now)
}

func (v *Verifier) maybeSweep(ctx context.Context, now time.Time) {
	t := v.sessions
	t.mu.Lock()
	due := now.Sub(t.lastSweep) >= time.Minute || now.Before(t.lastSweep)
	t.mu.Unlock()
	if due {
		v.ExpireSessions(ctx)
	}
}

// endSessions removes the sessions match selects and records each end
// (why "" means: whatever expiry says).
func (v *Verifier) endSessions(ctx context.Context, match func(*Session) bool, why string, now time.Time) int {
	t := v.sessions
	var ended []*Session
	t.mu.Lock()
	for k, s := range t.m {
		if match(s) {
			ended = append(ended, s)
			delete(t.m, k)
			if why == "" && len(t.expired) < 4*v.policy.MaxSessions {
				t.expired[k] = endedSession{now, s.User, s.ID}
			}
		}
	}
	t.mu.Unlock()
	for _, s := range ended {
		w := why
		if w == "" {
			w = s.expiry(now)
		}
		v.recordEnd(ctx, s, now, w, audit.Success)
	}
	return len(ended)
}
