// Package device defines how the Ward harness talks to a device under test.
//
// A driver implements the small Device core (identify, close) and any of the
// optional capability interfaces (Authenticator, PatientData, AuditSource,
// RawStorage, ...). Checks discover capabilities with As; a capability the
// target lacks makes the check not-applicable, never passed. A few
// capabilities belong to test builds only (KeyCustodian, MFAProvisioner,
// ClockControl, UpdatePublisher): production firmware must not implement them, and the
// scenarios that need them are not-applicable there.
//
// Drivers are registered per Registry under a URI scheme. This package knows
// no driver: the sim, https and ssh drivers import it, never the reverse.
package device
