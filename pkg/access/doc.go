// Package access is Ward's authorization layer: roles, permissions and a
// policy that denies by default and grants each role the least it needs.
//
// Five roles exist: patient, clinician, biomed (technician), administrator
// and service. Biomed, administrator and service are privileged (pkg/mfa
// always asks them for two factors). Permissions name operations on the
// device (phi.read, infusion.program, infusion.limits.change,
// firmware.update, user.manage, ...). DefaultTable documents the default
// grants; device makers build their own with NewPolicy.
//
// A device checks every operation:
//
//	pol := access.DefaultPolicy(access.WithAuditor(log))
//	if err := pol.Authorize(ctx, sess.Subject(), access.FirmwareUpdate); err != nil {
//		return err // errors.Is(err, access.ErrForbidden)
//	}
//
// The Subject comes from a live authenticated session (mfa.Session.Subject),
// never from the request. Refusals are always recorded; grants of
// privileged permissions and everything done in a break-glass session are
// recorded too, and a privileged grant that cannot be recorded is refused.
//
// Identities are unique: CanonicalName refuses shared and generic account
// names ("admin", "nurse", "user", "shared", "service", "nurse2") and folds
// case, so each account names one person (HIPAA 164.312(a)(2)(i)).
//
// Review turns audit records into the privileged-activity summary HIPAA
// 164.308(a)(1)(ii)(D) asks to be reviewed regularly: privileged actions per
// user, off-hours use, break-glass sessions, refused attempts, and alerts
// (break-glass, lockouts) that nobody but the person concerned has marked
// reviewed (ReviewedEvent).
//
// The package uses only the standard library and pkg/audit.
package access
