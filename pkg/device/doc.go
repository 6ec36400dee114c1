// Package device defines how the Ward harness talks to a device under test.
//
// A driver implements the small Device core (identify, close) and any of the
// optional capability interfaces (Authenticator, PatientData, AuditSource,
// RawStorage, ...). Checks discover capabilities with As; a capability the
// target lacks makes the check not-applicable, never passed.
//
// Capabilities lists them all, one row each: the interface, its name in
// words (the label checks give As, see Label), whether it belongs to test
// builds only (KeyCustodian, MFAProvisioner, ClockControl, UpdatePublisher
// and others: production firmware must not implement them, and the
// scenarios that need them are not-applicable there), the line a
// not-applicable outcome gives for a device without it, and its name in the
// management API. docs/capabilities.md is generated from it, with the
// controls each capability lets Ward check.
//
// Drivers are registered per Registry under a URI scheme. This package knows
// no driver: the sim, https and ssh drivers import it, never the reverse.
package device
