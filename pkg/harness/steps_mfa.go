package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cucumber/godog"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
)

// Steps for authentication and access control: second factors, replay,
// lockout, automatic logoff, least privilege, emergency access and the
// privileged-activity review. They act through pkg/device only: as the
// provisioner of test accounts, as the users, and as an attacker.

const roles = `(patient|clinician|biomed|administrator|service)`

func registerMFASteps(s *StepSet) {
	// Accounts and passwords.
	s.Step(`^the provisioner tries to create an? `+roles+` account "([^"]+)"$`, stepTryCreate)
	s.Step(`^the provisioner tries to create an? `+roles+` account "([^"]+)" with the password "([^"]*)"$`, stepTryCreateWith)
	s.Step(`^the device refuses to create the account$`, stepCreateRefused)
	s.Step(`^nobody can log in as "([^"]+)" with that password$`, stepNobodyLogsIn)
	s.Step(`^someone tries to log in as "([^"]+)" with the password "([^"]*)"$`, stepTryCredentials)

	// Second factor and replay.
	s.Step(`^"([^"]+)" tries to log in with the correct password but no code$`, stepPasswordOnly)
	s.Step(`^"([^"]+)" logs in with the password and a code from the authenticator app$`, stepLoginWithCode)
	s.Step(`^an attacker who saw that code replays it with the password of "([^"]+)"$`, stepReplayCode)
	s.Step(`^the audit trail records a refused attempt by "([^"]+)" after its successful login$`, stepRefusedAfterLogin)

	// Guessing and lockout.
	s.Step(`^an attacker tries (\d+) wrong passwords for "([^"]+)"$`, func(ctx context.Context, n int, user string) error {
		return stepGuess(ctx, n, user, 0)
	})
	s.Step(`^an attacker tries (\d+) wrong passwords for "([^"]+)", one a minute$`, func(ctx context.Context, n int, user string) error {
		return stepGuess(ctx, n, user, time.Minute)
	})
	s.Step(`^"([^"]+)" cannot log in even with the correct password$`, stepCannotLogIn)
	s.Step(`^the audit trail records each of the (\d+) failed attempts by "([^"]+)"$`, stepFailuresRecorded)

	// Time.
	s.Step(`^(\d+) (second|minute|hour)s? pass(?:es)?(?: without any request)?$`, stepTimePasses)

	// Operations.
	s.Step(`^"([^"]+)" performs "([^"]+)"$`, func(ctx context.Context, user, op string) error {
		return stepPerforms(ctx, user, op, false)
	})
	s.Step(`^"([^"]+)" tries to perform "([^"]+)"$`, stepTriesToPerform)
	s.Step(`^the operation is refused as forbidden$`, stepRefusedForbidden)
	s.Step(`^"([^"]+)" can no longer perform "([^"]+)" in that session$`, func(ctx context.Context, user, op string) error {
		return stepNoLonger(ctx, user, op, false)
	})

	// Emergency access.
	s.Step(`^"([^"]+)" breaks the glass giving the reason "([^"]+)"$`, stepBreakGlass)
	s.Step(`^"([^"]+)" tries to break the glass giving the reason "([^"]*)"$`, stepTryBreakGlass)
	s.Step(`^"([^"]+)" tries to break the glass without giving a reason$`, func(ctx context.Context, user string) error {
		return stepTryBreakGlass(ctx, user, "")
	})
	s.Step(`^the emergency access is refused$`, stepEmergencyRefused)
	s.Step(`^"([^"]+)" performs "([^"]+)" in the emergency session$`, func(ctx context.Context, user, op string) error {
		return stepPerforms(ctx, user, op, true)
	})
	s.Step(`^"([^"]+)" can no longer perform "([^"]+)" in the emergency session$`, func(ctx context.Context, user, op string) error {
		return stepNoLonger(ctx, user, op, true)
	})
	s.Step(`^the audit trail records the emergency access of "([^"]+)" with its reason$`, stepEmergencyRecorded)

	// Activity review.
	s.Step(`^"([^"]+)" requests the privileged-activity review$`, stepRequestReview)
	s.Step(`^the review lists "([^"]+)" by "([^"]+)"$`, stepReviewLists)
	s.Step(`^the review flags the emergency access of "([^"]+)" as not yet reviewed$`, stepReviewFlags)
	s.Step(`^the device's clock reaches the next Sunday at 03:00 UTC$`, stepClockToSundayNight)
	s.Step(`^the review flags "([^"]+)" by "([^"]+)" as outside office hours$`, stepReviewOffHours)
}

// authenticator is the TOTP app the harness holds for a test account it
// enrolled: it computes codes from the device's otpauth:// URI with
// pquerna/otp.
type authenticator struct {
	key  *otp.Key
	last int64  // the time step of the last code handed out; -1 for none
	code string // the last code handed out
}

func newAuthenticator(uri string) (*authenticator, error) {
	k, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return nil, fmt.Errorf("the device's otpauth URI does not parse: %w", err)
	}
	if k.Type() != "totp" {
		return nil, fmt.Errorf("the device enrolled a %q generator, not TOTP", k.Type())
	}
	return &authenticator{key: k, last: -1}, nil
}

// next returns a code for a fresh time step, as a user who waits for the
// app's next code would: the device accepts each code once, so a second
// login within one step needs the next one. On a test build the device's
// clock is moved to that step; otherwise the next step's code is used,
// which devices accept within their clock-skew window.
func (a *authenticator) next(ctx context.Context, dev device.Device) (string, error) {
	period := int64(a.key.Period())
	if period <= 0 {
		period = 30
	}
	now := time.Now()
	cc, clockErr := device.As[device.ClockControl](dev, device.Label[device.ClockControl]())
	hasClock := clockErr == nil
	if hasClock {
		t, err := cc.DeviceTime(ctx)
		if err != nil {
			return "", fmt.Errorf("read the device's clock: %w", err)
		}
		now = t
	}
	step := now.Unix() / period
	if step <= a.last {
		want := a.last + 1
		if hasClock {
			at := time.Unix(want*period, 0).Add(time.Second)
			if err := cc.AdvanceClock(ctx, at.Sub(now)); err != nil {
				return "", fmt.Errorf("move the device's clock to the next code: %w", err)
			}
		} else if want > step+1 {
			return "", errors.New("every code of this time window is used; the scenario logs in too often")
		}
		step = want
	}
	code, err := totp.GenerateCodeCustom(a.key.Secret(), time.Unix(step*period, 0), totp.ValidateOpts{
		Period: uint(period), Digits: a.key.Digits(), Algorithm: a.key.Algorithm()})
	if err != nil {
		return "", fmt.Errorf("compute a TOTP code: %w", err)
	}
	a.last, a.code = step, code
	return code, nil
}

func isPrivileged(role string) bool {
	return role == "biomed" || role == "administrator" || role == "service"
}

// clock returns the device's test-build clock control.
func clock(w *world) (device.ClockControl, error) {
	return capability[device.ClockControl](w, device.Label[device.ClockControl]())
}

func stepTryCreate(ctx context.Context, role, user string) error {
	return stepTryCreateWith(ctx, role, user, newSecret())
}

func stepTryCreateWith(ctx context.Context, role, user, pw string) error {
	w := worldFrom(ctx)
	p, err := capability[device.Provisioner](w, device.Label[device.Provisioner]())
	if err != nil {
		return err
	}
	// A personal name gets the scenario's suffix, so an account an earlier
	// run left (or this one made, on a device that accepts a bad
	// password) is not what refuses it; a generic name is sent as written
	// (accounts.go). A created account is removed at the end. A password
	// built from the user's name is built from the name the device knows.
	name := w.personalUser(user)
	pw = withDeviceName(pw, user, name)
	w.auth.tried = credentials{user: user, password: pw}
	w.auth.lastErr = p.CreateUser(ctx, name, pw, role)
	if w.auth.lastErr == nil {
		w.created(w.dev, name)
	}
	w.observe("creating %s account %s: %s", role, w.describeUser(user), describe(w.auth.lastErr))
	return nil
}

func stepCreateRefused(ctx context.Context) error {
	w := worldFrom(ctx)
	switch {
	case w.auth.lastErr == nil:
		return fmt.Errorf("the device created the account %q", w.auth.tried.user)
	case !errors.Is(w.auth.lastErr, device.ErrDenied):
		return fmt.Errorf("creating the account failed, but not as a refusal: %w", w.auth.lastErr)
	}
	return nil
}

func stepNobodyLogsIn(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	if w.auth.tried.user != user {
		return fmt.Errorf("scenario bug: no account %q was tried", user)
	}
	tok, err := login(ctx, w, user, w.auth.tried.password)
	switch {
	case errors.Is(err, godog.ErrSkip):
		return err
	case err == nil:
		w.auth.sessions[user] = tok
		return fmt.Errorf("%q logged in: the device has such an account", user)
	case !errors.Is(err, device.ErrDenied):
		return fmt.Errorf("the login of %q failed, but not as a refusal: %w", user, err)
	}
	w.observe("login as %q refused: %v", user, err)
	return nil
}

func stepTryCredentials(ctx context.Context, user, pw string) error {
	w := worldFrom(ctx)
	w.auth.tried = credentials{user: user, password: pw}
	_, w.auth.lastErr = login(ctx, w, user, pw)
	if errors.Is(w.auth.lastErr, godog.ErrSkip) {
		return w.auth.lastErr
	}
	w.auth.attempt = fmt.Sprintf("%q with the password %q", user, pw)
	w.observe("login as %q with %q: %s", user, pw, describe(w.auth.lastErr))
	return nil
}

func stepPasswordOnly(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	pw, err := password(w, user)
	if err != nil {
		return err
	}
	var tok string
	tok, w.auth.lastErr = login(ctx, w, user, pw)
	if errors.Is(w.auth.lastErr, godog.ErrSkip) {
		return w.auth.lastErr
	}
	if w.auth.lastErr == nil {
		w.auth.sessions[user] = tok
	}
	w.auth.attempt = fmt.Sprintf("the password of %s %q alone", w.auth.roles[user], user)
	switch {
	case errors.Is(w.auth.lastErr, device.ErrSecondFactorRequired):
		w.observe("the device accepted the password of %q and asked for a second factor", user)
	default:
		w.observe("login of %q with the password alone: %s", user, describe(w.auth.lastErr))
	}
	return nil
}

// appFor returns the harness's authenticator for user, or makes the
// scenario not-applicable when the device could not enrol one.
func appFor(w *world, user string) (*authenticator, error) {
	if _, ok := w.auth.passwords[user]; !ok {
		return nil, fmt.Errorf("scenario bug: no account %q was set up in this scenario", user)
	}
	app := w.auth.otp[user]
	if app == nil {
		if _, err := capability[device.MFAProvisioner](w, device.Label[device.MFAProvisioner]()); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("scenario bug: no authenticator was enrolled for %q (only privileged accounts get one)", user)
	}
	return app, nil
}

func stepLoginWithCode(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	app, err := appFor(w, user)
	if err != nil {
		return err
	}
	tok, err := signIn(ctx, w, w.dev, user, w.auth.passwords[user], app)
	if err != nil {
		return fmt.Errorf("%q could not log in with the password and a fresh code: %w", user, err)
	}
	w.auth.sessions[user], w.auth.lastUser = tok, user
	w.observe("%q logged in with the password and the code of time step %d", user, app.last)
	return nil
}

func stepReplayCode(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	app, err := appFor(w, user)
	if err != nil {
		return err
	}
	if app.code == "" {
		return fmt.Errorf("scenario bug: %q has not used a code yet", user)
	}
	a, err := capability[device.Authenticator](w, device.Label[device.Authenticator]())
	if err != nil {
		return err
	}
	var tok string
	tok, w.auth.lastErr = a.Login(ctx, device.Credentials{User: w.deviceUser(user), Password: w.auth.passwords[user], OTP: app.code, Source: w.source()})
	if w.auth.lastErr == nil {
		w.auth.sessions[user+" (replay)"] = tok
	}
	w.auth.attempt = "a replayed one-time code"
	w.observe("replay of the code %s of %q: %s", app.code, user, describe(w.auth.lastErr))
	return nil
}

// records reads the device's audit trail (attached as evidence).
func records(ctx context.Context, w *world) ([]audit.Record, error) {
	_, recs, err := exportAudit(ctx, w, "audit-log.jsonl")
	return recs, err
}

func stepRefusedAfterLogin(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	recs, err := records(ctx, w)
	if err != nil {
		return err
	}
	loggedIn, actor := false, w.deviceUser(user)
	for _, r := range recs {
		if r.Actor != actor {
			continue
		}
		if !loggedIn {
			loggedIn = r.Action == "login" && r.Outcome == audit.Success
			continue
		}
		if r.Outcome != audit.Success {
			w.observe("record %d: %s by %q: %s (%s)", r.Seq, r.Action, r.Actor, r.Outcome, r.Detail["reason"])
			return nil
		}
	}
	if !loggedIn {
		return fmt.Errorf("the audit trail has no successful login by %q among %d records", user, len(recs))
	}
	return fmt.Errorf("no refused attempt by %q follows its successful login among the device's %d audit records", user, len(recs))
}

func stepGuess(ctx context.Context, n int, user string, gap time.Duration) error {
	w := worldFrom(ctx)
	if _, err := password(w, user); err != nil {
		return err
	}
	var cc device.ClockControl
	if gap > 0 {
		var err error
		if cc, err = clock(w); err != nil {
			return err
		}
	}
	refused := 0
	for i := range n {
		guess := newSecret()
		w.auth.wrongPW[user] = guess
		_, err := login(ctx, w, user, guess)
		switch {
		case errors.Is(err, godog.ErrSkip):
			return err
		case err == nil:
			return fmt.Errorf("guess %d, a random password, opened a session for %q", i+1, user)
		case errors.Is(err, device.ErrDenied):
			refused++
		default:
			return fmt.Errorf("guess %d failed, but not as a refusal: %w", i+1, err)
		}
		if cc != nil {
			if err := cc.AdvanceClock(ctx, gap); err != nil {
				return fmt.Errorf("advance the device's clock: %w", err)
			}
		}
	}
	if gap > 0 {
		w.observe("%d wrong passwords for %q, one every %s of device time: all refused", n, user, gap)
	} else {
		w.observe("%d wrong passwords for %q in quick succession: all refused", n, user)
	}
	return nil
}

func stepCannotLogIn(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	pw, err := password(w, user)
	if err != nil {
		return err
	}
	tok, err := signIn(ctx, w, w.dev, user, pw, w.auth.otp[user])
	switch {
	case errors.Is(err, godog.ErrSkip):
		return err
	case err == nil:
		w.auth.sessions[user] = tok
		return fmt.Errorf("the correct password of %q still opened a session after the guessing", user)
	case !errors.Is(err, device.ErrDenied):
		return fmt.Errorf("the login of %q failed, but not as a refusal: %w", user, err)
	}
	w.observe("the correct password of %q is refused: %v", user, err)
	return nil
}

// isLogin reports whether action is a login attempt's record ("login",
// "login.throttled", "login.locked").
func isLogin(action string) bool { return action == "login" || strings.HasPrefix(action, "login.") }

func stepFailuresRecorded(ctx context.Context, n int, user string) error {
	w := worldFrom(ctx)
	recs, err := records(ctx, w)
	if err != nil {
		return err
	}
	var seqs []string
	actor := w.deviceUser(user)
	for _, r := range recs {
		if r.Actor == actor && isLogin(r.Action) && r.Outcome != audit.Success {
			seqs = append(seqs, fmt.Sprintf("%d (%s, %s)", r.Seq, r.Action, r.Outcome))
		}
	}
	if len(seqs) < n {
		return fmt.Errorf("the audit trail holds %d refused login records by %q, want one for each of the %d attempts", len(seqs), user, n)
	}
	w.observe("refused login records by %q: %s", user, strings.Join(seqs, ", "))
	return nil
}

func stepTimePasses(ctx context.Context, n int, unit string) error {
	w := worldFrom(ctx)
	cc, err := clock(w)
	if err != nil {
		return err
	}
	d := time.Duration(n) * map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour}[unit]
	if err := cc.AdvanceClock(ctx, d); err != nil {
		return fmt.Errorf("advance the device's clock by %s: %w", d, err)
	}
	now, err := cc.DeviceTime(ctx)
	if err != nil {
		return fmt.Errorf("read the device's clock: %w", err)
	}
	w.observe("moved the device's clock forward by %s, to %s", d, now.UTC().Format(time.RFC3339))
	return nil
}

// sessionFor returns the token of user's normal or emergency session.
func sessionFor(w *world, user string, emergency bool) (string, error) {
	if !emergency {
		return session(w, user)
	}
	tok, ok := w.auth.emergency[user]
	if !ok {
		return "", fmt.Errorf("scenario bug: %q has not broken the glass", user)
	}
	return tok, nil
}

// perform asks the device to do op in user's session and leaves the
// device's answer in w.auth.lastErr; the error returned is the step's own (a
// missing capability or operation, a scenario bug).
func perform(ctx context.Context, w *world, user, op string, emergency bool) error {
	o, err := capability[device.Operator](w, device.Label[device.Operator]())
	if err != nil {
		return err
	}
	tok, err := sessionFor(w, user, emergency)
	if err != nil {
		return err
	}
	w.auth.lastErr = o.Perform(ctx, tok, op)
	if errors.Is(w.auth.lastErr, device.ErrUnsupported) {
		return skip(w, w.auth.lastErr)
	}
	return nil
}

func stepPerforms(ctx context.Context, user, op string, emergency bool) error {
	w := worldFrom(ctx)
	if err := perform(ctx, w, user, op, emergency); err != nil {
		return err
	}
	opErr := w.auth.lastErr
	in := ""
	if emergency {
		in = " in the emergency session"
	}
	if opErr != nil {
		return fmt.Errorf("%q could not %s%s: %w", user, op, in, opErr)
	}
	w.observe("%q did %s%s", user, op, in)
	return nil
}

func stepTriesToPerform(ctx context.Context, user, op string) error {
	w := worldFrom(ctx)
	if err := perform(ctx, w, user, op, false); err != nil {
		return err
	}
	opErr := w.auth.lastErr
	w.auth.attempt = fmt.Sprintf("%s %q doing %s", w.auth.roles[user], user, op)
	w.observe("%s %q asked to %s: %s", w.auth.roles[user], user, op, describe(opErr))
	return nil
}

func stepRefusedForbidden(ctx context.Context) error {
	w := worldFrom(ctx)
	switch {
	case w.auth.lastErr == nil:
		return fmt.Errorf("the device allowed %s", w.auth.attempt)
	case errors.Is(w.auth.lastErr, device.ErrUnauthenticated), errors.Is(w.auth.lastErr, device.ErrReauthRequired):
		return fmt.Errorf("the device refused, but for the session, not the role: %w", w.auth.lastErr)
	case !errors.Is(w.auth.lastErr, device.ErrDenied):
		return fmt.Errorf("the operation failed, but not as forbidden: %w", w.auth.lastErr)
	}
	return nil
}

func stepNoLonger(ctx context.Context, user, op string, emergency bool) error {
	w := worldFrom(ctx)
	if err := perform(ctx, w, user, op, emergency); err != nil {
		return err
	}
	opErr := w.auth.lastErr
	what := "session"
	if emergency {
		what = "emergency session"
	}
	switch {
	case opErr == nil:
		return fmt.Errorf("the %s of %q still works: it did %s", what, user, op)
	case !errors.Is(opErr, device.ErrUnauthenticated):
		return fmt.Errorf("the device refused %s, but not because the %s ended: %w", op, what, opErr)
	}
	w.observe("the %s of %q is over: %v", what, user, opErr)
	return nil
}

// breakGlass asks for emergency access as user, leaving the device's
// answer in w.auth.lastErr and the session in w.auth.emergency.
func breakGlass(ctx context.Context, w *world, user, reason string) error {
	ea, err := capability[device.EmergencyAccess](w, device.Label[device.EmergencyAccess]())
	if err != nil {
		return err
	}
	pw, err := password(w, user)
	if err != nil {
		return err
	}
	var tok string
	tok, w.auth.lastErr = ea.BreakGlass(ctx, device.Credentials{User: w.deviceUser(user), Password: pw, Source: w.source()}, reason)
	if w.auth.lastErr == nil {
		w.auth.emergency[user] = tok
	}
	return nil
}

func stepBreakGlass(ctx context.Context, user, reason string) error {
	w := worldFrom(ctx)
	if err := breakGlass(ctx, w, user, reason); err != nil {
		return err
	}
	if bgErr := w.auth.lastErr; bgErr != nil {
		return fmt.Errorf("%q could not break the glass: %w", user, bgErr)
	}
	w.auth.reasons[user] = reason
	w.observe("%q broke the glass: %q", user, reason)
	return nil
}

func stepTryBreakGlass(ctx context.Context, user, reason string) error {
	w := worldFrom(ctx)
	if err := breakGlass(ctx, w, user, reason); err != nil {
		return err
	}
	bgErr := w.auth.lastErr
	if reason == "" {
		w.auth.attempt = "emergency access without a reason"
	} else {
		w.auth.attempt = fmt.Sprintf("emergency access to %s %q", w.auth.roles[user], user)
	}
	w.observe("%s: %s", w.auth.attempt, describe(bgErr))
	return nil
}

func stepEmergencyRefused(ctx context.Context) error {
	w := worldFrom(ctx)
	switch {
	case w.auth.lastErr == nil:
		return fmt.Errorf("the device granted %s", w.auth.attempt)
	case !errors.Is(w.auth.lastErr, device.ErrDenied):
		return fmt.Errorf("emergency access failed, but not as a refusal: %w", w.auth.lastErr)
	}
	return nil
}

// isEmergency reports whether action names emergency access.
func isEmergency(action string) bool {
	a := strings.ToLower(action)
	return strings.Contains(a, "break-glass") || strings.Contains(a, "breakglass") || strings.Contains(a, "emergency")
}

func stepEmergencyRecorded(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	reason, ok := w.auth.reasons[user]
	if !ok {
		return fmt.Errorf("scenario bug: %q has not broken the glass", user)
	}
	recs, err := records(ctx, w)
	if err != nil {
		return err
	}
	actor := w.deviceUser(user)
	for _, r := range recs {
		if r.Actor != actor || r.Outcome != audit.Success || !isEmergency(r.Action) {
			continue
		}
		for _, v := range r.Detail {
			if strings.Contains(v, reason) {
				w.observe("record %d: %s by %q at %s, reason %q", r.Seq, r.Action, r.Actor, r.Time.Format(time.RFC3339), reason)
				return nil
			}
		}
	}
	return fmt.Errorf("no emergency-access record by %q with the reason %q among the device's %d audit records", user, reason, len(recs))
}

func stepRequestReview(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	ar, tok, err := withSession[device.ActivityReviewer](w, device.Label[device.ActivityReviewer](), user)
	if err != nil {
		return err
	}
	rep, err := ar.ReviewActivity(ctx, tok, w.started.Add(-clockSkew), time.Time{})
	if err != nil {
		return fmt.Errorf("%q could not obtain the privileged-activity review: %w", user, err)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	w.attach("activity-review.json", "application/json", b)
	w.auth.review = &rep
	w.observe("review of %d records: %d users, %d emergency sessions, %d refusals, %d unreviewed alerts",
		rep.Records, len(rep.Users), len(rep.BreakGlass), len(rep.Denied), len(rep.Unreviewed))
	return nil
}

func needReview(w *world) (*device.ActivityReport, error) {
	if w.auth.review == nil {
		return nil, errors.New("scenario bug: no review was requested")
	}
	return w.auth.review, nil
}

func stepReviewLists(ctx context.Context, action, user string) error {
	w := worldFrom(ctx)
	rep, err := needReview(w)
	if err != nil {
		return err
	}
	for _, u := range rep.Users {
		if u.User == w.deviceUser(user) && u.Actions[action] > 0 {
			w.observe("the review counts %d × %s by %q", u.Actions[action], action, user)
			return nil
		}
	}
	return fmt.Errorf("the review does not list %s by %q", action, user)
}

// stepClockToSundayNight moves a test build's clock forward to the next
// Sunday, 03:00 UTC: outside any office hours, so that privileged work
// then is what an activity review must single out.
func stepClockToSundayNight(ctx context.Context) error {
	w := worldFrom(ctx)
	cc, err := capability[device.ClockControl](w, device.Label[device.ClockControl]())
	if err != nil {
		return err
	}
	now, err := cc.DeviceTime(ctx)
	if err != nil {
		return fmt.Errorf("read the device's clock: %w", err)
	}
	now = now.UTC()
	days := (7 - int(now.Weekday())) % 7
	at := time.Date(now.Year(), now.Month(), now.Day()+days, 3, 0, 0, 0, time.UTC)
	if !at.After(now) {
		at = at.AddDate(0, 0, 7)
	}
	if err := cc.AdvanceClock(ctx, at.Sub(now)); err != nil {
		return fmt.Errorf("move the device's clock: %w", err)
	}
	w.observe("moved the device's clock from %s to %s", now.Format(time.RFC3339), at.Format(time.RFC3339))
	return nil
}

func stepReviewOffHours(ctx context.Context, action, user string) error {
	w := worldFrom(ctx)
	rep, err := needReview(w)
	if err != nil {
		return err
	}
	for _, e := range rep.OffHours {
		if e.User == w.deviceUser(user) && (e.Action == action || e.Object == action) { // an access grant names the permission as its object
			w.observe("off-hours entry: record %d, %s by %q at %s", e.Seq, e.Action, e.User, e.Time.UTC().Format(time.RFC3339))
			return nil
		}
	}
	return fmt.Errorf("the review does not flag %s by %q outside office hours (%d off-hours entries)", action, user, len(rep.OffHours))
}

func stepReviewFlags(ctx context.Context, user string) error {
	w := worldFrom(ctx)
	rep, err := needReview(w)
	if err != nil {
		return err
	}
	for _, e := range rep.Unreviewed {
		if e.User == w.deviceUser(user) && isEmergency(e.Action) {
			w.observe("unreviewed alert: record %d, %s by %q", e.Seq, e.Action, e.User)
			return nil
		}
	}
	return fmt.Errorf("the review does not flag the emergency access of %q (%d unreviewed alerts)", user, len(rep.Unreviewed))
}
