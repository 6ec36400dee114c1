package sim

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/wardsec/ward/pkg/access"
	"github.com/wardsec/ward/pkg/audit"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/mfa"
)

// Authentication and authorization. The pump's logins and sessions are
// pkg/mfa's (a Verifier over the pump's sealed account table, its audit log
// and its clock); every operation is checked by pkg/access with the pump's
// permission table. The weak code paths some weakness toggles switch on
// live in weakpaths.go.

// simHashing is how the simulator hashes passwords unless
// WithProductionHashing is given: argon2id with t=1 and 64 KiB, or
// PBKDF2-HMAC-SHA256 with 1,000 iterations in FIPS 140-3 mode, about 0.1 ms
// a hash instead of pkg/mfa's 20–30 ms (argon2id t=2, 19 MiB) and 100 ms
// (PBKDF2 600,000). A check creates and logs in several accounts per
// scenario on a fresh pump, so production cost would make `ward check`
// take seconds. It changes only the work factor: the algorithms, salts,
// encodings, deny list and every other protection are pkg/mfa's own.
// Never use such parameters on a device.
var simHashing = mfa.PasswordPolicy{Argon2Time: 1, Argon2MemoryKiB: 64, Argon2Threads: 1, PBKDF2Iterations: 1000}

// Device-specific permissions the pump adds to access.DefaultTable.
const (
	permBackupCreate  access.Permission = "backup.create"
	permBackupRestore access.Permission = "backup.restore"
	permDecommission  access.Permission = "device.decommission"
	permConfigExport  access.Permission = "config.export"
)

// pumpTable is the pump's authorization table: pkg/access's default for an
// infusion pump, plus backups, restore, decommissioning and configuration
// export, which only biomedical technicians and administrators may do (and
// field service may export the configuration). All four are privileged
// (recorded and reviewed); restore and decommissioning also need a recent
// login.
func pumpTable() access.Table {
	t := access.DefaultTable()
	for _, r := range []access.Role{access.Biomed, access.Administrator} {
		t.Grants[r] = append(t.Grants[r], permBackupCreate, permBackupRestore, permDecommission, permConfigExport)
	}
	t.Grants[access.Service] = append(t.Grants[access.Service], permConfigExport)
	t.Sensitive = append(t.Sensitive, permBackupRestore, permDecommission)
	t.Privileged = append(t.Privileged, permBackupCreate, permBackupRestore, permDecommission, permConfigExport)
	return t
}

// operations are what device.Operator.Perform accepts: the pkg/access
// permissions that name an operation. The simulator records the operation
// and changes nothing else.
var operations = []access.Permission{
	access.PHIRead, access.PHIWrite, access.InfusionProgram, access.InfusionLimitsChange,
	access.FirmwareUpdate, access.UserManage, access.AuditRead, access.ConfigChange,
}

// Context values: a tried password (secrets-in-logs) and silence
// (silent-break-glass). The interface a request came through travels as
// audit.WithSource, the Source of records pkg/mfa makes without one.
type (
	triedKey  struct{}
	silentKey struct{}
)

func via(ctx context.Context, iface string) context.Context {
	return audit.WithSource(ctx, iface)
}

func ifaceOf(ctx context.Context) string {
	if s := audit.SourceFrom(ctx); s != "" {
		return s
	}
	return "device"
}

func silenced(ctx context.Context) bool {
	b, _ := ctx.Value(silentKey{}).(bool)
	return b
}

// pumpAuditor is the Auditor pkg/mfa and pkg/access write to: the pump's own
// audit trail, with the interface as Source and "unauthenticated" as Actor
// when they leave them empty (an invalid token has no user).
type pumpAuditor struct{ p *Pump }

func (a pumpAuditor) Append(ctx context.Context, e audit.Event) (audit.Record, error) {
	if silenced(ctx) {
		return audit.Record{}, nil // silent-break-glass: nothing is recorded
	}
	if e.Source == "" {
		e.Source = ifaceOf(ctx)
	}
	if e.Actor == "" {
		e.Actor = "unauthenticated"
	}
	if pw, ok := ctx.Value(triedKey{}).(string); ok && a.p.weak["secrets-in-logs"] && e.Action == "login" && e.Outcome == audit.Failure {
		e.Detail = maps.Clone(e.Detail)
		if e.Detail == nil {
			e.Detail = map[string]string{}
		}
		e.Detail["password_tried"] = pw
	}
	return a.p.appendAudit(ctx, e)
}

// newVerifier builds the pump's pkg/mfa Verifier. A pump replaces it (and
// so ends every session) when its accounts are replaced by a restore or
// wiped by decommissioning.
func (p *Pump) newVerifier() (*mfa.Verifier, error) {
	pol := mfa.DefaultPolicy()
	pol.Password.Argon2Time = p.hashing.Argon2Time
	pol.Password.Argon2MemoryKiB = p.hashing.Argon2MemoryKiB
	pol.Password.Argon2Threads = p.hashing.Argon2Threads
	pol.Password.PBKDF2Iterations = p.hashing.PBKDF2Iterations
	if p.weak["no-lockout"] {
		pol.Lockout = noLockout()
	}
	if p.weak["no-auto-logoff"] {
		pol.Sessions = neverLogOff()
	}
	opts := []mfa.Option{
		mfa.WithClock(p.now),
		mfa.WithAuditor(pumpAuditor{p}),
		mfa.WithAlerter(mfa.AlerterFunc(p.alert)),
		mfa.WithPolicy(pol),
		mfa.WithSealer(seedSealer{p}),
		mfa.WithAccess(p.access),
	}
	if p.weak["no-mfa"] || p.weak["unsafe-fallback"] {
		opts = append(opts, mfa.WithFactor(keypadFactor{}))
	}
	v, err := mfa.New(accountStore{p}, opts...)
	if err != nil {
		return nil, fmt.Errorf("sim: authentication: %w", err)
	}
	return v, nil
}

// resetSessions ends every session: a new Verifier, no weak-path sessions.
func (p *Pump) resetSessions() error {
	v, err := p.newVerifier()
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.legacy = map[string]legacySession{}
	p.mu.Unlock()
	p.verifier.Store(v)
	return nil
}

// alert shows an alert on the pump's display (kept for the life of the
// simulated unit).
func (p *Pump) alert(ctx context.Context, a mfa.Alert) error {
	if silenced(ctx) {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.alerts = append(p.alerts, a)
	return nil
}

// Alerts returns the alerts the pump raised (emergency access, lockouts).
func (p *Pump) Alerts() []mfa.Alert {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.alerts)
}

// accountStore is the mfa.Store of a pump: the account table, kept sealed in
// the pump's storage ("accounts") and rewritten on every change, so lockout
// counters and used one-time codes survive a restart.
type accountStore struct{ p *Pump }

func (s accountStore) Get(_ context.Context, name string) (mfa.User, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	u, ok := s.p.accounts[name]
	if !ok {
		return mfa.User{}, mfa.ErrNotFound
	}
	return u, nil
}

func (s accountStore) Create(ctx context.Context, u mfa.User) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if _, ok := s.p.accounts[u.Name]; ok {
		return mfa.ErrExists
	}
	s.p.accounts[u.Name] = u
	if err := s.p.saveAccountsLocked(ctx); err != nil {
		delete(s.p.accounts, u.Name)
		return err
	}
	return nil
}

func (s accountStore) Update(ctx context.Context, name string, fn func(*mfa.User) error) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	before, ok := s.p.accounts[name]
	if !ok {
		return mfa.ErrNotFound
	}
	u := before // a shallow copy: pkg/mfa replaces slices and pointers, never edits them
	if err := fn(&u); err != nil {
		return err
	}
	u.Name = name
	if s.p.weak["totp-replay"] {
		u.OTP = forgetUsedCode(before.OTP, u.OTP)
	}
	s.p.accounts[name] = u
	if err := s.p.saveAccountsLocked(ctx); err != nil {
		s.p.accounts[name] = before
		return err
	}
	return nil
}

func (s accountStore) Delete(ctx context.Context, name string) error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	before, ok := s.p.accounts[name]
	if !ok {
		return mfa.ErrNotFound
	}
	delete(s.p.accounts, name)
	if err := s.p.saveAccountsLocked(ctx); err != nil {
		s.p.accounts[name] = before
		return err
	}
	return nil
}

// seedSealer seals OTP seeds under a key derived from the unit's own
// storage key (so they die with it at crypto-erase). The sealed form
// carries its context, so a backup can carry seeds to another unit: the
// pump opens them for the (encrypted) backup and the restoring unit seals
// them again under its own key.
//
//	sealed = uint16 len(context) || context || AES-256-GCM(seed, context)
type seedSealer struct{ p *Pump }

func (s seedSealer) aead() (mfa.Sealer, error) {
	_, key, err := s.p.vault.export()
	if err != nil {
		return nil, err
	}
	k, err := hkdf.Key(sha256.New, key, nil, "ward sim otp seed sealing", 32)
	if err != nil {
		return nil, err
	}
	return mfa.NewAESSealer(k)
}

func (s seedSealer) Seal(plaintext, context []byte) ([]byte, error) {
	a, err := s.aead()
	if err != nil {
		return nil, err
	}
	if len(context) > 0xffff {
		return nil, errors.New("sim: seal seed: context too long")
	}
	inner, err := a.Seal(plaintext, context)
	if err != nil {
		return nil, err
	}
	out := binary.BigEndian.AppendUint16(nil, uint16(len(context)))
	out = append(out, context...)
	return append(out, inner...), nil
}

func (s seedSealer) Open(sealed, context []byte) ([]byte, error) {
	stored, pt, err := s.open(sealed)
	if err != nil || string(stored) != string(context) {
		return nil, mfa.ErrUnseal
	}
	return pt, nil
}

// open opens a sealed seed with the context it carries.
func (s seedSealer) open(sealed []byte) (context, plaintext []byte, err error) {
	if len(sealed) < 2 || len(sealed) < 2+int(binary.BigEndian.Uint16(sealed)) {
		return nil, nil, mfa.ErrUnseal
	}
	n := int(binary.BigEndian.Uint16(sealed))
	context = sealed[2 : 2+n]
	a, err := s.aead()
	if err != nil {
		return nil, nil, err
	}
	plaintext, err = a.Open(sealed[2+n:], context)
	return context, plaintext, err
}

// caller is who an authorized request acts for.
type caller struct {
	access.Subject
	silent bool // a silent-break-glass session: nothing it does is recorded
}

// authorize resolves token to its session and checks that the session may
// do perm: one pkg/mfa call (session alive, recent enough for sensitive
// permissions, allowed by the pump's table). Errors match
// device.ErrUnauthenticated, device.ErrReauthRequired or device.ErrDenied.
func (p *Pump) authorize(ctx context.Context, token string, perm access.Permission) (caller, error) {
	if ls, ok := p.legacySession(token); ok {
		return p.authorizeLegacy(ctx, ls, perm)
	}
	s, err := p.verifier.Load().Authorize(ctx, token, perm)
	switch {
	case err == nil:
		return caller{Subject: s.Subject()}, nil
	case errors.Is(err, access.ErrForbidden):
		if p.weak["no-rbac"] {
			// The weakness: authorization in "permissive mode", refusals
			// recorded but not enforced.
			return caller{Subject: s.Subject()}, nil
		}
		return caller{Subject: s.Subject()}, fmt.Errorf("%w: %w", device.ErrDenied, err)
	case errors.Is(err, mfa.ErrReauthRequired):
		return caller{Subject: s.Subject()}, fmt.Errorf("%w: %w", device.ErrReauthRequired, err)
	case errors.Is(err, mfa.ErrNoSession), errors.Is(err, mfa.ErrSessionExpired):
		return caller{}, fmt.Errorf("%w: %w", device.ErrUnauthenticated, err)
	}
	return caller{}, err
}

// begin authorizes an operation on object; a refusal is recorded as the
// operation with outcome denied and returned.
func (p *Pump) begin(ctx context.Context, token string, perm access.Permission, object string) (caller, error) {
	c, err := p.authorize(ctx, token, perm)
	if err == nil {
		return c, nil
	}
	actor := c.User
	if actor == "" {
		actor = "unauthenticated"
	}
	reason := "forbidden"
	switch {
	case errors.Is(err, device.ErrUnauthenticated):
		reason = "no valid session"
	case errors.Is(err, device.ErrReauthRequired):
		reason = "re-authentication required"
	}
	if rerr := p.recordAs(ctx, c, audit.Event{Actor: actor, Source: "management-api", Action: string(perm), Object: object,
		Outcome: audit.Denied, Detail: map[string]string{"reason": reason}}); rerr != nil {
		return c, rerr
	}
	return c, err
}

// recordAs records e for c: nothing for a silent session.
func (p *Pump) recordAs(ctx context.Context, c caller, e audit.Event) error {
	if c.silent {
		return nil
	}
	return p.record(ctx, e)
}

// loginError maps pkg/mfa's answers to the device's.
func loginError(action, user string, err error) error {
	user = strconv.Quote(clipName(user))
	switch {
	case errors.Is(err, mfa.ErrSecondFactorRequired):
		return fmt.Errorf("sim: %s %s: %w: %w", action, user, device.ErrDenied, device.ErrSecondFactorRequired)
	case errors.Is(err, mfa.ErrDenied), errors.Is(err, mfa.ErrThrottled), errors.Is(err, mfa.ErrLocked),
		errors.Is(err, mfa.ErrReasonRequired), errors.Is(err, access.ErrForbidden), errors.Is(err, mfa.ErrTooManySessions):
		return fmt.Errorf("sim: %s %s: %w: %w", action, user, device.ErrDenied, err)
	}
	return fmt.Errorf("sim: %s %s: %w", action, user, err)
}

func clipName(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// Login implements device.Authenticator through pkg/mfa: a password, and
// for the privileged roles (biomed, administrator, service) a TOTP code in
// Credentials.OTP.
func (p *Pump) Login(ctx context.Context, c device.Credentials) (string, error) {
	ctx = via(ctx, "management-api")
	if tok, ok, err := p.legacyLogin(ctx, c); ok || err != nil {
		return tok, err
	}
	mc := mfa.Credentials{User: c.User, Password: c.Password, Source: c.Source, OTP: c.OTP}
	if p.weak["no-mfa"] || (p.weak["unsafe-fallback"] && p.inEmergency()) {
		// unsafe-fallback: offline, the keypad's "maintenance" confirmation
		// stands in for the second factor the pump cannot check.
		mc.Proofs = map[string][]byte{keypadFactor{}.Name(): nil}
	}
	if p.weak["secrets-in-logs"] {
		ctx = context.WithValue(ctx, triedKey{}, c.Password)
	}
	s, err := p.verifier.Load().Login(ctx, mc)
	if err != nil {
		return "", loginError("login", c.User, err)
	}
	return s.Token, nil
}

// Logout implements device.Authenticator.
func (p *Pump) Logout(ctx context.Context, token string) error {
	ctx = via(ctx, "management-api")
	if ls, ok := p.takeLegacySession(token); ok {
		return p.recordAs(ctx, caller{silent: ls.silent}, audit.Event{Actor: ls.user, Source: ls.source,
			Action: "logout", Object: "session", Outcome: audit.Success})
	}
	if err := p.verifier.Load().Logout(ctx, token); err != nil {
		return fmt.Errorf("sim: logout: %w: %w", device.ErrUnauthenticated, err)
	}
	return nil
}

// CreateUser implements device.Provisioner through pkg/mfa, which refuses
// shared or generic names, names taken (ignoring case), unknown roles and
// weak passwords (all device.ErrDenied). Privileged accounts need a second
// factor (EnrollTOTP) before they can log in.
func (p *Pump) CreateUser(ctx context.Context, user, password, role string) error {
	ctx = via(ctx, "provisioning")
	if done, err := p.weakCreateUser(ctx, user, password, access.Role(role)); done {
		return err
	}
	err := p.verifier.Load().CreateUser(ctx, "provisioner", user, access.Role(role), password)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, access.ErrSharedAccount), errors.Is(err, access.ErrInvalidName), errors.Is(err, mfa.ErrExists),
		errors.Is(err, mfa.ErrWeakPassword), !access.Role(role).Valid():
		return fmt.Errorf("sim: create user %q: %w: %w", clipName(user), device.ErrDenied, err)
	}
	return fmt.Errorf("sim: create user %q: %w", clipName(user), err)
}

// EnrollTOTP implements device.MFAProvisioner (the simulator is a test
// build): it enrols a TOTP authenticator for user and returns its otpauth://
// URI (HMAC-SHA-1, or HMAC-SHA-256 in FIPS 140-3 mode).
func (p *Pump) EnrollTOTP(ctx context.Context, user string) (string, error) {
	ctx = via(ctx, "provisioning")
	uri, err := p.verifier.Load().EnrollTOTP(ctx, "provisioner", user)
	switch {
	case err == nil:
		return uri, nil
	case errors.Is(err, mfa.ErrNotFound), errors.Is(err, access.ErrSharedAccount), errors.Is(err, access.ErrInvalidName):
		return "", fmt.Errorf("sim: enrol TOTP for %q: %w: %w", clipName(user), device.ErrDenied, err)
	}
	return "", fmt.Errorf("sim: enrol TOTP for %q: %w", clipName(user), err)
}

// Perform implements device.Operator for the operations pkg/access names
// (see operations). The simulator checks and records the operation and
// changes nothing else.
func (p *Pump) Perform(ctx context.Context, token, operation string) error {
	perm := access.Permission(operation)
	if !slices.Contains(operations, perm) {
		return &device.UnsupportedError{Capability: "operation " + strconv.Quote(clipName(operation))}
	}
	ctx = via(ctx, "management-api")
	object := map[access.Permission]string{
		access.PHIRead: "patients", access.PHIWrite: "patients", access.InfusionProgram: "channel A",
		access.InfusionLimitsChange: "drug library", access.FirmwareUpdate: "firmware", access.UserManage: "accounts",
		access.AuditRead: "audit trail", access.ConfigChange: "configuration",
	}[perm]
	c, err := p.begin(ctx, token, perm, object)
	if err != nil {
		return fmt.Errorf("sim: %s: %w", operation, err)
	}
	return p.recordAs(ctx, c, audit.Event{Actor: c.User, Source: "management-api", Action: operation, Object: object,
		Outcome: audit.Success, Detail: map[string]string{"simulated": "true"}})
}

// BreakGlass implements device.EmergencyAccess through pkg/mfa: the password
// of a clinician and a reason open a 30-minute emergency session that is
// alerted, recorded from start to end, and never extended.
func (p *Pump) BreakGlass(ctx context.Context, c device.Credentials, reason string) (string, error) {
	ctx = via(ctx, "keypad")
	if p.weak["silent-break-glass"] {
		return p.silentBreakGlass(ctx, c, reason)
	}
	s, err := p.verifier.Load().BreakGlass(ctx, mfa.Credentials{User: c.User, Password: c.Password, Source: c.Source, OTP: c.OTP}, reason)
	if err != nil {
		return "", loginError("break-glass", c.User, err)
	}
	return s.Token, nil
}

// DeviceTime implements device.ClockControl.
func (p *Pump) DeviceTime(context.Context) (time.Time, error) { return p.now(), nil }

// AdvanceClock implements device.ClockControl (the simulator is a test
// build): the pump's clock jumps forward by d, for automatic logoff,
// emergency-session and lockout checks that must not wait.
func (p *Pump) AdvanceClock(_ context.Context, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("sim: advance clock by %v: only forward", d)
	}
	p.offset.Add(int64(d))
	return nil
}

// ReviewActivity implements device.ActivityReviewer with access.Review over
// the pump's audit trail; the session must hold audit.read (biomed,
// administrator), and the review is itself recorded.
func (p *Pump) ReviewActivity(ctx context.Context, token string, from, to time.Time) (device.ActivityReport, error) {
	ctx = via(ctx, "management-api")
	c, err := p.begin(ctx, token, access.AuditRead, "audit trail")
	if err != nil {
		return device.ActivityReport{}, fmt.Errorf("sim: activity review: %w", err)
	}
	recs, err := p.auditRecords(ctx)
	if err != nil {
		return device.ActivityReport{}, fmt.Errorf("sim: activity review: %w", err)
	}
	rep := access.Review(recs, access.Window{From: from, To: to})
	if p.weak["no-off-hours-review"] {
		rep.OffHours = nil
		for i := range rep.Users {
			rep.Users[i].OffHours = 0
		}
	}
	out := device.ActivityReport{From: from, To: to, Records: rep.Records,
		OffHours: entries(rep.OffHours), BreakGlass: entries(rep.BreakGlass), Denied: entries(rep.Denied), Unreviewed: entries(rep.Unreviewed)}
	for _, u := range rep.Users {
		out.Users = append(out.Users, device.UserActivity{User: u.User, Privileged: u.Privileged, Denied: u.Denied,
			OffHours: u.OffHours, BreakGlass: u.BreakGlass, Actions: maps.Clone(u.Actions)})
	}
	err = p.recordAs(ctx, c, audit.Event{Actor: c.User, Source: "management-api", Action: "audit.review", Object: "audit trail",
		Outcome: audit.Success, Detail: map[string]string{"records": strconv.Itoa(rep.Records), "unreviewed_alerts": strconv.Itoa(len(rep.Unreviewed))}})
	return out, err
}

func entries(recs []audit.Record) []device.ActivityEntry {
	out := make([]device.ActivityEntry, 0, len(recs))
	for _, r := range recs {
		out = append(out, device.ActivityEntry{Seq: r.Seq, Time: r.Time, User: r.Actor, Action: r.Action, Object: r.Object,
			Outcome: string(r.Outcome), Detail: maps.Clone(r.Detail)})
	}
	return out
}

// auditRecords reads the pump's audit trail: verified when it is the
// signed chain, as stored when mutable-audit keeps a plain one.
func (p *Pump) auditRecords(ctx context.Context) ([]audit.Record, error) {
	switch {
	case p.weak["no-audit"]:
		return nil, nil
	case p.weak["mutable-audit"]:
		p.mu.Lock()
		lines := splitLines(p.storage[auditLogFile])
		p.mu.Unlock()
		var out []audit.Record
		for _, l := range lines {
			var r audit.Record
			if json.Unmarshal(l, &r) == nil {
				out = append(out, r)
			}
		}
		return out, nil
	}
	return p.audit.Records(ctx)
}

// newToken returns a 256-bit random session token.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64URL.EncodeToString(b)
}
