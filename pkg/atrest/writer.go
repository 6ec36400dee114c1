package atrest

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// Writer seals a stream. Create it with NewWriter, write the plaintext,
// and Close it: Close seals the final chunk, and without it the output is
// a truncated file that never opens. A Writer is not safe for concurrent
// use; with Options.Parallelism > 1 it seals chunks on several goroutines
// itself, and writes them to the destination in order.
type Writer struct {
	ctx   context.Context
	w     io.Writer
	c     *codec
	par   int
	index uint64 // chunks sealed or launched so far
	err   error  // sticky
	done  bool   // Close called
	aad   [aadLen]byte

	// Sequential mode: the first chunks of every stream, and all of them
	// with Parallelism 1.
	pend  []byte // plaintext not yet sealed, at most one chunk
	spare []byte // ReadFrom's look-ahead buffer
	ct    []byte

	// Batch mode.
	batched  bool
	k        int       // chunks per batch
	pt       [2][]byte // plaintext areas, k chunks each
	out      [2][]byte // sealed areas
	cur      int       // the area being filled
	fill     int       // plaintext bytes in it
	inflight *batch    // launched, not yet written out
	last     *batch    // the last batch launched
	crew     crew
}

// NewWriter writes a header to w wrapping a fresh data key to every
// wrapper, and returns a Writer that seals what is written to it. opts may
// be nil. ctx covers the wrapping and the whole stream: once it is done,
// writes fail with its error.
func NewWriter(ctx context.Context, w io.Writer, opts *Options, wrappers ...KeyWrapper) (*Writer, error) {
	cs, err := opts.chunkSize()
	if err != nil {
		return nil, err
	}
	par, err := opts.parallelism()
	if err != nil {
		return nil, err
	}
	hdr, c, err := newSealHeader(ctx, cs, wrappers)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(hdr); err != nil {
		return nil, fmt.Errorf("atrest: write header: %w", err)
	}
	return &Writer{ctx: ctx, w: w, c: c, par: par, k: batchChunks(par, cs), crew: crew{max: int32(par - 1)}}, nil
}

func (w *Writer) emit(b []byte) {
	if w.err == nil {
		if _, err := w.w.Write(b); err != nil {
			w.err = fmt.Errorf("atrest: write: %w", err)
		}
	}
}

// check is called before each chunk or batch is sealed.
func (w *Writer) check(chunks int) bool {
	if w.err != nil {
		return false
	}
	if err := w.ctx.Err(); err != nil {
		w.err = err
		return false
	}
	if w.index+uint64(chunks) > MaxChunks {
		w.err = fmt.Errorf("atrest: stream longer than %d chunks", uint64(MaxChunks))
		return false
	}
	return true
}

// sealOne seals and writes one chunk (sequential mode).
func (w *Writer) sealOne(pt []byte, final bool) {
	if !w.check(1) {
		return
	}
	if w.ct == nil {
		w.ct = getBuf(w.c.ctSize())
	}
	w.ct = w.c.seal(w.ct[:0], pt, w.index, final, &w.aad)
	w.index++
	w.emit(w.ct)
	if !final && w.index >= uint64(seqChunks) {
		w.enterBatches()
	}
}

// enterBatches switches a stream that has grown past a few chunks to
// batch mode, when there is parallelism to use.
func (w *Writer) enterBatches() {
	if w.par > 1 && !w.batched {
		w.batched = true
		for i := range w.pt {
			w.pt[i] = getBuf(w.k * w.c.cs)
			w.out[i] = getBuf(w.k * w.c.ctSize())
		}
	}
}

// launch starts sealing src (k chunks, or fewer at the end) into the
// current area, then writes out the batch launched before it, so that
// one batch is always in flight while the caller fills the other area.
// borrowed says src is the caller's buffer.
func (w *Writer) launch(src []byte, final, borrowed bool) {
	b := newBatch(w.c, false, w.index, chunksIn(len(src), w.c.cs), final, w.cur)
	b.src, b.dst, b.borrowed = src, w.out[w.cur], borrowed
	if !w.check(b.n) {
		return
	}
	w.index += uint64(b.n)
	w.crew.launch(w.last, b)
	w.last = b
	w.finish()
	w.inflight = b
	w.cur ^= 1
	w.fill = 0
}

// finish waits for the batch in flight (working on it meanwhile) and
// writes it out.
func (w *Writer) finish() {
	if b := w.inflight; b != nil {
		w.inflight = nil
		b.wait()
		out, _ := b.output()
		w.emit(out)
	}
}

// Write seals p. Full chunks of p are sealed straight from p, without a
// copy; p is not used after Write returns.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errClosed
	}
	total := len(p)
	cs := w.c.cs
	for len(p) > 0 && w.err == nil {
		if w.batched {
			area := w.pt[w.cur]
			if w.fill == len(area) { // full, and more data follows
				w.launch(area, false, false)
				continue
			}
			if w.fill == 0 && len(p) > len(area) {
				// Seal a batch straight from p; finished before return.
				w.launch(p[:len(area)], false, true)
				p = p[len(area):]
				continue
			}
			n := copy(area[w.fill:], p)
			w.fill += n
			p = p[n:]
			continue
		}
		if len(w.pend) == cs { // a full chunk followed by more data is not the last
			w.sealOne(w.pend, false)
			w.pend = w.pend[:0]
			if w.batched {
				continue
			}
		}
		if len(w.pend) == 0 && len(p) > cs {
			if len(p) > w.k*cs {
				w.enterBatches() // a big write pays for the batch buffers at once
				if w.batched {
					continue
				}
			}
			w.sealOne(p[:cs], false)
			p = p[cs:]
			continue
		}
		if w.pend == nil {
			w.pend = getBuf(cs)[:0]
		}
		n := min(len(p), cs-len(w.pend))
		w.pend = append(w.pend, p[:n]...)
		p = p[n:]
	}
	if w.inflight != nil && w.inflight.borrowed {
		w.finish() // it reads p, which is the caller's again after return
	}
	if w.err != nil {
		return total - len(p), w.err
	}
	return total, nil
}

// ReadFrom seals everything r yields, reading straight into chunk buffers
// (io.Copy uses it). It does not Close the Writer. If r fails, what was
// read stays pending, and Close would seal it as a complete, shorter
// stream: after a read error, discard the output instead of closing.
//
// With Parallelism > 1, r.Read and the destination's Write may be called
// from goroutines other than the caller's, though never two at once; all
// such calls have returned when ReadFrom returns.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if w.done {
		return 0, errClosed
	}
	if w.par > 1 {
		return w.readFromPipeline(r)
	}
	cs := w.c.cs
	var n int64
	for w.err == nil {
		var buf []byte // where to read next
		if w.batched {
			area := w.pt[w.cur]
			if w.fill < len(area) {
				buf = area[w.fill:]
			} else {
				// Full: launch it once a byte of the next batch exists.
				if w.spare == nil {
					w.spare = getBuf(cs)
				}
				m, err := readSome(r, w.spare)
				n += int64(m)
				if m > 0 {
					if w.launch(area, false, false); w.err != nil {
						return n, w.err
					}
					w.fill = copy(w.pt[w.cur], w.spare[:m])
				}
				if err != nil {
					return n, eofIsNil(err)
				}
				continue
			}
		} else {
			if w.pend == nil {
				w.pend = getBuf(cs)[:0]
			}
			if len(w.pend) < cs {
				buf = w.pend[len(w.pend):cs]
			} else {
				if w.spare == nil {
					w.spare = getBuf(cs)
				}
				m, err := readSome(r, w.spare)
				n += int64(m)
				if m > 0 {
					w.sealOne(w.pend, false)
					if w.batched {
						w.fill = copy(w.pt[w.cur], w.spare[:m])
						w.pend = w.pend[:0]
					} else {
						w.pend, w.spare = w.spare[:m], w.pend[:cs]
					}
				}
				if err != nil {
					return n, eofIsNil(err)
				}
				continue
			}
		}
		m, err := readSome(r, buf)
		n += int64(m)
		if w.batched {
			w.fill += m
		} else {
			w.pend = w.pend[:len(w.pend)+m]
		}
		if err != nil {
			return n, eofIsNil(err)
		}
	}
	return n, w.err
}

// readFromPipeline is ReadFrom on several cores (see pipeline).
func (w *Writer) readFromPipeline(r io.Reader) (int64, error) {
	w.finish() // a batch of an earlier Write still in flight
	cs := w.c.cs
	// What is pending goes in front of the input. Of a batch area, all
	// but the last chunk are followed by more plaintext: seal them now.
	carry := w.pend
	if w.batched {
		area := w.pt[w.cur][:w.fill]
		for len(area) > cs && w.err == nil {
			w.sealOne(area[:cs], false)
			area = area[cs:]
		}
		carry = area
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.pend == nil {
		w.pend = getBuf(cs)[:0]
	}
	p := newPipeline(w.ctx, w.c, w.par, r, writeErrWrapper{w.w}, w.index, carry)
	p.tail = w.pend[:0] // the first read copies carry out before anything is put here
	p.run()
	w.index = p.index
	w.pend = p.tail[:0]
	if w.batched {
		w.fill = copy(w.pt[w.cur], p.tail)
	} else {
		w.pend = p.tail
	}
	if p.err != nil {
		w.err = p.err
		return p.nread, w.err
	}
	return p.nread, p.readErr
}

// writeErrWrapper says where an error of the destination came from.
type writeErrWrapper struct{ w io.Writer }

func (e writeErrWrapper) Write(b []byte) (int, error) {
	n, err := e.w.Write(b)
	if err != nil {
		err = fmt.Errorf("atrest: write: %w", err)
	}
	return n, err
}

func eofIsNil(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// readSome reads into b until it has at least one byte or an error.
func readSome(r io.Reader, b []byte) (int, error) {
	for range 100 {
		n, err := r.Read(b)
		if n > 0 || err != nil {
			if n > 0 && err == io.EOF {
				err = nil // report EOF on the next call
			}
			return n, err
		}
	}
	return 0, io.ErrNoProgress
}

// Close seals the final chunk, writes out everything pending and reports
// the first error of the stream. It does not close the underlying writer.
// Closing twice returns the first result.
func (w *Writer) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.err == nil {
		switch {
		case w.batched && w.fill > 0:
			w.launch(w.pt[w.cur][:w.fill], true, false)
		case w.batched:
			w.err = errors.New("atrest: internal error: no final chunk")
		default:
			// An empty stream still has one (empty) final chunk.
			w.sealOne(w.pend, true)
		}
	}
	w.finish()
	for _, b := range [][]byte{w.pt[0], w.pt[1], w.out[0], w.out[1], w.pend, w.spare, w.ct} {
		putBuf(b)
	}
	w.pt, w.out, w.pend, w.spare, w.ct, w.last = [2][]byte{}, [2][]byte{}, nil, nil, nil, nil
	return w.err
}
