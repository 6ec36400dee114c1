package mfa

import (
	"encoding/base32"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// The fixed seed and time behind FuzzVerifyCode's committed seeds
// (testdata/fuzz/FuzzVerifyCode): at fuzzNow the current step's code is
// 169993, the previous step's 097321, the next one's 363070 (all inside the
// window), two steps back 977371 and two ahead 303974 (outside).
var (
	fuzzSeed = []byte("12345678901234567890123456789012")
	fuzzNow  = time.Unix(1741944405, 0) // 2025-03-14T09:26:45Z, step 58064813
)

// FuzzVerifyCode: no input panics or errors; a code is accepted only if it
// is the reference (pquerna/otp) code of a step inside the window, and
// never twice.
func FuzzVerifyCode(f *testing.F) {
	pol := &OTPPolicy{Skew: 1, LookAhead: 5}
	cur := uint64(fuzzNow.Unix() / 30)
	secret := base32.StdEncoding.EncodeToString(fuzzSeed)
	ref := func(t *testing.T, step uint64) string {
		c, err := hotp.GenerateCodeCustom(secret, step, hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA256})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	f.Fuzz(func(t *testing.T, code string) {
		rec := &OTP{Type: TypeTOTP, Algorithm: "SHA256", Digits: 6, Period: 30}
		step, m, err := matchOTP(rec, fuzzSeed, code, fuzzNow, pol)
		if err != nil {
			t.Fatalf("error for code %q: %v", code, err)
		}
		val, parsed := parseCode(code, 6)
		digits := fmt.Sprintf("%06d", val)
		switch m {
		case otpFresh:
			if !parsed || step+1 < cur || step > cur+1 || ref(t, step) != digits {
				t.Fatalf("accepted %q for step %d (current %d); reference code %s", code, step, cur, ref(t, step))
			}
			rec.Next = step + 1
			if _, again, _ := matchOTP(rec, fuzzSeed, code, fuzzNow, pol); again != otpReplay {
				t.Fatalf("code %q accepted, then %v instead of replay", code, again)
			}
		case otpReplay:
			t.Fatalf("replay reported for %q with nothing used", code)
		default:
			if parsed && slices.Contains([]string{ref(t, cur-1), ref(t, cur), ref(t, cur+1)}, digits) {
				t.Fatalf("valid code %q refused", code)
			}
		}
	})
}

// FuzzParseOTPURI: no input panics; refusals wrap errBadURI; an accepted
// URI has sane parameters, re-encodes to a URI that parses to the same
// generator, and pquerna/otp computes the same codes from it as Ward does.
func FuzzParseOTPURI(f *testing.F) {
	for _, s := range []string{
		"otpauth://totp/Ward%20device:kim.lee?secret=" + testSecret + "&issuer=Ward%20device&algorithm=SHA1&digits=6&period=30",
		"otpauth://hotp/Vendor:bo?secret=" + testSecret + "&counter=100&algorithm=SHA256",
		"otpauth://totp/x?secret=" + testSecret + "&algorithm=SHA512&digits=8&period=60",
		"otpauth://totp/x?secret=JBSWY3DP",
		"otpauth://totp/x?secret=" + testSecret + "&digits=7",
		"otpauth://totp/x?secret=" + testSecret + "&secret=" + testSecret,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		k, err := parseOTPURI(uri)
		if err != nil {
			if !errors.Is(err, errBadURI) {
				t.Fatalf("error %v does not wrap errBadURI", err)
			}
			return
		}
		if (k.typ != TypeTOTP || k.period < 15 || k.period > 120) && (k.typ != TypeHOTP || k.period != 0) ||
			k.digits != 6 && k.digits != 8 || len(k.seed) < minSeedBytes || len(k.seed) > maxSeedBytes ||
			!slices.Contains([]string{"SHA1", "SHA256", "SHA512"}, k.algorithm) {
			t.Fatalf("accepted %q as %+v", uri, k)
		}
		again, err := parseOTPURI(k.uri())
		if err != nil {
			t.Fatalf("re-encoded %q does not parse: %v", k.uri(), err)
		}
		if again.typ != k.typ || again.algorithm != k.algorithm || again.digits != k.digits ||
			again.period != k.period || again.counter != k.counter || string(again.seed) != string(k.seed) {
			t.Fatalf("round trip changed %+v into %+v", k, again)
		}
		if algorithmAllowed(k.algorithm) != nil {
			return
		}
		v, err := newOTPVerifier(k.algorithm, k.seed, k.digits)
		if err != nil {
			t.Fatal(err)
		}
		secret := base32.StdEncoding.EncodeToString(k.seed)
		for _, c := range []uint64{k.counter, 58064813} {
			want, err := hotp.GenerateCodeCustom(secret, c, hotp.ValidateOpts{Digits: otp.Digits(k.digits), Algorithm: pquernaAlgorithm(k.algorithm)})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%0*d", k.digits, v.code(c)); got != want {
				t.Fatalf("counter %d: Ward %s, pquerna %s", c, got, want)
			}
		}
	})
}

// FuzzParseHash: stored hashes come from a Store that may have been
// tampered with; no input panics, and an accepted one re-encodes to itself
// as parsed.
func FuzzParseHash(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$pbkdf2-sha256$i=600000$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$argon2id$v=19$m=4194304,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHash(s)
		if err != nil {
			return
		}
		again, err := parseHash(h.encode())
		if err != nil || fmt.Sprint(again) != fmt.Sprint(h) {
			t.Fatalf("%q: re-encoded %q parses to %+v, %v", s, h.encode(), again, err)
		}
	})
}
