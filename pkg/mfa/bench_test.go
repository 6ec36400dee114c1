package mfa

import (
	"crypto/fips140"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/wardsec/ward/pkg/access"
)

// BenchmarkVerifyTOTP is one TOTP check as Login does it: read the account,
// unseal the seed, compare the code with the window, and consume the step
// atomically in the Store. "valid" is a code for the current step (one
// HMAC); "wrong" is a refused code (every step of the window, three HMACs).
// Target: 2 µs.
func BenchmarkVerifyTOTP(b *testing.B) {
	e := newEnv(b, cheapPolicy())
	uri := e.user("kim.lee", access.Administrator, adminPassword, true)
	const n = 4096
	base := uint64(testStart.Unix() / 30)
	codes := make([]string, n)
	for i := range codes {
		codes[i] = code(b, uri, time.Unix(int64(base+uint64(i))*30, 0))
	}
	ctx := e.ctx
	verify := func(b *testing.B, k int, code string, want otpMatch) {
		now := time.Unix(int64(base+uint64(k))*30+7, 0)
		var u User
		_ = e.store.Update(ctx, "kim.lee", func(x *User) error { u = *x; return nil })
		step, m, err := e.v.verifyOTP(&u, code, now)
		if err != nil || m != want {
			b.Fatalf("step %d: %v %v", k, m, err)
		}
		if m == otpFresh {
			if err := e.store.Update(ctx, "kim.lee", func(x *User) error { return consumeOTP(x, u.OTP, step) }); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("valid", func(b *testing.B) {
		i := 0
		for b.Loop() {
			k := i % n
			if k == 0 { // start the steps over
				_ = e.store.Update(ctx, "kim.lee", func(u *User) error { o := *u.OTP; o.Next = 0; u.OTP = &o; return nil })
			}
			verify(b, k, codes[k], otpFresh)
			i++
		}
	})
	b.Run("wrong", func(b *testing.B) {
		wrong := "000000"
		if slices.Contains(codes[:3], wrong) {
			wrong = "999999"
		}
		for b.Loop() {
			verify(b, 1, wrong, otpNoMatch)
		}
	})
}

// BenchmarkThrottle is the throttling bookkeeping of one attempt: charge the
// source and the account up front, then settle (a success resets the
// account and refunds the source). Target: 1 µs.
func BenchmarkThrottle(b *testing.B) {
	e := newEnv(b, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	l := &e.v.policy.Lockout
	ctx := e.ctx
	now := testStart
	b.Run("success", func(b *testing.B) {
		for b.Loop() {
			now = now.Add(time.Second)
			if err := e.v.sources.update("10.0.0.7", now, func(t *Throttle) error { return admitSource(t, now, l) }); err != nil {
				b.Fatal(err)
			}
			if err := e.store.Update(ctx, "nurse.jones", func(u *User) error { _, err := admitAccount(&u.Throttle, now, l); return err }); err != nil {
				b.Fatal(err)
			}
			_ = e.store.Update(ctx, "nurse.jones", func(u *User) error { u.Throttle = Throttle{}; return nil })
			_ = e.v.sources.update("10.0.0.7", now, func(t *Throttle) error { refundSource(t); return nil })
		}
	})
	b.Run("refused-while-locked", func(b *testing.B) {
		_ = e.store.Update(ctx, "nurse.jones", func(u *User) error { u.Throttle.AdminLocked = true; return nil })
		for b.Loop() {
			_ = e.v.sources.update("10.0.0.8", now, func(t *Throttle) error { return admitSource(t, now, l) })
			if err := e.store.Update(ctx, "nurse.jones", func(u *User) error { _, err := admitAccount(&u.Throttle, now, l); return err }); err == nil {
				b.Fatal("admitted")
			}
			_ = e.v.sources.update("10.0.0.8", now, func(t *Throttle) error { refundSource(t); return nil })
		}
	})
}

// BenchmarkSessions10k opens 10,000 sessions, reports the memory they
// take (target: 50 MiB), then measures Check (lookup, timeouts, touch).
func BenchmarkSessions10k(b *testing.B) {
	p := cheapPolicy()
	p.MaxSessions = 10000
	e := newEnv(b, p)
	tokens := make([]string, 10000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range tokens {
		s, err := e.v.sessions.create(e.v, sessionSpec{
			user: "clinician" + strconv.Itoa(i) + ".smith", role: access.Clinician, level: AAL2,
			factors: []string{FactorPassword, FactorTOTP}, source: fmt.Sprintf("10.0.%d.%d", i/256, i%256),
			now: e.clock.Now(), limits: p.Sessions[AAL2],
		})
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = s.Token
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	mib := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	i := 0
	for b.Loop() {
		if _, err := e.v.Check(e.ctx, tokens[i%len(tokens)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(mib, "MiB/10k-sessions")
}

// BenchmarkPasswordHash is the deliberate cost of one password hash with
// the default parameters: argon2id (default) and PBKDF2-HMAC-SHA256 (FIPS
// mode).
func BenchmarkPasswordHash(b *testing.B) {
	p := DefaultPolicy().Password
	salt := make([]byte, saltLen)
	params := []passwordHash{{alg: algPBKDF2, iter: p.PBKDF2Iterations, salt: salt}}
	if !fips140.Enabled() {
		params = append([]passwordHash{{alg: algArgon2id, time: p.Argon2Time, memory: p.Argon2MemoryKiB, threads: p.Argon2Threads, salt: salt}}, params...)
	}
	for _, h := range params {
		name := fmt.Sprintf("%s/i=%d", h.alg, h.iter)
		if h.alg == algArgon2id {
			name = fmt.Sprintf("%s/m=%d,t=%d,p=%d", h.alg, h.memory, h.time, h.threads)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := h.derive("correct horse battery staple"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
