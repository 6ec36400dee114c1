package mfa

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
)

// Errors, matchable with errors.Is. Authentication failures are
// deliberately coarse: a wrong password, an unknown user, a wrong code and
// a presented factor that does not verify all give ErrDenied with the same
// message, so the answer says nothing about which part was wrong or whether
// the account exists. The audit record says.
var (
	ErrDenied               = errors.New("mfa: authentication failed")
	ErrLocked               = errors.New("mfa: account locked")
	ErrThrottled            = errors.New("mfa: too many failed attempts; try again later")
	ErrSecondFactorRequired = errors.New("mfa: a second factor is required")
	// ErrReplay: a one-time code that was already used, or older than one
	// already used. Errors carrying it match ErrDenied too.
	ErrReplay          = errors.New("mfa: code already used; wait for the next one")
	ErrSessionExpired  = errors.New("mfa: session expired; log in again")
	ErrNoSession       = errors.New("mfa: no such session")
	ErrReauthRequired  = errors.New("mfa: this action needs a recent authentication; re-authenticate")
	ErrReasonRequired  = errors.New("mfa: break-glass needs a reason")
	ErrTooManySessions = errors.New("mfa: too many open sessions")
)

// Auditor records events. *audit.Log satisfies it.
type Auditor interface {
	Append(ctx context.Context, e audit.Event) (audit.Record, error)
}

// Alert is raised for events someone must look at now, not at the next
// log review.
type Alert struct {
	Time   time.Time
	Kind   string // AlertBreakGlass or AlertLockout
	User   string
	Source string
	Reason string    // the break-glass reason
	Until  time.Time // end of the emergency session or the lock (zero: until an administrator unlocks)
}

// Alert kinds.
const (
	AlertBreakGlass = "break-glass"
	AlertLockout    = "lockout"
)

// Alerter delivers alerts (to a nurse call system, a SIEM, the device's
// display). Its errors are recorded in the audit trail, not returned.
type Alerter interface {
	Alert(ctx context.Context, a Alert) error
}

// AlerterFunc adapts a function to Alerter.
type AlerterFunc func(ctx context.Context, a Alert) error

// Alert implements Alerter.
func (f AlerterFunc) Alert(ctx context.Context, a Alert) error { return f(ctx, a) }

// Factor is a factor the device itself verifies: a fingerprint reader, a
// badge (NFC) reader, a hardware token, WebAuthn (see package
// webauthnfactor). Name identifies it in Credentials.Proofs, in sessions and
// in the audit trail ("fingerprint", "badge"); Verify checks that proof
// (whatever the reader produced) belongs to user, returning nil if so. It
// must be safe for concurrent use, and is responsible for refusing a proof
// replayed from an earlier login (a challenge, a counter).
type Factor interface {
	Name() string
	Verify(ctx context.Context, user string, proof []byte) error
}

// Factor names Ward uses itself.
const (
	FactorPassword = "password"
	FactorTOTP     = TypeTOTP
	FactorHOTP     = TypeHOTP
	FactorRecovery = "recovery"
)

// Credentials are what a login attempt presents.
type Credentials struct {
	User     string
	Password string
	// Source says where the attempt comes from (remote address, "keypad",
	// "usb"); failures are throttled per source as well as per account.
	Source       string
	OTP          string            // a TOTP or HOTP code
	RecoveryCode string            // a single-use recovery code
	Proofs       map[string][]byte // device factor name to what its reader produced
}

// Option configures New.
type Option func(*config)

type config struct {
	now     func() time.Time
	auditor Auditor
	alerter Alerter
	policy  *Policy
	sealer  Sealer
	access  *access.Policy
	factors []Factor
	err     error
}

func (c *config) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// WithClock sets the clock (default time.Now). Tests and devices with a
// trusted time source inject it.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now == nil {
			c.fail(errors.New("mfa: WithClock(nil)"))
			return
		}
		c.now = now
	}
}

// WithAuditor records every decision to a (an *audit.Log). Without it
// nothing is recorded: give one on every real device.
func WithAuditor(a Auditor) Option { return func(c *config) { c.auditor = a } }

// WithAlerter sets where break-glass and lockout alerts go.
func WithAlerter(a Alerter) Option { return func(c *config) { c.alerter = a } }

// WithPolicy sets the policy (default DefaultPolicy()); zero fields take
// the default, and New refuses a policy outside the documented bounds.
func WithPolicy(p Policy) Option { return func(c *config) { c.policy = &p } }

// WithSealer sets how OTP seeds are sealed in the Store. The default seals
// under a random key that lives as long as the process, which suits a
// MemStore; a device that persists its Store must give a Sealer whose key
// persists too.
func WithSealer(s Sealer) Option { return func(c *config) { c.sealer = s } }

// WithAccess sets the authorization policy Verifier.Authorize and
// BreakGlass consult (default access.DefaultPolicy with the same Auditor).
func WithAccess(p *access.Policy) Option { return func(c *config) { c.access = p } }

// WithFactor registers a device-provided factor. It may be given several
// times, with distinct names.
func WithFactor(f Factor) Option {
	return func(c *config) {
		if f == nil {
			c.fail(errors.New("mfa: WithFactor(nil)"))
			return
		}
		c.factors = append(c.factors, f)
	}
}

// Verifier authenticates users and keeps their sessions. It is safe for
// concurrent use.
type Verifier struct {
	store    Store
	now      func() time.Time
	auditor  Auditor
	alerter  Alerter
	policy   Policy
	access   *access.Policy
	sealer   Sealer
	factors  map[string]Factor
	hashSem  chan struct{}
	dummy    string   // hash of a random password: unknown users cost the same
	sources  *tracker // per-source throttling
	ghosts   *tracker // throttling of names that are not accounts
	sessions *sessionTable

	hook func(event string) // test instrumentation
}

// New returns a Verifier over store.
func New(store Store, opts ...Option) (*Verifier, error) {
	if store == nil {
		return nil, errors.New("mfa: nil store")
	}
	c := config{now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	if c.err != nil {
		return nil, c.err
	}
	p := DefaultPolicy()
	if c.policy != nil {
		p = *c.policy
	}
	p, err := p.complete()
	if err != nil {
		return nil, err
	}
	v := &Verifier{
		store: store, now: c.now, auditor: c.auditor, alerter: c.alerter, policy: p,
		access: c.access, sealer: c.sealer, factors: map[string]Factor{},
		hashSem:  make(chan struct{}, max(2, runtime.GOMAXPROCS(0))),
		sources:  newTracker(p.Lockout.TrackedKeys),
		ghosts:   newTracker(p.Lockout.TrackedKeys),
		sessions: newSessionTable(),
	}
	if v.access == nil {
		v.access = access.DefaultPolicy(access.WithAuditor(c.auditor))
	}
	if v.sealer == nil {
		v.sealer = newEphemeralSealer()
	}
	for _, f := range c.factors {
		name := f.Name()
		switch {
		case name == "" || len(name) > 32 || strings.ContainsAny(name, " ,"):
			return nil, fmt.Errorf("mfa: factor name %q: 1 to 32 characters, no spaces or commas", name)
		case name == FactorPassword || name == FactorTOTP || name == FactorHOTP || name == FactorRecovery:
			return nil, fmt.Errorf("mfa: factor name %q is Ward's own", name)
		case v.factors[name] != nil:
			return nil, fmt.Errorf("mfa: factor %q registered twice", name)
		}
		v.factors[name] = f
	}
	v.dummy, err = hashPassword(string(randomBytes(24)), &p.Password)
	if err != nil {
		return nil, fmt.Errorf("mfa: %w", err)
	}
	return v, nil
}

// Policy returns the policy in force, defaults filled in.
func (v *Verifier) Policy() Policy {
	p := v.policy
	p.Factors = maps.Clone(p.Factors)
	p.Sessions = maps.Clone(p.Sessions)
	return p
}

// Access returns the authorization policy the Verifier consults.
func (v *Verifier) Access() *access.Policy { return v.access }

// record appends an audit event stamped with the Verifier's clock.
func (v *Verifier) record(ctx context.Context, e audit.Event) error {
	if v.auditor == nil {
		return nil
	}
	if e.Time.IsZero() {
		e.Time = v.now()
	}
	if e.Source == "" {
		e.Source = audit.SourceFrom(ctx) // for auditors other than *audit.Log too
	}
	_, err := v.auditor.Append(context.WithoutCancel(ctx), e)
	return err
}

func (v *Verifier) alert(ctx context.Context, a Alert) {
	if v.alerter == nil {
		return
	}
	if err := v.alerter.Alert(context.WithoutCancel(ctx), a); err != nil {
		_ = v.record(ctx, audit.Event{Actor: a.User, Source: a.Source, Action: "alert.failed", Object: a.Kind,
			Outcome: audit.Failure, Detail: map[string]string{"error": clip(err.Error(), 256)}})
	}
}

func (v *Verifier) trace(event string) {
	if v.hook != nil {
		v.hook(event)
	}
}

// clip cuts s to at most n bytes on a rune boundary, and makes it valid
// UTF-8, for names and sources an attacker chose.
func clip(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func joinFactors(f []string) string { return strings.Join(f, ",") }

func sortedProofNames(m map[string][]byte) []string { return slices.Sorted(maps.Keys(m)) }
