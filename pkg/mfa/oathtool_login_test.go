package mfa_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/realtool"
	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/mfa"
)

// TestOathtoolCodesLogIn: the otpauth URI a device shows at enrolment,
// read by an independent authenticator (oathtool, given the URI's secret,
// algorithm, digits and period), yields codes the device accepts once
// each, at many instants; a code from five minutes before is refused.
func TestOathtoolCodesLogIn(t *testing.T) {
	oathtool := realtool.Need(t, "oathtool", "oathtool")
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)
	v, err := mfa.New(mfa.NewMemStore(), mfa.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	const user, pw = "kim.lee", "violet kettle mirror 42"
	if err := v.CreateUser(ctx, "factory-provisioning", user, access.Administrator, pw); err != nil {
		t.Fatal(err)
	}
	uri, err := v.EnrollTOTP(ctx, "factory-provisioning", user)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	alg, digits, period := q.Get("algorithm"), q.Get("digits"), q.Get("period")
	if alg == "" || digits == "" || period == "" || q.Get("secret") == "" {
		t.Fatalf("enrolment URI lacks parameters an authenticator needs: %s", uri)
	}
	code := func(at time.Time) string {
		out, err := exec.Command(oathtool, "--totp="+strings.ToLower(alg), "-d", digits, "-s", period+"s",
			"-N", fmt.Sprintf("@%d", at.Unix()), "-b", q.Get("secret")).CombinedOutput()
		if err != nil {
			t.Fatalf("oathtool: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	for i := range 40 {
		now = now.Add(47 * time.Second) // a new step each time, not aligned to steps
		c := code(now)
		if _, err := v.Login(ctx, mfa.Credentials{User: user, Password: pw, OTP: c, Source: "keypad"}); err != nil {
			t.Fatalf("login %d at %s with oathtool's %s: %v", i, now, c, err)
		}
		// One refusal per step (from another source), so the account's
		// backoff after a failure has passed by the next step.
		if i%2 == 0 {
			if _, err := v.Login(ctx, mfa.Credentials{User: user, Password: pw, OTP: c, Source: fmt.Sprint("replay-", i)}); !errors.Is(err, mfa.ErrReplay) {
				t.Fatalf("replayed code %s: %v, want ErrReplay", c, err)
			}
		} else if old := code(now.Add(-5 * time.Minute)); old != c {
			if _, err := v.Login(ctx, mfa.Credentials{User: user, Password: pw, OTP: old, Source: fmt.Sprint("old-", i)}); !errors.Is(err, mfa.ErrDenied) {
				t.Fatalf("a five-minute-old code %s: %v, want ErrDenied", old, err)
			}
		}
	}
}
