package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/cucumber/godog"

	"github.com/wardsec/ward/pkg/device"
)

// harnessSource begins the source the harness claims in login attempts, so
// its records are recognisable in the device's audit trail (see
// world.source).
const harnessSource = "ward-harness"

func registerAccessSteps(s *StepSet) {
	s.Step(`^an? `+roles+` account "([^"]+)"$`, stepAccount)
	s.Step(`^"([^"]+)" logs in with the correct password$`, stepLogin)
	s.Step(`^"([^"]+)" is logged in$`, stepLogin)
	s.Step(`^"([^"]+)" has logged in and out (\d+) times$`, stepLoginLogoutTimes)
	s.Step(`^"([^"]+)" tries to log in with a wrong password$`, stepWrongPassword)
	s.Step(`^someone tries to log in as the unknown user "([^"]+)"$`, stepUnknownUser)
	s.Step(`^"([^"]+)" logs out$`, stepLogout)
	s.Step(`^"([^"]+)" reads the record of patient "([^"]+)"$`, stepRead)
	s.Step(`^"([^"]+)" updates the record of patient "([^"]+)"$`, stepUpdate)
	s.Step(`^someone without a session tries to read the record of patient "([^"]+)"$`, stepAnonRead)
	s.Step(`^someone without a session tries to update the record of patient "([^"]+)"$`, stepAnonUpdate)
	s.Step(`^someone presents a made-up session token to read the record of patient "([^"]+)"$`, stepForgedToken)
	s.Step(`^someone reuses the session "([^"]+)" had to read the record of patient "([^"]+)"$`, stepReuseSession)
	s.Step(`^the device refuses the request as unauthenticated$`, stepRefusedUnauthenticated)
	s.Step(`^the login is refused$`, stepLoginRefused)
	s.Step(`^the record of patient "([^"]+)" is as "([^"]+)" last read it$`, stepRecordUnchanged)
}

func stepAccount(ctx context.Context, role, user string) error {
	w := worldFrom(ctx)
	pw, app, err := provision(ctx, w, w.dev, user, role)
	if err != nil {
		return err
	}
	w.auth.passwords[user], w.auth.roles[user] = pw, role
	if app != nil {
		w.auth.otp[user] = app
		w.observe("created %s account %s with a random 39-character password and enrolled a TOTP authenticator (%s, %d digits, %ds)",
			role, w.describeUser(user), app.key.Algorithm(), app.key.Digits().Length(), app.key.Period())
		return nil
	}
	w.observe("created %s account %s with a random 39-character password", role, w.describeUser(user))
	return nil
}

func stepLogin(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	pw, err := password(w, user)
	if err != nil {
		return err
	}
	app := w.auth.otp[user]
	tok, err := signIn(ctx, w, w.dev, user, pw, app)
	if err != nil {
		return fmt.Errorf("%q could not log in with the correct password: %w", user, err)
	}
	w.auth.sessions[user] = tok
	w.auth.lastUser = user
	if app != nil {
		w.observe("%q logged in with the password and a TOTP code; the device issued a session", user)
		return nil
	}
	w.observe("%q logged in; the device issued a session", user)
	return nil
}

func stepLoginLogoutTimes(ctx context.Context, user string, n int) error {
	w := worldFrom(ctx)
	a, err := capability[device.Authenticator](w, device.Label[device.Authenticator]())
	if err != nil {
		return err
	}
	for range n {
		if err := stepLogin(ctx, user); err != nil {
			return err
		}
		if err := a.Logout(ctx, w.auth.sessions[user]); err != nil {
			return fmt.Errorf("%q could not log out: %w", user, err)
		}
	}
	return nil
}

func stepWrongPassword(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	pw, err := password(w, user)
	if err != nil {
		return err
	}
	w.auth.wrongPW[user] = pw + "-wrong"
	_, w.auth.lastErr = login(ctx, w, user, w.auth.wrongPW[user])
	if errors.Is(w.auth.lastErr, godog.ErrSkip) {
		return w.auth.lastErr
	}
	w.auth.attempt = "a wrong password"
	w.observe("login of %q with a wrong password: %s", user, describe(w.auth.lastErr))
	return nil
}

func stepUnknownUser(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	// The unknown user gets the scenario's suffix too: still nobody's
	// account, and the records of this attempt are told apart from an
	// earlier run's on a device that keeps its audit trail.
	w.unknownUser(user)
	_, w.auth.lastErr = login(ctx, w, user, newSecret())
	if errors.Is(w.auth.lastErr, godog.ErrSkip) {
		return w.auth.lastErr
	}
	w.auth.attempt = fmt.Sprintf("the unknown user %q", user)
	w.observe("login as unknown user %s: %s", w.describeUser(user), describe(w.auth.lastErr))
	return nil
}

func stepLogout(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	a, err := capability[device.Authenticator](w, device.Label[device.Authenticator]())
	if err != nil {
		return err
	}
	tok, ok := w.auth.sessions[user]
	if !ok {
		return fmt.Errorf("scenario bug: %q is not logged in", user)
	}
	if err := a.Logout(ctx, tok); err != nil {
		return fmt.Errorf("%q could not log out: %w", user, err)
	}
	w.observe("%q logged out", user)
	return nil
}

func stepRead(ctx context.Context, user, patient string) error {
	w := worldFrom(ctx)
	pd, tok, err := withSession[device.PatientData](w, device.Label[device.PatientData](), user)
	if err != nil {
		return err
	}
	data, err := pd.ReadPatient(ctx, tok, patient)
	if err != nil {
		return fmt.Errorf("%q could not read patient %q: %w", user, patient, err)
	}
	w.data.lastRead[patient] = data
	w.observe("%q read patient %q (%d bytes)", user, patient, len(data))
	return nil
}

func stepUpdate(ctx context.Context, user, patient string) error {
	w := worldFrom(ctx)
	pd, tok, err := withSession[device.PatientData](w, device.Label[device.PatientData](), user)
	if err != nil {
		return err
	}
	cur, err := pd.ReadPatient(ctx, tok, patient)
	if err != nil {
		return fmt.Errorf("%q could not read patient %q before updating it: %w", user, patient, err)
	}
	if err := pd.WritePatient(ctx, tok, patient, cur); err != nil {
		return fmt.Errorf("%q could not update patient %q: %w", user, patient, err)
	}
	w.data.lastRead[patient] = cur
	w.observe("%q rewrote patient %q", user, patient)
	return nil
}

func anonymous(ctx context.Context, token, patient string, write bool) error {
	w := worldFrom(ctx)
	pd, err := capability[device.PatientData](w, device.Label[device.PatientData]())
	if err != nil {
		return err
	}
	if write {
		w.auth.lastErr = pd.WritePatient(ctx, token, patient, []byte(`{"id":"`+patient+`","note":"written by an unauthenticated caller"}`))
		w.observe("unauthenticated update of patient %q: %s", patient, describe(w.auth.lastErr))
		return nil
	}
	var data []byte
	data, w.auth.lastErr = pd.ReadPatient(ctx, token, patient)
	if w.auth.lastErr == nil {
		w.observe("unauthenticated read of patient %q returned %d bytes of patient data", patient, len(data))
	} else {
		w.observe("unauthenticated read of patient %q: %s", patient, describe(w.auth.lastErr))
	}
	return nil
}

func stepAnonRead(ctx context.Context, patient string) error {
	return anonymous(ctx, "", patient, false)
}

func stepAnonUpdate(ctx context.Context, patient string) error {
	return anonymous(ctx, "", patient, true)
}

func stepForgedToken(ctx context.Context, patient string) error {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	return anonymous(ctx, hex.EncodeToString(b), patient, false)
}

func stepReuseSession(ctx context.Context, user, patient string) error {
	tok, err := session(worldFrom(ctx), user)
	if err != nil {
		return err
	}
	return anonymous(ctx, tok, patient, false)
}

func stepRefusedUnauthenticated(ctx context.Context) error {
	w := worldFrom(ctx)
	switch {
	case w.auth.lastErr == nil:
		return errors.New("the device served the request without a valid session")
	case !errors.Is(w.auth.lastErr, device.ErrUnauthenticated):
		return fmt.Errorf("the device refused, but not as unauthenticated: %w", w.auth.lastErr)
	}
	return nil
}

func stepLoginRefused(ctx context.Context) error {
	w := worldFrom(ctx)
	switch {
	case w.auth.lastErr == nil:
		what := w.auth.attempt
		if what == "" {
			what = "a wrong password"
		}
		return fmt.Errorf("the device opened a session for %s", what)
	case !errors.Is(w.auth.lastErr, device.ErrDenied):
		return fmt.Errorf("the login failed for another reason than being refused: %w", w.auth.lastErr)
	}
	return nil
}

func stepRecordUnchanged(ctx context.Context, patient, user string) error {
	w := worldFrom(ctx)
	want, ok := w.data.lastRead[patient]
	if !ok {
		return fmt.Errorf("scenario bug: patient %q was not read earlier", patient)
	}
	pd, tok, err := withSession[device.PatientData](w, device.Label[device.PatientData](), user)
	if err != nil {
		return err
	}
	got, err := pd.ReadPatient(ctx, tok, patient)
	if err != nil {
		return fmt.Errorf("%q could not re-read patient %q: %w", user, patient, err)
	}
	if !bytes.Equal(got, want) {
		w.attach("patient-"+patient+"-after.json", "application/json", got)
		return fmt.Errorf("patient %q was changed by an unauthenticated caller", patient)
	}
	w.observe("patient %q unchanged (%d bytes)", patient, len(got))
	return nil
}
