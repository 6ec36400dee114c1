package device

// Local is a device that runs inside Ward's own process, as a simulator
// does: the network services it lists are on loopback, which is then its
// own host. The harness lets checks connect to a target's own host only
// (docs/threat-model.md); a driver, being code in Ward's binary, may say
// so for its devices. Nothing a remote device sends can.
type Local interface {
	// InProcess reports whether the device runs in Ward's process.
	InProcess() bool
}
