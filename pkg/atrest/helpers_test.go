package atrest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// Fixed keys behind the table tests and the committed vectors.
func testKeyBytes(name string) []byte {
	k := sha256.Sum256([]byte("ward/atrest test key " + name))
	return k[:]
}

func testKey(t testing.TB, name string) *RawKey {
	t.Helper()
	k, err := NewRawKey(name, testKeyBytes(name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// pattern returns n bytes of recognisable plaintext: each 4-byte group
// names its own offset, so a misplaced chunk shows.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((i >> (8 * (i % 4))) ^ i*7)
	}
	return b
}

// plainReader hides every method but Read, as a pipe or socket would.
type plainReader struct{ r io.Reader }

func (p plainReader) Read(b []byte) (int, error) { return p.r.Read(b) }

// plainWriter hides every method but Write.
type plainWriter struct{ w io.Writer }

func (p plainWriter) Write(b []byte) (int, error) { return p.w.Write(b) }

// tinyBatches makes parallel streams switch to batch mode after one chunk
// and use batches of two, so that small test files cross many batch
// boundaries. It returns the function that restores the defaults.
func tinyBatches() func() {
	s, k := seqChunks, testBatchChunks
	seqChunks, testBatchChunks = 1, 2
	return func() { seqChunks, testBatchChunks = s, k }
}

// parTiny as a parallelism in tests means 2 with tinyBatches.
const parTiny = -2

// sealStream seals pt with NewWriter in one Write.
func sealStream(t testing.TB, pt []byte, cs, par int, wrappers ...KeyWrapper) []byte {
	t.Helper()
	if par == parTiny {
		defer tinyBatches()()
		par = 2
	}
	var buf bytes.Buffer
	w, err := NewWriter(context.Background(), &buf, &Options{ChunkSize: cs, Parallelism: par}, wrappers...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pt); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decoded is what one decoder made of a sealed input.
type decoded struct {
	name string
	out  []byte // plaintext released before the error (or all of it)
	err  error
}

// decodeAll runs every decoder over sealed: Open, the streaming Reader
// (small Reads, big Reads, WriteTo) sequentially, in parallel, and in
// parallel with tiny batches, and ReaderAt.
func decodeAll(sealed []byte, unwrappers ...KeyUnwrapper) []decoded {
	ctx := context.Background()
	var res []decoded
	pt, err := openBlob(ctx, sealed, &Options{Parallelism: 1}, unwrappers)
	res = append(res, decoded{"Open/1", pt, err})
	pt, err = openBlob(ctx, sealed, &Options{Parallelism: 3}, unwrappers)
	res = append(res, decoded{"Open/3", pt, err})
	for _, par := range []int{1, 2, parTiny} {
		for _, mode := range []string{"read7", "read64k", "writeto", "read7-ra", "writeto-ra"} {
			out, err := readStream(sealed, par, mode, unwrappers)
			res = append(res, decoded{fmt.Sprintf("Reader/%s/%d", mode, par), out, err})
		}
	}
	ra, err := NewReaderAt(ctx, bytes.NewReader(sealed), int64(len(sealed)), unwrappers...)
	if err != nil {
		res = append(res, decoded{"ReaderAt", nil, err})
	} else {
		out := make([]byte, ra.Size())
		n, err := ra.ReadAt(out, 0)
		if err == io.EOF && int64(n) == ra.Size() {
			err = nil
		}
		res = append(res, decoded{"ReaderAt", out[:n], err})
	}
	return res
}

// readStream opens sealed with a Reader: Parallelism par (parTiny for 2
// with tiny batches), reading 7 bytes at a time, 64 KiB at a time, or
// with WriteTo. It returns what was released before the error.
func readStream(sealed []byte, par int, mode string, unwrappers []KeyUnwrapper) ([]byte, error) {
	if par == parTiny {
		defer tinyBatches()()
		par = 2
	}
	// "-ra" modes give the Reader the bytes.Reader itself, an io.ReaderAt
	// and io.Seeker, so that a parallel Reader reads chunks with ReadAt.
	var src io.Reader = plainReader{bytes.NewReader(sealed)}
	if m, ok := strings.CutSuffix(mode, "-ra"); ok {
		src, mode = bytes.NewReader(sealed), m
	}
	r, err := NewReader(context.Background(), src, &Options{Parallelism: par}, unwrappers...)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if mode == "writeto" {
		_, err = r.WriteTo(plainWriter{&out})
		return out.Bytes(), err
	}
	buf := make([]byte, 7)
	if mode == "read64k" {
		buf = make([]byte, 64<<10)
	}
	for {
		m, err := r.Read(buf)
		out.Write(buf[:m])
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return out.Bytes(), err
		}
	}
}

func errorsIsAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}
