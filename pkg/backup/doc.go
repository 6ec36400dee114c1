// Package backup writes encrypted, authenticated backups of a device's data
// store and restores them only after the whole backup has verified.
//
// A backup is one pkg/atrest stream (so it is encrypted, chunk-authenticated
// and truncation-proof, and opens in FIPS 140-3 mode) whose plaintext is a
// small archive: a magic line, a JSON manifest line listing every file with
// its size and SHA-256, then the files' bytes in manifest order. The format
// is specified in docs/backup-format.md.
//
// Read and Verify never return partial data: a wrong key, a flipped bit, a
// truncated or extended backup, a manifest that disagrees with the content,
// all fail with one error and no files. RestoreDir replaces a directory only
// after the backup verified and the new copy is on disk, so a failed restore
// leaves the old data exactly as it was.
package backup
