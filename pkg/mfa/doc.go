// Package mfa is Ward's authentication layer for medical devices: accounts,
// factors combined by a policy per role, throttling and lockout, one-time
// codes that really are one-time, sessions with automatic logoff, and
// break-glass emergency access. The safe behaviour is the default; weakening
// it takes an explicit Policy, and some things (a privileged role with one
// factor, lockout after more than 100 failures) cannot be configured at all.
//
// A device builds one Verifier over a Store and its audit log:
//
//	v, err := mfa.New(store, mfa.WithAuditor(log), mfa.WithSealer(sealer), mfa.WithAlerter(pager))
//	s, err := v.Login(ctx, mfa.Credentials{User: u, Password: pw, OTP: code, Source: addr})
//	// before every operation:
//	s, err = v.Authorize(ctx, s.Token, access.InfusionProgram)
//
// Factors. A password is always the first factor, hashed with argon2id, or
// with PBKDF2-HMAC-SHA256 when crypto/fips140 mode is on (parameters in
// PasswordPolicy), and checked against a deny list of common and
// vendor-default passwords when set. Second factors are TOTP and HOTP codes
// (enrolment URIs via github.com/pquerna/otp; replay protection here: a
// code is accepted at most once per step, and never after a later step's),
// single-use recovery codes, and any Factor the device verifies itself
// (fingerprint, badge, WebAuthn through package webauthnfactor). The
// privileged roles (biomed, administrator, service) always need two.
//
// Throttling (Lockout). Every failure counts against the account and the
// source, charged before the password is even checked so that concurrent
// attempts cannot exceed the limit: exponential backoff from the first
// failure, a lock after 5, longer locks after that, an administrator's
// unlock after 20. Unknown users get the same work (a hash with the same
// parameters), the same error (ErrDenied) and the same lockout as real
// ones, so neither timing nor messages enumerate accounts.
//
// Sessions carry an opaque 256-bit token of which only the SHA-256 is kept.
// They end after an idle timeout and an absolute lifetime set per assurance
// level (automatic logoff); sensitive permissions need a recent
// authentication (ErrReauthRequired, then Reauthenticate); Logout and
// RevokeSessions end them early.
//
// Break-glass (BreakGlass) opens a time-boxed emergency session with the
// password alone and a mandatory reason, raises an alert, is recorded
// distinctly from start to end, and ends by itself.
//
// Every decision is an audit event through the Auditor (an *audit.Log);
// docs/mfa.md lists the actions. Authorization itself is pkg/access; the
// Verifier's Authorize combines the two.
//
// Time and storage are injected (WithClock, Store); MemStore is the
// in-memory Store. A Verifier is safe for concurrent use. Only the standard
// library, golang.org/x/crypto (argon2id), github.com/pquerna/otp and
// pkg/audit and pkg/access are used.
package mfa
