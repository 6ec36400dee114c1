package atrest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// ReaderAt gives random access to a sealed file: each ReadAt reads and
// opens only the chunks its range touches (a 4 KiB read touches one, or
// two when it straddles a boundary). It is safe for concurrent use, as
// io.ReaderAt requires.
type ReaderAt struct {
	r      io.ReaderAt
	c      *codec
	hdr    *header
	base   int64 // header length: offset of chunk 0
	chunks int64
	size   int64 // plaintext size
	sealed int64
	bufs   sync.Pool
	opened atomic.Int64 // chunks opened, for tests and benchmarks
}

// NewReaderAt opens the sealed file of size bytes in r. Besides the header
// it authenticates the final chunk, so the length is confirmed before any
// read: a truncated or extended file fails here with ErrAuthentication,
// and Size is the authentic plaintext size.
func NewReaderAt(ctx context.Context, r io.ReaderAt, size int64, unwrappers ...KeyUnwrapper) (*ReaderAt, error) {
	if size < 0 {
		return nil, errors.New("atrest: negative size")
	}
	h, err := readHeader(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, err
	}
	c, err := openHeader(ctx, h, unwrappers)
	if err != nil {
		return nil, err
	}
	base := int64(len(h.raw))
	chunks, plain, ok := layout(size-base, c.cs)
	if !ok {
		return nil, ErrAuthentication
	}
	ra := &ReaderAt{r: r, c: c, hdr: h, base: base, chunks: chunks, size: plain, sealed: size}
	ra.bufs.New = func() any { b := make([]byte, c.ctSize()+c.cs); return &b }
	bp := ra.bufs.Get().(*[]byte)
	defer ra.bufs.Put(bp)
	if _, err := ra.openChunk(chunks-1, (*bp)[c.ctSize():c.ctSize()], *bp); err != nil {
		return nil, err
	}
	return ra, nil
}

// Size returns the plaintext size.
func (ra *ReaderAt) Size() int64 { return ra.size }

// Info describes the file.
func (ra *ReaderAt) Info() Info {
	in := headerInfo(ra.hdr)
	in.SealedSize, in.PlaintextSize, in.Chunks = ra.sealed, ra.size, ra.chunks
	return in
}

// openChunk reads chunk i into ctBuf and opens it into dst (appending).
func (ra *ReaderAt) openChunk(i int64, dst, ctBuf []byte) ([]byte, error) {
	ctSize := int64(ra.c.ctSize())
	off := ra.base + i*ctSize
	n := ctSize
	if i == ra.chunks-1 {
		n = ra.sealed - off
	}
	ct := ctBuf[:n]
	m, err := ra.r.ReadAt(ct, off)
	if int64(m) < n {
		if err == nil || err == io.EOF {
			return nil, ErrAuthentication // the file shrank under us
		}
		return nil, fmt.Errorf("atrest: read: %w", err)
	}
	var aad [aadLen]byte
	ra.opened.Add(1)
	return ra.c.open(dst, ct, uint64(i), i == ra.chunks-1, &aad)
}

// ReadAt implements io.ReaderAt. Only authenticated plaintext is copied
// into p. Reads past the end return io.EOF with the bytes before it.
func (ra *ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("atrest: negative offset")
	}
	if off >= ra.size {
		if len(p) == 0 && off == ra.size {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := p
	if rest := ra.size - off; int64(len(want)) > rest {
		want = want[:rest]
	}
	cs := int64(ra.c.cs)
	bp := ra.bufs.Get().(*[]byte)
	defer ra.bufs.Put(bp)
	ctBuf, ptBuf := (*bp)[:ra.c.ctSize()], (*bp)[ra.c.ctSize():ra.c.ctSize()]
	n := 0
	for n < len(want) {
		pos := off + int64(n)
		i := pos / cs
		within := int(pos - i*cs)
		chunkLen := int(min(cs, ra.size-i*cs))
		if within == 0 && len(want)-n >= chunkLen {
			// The whole chunk is wanted: open it straight into p.
			if _, err := ra.openChunk(i, want[n:n:n+chunkLen], ctBuf); err != nil {
				clear(want[n : n+chunkLen])
				return n, err
			}
			n += chunkLen
			continue
		}
		pt, err := ra.openChunk(i, ptBuf, ctBuf)
		if err != nil {
			return n, err
		}
		n += copy(want[n:], pt[within:])
	}
	if len(want) < len(p) {
		return n, io.EOF
	}
	return n, nil
}
