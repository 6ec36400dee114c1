package mfa

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/wardsec/ward/pkg/access"
)

// User is one account as a Store keeps it. It holds no recoverable secret:
// the password is a salted slow hash, the OTP seed is sealed (Sealer), the
// recovery codes are hashes. Field names and JSON tags are stable, so a
// Store may persist it as JSON.
type User struct {
	Name     string      `json:"name"` // canonical: access.CanonicalName
	Role     access.Role `json:"role"`
	Password string      `json:"password"` // encoded hash, see docs/mfa.md
	OTP      *OTP        `json:"otp,omitempty"`
	Recovery *Recovery   `json:"recovery,omitempty"`
	Throttle Throttle    `json:"throttle"`
	Created  time.Time   `json:"created"`
}

// OTP is an enrolled TOTP or HOTP generator.
type OTP struct {
	Type      string `json:"type"`             // "totp" or "hotp"
	Algorithm string `json:"algorithm"`        // "SHA1", "SHA256" or "SHA512"
	Digits    int    `json:"digits"`           // 6 or 8
	Period    int    `json:"period,omitempty"` // seconds per step (TOTP)
	Sealed    []byte `json:"sealed"`           // the seed, sealed by the Verifier's Sealer for this user
	// Next is the lowest time step (TOTP) or counter (HOTP) still
	// accepted. Accepting step s sets it to s+1, so a code is accepted at
	// most once, and never after a later one.
	Next uint64 `json:"next"`
}

// Recovery holds the hashes of a user's unused recovery codes.
type Recovery struct {
	Salt   []byte   `json:"salt"`
	Hashes [][]byte `json:"hashes"` // SHA-256(domain || salt || code)
}

// Throttle is an account's failure state (see Lockout).
type Throttle struct {
	Failures    int       `json:"failures,omitempty"` // consecutive, including attempts in progress
	LastFailure time.Time `json:"last_failure,omitzero"`
	LockedUntil time.Time `json:"locked_until,omitzero"`
	AdminLocked bool      `json:"admin_locked,omitempty"` // only Verifier.Unlock clears it
}

// ErrNotFound is returned by a Store for an account it does not hold.
var ErrNotFound = errors.New("mfa: no such account")

// ErrExists is returned by Store.Create for a name already taken.
var ErrExists = errors.New("mfa: account exists")

// Store keeps accounts. Implementations must be safe for concurrent use,
// and Update must be atomic: no other Update or Create of the same name
// runs between its read and its write, since replay protection and the
// lockout counter rely on it.
//
// The Verifier treats the slices and pointers of a User as immutable: fn
// replaces them rather than modifying them in place, so a Store may hand fn
// a shallow copy.
type Store interface {
	// Get returns the account (ErrNotFound if none).
	Get(ctx context.Context, name string) (User, error)
	// Create adds u (ErrExists if u.Name is taken).
	Create(ctx context.Context, u User) error
	// Update calls fn with the account and stores what fn leaves unless fn
	// returns an error, which Update returns (ErrNotFound if none).
	Update(ctx context.Context, name string, fn func(*User) error) error
	// Delete removes the account (ErrNotFound if none).
	Delete(ctx context.Context, name string) error
}

// MemStore is an in-memory Store, safe for concurrent use. It suits tests
// and devices that provision accounts at every boot; everything is lost
// with the process.
type MemStore struct {
	mu      sync.RWMutex
	users   map[string]*User
	scratch User // Update's working copy, reused under mu: no allocation per call
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{users: map[string]*User{}} }

// Get implements Store; the User returned is a deep copy.
func (m *MemStore) Get(_ context.Context, name string) (User, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	u, ok := m.users[name]
	if !ok {
		return User{}, ErrNotFound
	}
	return u.clone(), nil
}

// Create implements Store.
func (m *MemStore) Create(_ context.Context, u User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.users[u.Name]; ok {
		return ErrExists
	}
	c := u.clone()
	m.users[u.Name] = &c
	return nil
}

// Update implements Store. fn runs under the store's lock with a shallow
// copy of the account, which it must not keep after it returns.
func (m *MemStore) Update(_ context.Context, name string, fn func(*User) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return ErrNotFound
	}
	m.scratch = *u
	defer func() { m.scratch = User{} }()
	if err := fn(&m.scratch); err != nil {
		return err
	}
	m.scratch.Name = name // an account cannot be renamed through Update
	*u = m.scratch
	return nil
}

// Delete implements Store.
func (m *MemStore) Delete(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.users[name]; !ok {
		return ErrNotFound
	}
	delete(m.users, name)
	return nil
}

// Names returns the account names, sorted.
func (m *MemStore) Names() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Sorted(maps.Keys(m.users))
}

func (u *User) clone() User {
	c := *u
	if u.OTP != nil {
		o := *u.OTP
		o.Sealed = slices.Clone(o.Sealed)
		c.OTP = &o
	}
	if u.Recovery != nil {
		r := Recovery{Salt: slices.Clone(u.Recovery.Salt)}
		for _, h := range u.Recovery.Hashes {
			r.Hashes = append(r.Hashes, slices.Clone(h))
		}
		c.Recovery = &r
	}
	return c
}
