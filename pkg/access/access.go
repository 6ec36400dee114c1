package access

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wardsec/ward/pkg/audit"
)

// Role is what a user is to the device. Every account has exactly one.
type Role string

// The roles Ward knows. Biomed, Administrator and Service are privileged:
// pkg/mfa always asks them for two factors.
const (
	Patient       Role = "patient"
	Clinician     Role = "clinician"
	Biomed        Role = "biomed" // biomedical (clinical engineering) technician
	Administrator Role = "administrator"
	Service       Role = "service" // the manufacturer's field service
)

// Roles lists the defined roles, least privileged first.
func Roles() []Role { return []Role{Patient, Clinician, Biomed, Administrator, Service} }

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// Privileged reports whether r administers or maintains the device rather
// than treating with it: biomed, administrator and service.
func (r Role) Privileged() bool { return r == Biomed || r == Administrator || r == Service }

// Permission names one kind of operation on the device. Device makers may
// define their own beside these.
type Permission string

// The permissions of an infusion pump.
const (
	PHIRead              Permission = "phi.read"               // read patient records
	PHIWrite             Permission = "phi.write"              // change patient records
	InfusionProgram      Permission = "infusion.program"       // start, stop, program an infusion within the limits
	InfusionLimitsChange Permission = "infusion.limits.change" // change dose limits (the drug library)
	FirmwareUpdate       Permission = "firmware.update"
	UserManage           Permission = "user.manage" // create, delete, unlock accounts; enrol factors
	AuditRead            Permission = "audit.read"
	ConfigChange         Permission = "config.change" // network, clock, device settings
	BreakGlass           Permission = "break-glass"   // may start emergency access
)

// Permissions lists the defined permissions.
func Permissions() []Permission {
	return []Permission{PHIRead, PHIWrite, InfusionProgram, InfusionLimitsChange, FirmwareUpdate,
		UserManage, AuditRead, ConfigChange, BreakGlass}
}

// Subject is who asks: built by the authentication layer (mfa.Session.Subject)
// from a live session, never from what a request claims.
type Subject struct {
	User       string
	Role       Role
	BreakGlass bool   // an emergency session: only Table.Emergency applies
	Source     string // where the request came from, for the audit trail
	Session    string // a non-secret session id, for the audit trail
}

// Errors, matchable with errors.Is.
var (
	// ErrForbidden: the subject may not do this. Also returned when a
	// privileged grant could not be recorded: nothing privileged happens
	// unrecorded.
	ErrForbidden = errors.New("access: forbidden")
	// ErrSharedAccount: a shared or generic account name ("admin", "nurse2").
	ErrSharedAccount = errors.New("access: shared or generic account names are not allowed; give each person their own account")
	// ErrInvalidName: a user name that is empty, too long, or has
	// characters outside [a-z0-9._@-].
	ErrInvalidName = errors.New("access: invalid user name")
	// ErrInvalidPolicy: NewPolicy was given an unusable table.
	ErrInvalidPolicy = errors.New("access: invalid policy")
)

// Auditor records events. *audit.Log satisfies it; so does a test double.
type Auditor interface {
	Append(ctx context.Context, e audit.Event) (audit.Record, error)
}

// Audit actions this package writes, and the ones Review reads.
const (
	ActionGranted       = "access.granted" // a privileged permission, or anything in break-glass, was allowed
	ActionDenied        = "access.denied"  // any refusal
	ActionBreakGlass    = "break-glass"    // emergency access started (written by pkg/mfa)
	ActionAccountLocked = "account.locked" // an account was locked out (written by pkg/mfa)
	ActionAlertReviewed = "alert.reviewed" // see ReviewedEvent
)

// Detail keys of the records this package writes and reads.
const (
	detailRole       = "role"
	detailBreakGlass = "break_glass"
	detailSession    = "session"
	detailPrivileged = "privileged"
	detailAlertSeq   = "alert_seq"
	detailAlertHash  = "alert_hash"
	detailNote       = "note"
	trueString       = "true"
)

// Table is an authorization policy in data: what each role may do, what a
// break-glass session may do, and which permissions are sensitive or
// privileged. Anything not listed is denied.
type Table struct {
	Grants map[Role][]Permission
	// Emergency is everything a break-glass session may do, whatever the
	// user's role (only roles granted BreakGlass can start one).
	Emergency []Permission
	// Sensitive permissions need a fresh authentication (pkg/mfa asks for
	// one when the last was longer ago than its FreshAuth window).
	Sensitive []Permission
	// Privileged permissions are recorded every time they are granted, and
	// counted by Review.
	Privileged []Permission
}

// DefaultTable is Ward's default for an infusion pump (docs/mfa.md has it
// as a table):
//
//	permission              patient clinician biomed admin service | break-glass sensitive privileged
//	phi.read                   -        x        -      -      -    |     x           -          -
//	phi.write                  -        x        -      -      -    |     x           -          -
//	infusion.program           -        x        -      -      -    |     x           -          -
//	infusion.limits.change     -        -        x      -      -    |     x           x          x
//	firmware.update            -        -        x      -      x    |     -           x          x
//	user.manage                -        -        -      x      -    |     -           x          x
//	audit.read                 -        -        x      x      -    |     -           -          x
//	config.change              -        -        x      x      x    |     -           x          x
//	break-glass                -        x        -      -      -    |     -           -          x
//
// Patients get nothing by default: a patient-controlled bolus button is a
// device-specific permission the maker adds to its own table. Break-glass
// lets a clinician override the drug-library limits in an emergency, which
// is the one thing it adds to the clinician's normal permissions.
func DefaultTable() Table {
	return Table{
		Grants: map[Role][]Permission{
			Patient:       nil,
			Clinician:     {PHIRead, PHIWrite, InfusionProgram, BreakGlass},
			Biomed:        {InfusionLimitsChange, FirmwareUpdate, AuditRead, ConfigChange},
			Administrator: {UserManage, AuditRead, ConfigChange},
			Service:       {FirmwareUpdate, ConfigChange},
		},
		Emergency:  []Permission{PHIRead, PHIWrite, InfusionProgram, InfusionLimitsChange},
		Sensitive:  []Permission{InfusionLimitsChange, FirmwareUpdate, UserManage, ConfigChange},
		Privileged: []Permission{InfusionLimitsChange, FirmwareUpdate, UserManage, AuditRead, ConfigChange, BreakGlass},
	}
}

// Policy decides and records authorization. It is immutable once built and
// safe for concurrent use.
type Policy struct {
	grants     map[Role]map[Permission]bool
	emergency  map[Permission]bool
	sensitive  map[Permission]bool
	privileged map[Permission]bool
	auditor    Auditor
}

// Option configures a Policy.
type Option func(*Policy)

// WithAuditor records every refusal, and every grant of a privileged
// permission or in a break-glass session, to a (an *audit.Log). Without it
// nothing is recorded.
func WithAuditor(a Auditor) Option { return func(p *Policy) { p.auditor = a } }

// NewPolicy builds a Policy from t. It refuses unknown roles, empty
// permission names, and a patient or clinician granted a privileged
// permission other than break-glass (least privilege: give such duties to
// a privileged role, which must use two factors).
func NewPolicy(t Table, opts ...Option) (*Policy, error) {
	p := &Policy{
		grants:     map[Role]map[Permission]bool{},
		emergency:  set(t.Emergency),
		sensitive:  set(t.Sensitive),
		privileged: set(t.Privileged),
	}
	for _, list := range [][]Permission{t.Emergency, t.Sensitive, t.Privileged} {
		if slices.Contains(list, "") {
			return nil, fmt.Errorf("%w: empty permission name", ErrInvalidPolicy)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(t.Grants)) {
		if !r.Valid() {
			return nil, fmt.Errorf("%w: unknown role %q", ErrInvalidPolicy, r)
		}
		for _, perm := range t.Grants[r] {
			if perm == "" {
				return nil, fmt.Errorf("%w: empty permission granted to %s", ErrInvalidPolicy, r)
			}
			if !r.Privileged() && perm != BreakGlass && p.privileged[perm] {
				return nil, fmt.Errorf("%w: %s would hold privileged permission %s; grant it to a privileged role", ErrInvalidPolicy, r, perm)
			}
		}
		p.grants[r] = set(t.Grants[r])
	}
	for _, o := range opts {
		o(p)
	}
	return p, nil
}

// DefaultPolicy is NewPolicy(DefaultTable(), opts...).
func DefaultPolicy(opts ...Option) *Policy {
	p, err := NewPolicy(DefaultTable(), opts...)
	if err != nil {
		panic("access: default table invalid: " + err.Error())
	}
	return p
}

func set(ps []Permission) map[Permission]bool {
	m := make(map[Permission]bool, len(ps))
	for _, p := range ps {
		m[p] = true
	}
	return m
}

// Allowed reports whether s may do perm, without recording anything. Deny
// by default: an empty user, an unknown role, an unlisted permission are
// all refused.
func (p *Policy) Allowed(s Subject, perm Permission) bool {
	if s.User == "" || !s.Role.Valid() || perm == "" {
		return false
	}
	if s.BreakGlass {
		return p.emergency[perm]
	}
	return p.grants[s.Role][perm]
}

// Sensitive reports whether perm needs a fresh authentication.
func (p *Policy) Sensitive(perm Permission) bool { return p.sensitive[perm] }

// Privileged reports whether granting perm is always recorded.
func (p *Policy) Privileged(perm Permission) bool { return p.privileged[perm] }

// Permissions returns what s may do, sorted.
func (p *Policy) Permissions(s Subject) []Permission {
	if s.User == "" || !s.Role.Valid() {
		return nil
	}
	src := p.grants[s.Role]
	if s.BreakGlass {
		src = p.emergency
	}
	return slices.Sorted(maps.Keys(src))
}

// Authorize returns nil if s may do perm, and an error matching
// ErrForbidden otherwise. Every refusal is recorded ("access.denied"); so is
// every grant of a privileged permission or in a break-glass session
// ("access.granted"), and if that record cannot be written the grant is
// withdrawn: privileged activity never goes unrecorded.
func (p *Policy) Authorize(ctx context.Context, s Subject, perm Permission) error {
	if !p.Allowed(s, perm) {
		p.record(ctx, s, perm, audit.Denied)
		return fmt.Errorf("%w: %s may not %s", ErrForbidden, describe(s), perm)
	}
	if p.privileged[perm] || s.BreakGlass {
		if err := p.record(ctx, s, perm, audit.Success); err != nil {
			return fmt.Errorf("%w: %s: privileged access could not be recorded: %w", ErrForbidden, perm, err)
		}
	}
	return nil
}

func describe(s Subject) string {
	who := s.User
	if who == "" {
		who = "an unidentified subject"
	}
	role := string(s.Role)
	if role == "" {
		role = "no role"
	}
	if s.BreakGlass {
		return fmt.Sprintf("%s (%s, break-glass)", who, role)
	}
	return fmt.Sprintf("%s (%s)", who, role)
}

func (p *Policy) record(ctx context.Context, s Subject, perm Permission, outcome audit.Outcome) error {
	if p.auditor == nil {
		return nil
	}
	action := ActionGranted
	if outcome != audit.Success {
		action = ActionDenied
	}
	d := map[string]string{detailRole: string(s.Role)}
	if s.BreakGlass {
		d[detailBreakGlass] = trueString
	}
	if s.Session != "" {
		d[detailSession] = s.Session
	}
	if p.privileged[perm] {
		d[detailPrivileged] = trueString
	}
	_, err := p.auditor.Append(ctx, audit.Event{
		Actor: s.User, Source: s.Source, Action: action, Object: string(perm), Outcome: outcome, Detail: d,
	})
	return err
}

// genericNames are account names that say what someone is, not who.
var genericNames = map[string]bool{
	"admin": true, "administrator": true, "root": true, "superuser": true, "sysadmin": true, "system": true,
	"user": true, "users": true, "guest": true, "anonymous": true, "default": true, "shared": true,
	"service": true, "support": true, "tech": true, "technician": true, "maint": true, "maintenance": true,
	"biomed": true, "engineer": true, "operator": true, "manager": true, "supervisor": true,
	"nurse": true, "nurses": true, "rn": true, "doctor": true, "dr": true, "physician": true, "clinician": true,
	"staff": true, "ward": true, "icu": true, "er": true, "or": true, "team": true, "unit": true, "station": true,
	"patient": true, "test": true, "tester": true, "demo": true, "temp": true, "training": true,
	"device": true, "pump": true, "factory": true, "manufacturer": true, "vendor": true, "config": true,
	"setup": true, "install": true, "public": true, "everyone": true, "nobody": true, "none": true,
	"login": true, "owner": true, "master": true, "emergency": true, "breakglass": true, "break-glass": true,
}

// MaxNameLen is the longest user name accepted.
const MaxNameLen = 64

// CanonicalName checks that name can identify one person and returns its
// canonical (lower-case) form, under which accounts are unique, so
// "Nurse.Jones" and "nurse.jones" are one identity. It refuses
// (ErrSharedAccount) generic names such as "admin", "nurse", "user",
// "shared" or "service", also with digits or separators around them
// ("nurse2", "icu-nurse", "admin_01"), and (ErrInvalidName) names that are
// empty, longer than MaxNameLen, or use characters other than ASCII
// letters, digits and ". _ @ -".
func CanonicalName(name string) (string, error) {
	if name == "" || len(name) > MaxNameLen {
		return "", fmt.Errorf("%w: must be 1 to %d characters", ErrInvalidName, MaxNameLen)
	}
	// ASCII only, checked before case folding: strings.ToLower maps some
	// non-ASCII letters (the Kelvin sign) to ASCII ones, which would let a
	// look-alike name reach an existing account.
	b := []byte(name)
	for i, ch := range b {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
			b[i] = ch
		}
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '_' || ch == '@' || ch == '-') {
			return "", fmt.Errorf("%w: %q: only letters, digits and . _ @ - are allowed", ErrInvalidName, name)
		}
	}
	c := string(b)
	if !(c[0] >= 'a' && c[0] <= 'z' || c[0] >= '0' && c[0] <= '9') {
		return "", fmt.Errorf("%w: %q must start with a letter or digit", ErrInvalidName, name)
	}
	// The local part of an e-mail address is what names the person.
	local, _, _ := strings.Cut(c, "@")
	words := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' })
	if len(words) == 0 {
		return "", fmt.Errorf("%w: %q has no letters", ErrInvalidName, name)
	}
	allGeneric := true
	for _, w := range words {
		if !genericNames[w] {
			allGeneric = false
			break
		}
	}
	if allGeneric {
		return "", fmt.Errorf("%w: %q", ErrSharedAccount, name)
	}
	return c, nil
}
