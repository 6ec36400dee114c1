package oscal

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Version is the OSCAL model version of the documents Ward writes.
const Version = "1.2.2"

// WardNamespace is the ns of the props Ward defines itself (outcome,
// severity, sha256, ...). Props without ns use OSCAL's own names.
const WardNamespace = "https://github.com/wardsec/ward/ns/oscal"

// uuidDomain starts every hashed UUID input, so Ward's OSCAL UUIDs cannot
// collide with other SHA-256-derived identifiers.
const uuidDomain = "ward-oscal-uuid/1\n"

// UUID returns the UUID of one element of a run's OSCAL documents: the
// first 16 bytes of SHA-256(uuidDomain || for each of runID and parts: its
// length as 8 bytes big-endian || its bytes), with the version nibble set to
// 5 and the RFC 4122 variant bits. The shape is that of a name-based (v5)
// UUID, which the OSCAL schema accepts, but the hash is SHA-256 rather than
// RFC 4122's SHA-1, which FIPS 140-3 mode does not offer. The same run always
// yields the same UUIDs, so documents are reproducible and the assessment
// results and POA&M of one run name a finding or observation alike.
func UUID(runID string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(uuidDomain))
	var n [8]byte
	for _, p := range append([]string{runID}, parts...) {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	u := h.Sum(sum[:0])[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], u[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], u[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], u[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], u[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], u[10:16])
	return string(out[:])
}
