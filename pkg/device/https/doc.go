// Package https is Ward's management API over HTTPS (docs/management-api.md),
// both ends of it.
//
// NewServer serves any device.Device, exposing exactly the capabilities it
// has (found with device.As): device makers serve their development builds
// with it, and `ward sim serve` serves simulated units (WithUnits gives every
// check a fresh unit). The driver (Register, Driver.Open) opens
// https://HOST:PORT?ca=FILE or ?ca-sha256=HEX targets and implements the
// same capabilities client-side; errors keep their pkg/device meaning
// across the network (errors.Is(err, device.ErrDenied) still holds), and a
// capability the device lacks stays unsupported (device.CapabilitySet).
//
// Every request is bounded by the target's timeout, so an unreachable
// device, a TLS failure or a device that stops mid-response is one line of
// error for that target, never a stalled run.
package https
