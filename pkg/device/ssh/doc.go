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
// device.PlantedData, device.PortLister (from `ss -Htuln`) and
// device.HostConfig (sshd settings, accounts, readable private keys, root
// services, installed packages against the user's OSV advisories). Every
// remote command is bounded by a timeout: a hung device is an ErrTimeout,
// never a stalled run. Driver (what Register uses) shares one connection
// per device across a run.
package ssh
