package mfa

import (
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/wardsec/ward/internal/realtool"
)

// TestCodesMatchOathtool: Ward's HOTP/TOTP codes equal those of OATH
// Toolkit's oathtool (an independent C implementation, Debian package
// oathtool) for every algorithm, 6 to 8 digits, seed lengths 16 to 64
// bytes and windows of 200 time steps at small, RFC 6238 and 64-bit
// counters. oathtool is driven in TOTP mode with the step's start time
// (so its time-to-counter mapping is compared too) and, for counters
// beyond what a time can express, in HOTP mode (SHA-1 only there).
func TestCodesMatchOathtool(t *testing.T) {
	oathtool := realtool.Need(t, "oathtool", "oathtool")
	seed := []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	const window = 200
	compared := 0
	check := func(alg string, digits, n int, first uint64, args ...string) {
		t.Helper()
		out, err := exec.CommandContext(t.Context(), oathtool, append(args, "-d", fmt.Sprint(digits),
			"-w", fmt.Sprint(window-1), hex.EncodeToString(seed[:n]))...).CombinedOutput()
		if err != nil {
			t.Fatalf("oathtool %v: %v\n%s", args, err, out)
		}
		codes := strings.Fields(string(out))
		if len(codes) != window {
			t.Fatalf("oathtool %v printed %d codes, want %d", args, len(codes), window)
		}
		v, err := newOTPVerifier(alg, seed[:n], digits)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range codes {
			c := first + uint64(i)
			if got := fmt.Sprintf("%0*d", digits, v.code(c)); got != want {
				t.Fatalf("%s/%d digits/%d-byte seed, counter %d: Ward %s, oathtool %s", alg, digits, n, c, got, want)
			}
			compared++
		}
	}
	for _, alg := range []string{"SHA1", "SHA256", "SHA512"} {
		if !usable(alg) {
			continue
		}
		for _, digits := range []int{6, 7, 8} {
			for _, n := range []int{16, 20, 32, 64} {
				// TOTP: 30 s steps; counters up to 2^40 (times fit in 64 bits).
				for _, first := range []uint64{0, 1111111109/30 - 100, 20000000000 / 30, 1 << 33, 1 << 40} {
					check(alg, digits, n, first, "--totp="+strings.ToLower(alg), "-s", "30s", "-N", fmt.Sprintf("@%d", first*30))
				}
				if alg == "SHA1" {
					for _, first := range []uint64{0, 1<<32 - 100, 1<<62 + 7, 1<<64 - window} {
						check(alg, digits, n, first, "--hotp", "-c", fmt.Sprint(first))
					}
				}
			}
		}
	}
	t.Logf("%d codes compared with oathtool", compared)
	if compared == 0 {
		t.Fatal("no algorithm usable: nothing compared")
	}
}
