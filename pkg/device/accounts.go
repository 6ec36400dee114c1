package device

import "context"

// AccountRemover is a device on which the harness may remove the test
// accounts it created (device.Provisioner), so a device that keeps its
// accounts between checks is left as it was found: development builds,
// simulators, and any device whose maker lets a check clean up after
// itself. Without it the accounts remain; the evidence says which.
type AccountRemover interface {
	// DeleteUser removes the account user and ends its sessions.
	// Removing an account that does not exist is not an error: the
	// account is gone either way (a restore or a crypto-erase may have
	// removed it first).
	DeleteUser(ctx context.Context, user string) error
}
