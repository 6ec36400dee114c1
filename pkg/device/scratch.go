package device

// Scratch is a device unit made for one check and thrown away after it, as
// a simulator makes one per scenario. The harness runs scenarios that
// change a device for good (tagged @destructive: decommissioning, which
// crypto-erases the stored data) on a scratch unit without asking, and on
// any other device only when the operator allows them (ward check
// --allow-destructive). A driver answers it itself: a management API
// driver connected to a unit of a networked simulator is scratch, one
// connected to a device is not.
type Scratch interface {
	// ScratchUnit reports whether the unit is thrown away after the check.
	ScratchUnit() bool
}
