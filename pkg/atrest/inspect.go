package atrest

import (
	"fmt"
	"io"
)

// Info describes a sealed file without opening it.
type Info struct {
	Version    int
	ChunkSize  int
	HeaderSize int
	// Recipients are the header's stanzas in order, without their wrapped
	// keys: which keys (by type and id) can open the file.
	Recipients []Recipient
	// Sizes, or -1 when unknown. From Inspect they are computed from the
	// length of the input and are not authenticated (no key is used);
	// from ReaderAt they are.
	SealedSize    int64
	PlaintextSize int64
	Chunks        int64
}

// Recipient names one key that can open a file.
type Recipient struct {
	Type  string
	KeyID string
}

func headerInfo(h *header) Info {
	in := Info{Version: int(h.version), ChunkSize: int(h.chunkSize), HeaderSize: len(h.raw),
		SealedSize: -1, PlaintextSize: -1, Chunks: -1}
	for _, s := range h.stanzas {
		in.Recipients = append(in.Recipients, Recipient{Type: s.Type, KeyID: s.KeyID})
	}
	return in
}

// Inspect reads a sealed file's header and length without any key: format
// version, key ids, chunk size and sizes. It reads r to the end (or seeks,
// if r is an io.Seeker). Nothing it reports is authenticated. A length that
// no writer produces (a tail too short to be a chunk) is reported as
// ErrMalformed, with the header fields filled in.
func Inspect(r io.Reader) (Info, error) {
	h, err := readHeader(r)
	if err != nil {
		return Info{}, err
	}
	in := headerInfo(h)
	var payload int64
	if s, ok := r.(io.Seeker); ok {
		cur, err := s.Seek(0, io.SeekCurrent)
		if err != nil {
			return in, fmt.Errorf("atrest: inspect: %w", err)
		}
		end, err := s.Seek(0, io.SeekEnd)
		if err != nil {
			return in, fmt.Errorf("atrest: inspect: %w", err)
		}
		payload = end - cur
	} else if payload, err = io.Copy(io.Discard, r); err != nil {
		return in, fmt.Errorf("atrest: inspect: %w", err)
	}
	in.SealedSize = int64(len(h.raw)) + payload
	chunks, plain, ok := layout(payload, int(h.chunkSize))
	if !ok {
		return in, fmt.Errorf("%w: %d payload bytes are not a whole number of %d-byte chunks (truncated or extended)",
			ErrMalformed, payload, int(h.chunkSize)+chunkOverhead)
	}
	in.Chunks, in.PlaintextSize = chunks, plain
	return in, nil
}

// FIPSApproved reports whether a stanza type wraps data keys only with
// algorithms FIPS 140-3 approves: AES-256-GCM (TypeAES256GCM) and
// PBKDF2-HMAC-SHA256 (TypePBKDF2). argon2id and the types of custom
// providers are not known to be approved, so they report false. Compliance
// checks use it on Inspect's Recipients, which need no key.
func FIPSApproved(stanzaType string) bool {
	switch stanzaType {
	case TypeAES256GCM, TypePBKDF2:
		return true
	}
	return false
}
