package mfa

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/wardsec/ward/pkg/access"
)

func TestPolicyValidation(t *testing.T) {
	ok := map[string]func(*Policy){
		"defaults":             func(*Policy) {},
		"zero policy":          func(p *Policy) { *p = Policy{} },
		"clinician two factor": func(p *Policy) { p.Factors = map[access.Role]int{access.Clinician: 2} },
		"lock after 10":        func(p *Policy) { p.Lockout.MaxFailures = 10 },
		"short sessions": func(p *Policy) {
			p.Sessions = map[Assurance]SessionLimits{AAL1: {Idle: time.Minute, Absolute: time.Hour}}
		},
	}
	fail := map[string]func(*Policy){
		"admin one factor":   func(p *Policy) { p.Factors = map[access.Role]int{access.Administrator: 1} },
		"three factors":      func(p *Policy) { p.Factors = map[access.Role]int{access.Clinician: 3} },
		"unknown role":       func(p *Policy) { p.Factors = map[access.Role]int{"janitor": 1} },
		"lock after 101":     func(p *Policy) { p.Lockout.MaxFailures = 101 },
		"admin unlock below": func(p *Policy) { p.Lockout.MaxFailures, p.Lockout.AdminUnlockAfter = 10, 5 },
		"negative backoff":   func(p *Policy) { p.Lockout.BackoffBase = -time.Second },
		"idle over absolute": func(p *Policy) {
			p.Sessions = map[Assurance]SessionLimits{AAL2: {Idle: 2 * time.Hour, Absolute: time.Hour}}
		},
		"unknown level":        func(p *Policy) { p.Sessions = map[Assurance]SessionLimits{3: {Idle: time.Minute, Absolute: time.Hour}} },
		"day-long break-glass": func(p *Policy) { p.BreakGlass = 24 * time.Hour },
		"short passwords":      func(p *Policy) { p.Password.MinLength = 6 },
		"huge argon2 memory":   func(p *Policy) { p.Password.Argon2MemoryKiB = 1 << 30 },
		"skew 10":              func(p *Policy) { p.OTP.Skew = 10 },
		"tiny tracker":         func(p *Policy) { p.Lockout.TrackedKeys = 2 },
	}
	for name, mod := range ok {
		p := cheapPolicy()
		mod(&p)
		if _, err := New(NewMemStore(), WithPolicy(p)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, mod := range fail {
		p := cheapPolicy()
		mod(&p)
		if _, err := New(NewMemStore(), WithPolicy(p)); !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("%s: %v, want ErrInvalidPolicy", name, err)
		}
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	if _, err := New(nil); err == nil {
		t.Error("nil store accepted")
	}
	if _, err := New(NewMemStore(), WithClock(nil)); err == nil {
		t.Error("nil clock accepted")
	}
	for _, f := range []Factor{badge{}, namedFactor("password"), namedFactor(""), namedFactor("a b")} {
		if _, err := New(NewMemStore(), WithPolicy(cheapPolicy()), WithFactor(badge{}), WithFactor(f)); err == nil {
			t.Errorf("factor %q accepted", f.Name())
		}
	}
}

type namedFactor string

func (n namedFactor) Name() string                               { return string(n) }
func (namedFactor) Verify(context.Context, string, []byte) error { return nil }

func TestMemStoreConcurrentUpdatesAreAtomic(t *testing.T) {
	s := NewMemStore()
	ctx := t.Context()
	if err := s.Create(ctx, User{Name: "kim.lee"}); err != nil {
		t.Fatal(err)
	}
	mustIs(t, s.Create(ctx, User{Name: "kim.lee"}), ErrExists)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 100 {
				_ = s.Update(ctx, "kim.lee", func(u *User) error { u.Throttle.Failures++; return nil })
			}
		})
	}
	wg.Wait()
	u, _ := s.Get(ctx, "kim.lee")
	if u.Throttle.Failures != 5000 {
		t.Fatalf("lost updates: %d", u.Throttle.Failures)
	}
	// A failing fn changes nothing; Update cannot rename.
	_ = s.Update(ctx, "kim.lee", func(u *User) error { u.Throttle.Failures = 0; return errors.New("no") })
	_ = s.Update(ctx, "kim.lee", func(u *User) error { u.Name = "mallory"; return nil })
	u, _ = s.Get(ctx, "kim.lee")
	if u.Throttle.Failures != 5000 || fmt.Sprint(s.Names()) != "[kim.lee]" {
		t.Fatalf("%+v %v", u, s.Names())
	}
	mustIs(t, s.Update(ctx, "nobody", func(*User) error { return nil }), ErrNotFound)
	mustIs(t, s.Delete(ctx, "nobody"), ErrNotFound)
	if _, err := s.Get(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}

func TestTrackerStaysBounded(t *testing.T) {
	p := cheapPolicy()
	p.Lockout.TrackedKeys = 100
	e := newEnv(t, p)
	for i := range 1000 {
		_, _ = e.login(Credentials{User: fmt.Sprintf("ghost%d.user", i), Password: "x", Source: fmt.Sprintf("10.9.%d.%d", i/256, i%256)})
	}
	if e.v.sources.len() > 100 || e.v.ghosts.len() > 100 {
		t.Fatalf("trackers grew to %d and %d", e.v.sources.len(), e.v.ghosts.len())
	}
}

func TestSessionCapRefusesLoginButNotBreakGlass(t *testing.T) {
	p := cheapPolicy()
	p.MaxSessions = 3
	e := newEnv(t, p)
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	for range 3 {
		if _, err := e.login(Credentials{User: "nurse.jones", Password: goodPassword}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	mustIs(t, err, ErrTooManySessions)
	if _, err := e.v.BreakGlass(e.ctx, Credentials{User: "nurse.jones", Password: goodPassword}, "patient crashing"); err != nil {
		t.Fatal(err)
	}
}
