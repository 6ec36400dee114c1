package device

import (
	"context"
	"crypto/ed25519"
	"time"
)

// Credentials are what a user presents at login.
type Credentials struct {
	User     string
	Password string
	// Source is where the attempt comes from (client address or interface
	// name); devices record it in the audit trail.
	Source string
	// OTP is a one-time code (TOTP or HOTP) from the user's authenticator,
	// for accounts that need a second factor. Empty when none is presented.
	OTP string
}

// Authenticator is a device that has user logins. Login returns an opaque
// session token on success and an error matching ErrDenied otherwise (also
// ErrSecondFactorRequired when the password was right but the account needs
// a second factor that Credentials.OTP did not carry).
type Authenticator interface {
	Login(ctx context.Context, c Credentials) (token string, err error)
	Logout(ctx context.Context, token string) error
}

// PatientData is a device that stores patient records (ePHI). Both calls need
// a session token from Login and fail with ErrUnauthenticated without one.
type PatientData interface {
	ReadPatient(ctx context.Context, token, id string) ([]byte, error)
	WritePatient(ctx context.Context, token, id string, data []byte) error
}

// AuditExport is a device's audit trail as stored, in the format of
// docs/audit-log.md, plus where it lives so storage-tampering checks can find
// it.
type AuditExport struct {
	// Log is the record file: one JSON record per line.
	Log []byte
	// Checkpoint is the signed chain head; empty when the device keeps none.
	Checkpoint []byte
	// PublicKey verifies Checkpoint.
	PublicKey ed25519.PublicKey
	// LogPath and CheckpointPath name the two files in RawStorage.
	LogPath, CheckpointPath string
}

// AuditSource is a device whose audit trail the harness can read.
type AuditSource interface {
	AuditLog(ctx context.Context) (AuditExport, error)
}

// RawStorage is offline access to a device's persistent storage, as an
// attacker who pulled the flash chip or has root on the file system would
// have. Checks use it to look for plaintext and to tamper with stored data.
type RawStorage interface {
	ListStored(ctx context.Context) ([]string, error)
	ReadStored(ctx context.Context, name string) ([]byte, error)
	WriteStored(ctx context.Context, name string, data []byte) error
}

// Provisioner is a device on which the harness may create the test accounts
// a scenario needs: development builds and simulators. Production devices
// usually lack it; their accounts come from the target configuration.
type Provisioner interface {
	CreateUser(ctx context.Context, user, password, role string) error
}

// KeyCustodian is a test build that can hand out the key protecting its
// stored data, so checks can play an attacker who obtained one unit's key
// (per-device keys) and confirm that crypto-erase really destroyed it.
// Production firmware must not implement it.
type KeyCustodian interface {
	// ExportStorageKey returns the id and raw bytes of the key-encryption
	// key that protects stored data. After a crypto-erase it fails with an
	// error matching ErrKeyDestroyed.
	ExportStorageKey(ctx context.Context) (id string, key []byte, err error)
}

// Decommissioner is a device that can be taken out of service: everything
// it stored must become unrecoverable (crypto-erase).
type Decommissioner interface {
	Decommission(ctx context.Context, token string) error
}

// Backupper is a device that makes backups of its data and restores them.
type Backupper interface {
	CreateBackup(ctx context.Context, token string) ([]byte, error)
	// RestoreBackup replaces the device's data with the backup's. It fails
	// with an error matching ErrIntegrity, changing nothing, when the backup
	// does not verify.
	RestoreBackup(ctx context.Context, token string, backup []byte) error
}

// ConfigExporter is a device whose configuration can be exported (for
// support or migration). Exports must hold no secrets.
type ConfigExporter interface {
	ExportConfig(ctx context.Context, token string) ([]byte, error)
}

// MFAProvisioner is a test build on which the harness may enrol a TOTP
// authenticator for a test account, so scenarios can log in privileged
// users with a second factor and replay codes as an attacker would.
// Production firmware lacks it (users enrol on the device's own screen);
// scenarios that need it are then not-applicable.
type MFAProvisioner interface {
	// EnrollTOTP gives user a new TOTP generator and returns its
	// otpauth:// URI (RFC 6238 parameters: secret, algorithm, digits,
	// period), from which the harness computes codes.
	EnrollTOTP(ctx context.Context, user string) (otpauthURI string, err error)
}

// Operator is a device whose operations a session can ask for by name. The
// names are those of pkg/access's permissions: "phi.read", "phi.write",
// "infusion.program", "infusion.limits.change", "firmware.update",
// "user.manage", "audit.read", "config.change". A driver maps each to the
// device's own operation (for checks, one that changes nothing lasting:
// reading the drug library with intent to change it, a firmware update
// dry run).
type Operator interface {
	// Perform does operation in the session behind token. It fails with an
	// error matching ErrUnauthenticated without a live session (none,
	// forged, logged out, timed out), ErrReauthRequired when the session
	// is live but the operation needs a more recent login, ErrDenied when
	// the session's user may not do it, and ErrUnsupported (an
	// *UnsupportedError) for an operation the device does not have.
	Perform(ctx context.Context, token, operation string) error
}

// EmergencyAccess is a device with a break-glass procedure (HIPAA
// 164.312(a)(2)(ii)): a clinician whose usual second factor is unavailable
// in a clinical emergency gets a time-limited session, with a reason that
// is recorded.
type EmergencyAccess interface {
	// BreakGlass opens an emergency session and returns its token. It
	// fails with an error matching ErrDenied for wrong credentials, a role
	// that may not break glass, or an empty reason.
	BreakGlass(ctx context.Context, c Credentials, reason string) (token string, err error)
}

// ClockControl is a test build whose clock the harness may move forward,
// so time-based protections (automatic logoff, the end of emergency
// access, lockout periods) are checked without waiting. Production
// firmware lacks it; scenarios that need it are then not-applicable.
type ClockControl interface {
	// DeviceTime is the time the device believes it is.
	DeviceTime(ctx context.Context) (time.Time, error)
	// AdvanceClock moves the device's clock forward by d (d > 0), as if d
	// had passed without any request.
	AdvanceClock(ctx context.Context, d time.Duration) error
}

// ActivityReviewer is a device that summarises privileged activity from
// its audit trail for review (HIPAA 164.308(a)(1)(ii)(D), information
// system activity review).
type ActivityReviewer interface {
	// ReviewActivity returns the review of [from, to) (a zero bound is
	// open) for the session behind token, which must be allowed to read
	// the audit trail.
	ReviewActivity(ctx context.Context, token string, from, to time.Time) (ActivityReport, error)
}

// ActivityReport is a privileged-activity review.
type ActivityReport struct {
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Records is how many audit records the window holds.
	Records int `json:"records"`
	// Users sums up each user with privileged or refused activity.
	Users []UserActivity `json:"users"`
	// OffHours lists privileged actions outside office hours.
	OffHours []ActivityEntry `json:"off_hours"`
	// BreakGlass lists emergency sessions started.
	BreakGlass []ActivityEntry `json:"break_glass"`
	// Denied lists refused access attempts.
	Denied []ActivityEntry `json:"denied"`
	// Unreviewed lists alerts (emergency access, lockouts) that nobody
	// other than the user concerned has marked reviewed.
	Unreviewed []ActivityEntry `json:"unreviewed"`
}

// UserActivity is one user's line in an ActivityReport.
type UserActivity struct {
	User       string         `json:"user"`
	Privileged int            `json:"privileged"`
	Denied     int            `json:"denied"`
	OffHours   int            `json:"off_hours"`
	BreakGlass int            `json:"break_glass"`
	Actions    map[string]int `json:"actions"` // privileged actions by name
}

// ActivityEntry is one audit record an ActivityReport points at.
type ActivityEntry struct {
	Seq     uint64            `json:"seq"`
	Time    time.Time         `json:"time"`
	User    string            `json:"user"`
	Action  string            `json:"action"`
	Object  string            `json:"object"`
	Outcome string            `json:"outcome"`
	Detail  map[string]string `json:"detail,omitempty"`
}
