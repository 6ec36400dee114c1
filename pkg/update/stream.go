package update

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"sync"
)

// Target is a file listed in verified targets metadata: what a download
// must match before anything is installed.
type Target struct {
	Name   string
	Length int64
	// Hashes maps algorithm ("sha256", "sha512") to digest.
	Hashes map[string][]byte
	// Custom is Ward's custom metadata, nil when the target has none.
	Custom *Custom
}

// copyBufSize is the streaming buffer: large enough that per-call overhead
// vanishes next to hashing, small enough to keep memory flat.
const copyBufSize = 256 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// VerifyStream copies exactly t.Length bytes from r to w, hashing them with
// every algorithm t lists, and returns nil only when the length and all
// hashes match. On a mismatch w has received unverified bytes: the caller
// must write to a place that is not used until VerifyStream returns nil
// (a temp file, the inactive slot). Memory use is one 256 KiB buffer,
// whatever the size.
func VerifyStream(r io.Reader, w io.Writer, t Target) error {
	if t.Length < 0 {
		return fmt.Errorf("%w: negative length for %s", ErrMetadata, t.Name)
	}
	hs, err := hashersFor(t)
	if err != nil {
		return err
	}
	writers := make([]io.Writer, 0, len(hs)+1)
	writers = append(writers, destWriter{w})
	for _, h := range hs {
		writers = append(writers, h.h)
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	// One byte more than signed, to notice a longer file.
	n, err := io.CopyBuffer(io.MultiWriter(writers...), io.LimitReader(r, t.Length+1), *bp)
	var we writeError
	switch {
	case errors.As(err, &we):
		// The destination failed (a full disk): not the server's fault.
		return fmt.Errorf("update: write %s: %w", t.Name, we.err)
	case err != nil:
		return readErr(err)
	}
	if n != t.Length {
		return fmt.Errorf("%w: %s: got %s bytes, signed length is %d", ErrLength, t.Name, lenWord(n, t.Length), t.Length)
	}
	for _, h := range hs {
		if !bytes.Equal(h.h.Sum(nil), h.want) {
			return fmt.Errorf("%w: %s: %s differs from the signed digest", ErrHashMismatch, t.Name, h.alg)
		}
	}
	return nil
}

// destWriter marks the destination's errors, so VerifyStream can tell a
// failed write from a failed download.
type destWriter struct{ w io.Writer }

type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

func (d destWriter) Write(p []byte) (int, error) {
	n, err := d.w.Write(p)
	if err != nil {
		return n, writeError{err}
	}
	return n, nil
}

func lenWord(n, want int64) string {
	if n > want {
		return fmt.Sprintf("more than %d", want)
	}
	return fmt.Sprint(n)
}

type namedHash struct {
	alg  string
	h    hash.Hash
	want []byte
}

// hashersFor returns a hasher per listed algorithm. An algorithm Ward
// cannot compute fails closed, as does a target with no usable hash.
func hashersFor(t Target) ([]namedHash, error) {
	algs := make([]string, 0, len(t.Hashes))
	for a := range t.Hashes {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	var out []namedHash
	for _, a := range algs {
		var h hash.Hash
		switch a {
		case "sha256":
			h = sha256.New()
		case "sha512":
			h = sha512.New()
		default:
			return nil, fmt.Errorf("%w: %s: unsupported hash algorithm %q", ErrMetadata, t.Name, a)
		}
		if len(t.Hashes[a]) != h.Size() {
			return nil, fmt.Errorf("%w: %s: %s digest of %d bytes", ErrMetadata, t.Name, a, len(t.Hashes[a]))
		}
		out = append(out, namedHash{alg: a, h: h, want: t.Hashes[a]})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s has no hashes", ErrMetadata, t.Name)
	}
	return out, nil
}

// SHA256Hex returns the target's SHA-256 digest in hex, "" if it has none.
func (t Target) SHA256Hex() string { return hex.EncodeToString(t.Hashes["sha256"]) }
