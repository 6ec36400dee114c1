// Accounts and sessions: the state and helpers every area that logs in
// shares (access control, MFA, at-rest and backup scenarios).

package harness

import (
	"context"
	"errors"
	"fmt"

	"github.com/wardsec/ward/pkg/device"
)

// authWorld is a scenario's state about accounts and sessions: the
// passwords and roles of the test accounts the harness made, their
// authenticators and tokens, and the outcome of the last attempt.
type authWorld struct {
	lastUser  string                    // the user of the most recent session step
	wrongPW   map[string]string         // user -> wrong password tried
	passwords map[string]string         // test account -> password
	roles     map[string]string         // test account -> role
	otp       map[string]*authenticator // test account -> the TOTP app the harness enrolled
	sessions  map[string]string         // user -> current (or last) session token
	emergency map[string]string         // user -> break-glass session token
	reasons   map[string]string         // user -> break-glass reason given
	lastErr   error                     // outcome of the last "tries to" step
	attempt   string                    // what the last "tries to" step tried, in words
	tried     credentials               // the account creation or login last tried
	review    *device.ActivityReport    // the last privileged-activity review
}

func newAuthWorld() *authWorld {
	return &authWorld{
		passwords: map[string]string{},
		roles:     map[string]string{},
		otp:       map[string]*authenticator{},
		sessions:  map[string]string{},
		emergency: map[string]string{},
		reasons:   map[string]string{},
		wrongPW:   map[string]string{},
	}
}

// login tries user with password against the device's Authenticator and
// returns the session token.
func login(ctx context.Context, w *world, user, password string) (string, error) {
	a, err := capability[device.Authenticator](w, device.Label[device.Authenticator]())
	if err != nil {
		return "", err
	}
	return a.Login(ctx, device.Credentials{User: w.deviceUser(user), Password: password, Source: w.source()})
}

// password is the password the scenario gave its test account user.
func password(w *world, user string) (string, error) {
	pw, ok := w.auth.passwords[user]
	if !ok {
		return "", fmt.Errorf("scenario bug: no account %q was set up in this scenario", user)
	}
	return pw, nil
}

// session is user's current session token.
func session(w *world, user string) (string, error) {
	tok, ok := w.auth.sessions[user]
	if !ok {
		return "", fmt.Errorf("scenario bug: %q is not logged in", user)
	}
	return tok, nil
}

// provision creates a test account on dev with a random password, under
// the scenario's unique device name for user (accounts.go), and has it
// removed when the scenario ends. For a privileged role it also enrols a
// TOTP authenticator when dev is a test build that allows it
// (device.MFAProvisioner); app is nil otherwise.
func provision(ctx context.Context, w *world, dev device.Device, user, role string) (pw string, app *authenticator, err error) {
	p, err := device.As[device.Provisioner](dev, device.Label[device.Provisioner]())
	if err != nil {
		return "", nil, skip(w, err)
	}
	pw = newSecret()
	name := w.personalUser(user)
	if err := p.CreateUser(ctx, name, pw, role); err != nil {
		return "", nil, fmt.Errorf("create %s account %s: %w", role, w.describeUser(user), err)
	}
	w.created(dev, name)
	if !isPrivileged(role) {
		return pw, nil, nil
	}
	mp, err := device.As[device.MFAProvisioner](dev, device.Label[device.MFAProvisioner]())
	if err != nil {
		return pw, nil, nil
	}
	uri, err := mp.EnrollTOTP(ctx, name)
	if err != nil {
		return "", nil, fmt.Errorf("enrol a TOTP authenticator for %q: %w", user, err)
	}
	if app, err = newAuthenticator(uri); err != nil {
		return "", nil, err
	}
	return pw, app, nil
}

// signIn logs user in on dev with the password and, when the harness holds
// an authenticator for the account, a fresh code. A device that asks for a
// second factor the harness cannot provide (no MFAProvisioner) makes the
// scenario not-applicable.
func signIn(ctx context.Context, w *world, dev device.Device, user, pw string, app *authenticator) (string, error) {
	a, err := device.As[device.Authenticator](dev, device.Label[device.Authenticator]())
	if err != nil {
		return "", skip(w, err)
	}
	c := device.Credentials{User: w.deviceUser(user), Password: pw, Source: w.source()}
	if app != nil {
		if c.OTP, err = app.next(ctx, dev); err != nil {
			return "", err
		}
	}
	tok, err := a.Login(ctx, c)
	if errors.Is(err, device.ErrSecondFactorRequired) && app == nil {
		return "", skip(w, &device.UnsupportedError{Capability: device.Label[device.MFAProvisioner]()})
	}
	return tok, err
}
