package device

import (
	"context"
	"crypto/ed25519"
)

// Credentials are what a user presents at login.
type Credentials struct {
	User     string
	Password string
	// Source is where the attempt comes from (client address or interface
	// name); devices record it in the audit trail.
	Source string
}

// Authenticator is a device that has user logins. Login returns an opaque
// session token on success and an error matching ErrDenied otherwise.
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
