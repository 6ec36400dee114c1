package mfa_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/mfa"
)

// authenticatorApp stands in for the administrator's phone.
func authenticatorApp(uri string, at time.Time) string {
	key, _ := otp.NewKeyFromURL(uri)
	code, _ := totp.GenerateCodeCustom(key.Secret(), at, totp.ValidateOpts{
		Period: uint(key.Period()), Digits: key.Digits(), Algorithm: key.Algorithm()})
	return code
}

func ExampleVerifier_Login() {
	ctx := context.Background()
	now := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	log, _ := audit.Open(ctx, audit.NewMemStore(), audit.WithClock(clock))
	v, err := mfa.New(mfa.NewMemStore(), mfa.WithAuditor(log), mfa.WithClock(clock))
	if err != nil {
		panic(err)
	}
	// Provisioning: an administrator always needs two factors.
	_ = v.CreateUser(ctx, "factory-provisioning", "kim.lee", access.Administrator, "violet kettle mirror 42")
	uri, _ := v.EnrollTOTP(ctx, "factory-provisioning", "kim.lee") // shown once as a QR code

	_, err = v.Login(ctx, mfa.Credentials{User: "kim.lee", Password: "violet kettle mirror 42"})
	fmt.Println(err)

	code := authenticatorApp(uri, now)
	s, err := v.Login(ctx, mfa.Credentials{User: "kim.lee", Password: "violet kettle mirror 42", OTP: code, Source: "10.0.0.7"})
	fmt.Println(s.User, s.Level, s.Factors, "until", s.Expires.Format(time.Kitchen), err)

	// Someone who saw the code over her shoulder tries it too.
	_, err = v.Login(ctx, mfa.Credentials{User: "kim.lee", Password: "violet kettle mirror 42", OTP: code, Source: "10.0.0.66"})
	fmt.Println(errors.Is(err, mfa.ErrReplay))
	// Output:
	// mfa: a second factor is required
	// kim.lee AAL2 [password totp] until 1:30PM <nil>
	// true
}

func ExampleVerifier_BreakGlass() {
	ctx := context.Background()
	now := time.Date(2025, 3, 14, 3, 12, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	log, _ := audit.Open(ctx, audit.NewMemStore(), audit.WithClock(clock))
	alerter := mfa.AlerterFunc(func(_ context.Context, a mfa.Alert) error {
		fmt.Println("ALERT:", a.Kind, a.User, a.Reason)
		return nil
	})
	// This site makes clinicians use a second factor too.
	pol := mfa.DefaultPolicy()
	pol.Factors = map[access.Role]int{access.Clinician: 2}
	v, _ := mfa.New(mfa.NewMemStore(), mfa.WithAuditor(log), mfa.WithClock(clock), mfa.WithAlerter(alerter), mfa.WithPolicy(pol))
	_ = v.CreateUser(ctx, "factory-provisioning", "nurse.jones", access.Clinician, "correct horse battery staple")

	// Her token is in her locker and the patient is crashing.
	creds := mfa.Credentials{User: "nurse.jones", Password: "correct horse battery staple", Source: "bedside-keypad"}
	s, err := v.BreakGlass(ctx, creds, "code blue, bed 4")
	fmt.Println(s.BreakGlass, s.Expires.Sub(now), err)

	_, err = v.Authorize(ctx, s.Token, access.InfusionLimitsChange)
	fmt.Println("override dose limit:", err)
	_, err = v.Authorize(ctx, s.Token, access.FirmwareUpdate)
	fmt.Println("update firmware:", errors.Is(err, access.ErrForbidden))

	now = now.Add(31 * time.Minute) // it ends by itself
	_, err = v.Authorize(ctx, s.Token, access.InfusionProgram)
	fmt.Println(err)

	recs, _ := log.Records(ctx)
	for _, r := range recs[1:] { // after user.create
		fmt.Println(r.Action, r.Object, r.Outcome)
	}
	// Output:
	// ALERT: break-glass nurse.jones code blue, bed 4
	// true 30m0s <nil>
	// override dose limit: <nil>
	// update firmware: true
	// mfa: session expired; log in again
	// break-glass session success
	// access.granted infusion.limits.change success
	// access.denied firmware.update denied
	// break-glass.end session denied
}

func ExampleVerifier_Authorize() {
	ctx := context.Background()
	v, _ := mfa.New(mfa.NewMemStore())
	_ = v.CreateUser(ctx, "factory-provisioning", "nurse.jones", access.Clinician, "correct horse battery staple")
	s, _ := v.Login(ctx, mfa.Credentials{User: "nurse.jones", Password: "correct horse battery staple"})

	// Before every operation:
	_, err := v.Authorize(ctx, s.Token, access.InfusionProgram)
	fmt.Println("program infusion:", err)
	_, err = v.Authorize(ctx, s.Token, access.FirmwareUpdate)
	fmt.Println("update firmware:", err)
	// Output:
	// program infusion: <nil>
	// update firmware: access: forbidden: nurse.jones (clinician) may not firmware.update
}

func ExampleCheckPassword() {
	for _, pw := range []string{"admin", "Welcome2025!!!!!", "nurse.jones is me", "correct horse battery staple"} {
		fmt.Println(mfa.CheckPassword("nurse.jones", pw, 15, 256))
	}
	// Output:
	// mfa: password refused: 5 characters; at least 15 needed (a passphrase of several words is easiest)
	// mfa: password refused: a commonly used or default password
	// mfa: password refused: contains the user name
	// <nil>
}
