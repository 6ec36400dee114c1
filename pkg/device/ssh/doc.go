// Package ssh is the Ward driver for embedded-Linux devices reached over
// SSH:
//
//	ssh://user@host:port?key=FILE&known_hosts=FILE&profile=FILE
//
// The device's host key must be in known_hosts (no trust on first use);
// a wrong key fails with ErrHostKeyMismatch before anything is sent. A
// device profile (docs/ssh-driver.md) names where the device keeps its
// identity, stored data, logs and audit trail, which ports it documents,
// and test data a tester entered on it. From those the driver implements
// device.RawStorage (for plaintext and tampering checks), device.AuditSource,
// device.PlantedData and device.PortLister (from `ss -Htln`). Every remote
// command is bounded by a timeout: a hung device is an ErrTimeout, never a
// stalled run.
package ssh
