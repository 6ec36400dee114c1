package mfa

import (
	"crypto/fips140"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/pkg/access"
)

func TestWeakPasswordsRefused(t *testing.T) {
	tests := []struct {
		name, user, pw string
	}{
		{"vendor default", "kim.lee", "admin"},
		{"the word password", "kim.lee", "password"},
		{"digits", "kim.lee", "123456"},
		{"long digit run", "kim.lee", "123456789012345"},
		{"default with digits", "kim.lee", "admin1234567890"},
		{"common with suffix", "kim.lee", "Password123!!!!"},
		{"season and year", "kim.lee", "Welcome2024!!!!!"},
		{"leet speak", "kim.lee", "P@ssw0rd2024!!!"},
		{"spaced common word", "kim.lee", "  changeme 2025  "},
		{"vendor name", "kim.lee", "Medtronic123456"},
		{"the user name", "kim.lee", "kim.lee.kim.lee.kim"},
		{"part of the user name", "nurse.jones", "I am jones forever"},
		{"email local part", "kim.lee@example.org", "kim.lee@example.org"},
		{"one character", "kim.lee", "aaaaaaaaaaaaaaaa"},
		{"alphabet run", "kim.lee", "abcdefghijklmnop"},
		{"descending run", "kim.lee", "zyxwvutsrqponmlk"},
		{"keyboard row", "kim.lee", "qwertyuiopasdfgh"},
		{"too short", "kim.lee", "Xk2!pQ"},
		{"too long", "kim.lee", strings.Repeat("Zq9x", 100)},
		{"invalid UTF-8", "kim.lee", "valid start \xff\xfe then"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPassword(tc.user, tc.pw, 15, 256)
			if !errors.Is(err, ErrWeakPassword) {
				t.Fatalf("CheckPassword(%q) = %v, want ErrWeakPassword", tc.pw, err)
			}
			if strings.TrimPrefix(err.Error(), ErrWeakPassword.Error()+": ") == "" {
				t.Fatal("no reason given")
			}
		})
	}
	for _, ok := range []string{goodPassword, "violet kettle mirror 42", "Ünïcödé pässphrase wörks", "tr0ub4dor&3-but-longer"} {
		if err := CheckPassword("kim.lee", ok, 15, 256); err != nil {
			t.Errorf("CheckPassword(%q) = %v", ok, err)
		}
	}
	// Length counts characters, not bytes.
	if err := CheckPassword("kim.lee", "ääääbbbbcccc", 12, 256); err != nil {
		t.Error(err)
	}
}

func TestPasswordLengthDependsOnRoleFactors(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	// 12 characters: too short for a password-only clinician, fine for an
	// administrator who always adds a second factor.
	mustIs(t, e.v.CreateUser(e.ctx, "factory", "nurse.jones", access.Clinician, "lilac tide 7"), ErrWeakPassword)
	if err := e.v.CreateUser(e.ctx, "factory", "kim.lee", access.Administrator, "lilac tide 7"); err != nil {
		t.Fatal(err)
	}
}

func TestHashRoundTripAndParameters(t *testing.T) {
	p := cheapPolicy().Password
	enc, err := hashPassword("some passphrase", &p)
	if err != nil {
		t.Fatal(err)
	}
	ok, h, err := checkHash(enc, "some passphrase")
	if !ok || err != nil || !h.sameParams(&p) {
		t.Fatalf("%v %v %+v", ok, err, h)
	}
	if ok, _, _ := checkHash(enc, "some passphrasE"); ok {
		t.Fatal("wrong password accepted")
	}
	again, _ := hashPassword("some passphrase", &p)
	if again == enc {
		t.Fatal("no salt")
	}
	if fips140.Enabled() {
		if !strings.HasPrefix(enc, "$pbkdf2-sha256$i=1000$") {
			t.Fatalf("FIPS mode hash %q", enc)
		}
	} else if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q", enc)
	}
}

func TestTamperedHashParametersRefused(t *testing.T) {
	salt, sum := b64.EncodeToString(make([]byte, 16)), b64.EncodeToString(make([]byte, 32))
	for _, enc := range []string{
		"", "plaintext", "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + sum, // 4 GiB
		"$argon2id$v=19$m=64,t=1000,p=1$" + salt + "$" + sum,
		"$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + sum,
		"$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + sum,
		"$argon2id$v=18$m=64,t=1,p=1$" + salt + "$" + sum,
		"$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + sum,
		"$pbkdf2-sha256$i=0$" + salt + "$" + sum,
		"$pbkdf2-sha256$i=99999999999$" + salt + "$" + sum,
		"$pbkdf2-sha256$i=1000$" + b64.EncodeToString(make([]byte, 8)) + "$" + sum, // short salt
		"$pbkdf2-sha1$i=1000$" + salt + "$" + sum,
		"$pbkdf2-sha256$i=1000$" + salt + "$" + sum + "$",
	} {
		if _, err := parseHash(enc); err == nil {
			t.Errorf("parseHash(%q) accepted", enc)
		}
	}
}

func TestLoginRehashesWhenParametersChange(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	before, _ := e.store.Get(e.ctx, "nurse.jones")
	stronger := cheapPolicy()
	stronger.Password.Argon2Time, stronger.Password.PBKDF2Iterations = 2, 2000
	v2, err := New(e.store, WithPolicy(stronger), WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Login(e.ctx, Credentials{User: "nurse.jones", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	after, _ := e.store.Get(e.ctx, "nurse.jones")
	if after.Password == before.Password || !strings.Contains(after.Password, "t=2") && !strings.Contains(after.Password, "i=2000") {
		t.Fatalf("not rehashed: %q", after.Password)
	}
	if _, err := v2.Login(e.ctx, Credentials{User: "nurse.jones", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
}

func TestArgon2HashRefusedInFIPSMode(t *testing.T) {
	if !fips140.Enabled() {
		t.Skip("run with GODEBUG=fips140=on or only")
	}
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	// An account hashed before the device switched to FIPS mode.
	argon := "$argon2id$v=19$m=64,t=1,p=1$" + b64.EncodeToString(make([]byte, 16)) + "$" + b64.EncodeToString(make([]byte, 32))
	_ = e.store.Update(e.ctx, "nurse.jones", func(u *User) error { u.Password = argon; return nil })
	e.hashes.Store(0)
	_, err := e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	mustIs(t, err, ErrDenied)
	if r := e.last(); !strings.Contains(r.Detail["reason"], "FIPS") || e.hashes.Load() != 1 {
		t.Fatalf("%+v", r)
	}
}

func TestDefaultHashParameters(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes with the real (slow) parameters")
	}
	p := DefaultPolicy().Password
	start := time.Now()
	enc, err := hashPassword("a real passphrase here", &p)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s in %v", enc[:strings.LastIndex(enc[:strings.LastIndex(enc, "$")], "$")], time.Since(start))
	want := "$argon2id$v=19$m=19456,t=2,p=1$"
	if fips140.Enabled() {
		want = "$pbkdf2-sha256$i=600000$"
	}
	if !strings.HasPrefix(enc, want) {
		t.Fatalf("default hash %q, want prefix %q", enc, want)
	}
	if ok, _, err := checkHash(enc, "a real passphrase here"); !ok || err != nil {
		t.Fatal(ok, err)
	}
}
