// Package atrest keeps data unreadable at rest: patient records on a
// device's flash, files on a stolen or discarded unit, backups off the
// device. It seals files and blobs in a versioned, specified format
// (docs/atrest-format.md, with test vectors in testdata/vectors) that
// detects any change, and it turns destroying a key into destroying the
// data (crypto-erase).
//
// Each sealed file has its own random 256-bit data key, wrapped by one or
// more key-encryption keys (KEKs) named by key id in the header. The
// payload is cut into chunks (64 KiB by default), each sealed with
// AES-256-GCM under a key derived from the data key with HKDF-SHA256; every
// chunk's additional data binds the header, the chunk's index and whether
// it is the last one, and the header carries an HMAC. Reordered,
// duplicated, dropped or added chunks, a cut or extended file, a header
// moved from another file and any flipped bit all fail with the one opaque
// error ErrAuthentication, and no plaintext of a chunk is released before
// that chunk authenticates.
//
// Small data is sealed in one call:
//
//	key, err := atrest.LoadKeyFile("/etc/device/records.key")
//	sealed, err := atrest.Seal(ctx, record, key)
//	record, err = atrest.Open(ctx, sealed, key)
//
// Streams use NewWriter and NewReader, random access NewReaderAt (a 4 KiB
// read decrypts at most two chunks), and files WriteFile and ReadFile,
// which replace files crash-safely. Long streams are sealed and opened on
// all cores (Options.Parallelism), with memory independent of the
// stream's length; output order never depends on it. io.Copy into a
// Writer runs as a pipeline: each core in turn reads two chunks from the
// source and seals them while they are in its cache (a few hundred KiB
// per stream). A Writer seals large Writes straight from the caller's
// buffer; a Reader opens batches of chunks on every core (four batches'
// worth of buffers, 4 MiB on two cores), reading them itself from a
// source that is also an io.ReaderAt (a file).
//
// Keys come from small interfaces, KeyWrapper and KeyUnwrapper, so a KEK
// can live in a file (RawKey, Keyring), be derived from a passphrase
// (Passphrase: PBKDF2-HMAC-SHA256 in FIPS mode, argon2id otherwise), or
// stay in hardware (a PKCS#11 token, TPM or KMS implementing the two
// methods; SoftHSM is an in-memory stand-in). Rewrap adds, removes or
// replaces KEKs without touching the payload; Reencrypt starts over with a
// fresh data key. Keyring.Destroy crypto-erases a key, and with an Auditor
// (*audit.Log is one) key creation, destruction and rewraps are recorded.
//
// Errors match ErrAuthentication, ErrNoMatchingKey, ErrWrongPassphrase,
// ErrUnsupportedVersion, ErrMalformed and ErrNotApproved with errors.Is.
//
// The package uses only FIPS 140-3 approved algorithms from the standard
// library (AES-256-GCM through cipher.NewGCMWithRandomNonce, HKDF, HMAC and
// PBKDF2 with SHA-256, crypto/rand) except argon2id, which it refuses when
// crypto/fips140.Enabled(); it works under GODEBUG=fips140=only.
//
// What it does not do: it does not hide a file's size, its number of
// recipients or their key ids; it cannot tell an old, genuine version of a
// file from the current one (rollback) unless the caller keeps track; any
// holder of a KEK that opens a file can also write files that open with
// it (all recipients are equally trusted); and a streaming Reader hands out
// authentic chunks before it knows whether the stream was cut short, which
// it reports at the end.
package atrest
