package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
)

// hashWriter passes writes to w and keeps their SHA-256 and count, so a
// streamed file is hashed for the manifest without being read back.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func newHashWriter(w io.Writer) *hashWriter { return &hashWriter{w: w, h: sha256.New()} }

func (h *hashWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}

func (h *hashWriter) sum() string { return hex.EncodeToString(h.h.Sum(nil)) }
