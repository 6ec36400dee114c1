// Package audit is Ward's tamper-evident event log: every security decision
// in the library (logins, ePHI reads and writes, policy denials, updates)
// is recorded here, and the record cannot later be edited, removed,
// reordered or forged without verification saying which record and how.
//
// Each record is one JSON line. Its Hash is SHA-256 over a domain-separated,
// length-prefixed encoding of all its fields and the previous record's
// hash, so the records form a chain. After every record the Log signs the
// chain head (seq and hash) with Ed25519 and stores it as the checkpoint;
// the signature pins every record before it, and the seq pins the length,
// so deleting the newest records shows too. The format, byte for byte, is
// in docs/audit-log.md, with test vectors in testdata/vectors.
//
// Device code opens a Log over a Store (FileStore on a device, MemStore in
// tests) with its signing key and appends Events:
//
//	store, err := audit.NewFileStore("/var/lib/device/audit")
//	log, err := audit.Open(ctx, store, audit.WithSigner(key))
//	_, err = log.Append(ctx, audit.Event{Actor: user, Source: addr,
//		Action: "phi.read", Object: patientID, Outcome: audit.Success})
//
// Anyone with the public key checks a copy with Verify, which names the
// first problem as a *VerifyError matching ErrTampered.
//
// What it does not do: a party holding the signing key can write any log it
// likes, and someone who can replace both files with an older, genuinely
// signed pair (a rollback) or delete both is not caught by the files alone.
// Sinks that forward every record off the device, and the device's key
// protection, are the defence there.
//
// Only the standard library is used, and only FIPS 140-3 approved
// algorithms (SHA-256, Ed25519, crypto/rand), so the package works under
// GODEBUG=fips140=only.
package audit
