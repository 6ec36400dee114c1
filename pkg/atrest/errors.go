package atrest

import "errors"

// Errors returned by this package, matchable with errors.Is. Returned
// errors may wrap them with more context (which key id, which file); the
// chunk-level authentication failure is always ErrAuthentication itself,
// with nothing added, in the manner of crypto/cipher.
var (
	// ErrAuthentication means the sealed data is not what a holder of the
	// key wrote: a bit was flipped, chunks were reordered, duplicated,
	// dropped or added, the stream was truncated or extended, the header
	// belongs to another file, or a stanza for one of the given keys did
	// not open (the key under that id is not the one that sealed it).
	// The package never says which, and never releases plaintext from a
	// chunk that did not authenticate.
	ErrAuthentication = errors.New("atrest: message authentication failed")

	// ErrNoMatchingKey means none of the key ids in the header belongs to
	// any of the given unwrappers (or a key ring has no such key). The
	// wrapping error lists the ids the header names.
	ErrNoMatchingKey = errors.New("atrest: no matching key")

	// ErrWrongPassphrase means a passphrase stanza did not open with the
	// given passphrase. A passphrase stanza whose wrapped key was altered
	// reads the same way: the wrapped key's AEAD is the passphrase check,
	// and it cannot tell the two apart.
	ErrWrongPassphrase = errors.New("atrest: wrong passphrase")

	// ErrUnsupportedVersion means the data starts with the format's magic
	// but declares a format version this package does not implement
	// (written by a newer Ward, or damaged).
	ErrUnsupportedVersion = errors.New("atrest: unsupported format version")

	// ErrMalformed means the header does not parse: not sealed by this
	// package, cut short, or a field outside the format's limits. It is
	// reported before any key is tried.
	ErrMalformed = errors.New("atrest: malformed header")

	// ErrNotApproved means an operation needs an algorithm that is not
	// FIPS 140-3 approved (argon2id) while Go runs in FIPS 140-3 mode.
	ErrNotApproved = errors.New("atrest: algorithm not approved in FIPS 140-3 mode")
)
