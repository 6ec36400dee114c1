package mfa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
)

// Tests named after the attack they stop. The clock is injected; nothing
// sleeps.

func TestBruteForceHitsLockout(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	for i := range 5 {
		_, err := e.login(Credentials{User: "nurse.jones", Password: fmt.Sprintf("guess number %d!", i), Source: "10.0.0.66"})
		mustIs(t, err, ErrDenied)
		e.clock.Advance(time.Minute) // past any backoff
	}
	// The right password no longer helps.
	_, err := e.login(Credentials{User: "nurse.jones", Password: goodPassword, Source: "10.0.0.7"})
	mustIs(t, err, ErrLocked)
	var te *ThrottleError
	if !errors.As(err, &te) || !te.Locked || te.Until.IsZero() {
		t.Fatalf("lock error %#v", te)
	}
	if got := len(e.actions(access.ActionAccountLocked)); got != 1 {
		t.Fatalf("%d account.locked records, want 1", got)
	}
	if got := len(e.actions("login.locked")); got != 1 {
		t.Fatalf("%d login.locked records, want 1", got)
	}
	if al := e.alerts.list(); len(al) != 1 || al[0].Kind != AlertLockout || al[0].User != "nurse.jones" {
		t.Fatalf("alerts %+v", al)
	}
	// Unlocked by time: 15 minutes after the fifth failure.
	e.clock.Advance(15 * time.Minute)
	if _, err := e.login(Credentials{User: "nurse.jones", Password: goodPassword}); err != nil {
		t.Fatalf("after the lock expired: %v", err)
	}
}

func TestBackoffSlowsGuessingBeforeLockout(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	_, err := e.login(Credentials{User: "nurse.jones", Password: "wrong password one"})
	mustIs(t, err, ErrDenied)
	// A second guess at once is refused unread: backoff 1 s.
	_, err = e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	mustIs(t, err, ErrThrottled)
	e.clock.Advance(time.Second)
	_, err = e.login(Credentials{User: "nurse.jones", Password: "wrong password two"})
	mustIs(t, err, ErrDenied)
	e.clock.Advance(time.Second) // backoff is now 2 s
	_, err = e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	mustIs(t, err, ErrThrottled)
	e.clock.Advance(time.Second)
	if _, err := e.login(Credentials{User: "nurse.jones", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	if len(e.actions("login.throttled")) != 2 {
		t.Fatalf("throttled attempts not audited: %v", e.actions("login.throttled"))
	}
}

func TestLockoutEscalatesThenNeedsAdministrator(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	var lastLock time.Duration
	for i := 1; i <= 20; i++ {
		_, err := e.login(Credentials{User: "nurse.jones", Password: "still guessing!!"})
		mustIs(t, err, ErrDenied)
		locked, th, _ := e.v.Locked(e.ctx, "nurse.jones")
		if i < 5 && locked {
			t.Fatalf("locked after %d failures", i)
		}
		if i >= 5 && i < 20 {
			d := th.LockedUntil.Sub(e.clock.Now())
			if !locked || d < lastLock || d > 24*time.Hour {
				t.Fatalf("failure %d: locked %v for %v (previous %v)", i, locked, d, lastLock)
			}
			lastLock = d
		}
		e.clock.Advance(25 * time.Hour) // past any timed lock
	}
	locked, th, _ := e.v.Locked(e.ctx, "nurse.jones")
	if !locked || !th.AdminLocked {
		t.Fatalf("after 20 failures: %+v, want administrator lock", th)
	}
	e.clock.Advance(365 * 24 * time.Hour)
	_, err := e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	mustIs(t, err, ErrLocked)
	if err := e.v.Unlock(e.ctx, "it.admin", "nurse.jones"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.login(Credentials{User: "nurse.jones", Password: goodPassword}); err != nil {
		t.Fatalf("after administrator unlock: %v", err)
	}
	if r := e.actions("account.unlock"); len(r) != 1 || r[0].Actor != "it.admin" || r[0].Detail["failures"] != "20" {
		t.Fatalf("unlock records %+v", r)
	}
}

func TestPasswordSprayFromOneSourceIsThrottled(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	for i := range 40 {
		e.user(fmt.Sprintf("clinician%c%c.smith", 'a'+i/26, 'a'+i%26), access.Clinician, goodPassword, false)
	}
	// One common password against every account, once each, from one
	// address, one attempt a second for an hour.
	admitted := 0
	for sec := range 3600 {
		name := fmt.Sprintf("clinician%c%c.smith", 'a'+(sec%40)/26, 'a'+(sec%40)%26)
		_, err := e.login(Credentials{User: name, Password: "Winter2025 is here", Source: "10.0.0.66"})
		switch {
		case errors.Is(err, ErrDenied):
			admitted++
		case errors.Is(err, ErrThrottled), errors.Is(err, ErrLocked):
			// Refused unread; an account guessed too often locks too.
		default:
			t.Fatalf("attempt %d: %v", sec, err)
		}
		e.clock.Advance(time.Second)
	}
	// 11 free, then backoff doubling to 5 minutes: about 10 an hour.
	if admitted > 40 {
		t.Fatalf("%d guesses admitted from one source in an hour", admitted)
	}
	t.Logf("spray: %d of 3600 guesses admitted in an hour", admitted)
	// Nobody else is slowed down.
	if _, err := e.login(Credentials{User: "clinicianaa.smith", Password: goodPassword, Source: "10.0.0.7"}); err != nil {
		t.Fatal(err)
	}
}

func TestSprayerCannotResetSourceCountWithOwnAccount(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("mallory.insider", access.Clinician, goodPassword, false)
	for i := range 12 {
		e.user(fmt.Sprintf("victim%c.smith", 'a'+i), access.Clinician, goodPassword, false)
	}
	throttled := false
	for i := range 12 {
		_, err := e.login(Credentials{User: fmt.Sprintf("victim%c.smith", 'a'+i), Password: "Spring2025 rocks", Source: "10.0.0.66"})
		if errors.Is(err, ErrThrottled) {
			throttled = true
		}
		// A good login from the same place between guesses.
		if _, err := e.login(Credentials{User: "mallory.insider", Password: goodPassword, Source: "10.0.0.66"}); err != nil && !errors.Is(err, ErrThrottled) {
			t.Fatal(err)
		}
	}
	if !throttled {
		t.Fatal("own successful logins cleared the source's failure count")
	}
}

func TestGuessingFromManySourcesLocksTheAccount(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	for i := range 10 {
		_, err := e.login(Credentials{User: "nurse.jones", Password: "botnet guess " + fmt.Sprint(i), Source: fmt.Sprintf("198.51.100.%d", i)})
		if i < 5 {
			mustIs(t, err, ErrDenied)
		} else {
			mustIs(t, err, ErrLocked)
		}
		e.clock.Advance(time.Minute)
	}
}

func TestConcurrentGuessesCannotExceedLockoutLimit(t *testing.T) {
	p := cheapPolicy()
	p.Lockout.BackoffBase, p.Lockout.BackoffMax = time.Nanosecond, time.Nanosecond
	e := newEnv(t, p)
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	e.hashes.Store(0)
	e.clock.tick = time.Microsecond // time moves, backoff never blocks
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	for i := range 64 {
		wg.Go(func() {
			_, err := e.login(Credentials{User: "nurse.jones", Password: fmt.Sprintf("parallel guess %d", i), Source: fmt.Sprintf("10.1.0.%d", i)})
			kind := "other"
			switch {
			case errors.Is(err, ErrDenied):
				kind = "denied"
			case errors.Is(err, ErrLocked):
				kind = "locked"
			case errors.Is(err, ErrThrottled):
				// A goroutine can land in the instant between two
				// fake-clock ticks; a refusal either way.
				kind = "throttled"
			}
			mu.Lock()
			counts[kind]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if counts["denied"] != 5 || counts["other"] != 0 || counts["locked"]+counts["throttled"] != 59 || e.hashes.Load() != 5 {
		t.Fatalf("outcomes %v, %d passwords checked; want exactly 5 guesses checked", counts, e.hashes.Load())
	}
	if n := len(e.actions(access.ActionAccountLocked)); n != 1 {
		t.Fatalf("%d lock records", n)
	}
}

func TestUnknownUserGetsSameErrorAndWork(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	try := func(user string) (int64, audit.Record, error) {
		e.hashes.Store(0)
		_, err := e.login(Credentials{User: user, Password: "not the password", Source: "10.0.0.66"})
		e.clock.Advance(time.Minute)
		return e.hashes.Load(), e.last(), err
	}
	workKnown, recKnown, errKnown := try("nurse.jones")
	workUnknown, recUnknown, errUnknown := try("ann.unknown")
	workInvalid, _, errInvalid := try("admin\x00<script>")
	for _, err := range []error{errKnown, errUnknown, errInvalid} {
		if err != ErrDenied { // the very same value, hence the same message
			t.Fatalf("error %v, want ErrDenied itself", err)
		}
	}
	if workKnown != 1 || workUnknown != 1 || workInvalid != 1 {
		t.Fatalf("password hashes: known %d, unknown %d, invalid %d; want 1 each", workKnown, workUnknown, workInvalid)
	}
	if recKnown.Action != "login" || recUnknown.Action != "login" || recKnown.Outcome != recUnknown.Outcome {
		t.Fatalf("records differ in kind: %+v / %+v", recKnown, recUnknown)
	}
	// The audit trail, which only the device's administrators read, says
	// what happened.
	if recKnown.Detail["reason"] != "wrong password" || recUnknown.Detail["reason"] != "unknown user" {
		t.Fatalf("reasons %q, %q", recKnown.Detail["reason"], recUnknown.Detail["reason"])
	}
}

func TestUnknownUserLocksOutLikeARealOne(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	for _, name := range []string{"nurse.jones", "ann.unknown"} {
		var errs []string
		for i := range 6 {
			_, err := e.login(Credentials{User: name, Password: "guess " + fmt.Sprint(i) + " xxxxx", Source: fmt.Sprintf("203.0.113.%d", i)})
			var te *ThrottleError
			if errors.As(err, &te) {
				errs = append(errs, fmt.Sprintf("locked=%v", te.Locked))
			} else {
				errs = append(errs, err.Error())
			}
			e.clock.Advance(time.Minute)
		}
		want := "mfa: authentication failed,mfa: authentication failed,mfa: authentication failed,mfa: authentication failed,mfa: authentication failed,locked=true"
		if got := strings.Join(errs, ","); got != want {
			t.Fatalf("%s: %s", name, got)
		}
	}
}

func TestPasswordAloneRefusedForPrivilegedRoles(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	for _, r := range []access.Role{access.Administrator, access.Biomed, access.Service} {
		name := "kim.lee." + string(r)
		uri := e.user(name, r, adminPassword, true)
		_, err := e.login(Credentials{User: name, Password: adminPassword})
		mustIs(t, err, ErrSecondFactorRequired)
		// Not counted as a failure: the same user then adds the code.
		s, err := e.login(Credentials{User: name, Password: adminPassword, OTP: code(t, uri, e.clock.Now())})
		if err != nil {
			t.Fatalf("%s with code: %v", r, err)
		}
		if s.Level != AAL2 || strings.Join(s.Factors, ",") != "password,totp" {
			t.Fatalf("%s session %+v", r, s)
		}
		// A wrong code with the right password is a failure.
		e.clock.Advance(time.Minute)
		_, err = e.login(Credentials{User: name, Password: adminPassword, OTP: "000000"})
		mustIs(t, err, ErrDenied)
	}
}

func TestPrivilegedRoleWithoutEnrolledFactorCannotLogIn(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("kim.lee", access.Administrator, adminPassword, false)
	_, err := e.login(Credentials{User: "kim.lee", Password: adminPassword})
	mustIs(t, err, ErrSecondFactorRequired)
	for range 10 { // asking repeatedly never locks the account
		_, err = e.login(Credentials{User: "kim.lee", Password: adminPassword})
		mustIs(t, err, ErrSecondFactorRequired)
		e.clock.Advance(2 * time.Second)
	}
}

func TestPolicyCannotDropSecondFactorForPrivilegedRoles(t *testing.T) {
	for _, r := range []access.Role{access.Administrator, access.Biomed, access.Service} {
		p := cheapPolicy()
		p.Factors = map[access.Role]int{r: 1}
		if _, err := New(NewMemStore(), WithPolicy(p)); !errors.Is(err, ErrInvalidPolicy) {
			t.Fatalf("%s with one factor: %v", r, err)
		}
	}
}

func TestClinicianNeedsSecondFactorWhenConfigured(t *testing.T) {
	p := cheapPolicy()
	p.Factors = map[access.Role]int{access.Clinician: 2}
	e := newEnv(t, p)
	uri := e.user("nurse.jones", access.Clinician, "short pass 8", true)
	_, err := e.login(Credentials{User: "nurse.jones", Password: "short pass 8"})
	mustIs(t, err, ErrSecondFactorRequired)
	if _, err := e.login(Credentials{User: "nurse.jones", Password: "short pass 8", OTP: code(t, uri, e.clock.Now())}); err != nil {
		t.Fatal(err)
	}
}

func TestReplayedTOTPCodeRefusedWithinWindow(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	uri := e.user("kim.lee", access.Administrator, adminPassword, true)
	c := code(t, uri, e.clock.Now())
	if _, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: c}); err != nil {
		t.Fatal(err)
	}
	// Seen over a shoulder, replayed within the same step and within the
	// window's following step.
	for _, after := range []time.Duration{2 * time.Second, 10 * time.Second, 20 * time.Second} {
		e.clock.Advance(after)
		_, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: c, Source: "10.0.0.66"})
		mustIs(t, err, ErrReplay)
		mustIs(t, err, ErrDenied)
	}
	if r := e.actions("mfa.replay"); len(r) != 3 || r[0].Outcome != audit.Denied || r[0].Detail["during"] != "login" {
		t.Fatalf("replay records %+v", r)
	}
}

func TestCodeFromPreviousStepRefusedAfterNewerOneUsed(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	uri := e.user("kim.lee", access.Administrator, adminPassword, true)
	now := e.clock.Now()
	older := code(t, uri, now.Add(-30*time.Second)) // previous step, still in the window
	newer := code(t, uri, now)
	if older == newer {
		t.Skip("codes of adjacent steps collide (one in a million)")
	}
	if _, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: newer}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Second)
	_, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: older})
	mustIs(t, err, ErrReplay)
	// The next step's code is fine.
	e.clock.Advance(30 * time.Second)
	if _, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: code(t, uri, e.clock.Now())}); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentReplayOfOneCodeAcceptedOnce(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	uri := e.user("kim.lee", access.Administrator, adminPassword, true)
	c := code(t, uri, e.clock.Now())
	// While the first login has checked the code but not yet consumed it,
	// the same code arrives again (the backoff has passed by then) and is
	// consumed first: the first login must then lose.
	var second error
	var fired atomic.Bool
	e.v.hook = func(ev string) {
		if ev == "otp" && fired.CompareAndSwap(false, true) {
			e.clock.Advance(2 * time.Second)
			_, second = e.v.Login(e.ctx, Credentials{User: "kim.lee", Password: adminPassword, OTP: c, Source: "10.0.0.66"})
		}
	}
	_, first := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: c})
	if second != nil {
		t.Fatalf("inner login: %v", second)
	}
	mustIs(t, first, ErrReplay)
	if r := e.actions("mfa.replay"); len(r) != 1 || !strings.Contains(r[0].Detail["reason"], "concurrent") {
		t.Fatalf("records %+v", r)
	}
}

func TestConcurrentLoginsWithOneCodeNeverBothSucceed(t *testing.T) {
	p := cheapPolicy()
	p.Lockout.BackoffBase, p.Lockout.BackoffMax = time.Nanosecond, time.Nanosecond
	e := newEnv(t, p)
	uri := e.user("kim.lee", access.Administrator, adminPassword, true)
	c := code(t, uri, e.clock.Now())
	e.clock.tick = time.Microsecond
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 32 {
		wg.Go(func() {
			_, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: c})
			if err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			} else if !errors.Is(err, ErrReplay) && !errors.Is(err, ErrThrottled) && !errors.Is(err, ErrLocked) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d logins succeeded with one code", ok)
	}
}

func TestClockSkewWindow(t *testing.T) {
	tests := []struct {
		name   string
		offset time.Duration // of the token's clock from the device's
		ok     bool
	}{
		{"same step", 0, true},
		{"token 30s behind", -30 * time.Second, true},
		{"token 30s ahead", 30 * time.Second, true},
		{"token 60s behind", -60 * time.Second, false},
		{"token 90s ahead", 90 * time.Second, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, cheapPolicy())
			uri := e.user("kim.lee", access.Administrator, adminPassword, true)
			_, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: code(t, uri, e.clock.Now().Add(tc.offset))})
			if tc.ok != (err == nil) {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestDeviceClockSetBackCannotReopenUsedCodes(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	uri := e.user("kim.lee", access.Administrator, adminPassword, true)
	c := code(t, uri, e.clock.Now())
	if _, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: c}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(-10 * time.Minute) // someone resets the device clock
	past := code(t, uri, e.clock.Now())
	_, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: past})
	mustIs(t, err, ErrReplay)
}

func TestMalformedCodesRefused(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("kim.lee", access.Administrator, adminPassword, true)
	for i, c := range []string{"12345", "1234567", "12a456", "１２３４５６", "123456\x00", strings.Repeat("1", 1<<20), "+12345", "-123456-1", " "} {
		e.clock.Advance(time.Minute)
		_, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: c})
		if !errors.Is(err, ErrDenied) {
			t.Fatalf("code %d: %v", i, err)
		}
		_ = e.v.Unlock(e.ctx, "it.admin", "kim.lee") // each is a failure; keep going
	}
}

func TestRecoveryCodeWorksOnce(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("kim.lee", access.Administrator, adminPassword, false)
	codes, err := e.v.NewRecoveryCodes(e.ctx, "it.admin", "kim.lee")
	if err != nil || len(codes) != RecoveryCodeCount {
		t.Fatal(codes, err)
	}
	typed := strings.ToLower(strings.ReplaceAll(codes[3], "-", " ")) // as typed from paper
	s, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, RecoveryCode: typed})
	if err != nil || s.Level != AAL2 {
		t.Fatalf("%+v %v", s, err)
	}
	e.clock.Advance(time.Minute)
	_, err = e.login(Credentials{User: "kim.lee", Password: adminPassword, RecoveryCode: codes[3]})
	mustIs(t, err, ErrDenied)
	if r := e.actions("recovery.use"); len(r) != 1 || r[0].Detail["remaining"] != "9" {
		t.Fatalf("%+v", r)
	}
	// New codes replace the old ones.
	if _, err := e.v.NewRecoveryCodes(e.ctx, "it.admin", "kim.lee"); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	_, err = e.login(Credentials{User: "kim.lee", Password: adminPassword, RecoveryCode: codes[4]})
	mustIs(t, err, ErrDenied)
}

func TestStoreHoldsNoRecoverableSecret(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	uri := e.user("kim.lee", access.Administrator, adminPassword, true)
	codes, _ := e.v.NewRecoveryCodes(e.ctx, "it.admin", "kim.lee")
	u, _ := e.store.Get(e.ctx, "kim.lee")
	dump, _ := json.Marshal(u)
	k, _ := otp.NewKeyFromURL(uri)
	for _, secret := range append([]string{adminPassword, k.Secret(), strings.ToLower(k.Secret())}, codes...) {
		if strings.Contains(string(dump), secret) || strings.Contains(string(dump), strings.ReplaceAll(secret, "-", "")) {
			t.Fatalf("store holds %q: %s", secret, dump)
		}
	}
	if !strings.HasPrefix(u.Password, "$argon2id$") && !strings.HasPrefix(u.Password, "$pbkdf2-sha256$") {
		t.Fatalf("password stored as %q", u.Password)
	}
}

func TestSealedSeedCopiedToAnotherAccountDoesNotOpen(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	uri := e.user("kim.lee", access.Administrator, adminPassword, true)
	e.user("sam.ortiz", access.Administrator, adminPassword, true)
	// Someone with write access to storage copies kim's enrolment onto
	// sam's account, to log in as sam with kim's phone.
	kim, _ := e.store.Get(e.ctx, "kim.lee")
	_ = e.store.Update(e.ctx, "sam.ortiz", func(u *User) error { u.OTP = kim.OTP; return nil })
	_, err := e.login(Credentials{User: "sam.ortiz", Password: adminPassword, OTP: code(t, uri, e.clock.Now())})
	mustIs(t, err, ErrDenied)
	if r := e.last(); r.Detail["reason"] != "OTP seed does not unseal" {
		t.Fatalf("%+v", r)
	}
}

func TestSessionTokenStoredOnlyAsHash(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	s, err := e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	e.v.sessions.mu.Lock()
	defer e.v.sessions.mu.Unlock()
	for _, st := range e.v.sessions.m {
		if st.Token != "" {
			t.Fatal("session table holds the token")
		}
	}
	if len(s.Token) != 43 || strings.Contains(fmt.Sprint(e.records()), s.Token) {
		t.Fatalf("token %q leaked or malformed", s.Token)
	}
}

func TestMadeUpTokenRefused(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	for _, tok := range []string{"", "admin", strings.Repeat("A", 43), strings.Repeat("x", 1<<16), "../../etc/passwd"} {
		_, err := e.v.Check(e.ctx, tok)
		mustIs(t, err, ErrNoSession)
		_, err = e.v.Authorize(e.ctx, tok, access.PHIRead)
		mustIs(t, err, ErrNoSession)
	}
	if n := len(e.actions("session.invalid")); n != 10 {
		t.Fatalf("%d session.invalid records", n)
	}
	// The request's source, from the handler's context, is in the record.
	_, err := e.v.Check(audit.WithSource(e.ctx, "10.0.0.66"), "made-up")
	mustIs(t, err, ErrNoSession)
	if r := e.last(); r.Action != "session.invalid" || r.Source != "10.0.0.66" {
		t.Fatalf("record %+v: want session.invalid from 10.0.0.66", r)
	}
}

func TestIdleSessionLoggedOffAutomatically(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	s, _ := e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	// Activity keeps it alive.
	for range 5 {
		e.clock.Advance(14 * time.Minute)
		if _, err := e.v.Authorize(e.ctx, s.Token, access.PHIRead); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(15 * time.Minute) // walked away from the pump
	_, err := e.v.Authorize(e.ctx, s.Token, access.PHIRead)
	mustIs(t, err, ErrSessionExpired)
	r := e.actions("session.expired")
	if len(r) != 1 || r[0].Detail["ended"] != "idle" || r[0].Actor != "nurse.jones" {
		t.Fatalf("%+v", r)
	}
	_, err = e.v.Check(e.ctx, s.Token) // and stays so
	mustIs(t, err, ErrSessionExpired)
}

func TestSessionEndsAtAbsoluteLifetimeDespiteActivity(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	uri := e.user("kim.lee", access.Administrator, adminPassword, true)
	s, _ := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: code(t, uri, e.clock.Now())})
	if want := e.clock.Now().Add(4 * time.Hour); !s.Expires.Equal(want) {
		t.Fatalf("AAL2 session expires %v, want %v", s.Expires, want)
	}
	var err error
	for i := 0; err == nil && i < 100; i++ {
		e.clock.Advance(5 * time.Minute)
		_, err = e.v.Check(e.ctx, s.Token)
	}
	mustIs(t, err, ErrSessionExpired)
	if r := e.actions("session.expired"); len(r) != 1 || r[0].Detail["ended"] != "absolute" {
		t.Fatalf("%+v", r)
	}
}

func TestExpiredSessionsSweptAndRecorded(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	for range 3 {
		if _, err := e.login(Credentials{User: "nurse.jones", Password: goodPassword}); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(16 * time.Minute)
	if n := e.v.ExpireSessions(e.ctx); n != 3 {
		t.Fatalf("swept %d", n)
	}
	if n := len(e.actions("session.expired")); n != 3 {
		t.Fatalf("%d records", n)
	}
}

func TestSensitiveActionNeedsFreshAuthentication(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	uri := e.user("bo.biomed", access.Biomed, adminPassword, true)
	s, err := e.login(Credentials{User: "bo.biomed", Password: adminPassword, OTP: code(t, uri, e.clock.Now())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.v.Authorize(e.ctx, s.Token, access.FirmwareUpdate); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(6 * time.Minute) // the technician stepped away; someone else sits down
	if _, err := e.v.Authorize(e.ctx, s.Token, access.AuditRead); err != nil {
		t.Fatal("non-sensitive action refused:", err)
	}
	_, err = e.v.Authorize(e.ctx, s.Token, access.FirmwareUpdate)
	mustIs(t, err, ErrReauthRequired)
	// The password alone is not enough for an AAL2 session.
	_, err = e.v.Reauthenticate(e.ctx, s.Token, Credentials{Password: adminPassword})
	mustIs(t, err, ErrSecondFactorRequired)
	e.clock.Advance(30 * time.Second)
	if _, err := e.v.Reauthenticate(e.ctx, s.Token, Credentials{User: "someone.else", Password: adminPassword, OTP: code(t, uri, e.clock.Now())}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.v.Authorize(e.ctx, s.Token, access.FirmwareUpdate); err != nil {
		t.Fatal(err)
	}
	if len(e.actions("reauth.required")) != 1 || len(e.actions("session.reauth")) < 2 {
		t.Fatal("re-authentication not recorded")
	}
}

func TestLoggedOutTokenRefused(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	s, _ := e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	if err := e.v.Logout(e.ctx, s.Token); err != nil {
		t.Fatal(err)
	}
	_, err := e.v.Check(e.ctx, s.Token)
	mustIs(t, err, ErrNoSession)
	mustIs(t, e.v.Logout(e.ctx, s.Token), ErrNoSession)
	if len(e.actions("logout")) != 1 {
		t.Fatal("logout not recorded")
	}
}

func TestRevokedAndPasswordResetSessionsRefused(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	a, _ := e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	if n, err := e.v.RevokeSessions(e.ctx, "it.admin", "Nurse.Jones"); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	_, err := e.v.Check(e.ctx, a.Token)
	mustIs(t, err, ErrNoSession)
	b, _ := e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	if err := e.v.SetPassword(e.ctx, "it.admin", "nurse.jones", "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	_, err = e.v.Check(e.ctx, b.Token)
	mustIs(t, err, ErrNoSession)
	if r := e.actions("password.reset"); len(r) != 1 || r[0].Actor != "it.admin" {
		t.Fatalf("%+v", r)
	}
}

func TestBreakGlassExpiresByItselfAndIsAudited(t *testing.T) {
	p := cheapPolicy()
	p.Factors = map[access.Role]int{access.Clinician: 2} // her token is in her locker
	e := newEnv(t, p)
	e.user("nurse.jones", access.Clinician, goodPassword, true)
	_, err := e.login(Credentials{User: "nurse.jones", Password: goodPassword})
	mustIs(t, err, ErrSecondFactorRequired)

	s, err := e.v.BreakGlass(e.ctx, Credentials{User: "nurse.jones", Password: goodPassword, Source: "bedside-keypad"}, "  code blue, bed 4  ")
	if err != nil {
		t.Fatal(err)
	}
	if !s.BreakGlass || s.Reason != "code blue, bed 4" || !s.Expires.Equal(e.clock.Now().Add(30*time.Minute)) {
		t.Fatalf("%+v", s)
	}
	// It can do the emergency's work, including overriding dose limits,
	// and nothing else.
	for _, perm := range []access.Permission{access.InfusionProgram, access.PHIRead, access.InfusionLimitsChange} {
		if _, err := e.v.Authorize(e.ctx, s.Token, perm); err != nil {
			t.Fatalf("%s: %v", perm, err)
		}
	}
	_, err = e.v.Authorize(e.ctx, s.Token, access.FirmwareUpdate)
	mustIs(t, err, access.ErrForbidden)

	// Loud: a distinct record, an alert, every use recorded.
	bg := e.actions(access.ActionBreakGlass)
	if len(bg) != 1 || bg[0].Outcome != audit.Success || bg[0].Detail["reason"] != "code blue, bed 4" || bg[0].Actor != "nurse.jones" {
		t.Fatalf("break-glass records %+v", bg)
	}
	if al := e.alerts.list(); len(al) != 1 || al[0].Kind != AlertBreakGlass || al[0].Reason != "code blue, bed 4" {
		t.Fatalf("alerts %+v", al)
	}
	if n := len(e.actions(access.ActionGranted)); n != 3 {
		t.Fatalf("%d access.granted records, want 3", n)
	}

	// Re-authenticating does not extend it.
	e.clock.Advance(20 * time.Minute)
	if _, err := e.v.Reauthenticate(e.ctx, s.Token, Credentials{Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	// It ends by itself, recorded even though nobody presents it again.
	e.clock.Advance(10 * time.Minute)
	if n := e.v.ExpireSessions(e.ctx); n != 1 {
		t.Fatalf("swept %d", n)
	}
	end := e.actions("break-glass.end")
	if len(end) != 1 || end[0].Detail["ended"] != "absolute" || end[0].Detail["reason"] != "code blue, bed 4" {
		t.Fatalf("end records %+v", end)
	}
	_, err = e.v.Authorize(e.ctx, s.Token, access.InfusionProgram)
	mustIs(t, err, ErrSessionExpired)
}

func TestBreakGlassNeedsReasonAndPassword(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	_, err := e.v.BreakGlass(e.ctx, Credentials{User: "nurse.jones", Password: goodPassword}, " \t ")
	mustIs(t, err, ErrReasonRequired)
	_, err = e.v.BreakGlass(e.ctx, Credentials{User: "nurse.jones", Password: "i forgot it though"}, "emergency")
	mustIs(t, err, ErrDenied)
	_, err = e.v.BreakGlass(e.ctx, Credentials{User: "nobody.here"}, "emergency")
	mustIs(t, err, ErrDenied)
	if n := len(e.actions(access.ActionBreakGlass)); n != 3 {
		t.Fatalf("%d break-glass records, want 3 failures", n)
	}
	if len(e.alerts.list()) != 0 {
		t.Fatal("alert for a refused break-glass")
	}
}

func TestBreakGlassRefusedToRolesWithoutThePermission(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("kim.lee", access.Administrator, adminPassword, true)
	e.user("pat.doe", access.Patient, goodPassword, false)
	// An administrator cannot use break-glass to skip their second factor.
	_, err := e.v.BreakGlass(e.ctx, Credentials{User: "kim.lee", Password: adminPassword}, "need in")
	mustIs(t, err, access.ErrForbidden)
	_, err = e.v.BreakGlass(e.ctx, Credentials{User: "pat.doe", Password: goodPassword}, "change my dose")
	mustIs(t, err, access.ErrForbidden)
	if e.v.sessions.len() != 0 {
		t.Fatal("session opened")
	}
}

func TestBreakGlassRefusedWhenItCannotBeRecorded(t *testing.T) {
	p := cheapPolicy()
	store := NewMemStore()
	v, err := New(store, WithPolicy(p))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := v.CreateUser(ctx, "factory", "nurse.jones", access.Clinician, goodPassword); err != nil {
		t.Fatal(err)
	}
	v.auditor = failingAuditor{}
	if _, err := v.BreakGlass(ctx, Credentials{User: "nurse.jones", Password: goodPassword}, "emergency"); err == nil {
		t.Fatal("silent break-glass granted")
	}
	if _, err := v.Login(ctx, Credentials{User: "nurse.jones", Password: goodPassword}); err == nil {
		t.Fatal("unrecorded login granted")
	}
	if v.sessions.len() != 0 {
		t.Fatal("session left open")
	}
}

func TestDefaultCredentialsCannotExist(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	for _, c := range [][2]string{{"admin", "admin"}, {"root", "toor"}, {"service", "service"}, {"biomed", "biomed"}, {"nurse", "password"}} {
		err := e.v.CreateUser(e.ctx, "factory", c[0], access.Administrator, c[1])
		mustIs(t, err, access.ErrSharedAccount)
		_, err = e.login(Credentials{User: c[0], Password: c[1], Source: c[0]})
		mustIs(t, err, ErrDenied)
	}
	// With a personal name, the vendor password is still refused.
	err := e.v.CreateUser(e.ctx, "factory", "kim.lee", access.Administrator, "admin")
	mustIs(t, err, ErrWeakPassword)
	if r := e.actions("user.create"); len(r) != 6 || r[0].Outcome != audit.Failure {
		t.Fatalf("%d user.create records", len(r))
	}
}

func TestSharedAccountRefused(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	for _, name := range []string{"admin", "nurse", "user", "shared", "service", "nurse2", "icu-nurse", "ADMIN_01", "guest"} {
		err := e.v.CreateUser(e.ctx, "factory", name, access.Clinician, goodPassword)
		mustIs(t, err, access.ErrSharedAccount)
	}
	// Identities are unique whatever the case.
	e.user("Nurse.Jones", access.Clinician, goodPassword, false)
	mustIs(t, e.v.CreateUser(e.ctx, "factory", "NURSE.JONES", access.Clinician, goodPassword), ErrExists)
	if _, err := e.login(Credentials{User: "NURSE.jones", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
}

func TestOversizedInputsRefusedWithoutPanic(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("nurse.jones", access.Clinician, goodPassword, false)
	huge := strings.Repeat("A", 4<<20)
	cases := []Credentials{
		{User: huge, Password: goodPassword},
		{User: "nurse.jones", Password: huge},
		{User: "nurse.jones", Password: goodPassword, OTP: huge},
		{User: "nurse.jones", Password: goodPassword, RecoveryCode: huge},
		{User: "nurse.jones", Password: goodPassword, Source: huge},
		{User: "nurse.jones", Password: goodPassword, Proofs: map[string][]byte{"fingerprint": []byte(huge)}},
		{User: "nurse\xff\xfe", Password: "\xff"},
	}
	for i, c := range cases {
		e.clock.Advance(time.Hour)
		e.hashes.Store(0)
		_, err := e.login(c)
		if i == 4 {
			if err != nil { // a long source is cut, not refused
				t.Fatalf("case %d: %v", i, err)
			}
			continue
		}
		mustIs(t, err, ErrDenied)
		if e.hashes.Load() != 1 {
			t.Fatalf("case %d: %d hashes", i, e.hashes.Load())
		}
	}
	for _, r := range e.records() {
		if len(r.Actor) > 256 || len(r.Source) > 256 {
			t.Fatalf("record %d kept an oversized field", r.Seq)
		}
	}
}

// badge is a device-provided factor: a badge reader that returns the badge
// id.
type badge map[string]string

func (badge) Name() string { return "badge" }
func (b badge) Verify(_ context.Context, user string, proof []byte) error {
	if b[user] == "" || b[user] != string(proof) {
		return errors.New("badge not enrolled for this user")
	}
	return nil
}

func TestDeviceFactorCountsAsSecondFactor(t *testing.T) {
	e := newEnv(t, cheapPolicy(), WithFactor(badge{"bo.biomed": "04:A2:19:7F"}))
	e.user("bo.biomed", access.Biomed, adminPassword, false)
	s, err := e.login(Credentials{User: "bo.biomed", Password: adminPassword, Proofs: map[string][]byte{"badge": []byte("04:A2:19:7F")}})
	if err != nil || strings.Join(s.Factors, ",") != "password,badge" || s.Level != AAL2 {
		t.Fatalf("%+v %v", s, err)
	}
	e.clock.Advance(time.Minute)
	_, err = e.login(Credentials{User: "bo.biomed", Password: adminPassword, Proofs: map[string][]byte{"badge": []byte("04:00:00:00")}})
	mustIs(t, err, ErrDenied)
	e.clock.Advance(time.Minute)
	_, err = e.login(Credentials{User: "bo.biomed", Password: adminPassword, Proofs: map[string][]byte{"retina": []byte("x")}})
	mustIs(t, err, ErrDenied)
	if r := e.last(); !strings.Contains(r.Detail["reason"], "unknown factor") {
		t.Fatalf("%+v", r)
	}
}

// switchAuditor fails while broken is set.
type switchAuditor struct {
	Auditor
	broken atomic.Bool
}

func (s *switchAuditor) Append(ctx context.Context, e audit.Event) (audit.Record, error) {
	if s.broken.Load() {
		return audit.Record{}, errors.New("audit storage full")
	}
	return s.Auditor.Append(ctx, e)
}

func TestUnrecordedAdministrationIsUndone(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	sw := &switchAuditor{Auditor: e.log}
	e.v.auditor = sw
	uri := e.user("kim.lee", access.Administrator, adminPassword, true)
	codes, _ := e.v.NewRecoveryCodes(e.ctx, "it.admin", "kim.lee")
	sw.broken.Store(true)
	if err := e.v.CreateUser(e.ctx, "it.admin", "sam.ortiz", access.Clinician, goodPassword); err == nil {
		t.Fatal("unrecorded account creation succeeded")
	}
	if _, err := e.v.EnrollTOTP(e.ctx, "it.admin", "kim.lee"); err == nil {
		t.Fatal("unrecorded enrolment succeeded")
	}
	if _, err := e.v.NewRecoveryCodes(e.ctx, "it.admin", "kim.lee"); err == nil {
		t.Fatal("unrecorded recovery codes issued")
	}
	sw.broken.Store(false)
	if _, err := e.store.Get(e.ctx, "sam.ortiz"); !errors.Is(err, ErrNotFound) {
		t.Fatal("unrecorded account kept")
	}
	// Kim keeps her phone's generator and her printed codes.
	if _, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: code(t, uri, e.clock.Now())}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	if _, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, RecoveryCode: codes[0]}); err != nil {
		t.Fatal(err)
	}
}

// TestEveryDecisionIsAudited walks through a device's life and checks the
// audit trail, action by action: the names documented in docs/mfa.md.
func TestEveryDecisionIsAudited(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	uri := e.user("kim.lee", access.Administrator, adminPassword, true)   // user.create, mfa.enroll
	e.user("nurse.jones", access.Clinician, goodPassword, false)          // user.create
	_, _ = e.login(Credentials{User: "kim.lee", Password: adminPassword}) // login failure: second factor required
	c := code(t, uri, e.clock.Now())
	admin, _ := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: c}) // login
	e.clock.Advance(5 * time.Second)
	_, _ = e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: c}) // mfa.replay
	_, _ = e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: c}) // login.throttled
	_, _ = e.v.Authorize(e.ctx, admin.Token, access.UserManage)                   // access.granted
	_, _ = e.v.Authorize(e.ctx, admin.Token, access.PHIRead)                      // access.denied
	_, _ = e.v.NewRecoveryCodes(e.ctx, "kim.lee", "kim.lee")                      // recovery.generate
	for i := range 5 {
		e.clock.Advance(time.Minute)
		_, _ = e.login(Credentials{User: "nurse.jones", Password: fmt.Sprint("guess ", i)}) // login x5, account.locked
	}
	_, _ = e.login(Credentials{User: "nurse.jones", Password: goodPassword})                              // login.locked
	_ = e.v.Unlock(e.ctx, "kim.lee", "nurse.jones")                                                       // account.unlock
	bg, _ := e.v.BreakGlass(e.ctx, Credentials{User: "nurse.jones", Password: goodPassword}, "code blue") // break-glass
	_ = e.v.Logout(e.ctx, bg.Token)                                                                       // break-glass.end
	n, _ := e.login(Credentials{User: "nurse.jones", Password: goodPassword})                             // login
	e.clock.Advance(20 * time.Minute)
	_, _ = e.v.Check(e.ctx, n.Token)                                               // session.expired, then the sweep: session.expired (kim)
	_, _ = e.v.Check(e.ctx, "made-up")                                             // session.invalid
	_ = e.v.SetPassword(e.ctx, "kim.lee", "nurse.jones", "a brand new passphrase") // password.reset
	_ = e.v.DeleteUser(e.ctx, "kim.lee", "nurse.jones")                            // user.delete

	var got []string
	for _, r := range e.records() {
		got = append(got, r.Action+":"+string(r.Outcome))
	}
	want := []string{
		"user.create:success", "mfa.enroll:success", "user.create:success",
		"login:failure", "login:success", "mfa.replay:denied", "login.throttled:denied",
		"access.granted:success", "access.denied:denied", "recovery.generate:success",
		"login:failure", "login:failure", "login:failure", "login:failure", "login:failure", "account.locked:denied",
		"login.locked:denied", "account.unlock:success",
		"break-glass:success", "break-glass.end:success", "login:success",
		"session.expired:denied", "session.expired:success", "session.invalid:denied",
		"password.reset:success", "user.delete:success",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("audit trail\n got %v\nwant %v", got, want)
	}
	// Every privileged administrative action is one access.Review counts.
	for _, a := range []string{"user.create", "user.delete", "password.reset", "account.unlock", "mfa.enroll",
		"recovery.generate", "session.revoke", access.ActionBreakGlass} {
		if !slices.Contains(access.PrivilegedActions, a) {
			t.Errorf("%s missing from access.PrivilegedActions", a)
		}
	}
}
