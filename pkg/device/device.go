package device

import (
	"context"
	"errors"
	"reflect"
)

// ErrBadTarget reports a target URI that cannot be opened as written: unknown
// scheme, unknown profile, unknown weakness name or a malformed query. It is a
// usage error (exit 2), not a device failure.
var ErrBadTarget = errors.New("bad target")

// ErrUnsupported reports that a device lacks a capability a check needs. The
// harness turns it into a not-applicable outcome, never a pass.
var ErrUnsupported = errors.New("capability not supported by this target")

// ErrUnauthenticated is returned by capabilities that need a session when the
// caller has none, or when the session is not valid (expired, revoked, forged).
var ErrUnauthenticated = errors.New("unauthenticated")

// ErrDenied is returned when the device refuses an operation: a wrong password,
// an unknown user, or a role that may not perform the action.
var ErrDenied = errors.New("denied")

// ErrSecondFactorRequired is returned by Login when the password was right
// but the account needs a second factor that was not presented. Errors
// carrying it match ErrDenied too: no session was opened.
var ErrSecondFactorRequired = errors.New("second factor required")

// ErrReauthRequired is returned when a live session asks for an operation
// that needs a more recent authentication (a sensitive action long after
// login). It does not match ErrUnauthenticated: the session still lives.
var ErrReauthRequired = errors.New("re-authentication required")

// ErrIntegrity is returned when stored or received data fails its
// integrity check: the device noticed it was altered and refused to use it.
var ErrIntegrity = errors.New("integrity check failed")

// ErrKeyDestroyed is returned by KeyCustodian after a crypto-erase.
var ErrKeyDestroyed = errors.New("key destroyed")

// Identity is what a device says about itself. The harness records it in the
// evidence bundle so an auditor knows exactly which unit and firmware was tested.
type Identity struct {
	Manufacturer string `json:"manufacturer"`
	Model        string `json:"model"`
	Serial       string `json:"serial"`
	Firmware     string `json:"firmware"`
	// UDI is the FDA Unique Device Identifier, when the device has one.
	UDI string `json:"udi,omitempty"`
}

// Device is the small core every driver implements. Everything else a check
// needs is an optional capability interface in this package, discovered by
// type assertion (see As).
type Device interface {
	// Identify returns the device's identity. It must not need a login.
	Identify(ctx context.Context) (Identity, error)
	// Close releases the connection or the simulated device.
	Close() error
}

// As reports whether d implements capability C and returns it; for a
// Composite, the first part that implements it. Checks call
// it so a missing capability becomes an ErrUnsupported error naming what was
// missing.
func As[C any](d Device, name string) (C, error) {
	if m, ok := d.(Composite); ok {
		for _, part := range m.Parts() {
			if c, err := As[C](part, name); err == nil {
				return c, nil
			}
		}
		var zero C
		return zero, &UnsupportedError{Capability: name}
	}
	c, ok := d.(C)
	if cs, partial := d.(CapabilitySet); ok && partial {
		ok = cs.HasCapability(reflect.TypeFor[C]())
	}
	if !ok {
		var zero C
		return zero, &UnsupportedError{Capability: name}
	}
	return c, nil
}

// CapabilitySet is implemented by drivers whose Go type has the methods of
// more capabilities than the device behind it offers: a network driver
// learns what the device has when it connects. As asks it, so a capability
// the device lacks is still ErrUnsupported.
type CapabilitySet interface {
	// HasCapability reports whether the device has the capability
	// interface capability (reflect.TypeFor[device.PatientData]()).
	HasCapability(capability reflect.Type) bool
}

// UnsupportedError names the capability a target lacks. It matches
// ErrUnsupported with errors.Is.
type UnsupportedError struct {
	Capability string
}

func (e *UnsupportedError) Error() string {
	return "target does not support " + e.Capability
}

// Is makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnsupported }
