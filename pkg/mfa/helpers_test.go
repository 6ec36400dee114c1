package mfa

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
)

// testStart is a Friday morning, inside default office hours.
var testStart = time.Date(2025, 3, 14, 9, 26, 45, 0, time.UTC)

// fakeClock is an injectable clock; tests move it, nothing sleeps.
type fakeClock struct {
	mu   sync.Mutex
	t    time.Time
	tick time.Duration // added after every reading, if set
}

func newClock() *fakeClock { return &fakeClock{t: testStart} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = c.t.Add(c.tick)
	return t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// cheapPolicy is the default policy with hashing cheap enough for tests;
// everything else is the default.
func cheapPolicy() Policy {
	p := DefaultPolicy()
	p.Password.Argon2Time, p.Password.Argon2MemoryKiB, p.Password.PBKDF2Iterations = 1, 64, 1000
	return p
}

// alerts collects alerts.
type alerts struct {
	mu  sync.Mutex
	got []Alert
}

func (a *alerts) Alert(_ context.Context, al Alert) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, al)
	return nil
}

func (a *alerts) list() []Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.got)
}

// env is a Verifier with its clock, audit log, alerts and store.
type env struct {
	t      testing.TB
	v      *Verifier
	clock  *fakeClock
	log    *audit.Log
	alerts *alerts
	store  *MemStore
	ctx    context.Context
	hashes atomic.Int64
}

func newEnv(t testing.TB, policy Policy, opts ...Option) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, clock: newClock(), alerts: &alerts{}, store: NewMemStore(), ctx: ctx}
	var err error
	e.log, err = audit.Open(ctx, audit.NewMemStore(), audit.WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]Option{WithClock(e.clock.Now), WithAuditor(e.log), WithAlerter(e.alerts), WithPolicy(policy)}, opts...)
	e.v, err = New(e.store, opts...)
	if err != nil {
		t.Fatal(err)
	}
	e.v.hook = func(ev string) {
		if ev == "hash" {
			e.hashes.Add(1)
		}
	}
	return e
}

const (
	goodPassword  = "correct horse battery staple"
	adminPassword = "violet kettle mirror 42"
)

// user creates an account and returns its TOTP URI if it got one.
func (e *env) user(name string, role access.Role, password string, withTOTP bool) string {
	e.t.Helper()
	if err := e.v.CreateUser(e.ctx, "factory-provisioning", name, role, password); err != nil {
		e.t.Fatalf("CreateUser(%s): %v", name, err)
	}
	if !withTOTP {
		return ""
	}
	uri, err := e.v.EnrollTOTP(e.ctx, "factory-provisioning", name)
	if err != nil {
		e.t.Fatalf("EnrollTOTP(%s): %v", name, err)
	}
	return uri
}

// code computes a TOTP code with pquerna/otp (the reference, not our code).
func code(t testing.TB, uri string, at time.Time) string {
	t.Helper()
	k, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	c, err := totp.GenerateCodeCustom(k.Secret(), at, totp.ValidateOpts{
		Period: uint(k.Period()), Digits: k.Digits(), Algorithm: k.Algorithm()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) records() []audit.Record {
	e.t.Helper()
	recs, err := e.log.Records(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

// actions returns the records with the given action.
func (e *env) actions(action string) []audit.Record {
	var out []audit.Record
	for _, r := range e.records() {
		if r.Action == action {
			out = append(out, r)
		}
	}
	return out
}

func (e *env) last() audit.Record {
	recs := e.records()
	if len(recs) == 0 {
		e.t.Fatal("no audit records")
	}
	return recs[len(recs)-1]
}

func (e *env) login(c Credentials) (Session, error) { return e.v.Login(e.ctx, c) }

func mustIs(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want one matching %v", err, target)
	}
}

// failingAuditor refuses every record.
type failingAuditor struct{}

func (failingAuditor) Append(context.Context, audit.Event) (audit.Record, error) {
	return audit.Record{}, errors.New("audit storage full")
}
