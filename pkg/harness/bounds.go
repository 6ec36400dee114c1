package harness

import (
	"github.com/wardsec/ward/internal/safetext"
	"github.com/wardsec/ward/pkg/device"
)

// Bounds on what a device's words can grow to in a run's results. Every
// driver already caps its answers; these hold for any driver (including a
// device maker's own) and keep the signed manifest, which lists each
// target's identity and error, far below what evidence.Verify accepts.
const (
	// maxIdentityField bounds each identity field (manufacturer, model,
	// serial, firmware, UDI). A GS1 UDI is at most 75 characters; real
	// versions and serials are far shorter.
	maxIdentityField = 256
	// maxReason bounds a target error or reason built from device text.
	maxReason = 4096
)

// boundIdentity cuts each field to maxIdentityField bytes, saying so in the
// field: the evidence shows that the device sent more.
func boundIdentity(id device.Identity) device.Identity {
	for _, f := range []*string{&id.Manufacturer, &id.Model, &id.Serial, &id.Firmware, &id.UDI} {
		*f = safetext.Truncate(*f, maxIdentityField)
	}
	return id
}

// boundText cuts s to maxReason bytes, saying so.
func boundText(s string) string { return safetext.Truncate(s, maxReason) }
