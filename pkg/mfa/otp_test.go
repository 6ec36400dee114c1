package mfa

import (
	"crypto/fips140"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"github.com/wardsec/ward/pkg/access"
)

// usable reports whether alg works in this process (not SHA1 in FIPS mode).
func usable(alg string) bool { return algorithmAllowed(alg) == nil }

func TestCodesMatchPquernaOTP(t *testing.T) {
	seed := []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	for _, alg := range []string{"SHA1", "SHA256", "SHA512"} {
		if !usable(alg) {
			continue
		}
		for _, digits := range []int{6, 8} {
			for _, n := range []int{16, 20, 32, 64} {
				v, err := newOTPVerifier(alg, seed[:n], digits)
				if err != nil {
					t.Fatal(err)
				}
				secret := base32.StdEncoding.EncodeToString(seed[:n])
				for _, counter := range []uint64{0, 1, 2, 59, 1111111109, 1 << 33, 1<<62 + 7} {
					want, err := hotp.GenerateCodeCustom(secret, counter, hotp.ValidateOpts{Digits: otp.Digits(digits), Algorithm: pquernaAlgorithm(alg)})
					if err != nil {
						t.Fatal(err)
					}
					if got := fmt.Sprintf("%0*d", digits, v.code(counter)); got != want {
						t.Fatalf("%s/%d/%dB counter %d: %s, pquerna says %s", alg, digits, n, counter, got, want)
					}
				}
			}
		}
	}
}

// RFC 6238 appendix B.
func TestRFC6238Vectors(t *testing.T) {
	seeds := map[string]string{
		"SHA1":   "12345678901234567890",
		"SHA256": "12345678901234567890123456789012",
		"SHA512": "1234567890123456789012345678901234567890123456789012345678901234",
	}
	vectors := []struct {
		t    int64
		alg  string
		want uint32
	}{
		{59, "SHA1", 94287082}, {59, "SHA256", 46119246}, {59, "SHA512", 90693936},
		{1111111109, "SHA1", 7081804}, {1111111109, "SHA256", 68084774}, {1111111109, "SHA512", 25091201},
		{1234567890, "SHA1", 89005924}, {1234567890, "SHA256", 91819424}, {1234567890, "SHA512", 93441116},
		{20000000000, "SHA1", 65353130}, {20000000000, "SHA256", 77737706}, {20000000000, "SHA512", 47863826},
	}
	for _, vec := range vectors {
		if !usable(vec.alg) {
			continue
		}
		v, err := newOTPVerifier(vec.alg, []byte(seeds[vec.alg]), 8)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.code(uint64(vec.t / 30)); got != vec.want {
			t.Errorf("T=%d %s: %08d, want %08d", vec.t, vec.alg, got, vec.want)
		}
	}
}

func TestParseCode(t *testing.T) {
	tests := []struct {
		in     string
		digits int
		want   uint32
		ok     bool
	}{
		{"123456", 6, 123456, true},
		{"012345", 6, 12345, true},
		{"123 456", 6, 123456, true},
		{"123-456", 6, 123456, true},
		{" 12345678 ", 8, 12345678, true},
		{"12345", 6, 0, false},
		{"1234567", 6, 0, false},
		{"12345a", 6, 0, false},
		{"", 6, 0, false},
		{"１２３４５６", 6, 0, false},
		{"+123456", 6, 0, false},
		{"123456\n", 6, 0, false},
		{strings.Repeat(" ", 40) + "123456", 6, 0, false},
		{"123456", 9, 0, false},
	}
	for _, tc := range tests {
		got, ok := parseCode(tc.in, tc.digits)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseCode(%q, %d) = %d, %v; want %d, %v", tc.in, tc.digits, got, ok, tc.want, tc.ok)
		}
	}
}

const testSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" // 20 bytes

func TestOTPURIParsing(t *testing.T) {
	ok := []struct {
		uri  string
		want otpKey
	}{
		{"otpauth://totp/Ward:kim.lee?secret=" + testSecret + "&issuer=Ward",
			otpKey{typ: "totp", algorithm: "SHA1", digits: 6, period: 30, issuer: "Ward", account: "kim.lee"}},
		{"otpauth://totp/kim?secret=" + strings.ToLower(testSecret) + "&algorithm=SHA256&digits=8&period=60",
			otpKey{typ: "totp", algorithm: "SHA256", digits: 8, period: 60, account: "kim"}},
		{"otpauth://hotp/Token:kim?secret=" + testSecret + "&counter=42&algorithm=sha512",
			otpKey{typ: "hotp", algorithm: "SHA512", digits: 6, counter: 42, issuer: "Token", account: "kim"}},
		{"  otpauth://totp/x?secret=" + testSecret + "====  ", // padded, surrounding space
			otpKey{typ: "totp", algorithm: "SHA1", digits: 6, period: 30, account: "x"}},
	}
	for _, tc := range ok {
		k, err := parseOTPURI(tc.uri)
		if err != nil {
			t.Fatalf("%s: %v", tc.uri, err)
		}
		if len(k.seed) != 20 {
			t.Errorf("%s: seed %d bytes", tc.uri, len(k.seed))
		}
		k.seed = nil
		if fmt.Sprint(*k) != fmt.Sprint(tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.uri, *k, tc.want)
		}
	}
	bad := []string{
		"", "http://totp/x?secret=" + testSecret, "otpauth:totp/x?secret=" + testSecret,
		"otpauth://sotp/x?secret=" + testSecret,
		"otpauth://totp/x", "otpauth://totp/x?secret=", "otpauth://totp/x?secret=JBSWY3DP", // 5 bytes: too short
		"otpauth://totp/x?secret=" + testSecret + "1", // not base32
		"otpauth://totp/x?secret=" + strings.Repeat("A", 200),
		"otpauth://totp/x?secret=" + testSecret + "&algorithm=MD5",
		"otpauth://totp/x?secret=" + testSecret + "&digits=7",
		"otpauth://totp/x?secret=" + testSecret + "&digits=six",
		"otpauth://totp/x?secret=" + testSecret + "&period=0",
		"otpauth://totp/x?secret=" + testSecret + "&period=3600",
		"otpauth://totp/x?secret=" + testSecret + "&period=030",
		"otpauth://totp/x?secret=" + testSecret + "&counter=1",
		"otpauth://hotp/x?secret=" + testSecret + "&period=30",
		"otpauth://hotp/x?secret=" + testSecret + "&counter=-1",
		"otpauth://hotp/x?secret=" + testSecret + "&counter=99999999999999999999",
		"otpauth://totp/x?secret=" + testSecret + "&secret=" + testSecret,
		"otpauth://totp/x?secret=" + testSecret + "&lifetime=forever",
		"otpauth://totp/x?secret=" + testSecret + "#frag",
		"otpauth://user@totp/x?secret=" + testSecret,
		"otpauth://totp/x?secret=" + testSecret + "&%zz",
		"otpauth://totp/x?secret=" + testSecret + "&issuer=" + strings.Repeat("i", 3000),
	}
	for _, uri := range bad {
		if k, err := parseOTPURI(uri); err == nil {
			t.Errorf("accepted %q: %+v", uri, k)
		} else if !errors.Is(err, errBadURI) {
			t.Errorf("%q: error %v does not wrap errBadURI", uri, err)
		}
	}
}

func TestEnrollmentURIWorksInAuthenticatorApps(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	uri := e.user("kim.lee", access.Administrator, adminPassword, true)
	k, err := otp.NewKeyFromURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	wantAlg, wantLen := otp.AlgorithmSHA1, 20
	if fips140.Enabled() {
		wantAlg, wantLen = otp.AlgorithmSHA256, 32
	}
	seed, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(k.Secret())
	if k.Type() != "totp" || k.Issuer() != "Ward device" || k.AccountName() != "kim.lee" || k.Period() != 30 ||
		k.Digits() != otp.DigitsSix || k.Algorithm() != wantAlg || len(seed) != wantLen {
		t.Fatalf("URI %s", uri)
	}
	if r := e.actions("mfa.enroll"); len(r) != 1 || r[0].Detail["algorithm"] != wantAlg.String() {
		t.Fatalf("%+v", r)
	}
}

func TestHOTPTokenLookAheadAndReplay(t *testing.T) {
	e := newEnv(t, cheapPolicy())
	e.user("bo.biomed", access.Biomed, adminPassword, false)
	alg := "SHA256"
	uri := "otpauth://hotp/Vendor:bo?secret=" + testSecret + "&counter=100&algorithm=" + alg
	if err := e.v.ImportOTP(e.ctx, "it.admin", "bo.biomed", uri); err != nil {
		t.Fatal(err)
	}
	at := func(c uint64) string {
		s, _ := hotp.GenerateCodeCustom(testSecret, c, hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA256})
		return s
	}
	login := func(c uint64) error {
		e.clock.Advance(time.Minute)
		_, err := e.login(Credentials{User: "bo.biomed", Password: adminPassword, OTP: at(c)})
		return err
	}
	if err := login(99); !errors.Is(err, ErrDenied) {
		t.Fatal("code before the token's counter accepted:", err)
	}
	if err := login(102); err != nil { // button pressed three times
		t.Fatal(err)
	}
	mustIs(t, login(102), ErrReplay)
	mustIs(t, login(101), ErrDenied)
	if err := login(103); err != nil {
		t.Fatal(err)
	}
	mustIs(t, login(104+5), ErrDenied) // beyond the look-ahead (104 to 108)
	_ = e.v.Unlock(e.ctx, "it.admin", "bo.biomed")
	if err := login(104); err != nil {
		t.Fatal(err)
	}
}

func TestSHA1CodesInFIPSMode(t *testing.T) {
	if !fips140.Enabled() {
		t.Skip("run with GODEBUG=fips140=on or only")
	}
	e := newEnv(t, cheapPolicy())
	e.user("kim.lee", access.Administrator, adminPassword, false)
	// Importing a SHA-1 token is refused with a clear error.
	err := e.v.ImportOTP(e.ctx, "it.admin", "kim.lee", "otpauth://totp/x?secret="+testSecret)
	mustIs(t, err, ErrNotApproved)
	// An enrolment made before FIPS mode was switched on is refused at
	// login, audited, and does not panic (HMAC-SHA-1 panics under
	// fips140=only).
	sealed, _ := e.v.sealer.Seal([]byte("12345678901234567890"), seedContext("kim.lee"))
	_ = e.store.Update(e.ctx, "kim.lee", func(u *User) error {
		u.OTP = &OTP{Type: TypeTOTP, Algorithm: "SHA1", Digits: 6, Period: 30, Sealed: sealed}
		return nil
	})
	_, err = e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: "123456"})
	mustIs(t, err, ErrNotApproved)
	mustIs(t, err, ErrDenied)
	// New enrolments use HMAC-SHA-256 and work.
	uri, err := e.v.EnrollTOTP(e.ctx, "it.admin", "kim.lee")
	if err != nil || !strings.Contains(uri, "algorithm=SHA256") {
		t.Fatal(uri, err)
	}
	e.clock.Advance(time.Minute)
	if _, err := e.login(Credentials{User: "kim.lee", Password: adminPassword, OTP: code(t, uri, e.clock.Now())}); err != nil {
		t.Fatal(err)
	}
}
