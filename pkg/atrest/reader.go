package atrest

import (
	"context"
	"fmt"
	"io"
)

// Reader opens a sealed stream. It returns the plaintext of a chunk only
// after that chunk authenticated, and io.EOF only after the final chunk
// authenticated at the very end of the input. A stream that was truncated,
// extended or altered ends with ErrAuthentication instead, possibly after
// authentic plaintext of the chunks before the damage: treat what you read
// as unconfirmed until io.EOF (Open, ReadFile and NewReaderAt check the
// whole length first). Errors are sticky. A Reader is not safe for
// concurrent use; with Options.Parallelism > 1 it reads ahead and opens
// chunks on several goroutines itself.
type Reader struct {
	ctx context.Context
	src io.Reader
	c   *codec
	hdr *header
	par int

	index   uint64 // next chunk index to read from src
	peek    byte   // first byte of the next chunk, already read
	peeked  bool
	srcDone bool  // the final chunk has been read (or launched)
	srcErr  error // a read error, reported after the chunks before it

	out []byte // authenticated plaintext not yet handed out
	eof bool   // the final chunk authenticated and is in out
	err error

	// Sequential mode.
	seqCT []byte
	seqPT []byte
	aad   [aadLen]byte

	// Batch mode.
	batched  bool
	k        int
	ctA      [2][]byte
	ptA      [2][]byte
	inflight *batch
	last     *batch // the last batch launched
	crew     crew

	// A source that is also an io.ReaderAt and io.Seeker (a file, a
	// bytes.Reader) is read by the goroutines that open the chunks, in
	// parallel, instead of being copied by the caller.
	ra        io.ReaderAt
	seeker    io.Seeker
	base      int64  // offset of chunk 0 in ra
	chunks    uint64 // chunks in the file, from its size when opened
	plainSize int64
	lastLen   int
}

// NewReader reads the header from r, unwraps the data key with the first
// unwrapper that holds one of the header's keys, and checks the header
// MAC. opts may be nil (only Parallelism applies). ctx covers the
// unwrapping and the whole stream.
//
// If r is also an io.ReaderAt and io.Seeker (an *os.File, a
// *bytes.Reader), a parallel Reader reads the chunks with ReadAt on
// several goroutines (one call never overlaps another's range; a panic
// there is raised again in the goroutine reading); r's offset is left at
// its end after io.EOF.
func NewReader(ctx context.Context, r io.Reader, opts *Options, unwrappers ...KeyUnwrapper) (*Reader, error) {
	par, err := opts.parallelism()
	if err != nil {
		return nil, err
	}
	h, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	c, err := openHeader(ctx, h, unwrappers)
	if err != nil {
		return nil, err
	}
	sr := &Reader{ctx: ctx, src: r, c: c, hdr: h, par: par, k: batchChunks(par, c.cs), crew: crew{max: int32(par - 1)}}
	if par > 1 {
		if err := sr.useReaderAt(); err != nil {
			return nil, err
		}
	}
	return sr, nil
}

// useReaderAt sets up parallel reads if src allows them and its size is
// one a writer can produce (otherwise the sequential path reports the
// damage at the right place).
func (r *Reader) useReaderAt() error {
	ra, ok1 := r.src.(io.ReaderAt)
	s, ok2 := r.src.(io.Seeker)
	if !ok1 || !ok2 {
		return nil
	}
	pos, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil // a pipe or terminal
	}
	end, err := s.Seek(0, io.SeekEnd)
	if err != nil {
		return nil
	}
	if _, err := s.Seek(pos, io.SeekStart); err != nil {
		return fmt.Errorf("atrest: seek: %w", err)
	}
	chunks, plain, ok := layout(end-pos, r.c.cs)
	if !ok {
		return nil
	}
	r.ra, r.seeker, r.base, r.chunks, r.plainSize = ra, s, pos, uint64(chunks), plain
	r.lastLen = int(end - pos - int64(chunks-1)*int64(r.c.ctSize()))
	return nil
}

// Info describes the stream's header (sizes are unknown to a Reader).
func (r *Reader) Info() Info { return headerInfo(r.hdr) }

// readChunks reads up to max whole sealed chunks into buf (capacity
// max×ctSize+1) and returns them with whether the last one is the
// stream's final chunk: the one the input ends after. One byte past the
// last full chunk is read ahead and kept for the next call.
func (r *Reader) readChunks(buf []byte, max int) ([]byte, bool, error) {
	want := max*r.c.ctSize() + 1
	buf = buf[:want]
	off := 0
	if r.peeked {
		buf[0] = r.peek
		off, r.peeked = 1, false
	}
	m, err := io.ReadFull(r.src, buf[off:])
	switch err {
	case nil:
		r.peek, r.peeked = buf[want-1], true
		return buf[:want-1], false, nil
	case io.EOF, io.ErrUnexpectedEOF:
		r.srcDone = true
		return buf[:off+m], true, nil
	}
	r.srcDone = true
	return nil, false, fmt.Errorf("atrest: read: %w", err)
}

// next makes the next authenticated plaintext available in r.out, or sets
// r.eof or r.err.
func (r *Reader) next() {
	if r.srcErr != nil && r.inflight == nil {
		r.err = r.srcErr
		return
	}
	if r.srcDone && r.inflight == nil {
		r.eof = true
		return
	}
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return
	}
	if !r.batched {
		r.nextSeq()
		return
	}
	b := r.inflight
	r.inflight = nil
	if b == nil {
		if b = r.launch(0); b == nil {
			return
		}
	}
	// Launch the next batch before waiting for this one, so its reading
	// overlaps the opening and helpers never wait for the caller.
	if !r.srcDone {
		r.inflight = r.launch(b.area ^ 1)
	}
	b.wait()
	out, err := b.output()
	r.out = out
	switch {
	case err != nil:
		r.err = err
	case b.final:
		r.eof = true
		if r.seeker != nil {
			r.seeker.Seek(0, io.SeekEnd) // as if read to the end
		}
	}
}

// launch starts opening the next batch into area a.
func (r *Reader) launch(a int) *batch {
	var b *batch
	if r.ra != nil {
		n := int(min(uint64(r.k), r.chunks-r.index))
		final := r.index+uint64(n) == r.chunks
		b = newBatch(r.c, true, r.index, n, final, a)
		b.ra, b.base, b.lastLen = r.ra, r.base, r.lastLen
		b.plain = n * r.c.cs
		if final {
			b.plain = int(r.plainSize - int64(r.index)*int64(r.c.cs))
			r.srcDone = true
		}
	} else {
		ct, final, err := r.readChunks(r.ctA[a], r.k)
		if err != nil {
			if r.inflight == nil && len(r.out) == 0 {
				r.err = err
			}
			r.srcErr = err
			return nil
		}
		n := chunksIn(len(ct), r.c.ctSize())
		b = newBatch(r.c, true, r.index, n, final, a)
		b.src, b.plain = ct, max(0, len(ct)-n*chunkOverhead)
	}
	b.dst = r.ptA[a]
	r.index += uint64(b.n)
	r.crew.launch(r.last, b)
	r.last = b
	return b
}

func (r *Reader) seqBufs() {
	if r.seqCT == nil {
		r.seqCT = getBuf(r.c.ctSize() + 1)
		r.seqPT = getBuf(r.c.cs)[:0]
	}
}

func (r *Reader) nextSeq() {
	r.seqBufs()
	ct, final, err := r.readChunks(r.seqCT, 1)
	if err != nil {
		r.err = err
		return
	}
	pt, err := r.c.open(r.seqPT[:0], ct, r.index, final, &r.aad)
	r.index++
	if err != nil {
		r.err = err
		return
	}
	r.out, r.eof = pt, final
	r.maybeBatch()
}

// maybeBatch switches a long stream to batch mode.
func (r *Reader) maybeBatch() {
	if r.par > 1 && !r.batched && !r.srcDone && r.index >= uint64(seqChunks) {
		r.batched = true
		for i := range r.ptA {
			r.ptA[i] = getBuf(r.k * r.c.cs)
			if r.ra == nil {
				r.ctA[i] = getBuf(r.k*r.c.ctSize() + 1)
			}
		}
	}
}

// finished reports the state once r.out is used up: the sticky error,
// io.EOF after the final chunk, or nil if there is more.
func (r *Reader) finished() error {
	if r.err != nil {
		return r.err
	}
	if r.eof {
		return io.EOF
	}
	return nil
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if err := r.finished(); err != nil {
			r.release()
			return 0, err
		}
		if len(p) == 0 {
			return 0, nil
		}
		if !r.batched && len(p) >= r.c.cs && !r.srcDone && r.srcErr == nil {
			// Open straight into p: the AEAD writes only after the tag
			// checks (and clears p otherwise), so nothing unauthenticated
			// is ever visible there.
			if err := r.ctx.Err(); err != nil {
				r.err = err
				return 0, err
			}
			r.seqBufs()
			ct, final, err := r.readChunks(r.seqCT, 1)
			if err != nil {
				r.err = err
				return 0, err
			}
			pt, err := r.c.open(p[:0], ct, r.index, final, &r.aad)
			r.index++
			if err != nil {
				r.err = err
				return 0, err
			}
			r.eof = final
			r.maybeBatch()
			if len(pt) > 0 {
				return len(pt), nil
			}
			continue
		}
		r.next()
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	return n, nil
}

// WriteTo implements io.WriterTo (io.Copy uses it): plaintext is written
// to w straight from the buffers it was opened into.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for {
		if len(r.out) > 0 {
			m, err := w.Write(r.out)
			n += int64(m)
			r.out = r.out[m:]
			if err != nil {
				return n, err
			}
			continue
		}
		if err := r.finished(); err != nil {
			r.release()
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
		r.next()
	}
}

// release returns the buffers of a stream that has ended (r.out is
// empty), after any batch still in flight is done with them.
func (r *Reader) release() {
	if r.inflight != nil {
		r.inflight.wait()
		r.inflight = nil
	}
	for _, b := range [][]byte{r.ctA[0], r.ctA[1], r.ptA[0], r.ptA[1], r.seqCT, r.seqPT} {
		putBuf(b)
	}
	r.ctA, r.ptA, r.seqCT, r.seqPT, r.last = [2][]byte{}, [2][]byte{}, nil, nil, nil
}
