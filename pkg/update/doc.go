// Package update is the device side of Ward's firmware updates: TUF
// verification (go-tuf v2's client workflow: root rotation, thresholds,
// expiry on the device clock, snapshot and timestamp consistency,
// metadata rollback protection) through a context-aware Fetcher (HTTP,
// a directory or USB stick, or in process); constant-memory streaming
// verification of images against the signed length and hashes; an
// anti-rollback Counter checked against the version in the image's signed
// custom metadata, and a hardware-compatibility check; a CycloneDX SBOM
// bound to each image; and an A/B Installer that writes the inactive
// slot, switches, boots it, runs a health check and commits only when it
// passes, rolling back otherwise and surviving a power cut at any phase.
//
// Every refusal matches a sentinel error (ErrUntrusted, ErrExpired,
// ErrRollback, ErrHashMismatch, ErrLength, ErrHardware, ErrNoSBOM, ...)
// and, through the Installer, becomes an audit event with the reason.
// docs/update.md specifies the custom metadata and the state files.
//
// The repository side (creating, signing and serving repositories) is in
// pkg/update/repo. This package imports neither it nor the harness.
package update
