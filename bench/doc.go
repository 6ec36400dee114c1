// Package bench compares pkg/atrest with its Go peers on the same
// workload: filippo.io/age (X25519 recipient, ChaCha20-Poly1305, 64 KiB
// chunks), github.com/minio/sio (DARE 2.0, AES-256-GCM, 64 KiB packages)
// and Tink streaming AEAD (AES256_GCM_HKDF_1MB and _4KB). It is a
// separate module so the library's go.mod stays lean; run it from this
// directory:
//
//	go test -run '^$' -bench . -benchmem -cpu 1,2
//	go test -run TestFIPS140Only -v     # which of them work under GODEBUG=fips140=only
package bench
