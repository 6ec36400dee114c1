// Package webauthnfactor plugs WebAuthn (security keys, platform
// authenticators, passkeys) into pkg/mfa as an mfa.Factor, using
// github.com/go-webauthn/webauthn for the ceremony. It is a separate
// package so that firmware without a browser-facing interface does not link
// go-webauthn and its dependencies.
//
// A login has two steps: Begin returns the options the browser passes to
// navigator.credentials.get(); the JSON the browser returns goes, as the
// proof of the factor named "webauthn", into mfa.Credentials.Proofs, and the
// Verifier calls Verify. Each challenge is single-use and expires; a
// signature counter that does not increase (a cloned authenticator) is
// refused.
//
// Registration (navigator.credentials.create()) is done with go-webauthn
// directly (WebAuthn.BeginRegistration, WebAuthn.CreateCredential); the
// resulting webauthn.Credential is added to the Store.
package webauthnfactor

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
)

// Name is the factor's name in mfa.Credentials.Proofs and sessions.
const Name = "webauthn"

// Errors.
var (
	ErrNoChallenge  = errors.New("webauthnfactor: no pending challenge for this user (call Begin first; each is used once)")
	ErrCloned       = errors.New("webauthnfactor: signature counter did not increase: possibly a cloned authenticator")
	ErrNoCredential = errors.New("webauthnfactor: user has no registered credential")
)

// Store keeps users' registered credentials.
type Store interface {
	// Credentials returns user's WebAuthn user handle and credentials.
	Credentials(ctx context.Context, user string) (handle []byte, creds []webauthn.Credential, err error)
	// UpdateCredential stores c (same ID) after a login: new sign count, flags.
	UpdateCredential(ctx context.Context, user string, c webauthn.Credential) error
}

// Factor is the mfa.Factor. It is safe for concurrent use.
type Factor struct {
	w     *webauthn.WebAuthn
	store Store
	now   func() time.Time
	ttl   time.Duration

	mu      sync.Mutex
	pending map[string]pending // user -> the one outstanding challenge
}

type pending struct {
	sd      webauthn.SessionData
	expires time.Time // by the Factor's clock; go-webauthn's own check uses time.Now
}

// Option configures New.
type Option func(*Factor)

// WithClock sets the clock for challenge expiry (default time.Now).
func WithClock(now func() time.Time) Option { return func(f *Factor) { f.now = now } }

// WithChallengeTTL sets how long a challenge stays valid (default 2 minutes).
func WithChallengeTTL(d time.Duration) Option { return func(f *Factor) { f.ttl = d } }

// New returns the factor for relying party w (its RPID and RPOrigins name
// the device's web interface).
func New(w *webauthn.WebAuthn, store Store, opts ...Option) (*Factor, error) {
	if w == nil || store == nil {
		return nil, errors.New("webauthnfactor: nil WebAuthn or Store")
	}
	f := &Factor{w: w, store: store, now: time.Now, ttl: 2 * time.Minute, pending: map[string]pending{}}
	for _, o := range opts {
		o(f)
	}
	return f, nil
}

// Name implements mfa.Factor.
func (f *Factor) Name() string { return Name }

type user struct {
	name   string
	handle []byte
	creds  []webauthn.Credential
}

func (u *user) WebAuthnID() []byte                         { return u.handle }
func (u *user) WebAuthnName() string                       { return u.name }
func (u *user) WebAuthnDisplayName() string                { return u.name }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func (f *Factor) load(ctx context.Context, name string) (*user, error) {
	handle, creds, err := f.store.Credentials(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(creds) == 0 {
		return nil, ErrNoCredential
	}
	return &user{name: name, handle: handle, creds: creds}, nil
}

// Begin starts a login ceremony for user and returns the options for
// navigator.credentials.get(). It replaces any earlier pending challenge of
// the user. User verification (PIN, biometric on the authenticator) is
// preferred, not required: the password is the other factor.
func (f *Factor) Begin(ctx context.Context, name string) (*protocol.CredentialAssertion, error) {
	u, err := f.load(ctx, name)
	if err != nil {
		return nil, err
	}
	opts, sd, err := f.w.BeginLogin(u)
	if err != nil {
		return nil, fmt.Errorf("webauthnfactor: begin: %w", err)
	}
	sd.Expires = time.Time{} // expiry is enforced here, with the injected clock
	f.mu.Lock()
	f.pending[name] = pending{sd: *sd, expires: f.now().Add(f.ttl)}
	f.mu.Unlock()
	return opts, nil
}

// Verify implements mfa.Factor: proof is the PublicKeyCredential JSON the
// browser returned for user's pending challenge, which is consumed whatever
// the outcome.
func (f *Factor) Verify(ctx context.Context, name string, proof []byte) error {
	f.mu.Lock()
	p, ok := f.pending[name]
	delete(f.pending, name)
	f.mu.Unlock()
	if !ok || !f.now().Before(p.expires) {
		return ErrNoChallenge
	}
	u, err := f.load(ctx, name)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(proof)
	if err != nil {
		return fmt.Errorf("webauthnfactor: %w", err)
	}
	cred, err := f.w.ValidateLogin(u, p.sd, parsed)
	if err != nil {
		return fmt.Errorf("webauthnfactor: %w", err)
	}
	if cred.Authenticator.CloneWarning {
		return ErrCloned
	}
	return f.store.UpdateCredential(ctx, name, *cred)
}

// MemStore is an in-memory Store, safe for concurrent use.
type MemStore struct {
	mu    sync.Mutex
	users map[string]*user
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{users: map[string]*user{}} }

// Add registers credential c for user. The user handle is derived from
// the name (SHA-256), so it is stable and reveals nothing readable.
func (m *MemStore) Add(name string, c webauthn.Credential) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[name]
	if u == nil {
		h := sha256.Sum256([]byte("ward/webauthn user handle\x00" + name))
		u = &user{name: name, handle: h[:]}
		m.users[name] = u
	}
	u.creds = append(u.creds, c)
}

// Credentials implements Store.
func (m *MemStore) Credentials(_ context.Context, name string) ([]byte, []webauthn.Credential, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[name]
	if u == nil {
		return nil, nil, ErrNoCredential
	}
	return slices.Clone(u.handle), slices.Clone(u.creds), nil
}

// UpdateCredential implements Store.
func (m *MemStore) UpdateCredential(_ context.Context, name string, c webauthn.Credential) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[name]
	if u == nil {
		return ErrNoCredential
	}
	for i := range u.creds {
		if string(u.creds[i].ID) == string(c.ID) {
			u.creds[i] = c
			return nil
		}
	}
	return ErrNoCredential
}
