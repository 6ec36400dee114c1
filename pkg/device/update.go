package device

import (
	"context"
	"errors"
)

// ErrUpdateRefused is returned by Updater.InstallUpdate when the device
// refused an image or rolled it back; UpdateStatus.LastResult says why.
var ErrUpdateRefused = errors.New("update refused")

// ErrPowerLoss is returned by Updater.InstallUpdate when a fault injected
// with UpdatePublisher.InterruptNextUpdate cut the update short.
var ErrPowerLoss = errors.New("power lost during update")

// UpdateStatus is what a device reports about the firmware it runs.
type UpdateStatus struct {
	// Firmware is the running firmware's version string.
	Firmware string `json:"firmware"`
	// Version is the running image's anti-rollback version.
	Version uint64 `json:"version"`
	// Image is the running image's update target name.
	Image string `json:"image"`
	// Slot is the A/B slot it runs from.
	Slot string `json:"slot"`
	// Verified reports that the running image's bytes hash to the digest
	// verified when it was installed.
	Verified bool `json:"verified"`
	// SBOM is the running image's CycloneDX JSON SBOM (nil: none).
	SBOM []byte `json:"sbom,omitempty"`
	// LastResult is the outcome of the last update attempt: "" (none),
	// "installed", or the refusal reason ("untrusted", "expired",
	// "rollback", "hash-mismatch", "no-sbom", "health-check", ...).
	LastResult string `json:"last_result"`
}

// Updater is a device that installs firmware updates from its update
// repository.
type Updater interface {
	UpdateStatus(ctx context.Context) (UpdateStatus, error)
	// InstallUpdate installs target, in the session behind token (the
	// "firmware.update" permission). It returns nil once the image runs
	// and is committed; an error matching ErrUpdateRefused when the image
	// was refused or rolled back; ErrPowerLoss when an injected fault
	// interrupted it.
	InstallUpdate(ctx context.Context, token, target string) error
	// Restart power-cycles the device: the bootloader picks a slot and an
	// image on trial finishes its health check.
	Restart(ctx context.Context) error
}

// Release is an update a scenario asks the device maker's release
// pipeline (or an attacker) to publish.
type Release struct {
	// Newer: one version above the running image; false: one below it.
	Newer bool
	// Signer: "maker" (the default), "attacker" (the attacker's own
	// keys, served in place of the maker's repository until the maker
	// publishes again) or "none" (no signatures).
	Signer string
	// Tampered: the maker signs the image, then the mirror serves it with
	// bytes changed.
	Tampered bool
	// Expired: the maker's timestamp metadata expired an hour ago on the
	// device's clock (a frozen mirror).
	Expired bool
	// NoSBOM: the image names no SBOM.
	NoSBOM bool
	// FailsHealthCheck: the image installs but fails its self-test once
	// booted.
	FailsHealthCheck bool
}

// UpdatePublisher is a development build that trusts a test root whose
// keys the harness may use, playing the maker's release pipeline and
// attackers, and that lets the harness cut power during an update.
// Production firmware lacks it; scenarios that need it are then
// not-applicable.
type UpdatePublisher interface {
	// PublishRelease publishes r and returns its target name.
	PublishRelease(ctx context.Context, r Release) (target string, err error)
	// InterruptNextUpdate cuts power at the start of phase ("download",
	// "write", "switch" or "health-check") of the next InstallUpdate.
	InterruptNextUpdate(ctx context.Context, phase string) error
}
