package update

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Refusal reasons. Every error Ward's update path returns for a refused
// update matches exactly one of these with errors.Is, so a device can show
// the reason and an auditor can count them. Reason maps them to short codes.
var (
	// ErrUntrusted: metadata is not signed by a threshold of the keys the
	// trusted root (or its delegation) names: unsigned, wrong key, fewer
	// than threshold keys.
	ErrUntrusted = errors.New("update: metadata not signed by enough trusted keys")
	// ErrExpired: the root, timestamp, snapshot or targets metadata has
	// expired on the device's clock (freeze attack).
	ErrExpired = errors.New("update: metadata expired")
	// ErrRollback: the image's version is below the device's anti-rollback
	// floor, or the repository served metadata older than already trusted.
	ErrRollback = errors.New("update: rollback refused")
	// ErrUpToDate: the image's version is the one already installed.
	ErrUpToDate = errors.New("update: version already installed")
	// ErrInconsistent: metadata files disagree (snapshot and targets
	// versions, timestamp and snapshot): mix-and-match.
	ErrInconsistent = errors.New("update: inconsistent metadata")
	// ErrHashMismatch: a downloaded file's hash differs from the one signed
	// in the targets metadata (tampered image, malicious mirror).
	ErrHashMismatch = errors.New("update: hash mismatch")
	// ErrLength: a download is longer or shorter than the signed length
	// or the configured maximum (endless data, truncation).
	ErrLength = errors.New("update: length mismatch")
	// ErrHardware: the image is not built for this device's hardware.
	ErrHardware = errors.New("update: image not for this hardware")
	// ErrNoSBOM: the image names no SBOM, the SBOM target is missing, or it
	// is not a CycloneDX JSON document.
	ErrNoSBOM = errors.New("update: SBOM missing or invalid")
	// ErrNotFound: the repository lists no such target (also returned by
	// Fetchers for a missing file).
	ErrNotFound = errors.New("update: not found")
	// ErrMetadata: metadata or Ward's custom fields are malformed.
	ErrMetadata = errors.New("update: malformed metadata")
	// ErrFetch: the download failed (network, timeout, stalled server).
	ErrFetch = errors.New("update: download failed")
	// ErrHealthCheck: the new image booted but failed its health check
	// (or ran out of boot attempts) and the device rolled back.
	ErrHealthCheck = errors.New("update: health check failed, rolled back")
	// ErrNoBootableSlot: no slot holds an image that verifies. Never
	// returned while the running image is intact.
	ErrNoBootableSlot = errors.New("update: no bootable verified slot")
	// ErrState: a state file (counter, slots) is corrupt.
	ErrState = errors.New("update: corrupt state")
)

// reasons pairs each sentinel with its short code, most specific first.
var reasons = []struct {
	err  error
	code string
}{
	{ErrUntrusted, "untrusted"},
	{ErrExpired, "expired"},
	{ErrRollback, "rollback"},
	{ErrUpToDate, "up-to-date"},
	{ErrInconsistent, "inconsistent"},
	{ErrHashMismatch, "hash-mismatch"},
	{ErrLength, "length"},
	{ErrHardware, "hardware"},
	{ErrNoSBOM, "no-sbom"},
	{ErrNotFound, "not-found"},
	{ErrMetadata, "malformed"},
	{ErrFetch, "download"},
	{ErrHealthCheck, "health-check"},
	{ErrNoBootableSlot, "no-bootable-slot"},
	{ErrState, "state"},
}

// Reason returns the short code of err's refusal reason ("untrusted",
// "expired", "rollback", ...), "interrupted" for a canceled context, or
// "error" for anything else. Audit events carry it as detail "reason".
func Reason(err error) string {
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.code
		}
	}
	if err != nil && strings.Contains(err.Error(), "context canceled") {
		return "interrupted"
	}
	return "error"
}

// tufError maps an error from go-tuf onto Ward's sentinels by its type
// (go-tuf's error types are its interface; their messages are not),
// keeping the original in the chain. Errors that already carry a Ward
// sentinel (from our fetcher) pass through. log (may be nil) holds the
// versions that tell a rollback from a disagreement (see versionLog).
func tufError(err error, log *versionLog) error {
	if err == nil {
		return nil
	}
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return err
		}
	}
	var (
		unsigned *metadata.ErrUnsignedMetadata
		expired  *metadata.ErrExpiredMetadata
		lenHash  *metadata.ErrLengthOrHashMismatch
		dlLen    *metadata.ErrDownloadLengthMismatch
		dlHTTP   *metadata.ErrDownloadHTTP
		repo     *metadata.ErrRepository
		pathErr  *fs.PathError
	)
	var sentinel error
	switch {
	case errors.As(err, &unsigned):
		sentinel = ErrUntrusted
	case errors.As(err, &expired):
		sentinel = ErrExpired
	case errors.Is(err, &metadata.ErrBadVersionNumber{}):
		// Also matches *ErrEqualVersionNumber, its subtype. go-tuf uses
		// this type both for metadata older than trusted (rollback) and
		// for a version that disagrees with the parent's (inconsistent).
		sentinel = versionError(log)
	case errors.As(err, &lenHash):
		// go-tuf checks only metadata files this way (Ward verifies
		// targets itself): the file is not the one its parent signed.
		sentinel = ErrInconsistent
	case errors.As(err, &dlLen):
		sentinel = ErrLength
	case errors.As(err, &dlHTTP):
		if dlHTTP.StatusCode == 404 {
			sentinel = ErrNotFound
		} else {
			sentinel = ErrFetch
		}
	case errors.As(err, &repo):
		// A wrong role type, or a snapshot that drops a role the
		// trusted one lists (a rollback, TUF 5.5.5).
		if log.rollback() {
			sentinel = ErrRollback
		} else {
			sentinel = ErrUntrusted
		}
	case errors.As(err, &pathErr):
		// go-tuf could not read or persist the metadata cache.
		sentinel = ErrState
	case strings.HasPrefix(err.Error(), "target ") && strings.HasSuffix(err.Error(), " not found"):
		sentinel = ErrNotFound
	default:
		sentinel = ErrMetadata
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}
