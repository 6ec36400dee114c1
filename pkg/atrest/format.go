package atrest

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
)

// The format's constants. docs/atrest-format.md is the specification;
// these are its numbers.
const (
	// Version is the format version this package writes and reads.
	Version = 1

	// DefaultChunkSize is the plaintext bytes per chunk unless Options say
	// otherwise.
	DefaultChunkSize = 64 << 10
	// MinChunkSize and MaxChunkSize bound the chunk size a header may
	// declare.
	MinChunkSize = 16
	MaxChunkSize = 16 << 20

	// MaxHeaderSize bounds the whole header, stanzas and MAC included.
	MaxHeaderSize = 64 << 10
	// MaxStanzas bounds the number of key stanzas (recipients) in a header.
	MaxStanzas = 64
	// MaxChunks bounds the chunks in one file: each is sealed under the
	// file's payload key with a random 96-bit nonce, and NIST SP 800-38D
	// allows 2^32 such messages per key.
	MaxChunks = 1 << 32

	// Stanza field limits.
	maxTypeLen    = 32
	maxKeyIDLen   = 255
	maxParamsLen  = 1024
	maxWrappedLen = 1024

	// DataKeySize is the size of the per-file data key that stanzas wrap.
	DataKeySize = 32

	magic         = "WARDAT"
	fixedLen      = 50 // magic, version, chunk size, file id, header length, stanza count
	coreLen       = 44 // magic, version, chunk size, file id: what every chunk binds
	macLen        = sha256.Size
	nonceLen      = 12
	tagLen        = 16
	chunkOverhead = nonceLen + tagLen
	aadLen        = sha256.Size + 8 + 1

	labelCore    = "ward/atrest/v1 header core"
	labelPayload = "ward/atrest/v1 payload key"
	labelMAC     = "ward/atrest/v1 header mac"
	labelWrap    = "ward/atrest/v1 wrap"
	labelKeyID   = "ward/atrest/v1 key id"
)

// Stanza is one wrapped copy of a file's data key, as it appears in the
// header. A KeyWrapper makes it; a KeyUnwrapper opens it.
type Stanza struct {
	// Type names the wrapping scheme: "aes-256-gcm" (RawKey, SoftHSM),
	// "pbkdf2-sha256" and "argon2id" (Passphrase), or a scheme of a
	// custom provider. 1 to 32 bytes of a-z, 0-9 and '-'.
	Type string
	// KeyID names the key-encryption key: 1 to 255 bytes of printable
	// ASCII (0x21 to 0x7e). Ids are unique within a header.
	KeyID string
	// Params are scheme parameters (a KDF's salt and cost), at most 1024
	// bytes. They are authenticated by the header MAC, and the built-in
	// schemes also bind them into the wrapping AEAD.
	Params []byte
	// Wrapped is the wrapped data key, 1 to 1024 bytes.
	Wrapped []byte
}

func (s *Stanza) encodedLen() int {
	return 1 + len(s.Type) + 1 + len(s.KeyID) + 2 + len(s.Params) + 2 + len(s.Wrapped)
}

func (s *Stanza) validate() error {
	if err := validType(s.Type); err != nil {
		return err
	}
	if err := ValidKeyID(s.KeyID); err != nil {
		return err
	}
	if len(s.Params) > maxParamsLen {
		return fmt.Errorf("stanza %q: %d bytes of params, limit %d", s.KeyID, len(s.Params), maxParamsLen)
	}
	if len(s.Wrapped) == 0 || len(s.Wrapped) > maxWrappedLen {
		return fmt.Errorf("stanza %q: %d bytes of wrapped key, want 1 to %d", s.KeyID, len(s.Wrapped), maxWrappedLen)
	}
	return nil
}

func validType(t string) error {
	if len(t) == 0 || len(t) > maxTypeLen {
		return fmt.Errorf("stanza type %q: want 1 to %d bytes", t, maxTypeLen)
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return fmt.Errorf("stanza type %q: only a-z, 0-9 and '-' are allowed", t)
		}
	}
	return nil
}

// ValidKeyID reports whether id can name a key in a header: 1 to 255 bytes
// of printable ASCII, no spaces.
func ValidKeyID(id string) error {
	if len(id) == 0 || len(id) > maxKeyIDLen {
		return fmt.Errorf("key id %q: want 1 to %d bytes", id, maxKeyIDLen)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return fmt.Errorf("key id %q: only printable ASCII without spaces is allowed", id)
		}
	}
	return nil
}

// header is a parsed or about-to-be-written header.
type header struct {
	version   uint16
	chunkSize uint32
	fileID    [32]byte
	stanzas   []Stanza
	mac       [macLen]byte
	raw       []byte // every header byte, MAC included, as read or written
}

func (h *header) size() int {
	n := fixedLen + macLen
	for i := range h.stanzas {
		n += h.stanzas[i].encodedLen()
	}
	return n
}

// core returns the 44 bytes every chunk binds: magic, version, chunk size,
// file id. A rewrap changes the stanzas but never these.
func (h *header) core() []byte {
	b := make([]byte, 0, coreLen)
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint16(b, h.version)
	b = binary.BigEndian.AppendUint32(b, h.chunkSize)
	return append(b, h.fileID[:]...)
}

// coreDigest is SHA-256(label || 0x00 || core), the first 32 bytes of every
// chunk's additional data.
func (h *header) coreDigest() [32]byte {
	d := sha256.New()
	d.Write([]byte(labelCore))
	d.Write([]byte{0})
	d.Write(h.core())
	var out [32]byte
	d.Sum(out[:0])
	return out
}

// marshal encodes h and sets h.raw and h.mac, with the MAC keyed by macKey.
func (h *header) marshal(macKey []byte) ([]byte, error) {
	b, err := h.encode()
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, macKey)
	m.Write(b)
	b = m.Sum(b)
	copy(h.mac[:], b[len(b)-macLen:])
	h.raw = b
	return b, nil
}

// encode returns the header bytes up to (not including) the MAC, with
// capacity for it, after checking every limit.
func (h *header) encode() ([]byte, error) {
	if len(h.stanzas) == 0 || len(h.stanzas) > MaxStanzas {
		return nil, fmt.Errorf("atrest: %d key stanzas, want 1 to %d", len(h.stanzas), MaxStanzas)
	}
	seen := make(map[string]bool, len(h.stanzas))
	for i := range h.stanzas {
		s := &h.stanzas[i]
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("atrest: %w", err)
		}
		if seen[s.KeyID] {
			return nil, fmt.Errorf("atrest: key id %q appears twice; ids must be unique in a header", s.KeyID)
		}
		seen[s.KeyID] = true
	}
	size := h.size()
	if size > MaxHeaderSize {
		return nil, fmt.Errorf("atrest: header would be %d bytes, limit %d", size, MaxHeaderSize)
	}
	b := make([]byte, 0, size)
	b = append(b, h.core()...)
	b = binary.BigEndian.AppendUint32(b, uint32(size))
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.stanzas)))
	for i := range h.stanzas {
		s := &h.stanzas[i]
		b = append(b, byte(len(s.Type)))
		b = append(b, s.Type...)
		b = append(b, byte(len(s.KeyID)))
		b = append(b, s.KeyID...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(s.Params)))
		b = append(b, s.Params...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(s.Wrapped)))
		b = append(b, s.Wrapped...)
	}
	return b, nil
}

// verifyMAC checks the header MAC with the MAC key derived from dataKey.
func (h *header) verifyMAC(macKey []byte) bool {
	m := hmac.New(sha256.New, macKey)
	m.Write(h.raw[:len(h.raw)-macLen])
	return hmac.Equal(m.Sum(nil), h.mac[:])
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// readHeader reads exactly one header from r. It reads nothing past the
// header's end.
func readHeader(r io.Reader) (*header, error) {
	var fixed [fixedLen]byte
	if n, err := io.ReadFull(r, fixed[:8]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			if n > 0 && bytes.HasPrefix([]byte(magic), fixed[:min(n, len(magic))]) {
				return nil, malformed("cut off after %d bytes", n)
			}
			if n == 0 {
				return nil, malformed("empty input")
			}
			return nil, malformed("not a sealed file (no %q magic)", magic)
		}
		return nil, fmt.Errorf("atrest: read header: %w", err)
	}
	if err := checkMagicVersion(fixed[:8]); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(r, fixed[8:]); err != nil {
		return nil, readErr(err)
	}
	size, err := checkFixed(fixed[:])
	if err != nil {
		return nil, err
	}
	raw := make([]byte, size)
	copy(raw, fixed[:])
	if _, err := io.ReadFull(r, raw[fixedLen:]); err != nil {
		return nil, readErr(err)
	}
	return parseHeader(raw)
}

func readErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return malformed("header cut off")
	}
	return fmt.Errorf("atrest: read header: %w", err)
}

// parseHeaderBytes parses the header at the start of b; h.raw is a copy
// of its bytes.
func parseHeaderBytes(b []byte) (*header, error) {
	return readHeader(bytes.NewReader(b))
}

func checkMagicVersion(b []byte) error {
	if string(b[:6]) != magic {
		return malformed("not a sealed file (no %q magic)", magic)
	}
	if v := binary.BigEndian.Uint16(b[6:8]); v != Version {
		return fmt.Errorf("%w: version %d (this package reads version %d)", ErrUnsupportedVersion, v, Version)
	}
	return nil
}

// checkFixed validates the fixed part and returns the header length.
func checkFixed(b []byte) (int, error) {
	cs := binary.BigEndian.Uint32(b[8:12])
	if cs < MinChunkSize || cs > MaxChunkSize {
		return 0, malformed("chunk size %d outside %d..%d", cs, MinChunkSize, MaxChunkSize)
	}
	size := binary.BigEndian.Uint32(b[44:48])
	if size > MaxHeaderSize {
		return 0, malformed("header length %d over the %d limit", size, MaxHeaderSize)
	}
	n := binary.BigEndian.Uint16(b[48:50])
	if n == 0 || n > MaxStanzas {
		return 0, malformed("%d key stanzas, want 1 to %d", n, MaxStanzas)
	}
	const minStanza = 1 + 1 + 1 + 1 + 2 + 2 + 1
	if int(size) < fixedLen+int(n)*minStanza+macLen {
		return 0, malformed("header length %d too short for %d stanzas", size, n)
	}
	return int(size), nil
}

// parseHeader parses a whole header (raw is exactly the header length
// checkFixed returned) strictly: every byte is accounted for.
func parseHeader(raw []byte) (*header, error) {
	h := &header{
		version:   binary.BigEndian.Uint16(raw[6:8]),
		chunkSize: binary.BigEndian.Uint32(raw[8:12]),
		raw:       raw,
	}
	copy(h.fileID[:], raw[12:44])
	n := int(binary.BigEndian.Uint16(raw[48:50]))
	body := raw[fixedLen : len(raw)-macLen]
	copy(h.mac[:], raw[len(raw)-macLen:])
	h.stanzas = make([]Stanza, 0, n)
	seen := make(map[string]bool, n)
	for i := range n {
		var s Stanza
		var ok bool
		var typ, id []byte
		if typ, body, ok = take8(body); !ok {
			return nil, malformed("stanza %d cut off", i+1)
		}
		if id, body, ok = take8(body); !ok {
			return nil, malformed("stanza %d cut off", i+1)
		}
		if s.Params, body, ok = take16(body); !ok {
			return nil, malformed("stanza %d cut off", i+1)
		}
		if s.Wrapped, body, ok = take16(body); !ok {
			return nil, malformed("stanza %d cut off", i+1)
		}
		s.Type, s.KeyID = string(typ), string(id)
		if err := s.validate(); err != nil {
			return nil, malformed("stanza %d: %v", i+1, err)
		}
		if seen[s.KeyID] {
			return nil, malformed("key id %q appears twice", s.KeyID)
		}
		seen[s.KeyID] = true
		h.stanzas = append(h.stanzas, s)
	}
	if len(body) != 0 {
		return nil, malformed("%d stray bytes after the stanzas", len(body))
	}
	return h, nil
}

func take8(b []byte) (field, rest []byte, ok bool) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return nil, nil, false
	}
	n := int(b[0])
	return b[1 : 1+n : 1+n], b[1+n:], true
}

func take16(b []byte) (field, rest []byte, ok bool) {
	if len(b) < 2 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return nil, nil, false
	}
	return b[2 : 2+n : 2+n], b[2+n:], true
}

// fileKeys are the keys derived from a file's data key.
type fileKeys struct {
	payload [32]byte
	mac     [32]byte
}

func deriveKeys(dataKey []byte, fileID *[32]byte) (*fileKeys, error) {
	var k fileKeys
	p, err := hkdf.Key(sha256.New, dataKey, fileID[:], labelPayload, 32)
	if err != nil {
		return nil, fmt.Errorf("atrest: derive payload key: %w", err)
	}
	m, err := hkdf.Key(sha256.New, dataKey, fileID[:], labelMAC, 32)
	if err != nil {
		return nil, fmt.Errorf("atrest: derive header key: %w", err)
	}
	copy(k.payload[:], p)
	copy(k.mac[:], m)
	clear(p)
	clear(m)
	return &k, nil
}

// chunkAAD writes a chunk's additional data: core digest, u64be index,
// final flag.
func chunkAAD(dst *[aadLen]byte, digest *[32]byte, index uint64, final bool) []byte {
	copy(dst[:32], digest[:])
	binary.BigEndian.PutUint64(dst[32:40], index)
	dst[40] = 0
	if final {
		dst[40] = 1
	}
	return dst[:]
}

// layout computes the chunk count and plaintext size of a payload of n
// bytes sealed with chunk size cs. ok is false when no writer can have
// produced n bytes: a tail too short to be a chunk, or an empty final
// chunk after other chunks.
func layout(n int64, cs int) (chunks, plain int64, ok bool) {
	c := int64(cs) + chunkOverhead
	if n < chunkOverhead {
		return 0, 0, false
	}
	chunks = (n + c - 1) / c
	last := n - (chunks-1)*c
	if last < chunkOverhead || (chunks > 1 && last == chunkOverhead) || chunks > MaxChunks {
		return 0, 0, false
	}
	return chunks, n - chunks*chunkOverhead, true
}
