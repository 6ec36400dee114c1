package atrest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// Streams at their edges, at every parallelism (TestRoundTrip and the
// tamper tests cover the common paths through decodeAll): mixing Write
// and ReadFrom, read and write errors, cancellation, a file that shrinks
// under a parallel Reader, and panics in the caller's Reader.

// failingReader yields data, then fails with err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

var errSource = errors.New("source failed")

// TestStreamMixedWithWrites: ReadFrom picks up what earlier Writes left
// pending (in sequential mode and in a batch area holding several chunks),
// and later Writes continue after it, at every parallelism.
func TestStreamMixedWithWrites(t *testing.T) {
	key := testKey(t, "alice")
	const cs = 64
	rng := rand.New(rand.NewPCG(1, 2))
	for _, par := range []int{1, 2, 3, 8, parTiny} {
		for trial := range 40 {
			t.Run(fmt.Sprintf("par=%d/%d", par, trial), func(t *testing.T) {
				p := par
				if par == parTiny {
					defer tinyBatches()()
					p = 2
				}
				var buf bytes.Buffer
				w, err := NewWriter(context.Background(), &buf, &Options{ChunkSize: cs, Parallelism: p}, key)
				if err != nil {
					t.Fatal(err)
				}
				var want []byte
				var ops []string
				for range 1 + rng.IntN(4) {
					part := pattern(rng.IntN(12*cs + 2))
					for i := range part {
						part[i] ^= byte(len(want))
					}
					want = append(want, part...)
					var err error
					switch rng.IntN(3) {
					case 0:
						ops = append(ops, fmt.Sprintf("Write(%d)", len(part)))
						_, err = w.Write(part)
					case 1:
						ops = append(ops, fmt.Sprintf("ReadFrom(%d)", len(part)))
						_, err = w.ReadFrom(plainReader{bytes.NewReader(part)})
					default:
						ops = append(ops, fmt.Sprintf("ReadFrom-onebyte(%d)", len(part)))
						_, err = w.ReadFrom(iotest.OneByteReader(bytes.NewReader(part)))
					}
					if err != nil {
						t.Fatalf("%v: %v", ops, err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatalf("%v: Close: %v", ops, err)
				}
				chunks := max(1, (len(want)+cs-1)/cs)
				hdr := len(sealStream(t, nil, cs, 1, key)) - chunkOverhead
				if got := buf.Len() - hdr; got != len(want)+chunks*chunkOverhead {
					t.Fatalf("%v: %d payload bytes, want %d", ops, got, len(want)+chunks*chunkOverhead)
				}
				for _, d := range decodeAll(buf.Bytes(), key) {
					if d.err != nil || !bytes.Equal(d.out, want) {
						t.Fatalf("%v: %s: %d bytes, %v", ops, d.name, len(d.out), d.err)
					}
				}
			})
		}
	}
}

// TestStreamReadErrorKeepsWhatWasRead: ReadFrom returns the source's
// error and the count of what it read, and keeps that pending, exactly as
// the sequential Writer does (Close would seal it as a shorter stream).
func TestStreamReadErrorKeepsWhatWasRead(t *testing.T) {
	key := testKey(t, "alice")
	const cs = 64
	for _, size := range []int{0, 1, cs, cs + 1, 7 * cs, 7*cs + 5, 40*cs + 3} {
		for _, par := range []int{1, 2, 4} {
			var buf bytes.Buffer
			w, err := NewWriter(context.Background(), &buf, &Options{ChunkSize: cs, Parallelism: par}, key)
			if err != nil {
				t.Fatal(err)
			}
			n, err := w.ReadFrom(&failingReader{data: pattern(size), err: errSource})
			if !errors.Is(err, errSource) || n != int64(size) {
				t.Fatalf("size %d par %d: ReadFrom = %d, %v; want %d, the source's error", size, par, n, err, size)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("size %d par %d: Close: %v", size, par, err)
			}
			got, err := Open(context.Background(), buf.Bytes(), key)
			if err != nil || !bytes.Equal(got, pattern(size)) {
				t.Fatalf("size %d par %d: opened %d bytes, %v", size, par, len(got), err)
			}
		}
	}
}

// TestStreamReaderReadError: a source failing mid-stream yields the
// authentic chunks before the failure, then the source's error (not
// ErrAuthentication, and not io.EOF), at every parallelism.
func TestStreamReaderReadError(t *testing.T) {
	key := testKey(t, "alice")
	const cs = 64
	pt := pattern(30*cs + 9)
	sealed := sealStream(t, pt, cs, 1, key)
	hdr := len(sealed) - (len(pt) + 31*chunkOverhead)
	for _, cut := range []int{hdr, hdr + 1, hdr + cs + chunkOverhead, hdr + 5*(cs+chunkOverhead) + 3, len(sealed) - 1, len(sealed)} {
		for _, par := range []int{1, 2, 4} {
			r, err := NewReader(context.Background(), &failingReader{data: sealed[:cut], err: errSource}, &Options{Parallelism: par}, key)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			_, err = io.Copy(&out, r)
			if !errors.Is(err, errSource) {
				t.Fatalf("cut %d par %d: %v, want the source's error", cut, par, err)
			}
			// At most the whole chunks followed by more input are
			// authentic and may be released (whether the last one read
			// was final is unknown); a parallel Reader may hold back the
			// rest of a batch.
			whole := max(0, cut-hdr-1) / (cs + chunkOverhead)
			if !bytes.HasPrefix(pt, out.Bytes()) || out.Len()%cs != 0 || out.Len() > whole*cs {
				t.Fatalf("cut %d par %d: released %d bytes, want whole chunks, at most %d bytes", cut, par, out.Len(), whole*cs)
			}
			if par == 1 && out.Len() != whole*cs {
				t.Fatalf("cut %d: sequential Reader released %d bytes, want %d", cut, out.Len(), whole*cs)
			}
		}
	}
}

// TestStreamDestinationError: a failing destination ends WriteTo with its
// error; a Writer reports it from ReadFrom or, if a batch was still in
// flight, from Close.
func TestStreamDestinationError(t *testing.T) {
	key := testKey(t, "alice")
	const cs = 64
	pt := pattern(50 * cs)
	sealed := sealStream(t, pt, cs, 1, key)
	for _, par := range []int{1, 2, 4} {
		r, err := NewReader(context.Background(), plainReader{bytes.NewReader(sealed)}, &Options{Parallelism: par}, key)
		if err != nil {
			t.Fatal(err)
		}
		dst := &errWriter{n: 10 * cs}
		n, err := r.WriteTo(dst)
		if err == nil || n > 10*cs {
			t.Fatalf("par %d: WriteTo = %d, %v; want an error after at most %d bytes", par, n, err, 10*cs)
		}
		w, err := NewWriter(context.Background(), &errWriter{n: 10 * cs}, &Options{ChunkSize: cs, Parallelism: par}, key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.ReadFrom(plainReader{bytes.NewReader(pt)}); err != nil && !errors.Is(err, errDiskFull) {
			t.Fatalf("par %d: ReadFrom into a failing destination: %v", par, err)
		}
		if err := w.Close(); !errors.Is(err, errDiskFull) {
			t.Fatalf("par %d: Close after a destination error: %v", par, err)
		}
	}
}

// cancelReader cancels its context after n reads.
type cancelReader struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelReader) Read(p []byte) (int, error) {
	if c.n--; c.n == 0 {
		c.cancel()
	}
	return c.r.Read(p)
}

func TestStreamCancel(t *testing.T) {
	key := testKey(t, "alice")
	const cs = 64
	pt := pattern(200 * cs)
	sealed := sealStream(t, pt, cs, 1, key)
	for _, par := range []int{2, 4} {
		ctx, cancel := context.WithCancel(context.Background())
		w, err := NewWriter(ctx, io.Discard, &Options{ChunkSize: cs, Parallelism: par}, key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.ReadFrom(&cancelReader{r: bytes.NewReader(pt), n: 5, cancel: cancel}); !errors.Is(err, context.Canceled) {
			t.Fatalf("par %d: ReadFrom: %v", par, err)
		}
		if err := w.Close(); !errors.Is(err, context.Canceled) {
			t.Fatalf("par %d: Close: %v", par, err)
		}

		ctx, cancel = context.WithCancel(context.Background())
		r, err := NewReader(ctx, &cancelReader{r: bytes.NewReader(sealed), n: 8, cancel: cancel}, &Options{Parallelism: par}, key)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := r.WriteTo(&out); !errors.Is(err, context.Canceled) {
			t.Fatalf("par %d: WriteTo: %v", par, err)
		}
		if !bytes.HasPrefix(pt, out.Bytes()) || out.Len() == len(pt) {
			t.Fatalf("par %d: released %d bytes of %d, not a proper prefix", par, out.Len(), len(pt))
		}
	}
}

// panicReader panics on its nth Read.
type panicReader struct {
	r io.Reader
	n int
}

func (p *panicReader) Read(b []byte) (int, error) {
	if p.n--; p.n == 0 {
		panic("reader exploded")
	}
	return p.r.Read(b)
}

// goroutineID parses the running goroutine's id from its stack header,
// which is the only way to tell goroutines apart (tests only).
func goroutineID() string {
	var buf [64]byte
	f := strings.Fields(string(buf[:runtime.Stack(buf[:], false)]))
	return f[1]
}

// helperPanicReader panics on the first Read made from a goroutine other
// than the one that made the first Read (the caller of ReadFrom).
type helperPanicReader struct {
	r      io.Reader
	caller string
}

func (p *helperPanicReader) Read(b []byte) (int, error) {
	id := goroutineID()
	if p.caller == "" {
		p.caller = id
	} else if id != p.caller {
		panic("reader exploded on a helper")
	}
	return p.r.Read(b)
}

// TestStreamPanicReachesCaller: a panic in the caller's Reader is raised
// in the goroutine that called ReadFrom, wherever it happened, and no
// helper is left behind. A parallel Writer reads its source on its
// helpers too: a stream long enough must have one read there.
func TestStreamPanicReachesCaller(t *testing.T) {
	key := testKey(t, "alice")
	const cs = 64
	before := runtime.NumGoroutine()
	for _, at := range []int{1, 2, 3, 10, 31} {
		w, err := NewWriter(context.Background(), io.Discard, &Options{ChunkSize: cs, Parallelism: 4}, key)
		if err != nil {
			t.Fatal(err)
		}
		got := func() (v any) {
			defer func() { v = recover() }()
			w.ReadFrom(&panicReader{r: iotest.HalfReader(bytes.NewReader(pattern(100 * cs))), n: at})
			return nil
		}()
		if got != "reader exploded" {
			t.Fatalf("panic on read %d: recovered %v", at, got)
		}
	}
	for range 5 {
		w, err := NewWriter(context.Background(), io.Discard, &Options{ChunkSize: cs, Parallelism: 4}, key)
		if err != nil {
			t.Fatal(err)
		}
		got := func() (v any) {
			defer func() { v = recover() }()
			w.ReadFrom(&helperPanicReader{r: bytes.NewReader(pattern(100_000 * cs))})
			return nil
		}()
		if got != "reader exploded on a helper" {
			t.Fatalf("recovered %v, want the helper's panic", got)
		}
	}
	// Helpers exit once they see the abort; give the scheduler a moment.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines left behind", n-before)
	}
}

// TestStreamStress: many groups racing for their turns on tiny chunks,
// with reads of random sizes, at high parallelism.
func TestStreamStress(t *testing.T) {
	key := testKey(t, "alice")
	const cs = 16
	pt := pattern(3000*cs + 7)
	for _, par := range []int{2, 8, 32} {
		var buf bytes.Buffer
		w, err := NewWriter(context.Background(), &buf, &Options{ChunkSize: cs, Parallelism: par}, key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.ReadFrom(iotest.HalfReader(bytes.NewReader(pt))); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(context.Background(), iotest.HalfReader(bytes.NewReader(buf.Bytes())), &Options{Parallelism: par}, key)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := r.WriteTo(&out); err != nil || !bytes.Equal(out.Bytes(), pt) {
			t.Fatalf("par %d: %d bytes, %v", par, out.Len(), err)
		}
	}
}

// shrinkingFile is a file whose size was n when opened (Seek reports it),
// but which ReadAt finds cut at cut, or failing there with err.
type shrinkingFile struct {
	*bytes.Reader
	cut int64
	err error
}

func (f *shrinkingFile) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) <= f.cut {
		return f.Reader.ReadAt(p, off)
	}
	n, _ := f.Reader.ReadAt(p[:max(0, f.cut-off)], off)
	if f.err != nil {
		return n, f.err
	}
	return n, io.EOF
}

func (f *shrinkingFile) Read(p []byte) (int, error) {
	pos := f.Size() - int64(f.Len())
	n, err := f.ReadAt(p, pos)
	f.Seek(pos+int64(n), io.SeekStart)
	if n > 0 && err == io.EOF {
		err = nil
	}
	return n, err
}

// TestStreamReaderAtShrinks: a parallel Reader reading a file with
// ReadAt, which shrinks (or fails) after it was opened, releases only
// authentic plaintext, and ends with ErrAuthentication (or the read
// error), never io.EOF.
func TestStreamReaderAtShrinks(t *testing.T) {
	key := testKey(t, "alice")
	const cs = 64
	pt := pattern(40*cs + 9)
	sealed := sealStream(t, pt, cs, 1, key)
	hdr := int64(len(sealed) - (len(pt) + 41*chunkOverhead))
	for _, cut := range []int64{hdr, hdr + 5, hdr + 3*(cs+chunkOverhead), hdr + 20*(cs+chunkOverhead) + 1, int64(len(sealed)) - 1} {
		for _, ferr := range []error{nil, errSource} {
			for _, par := range []int{2, 4} {
				f := &shrinkingFile{Reader: bytes.NewReader(sealed), cut: cut, err: ferr}
				r, err := NewReader(context.Background(), f, &Options{Parallelism: par}, key)
				if err != nil {
					t.Fatal(err)
				}
				if r.ra == nil {
					t.Fatal("the file is not read with ReadAt")
				}
				var out bytes.Buffer
				_, err = io.Copy(&out, r)
				want := ErrAuthentication
				if ferr != nil {
					want = ferr
				}
				if !errors.Is(err, want) {
					t.Fatalf("cut %d, %v, par %d: %v, want %v", cut, ferr, par, err, want)
				}
				if !bytes.HasPrefix(pt, out.Bytes()) || out.Len()%cs != 0 || int64(out.Len()) > (cut-hdr)/(cs+chunkOverhead)*cs {
					t.Fatalf("cut %d, par %d: released %d bytes", cut, par, out.Len())
				}
			}
		}
	}
}

// panicFile's ReadAt panics from its nth call on.
type panicFile struct {
	*bytes.Reader
	n atomic.Int32
}

func (f *panicFile) ReadAt(p []byte, off int64) (int, error) {
	if f.n.Add(-1) <= 0 {
		panic("disk driver exploded")
	}
	return f.Reader.ReadAt(p, off)
}

// TestStreamReaderAtPanicReachesCaller: a parallel Reader calls ReadAt on
// its helpers; a panic there is raised in the caller's goroutine, where it
// can be recovered, instead of ending the program from a helper.
func TestStreamReaderAtPanicReachesCaller(t *testing.T) {
	key := testKey(t, "alice")
	const cs = 64
	sealed := sealStream(t, pattern(300*cs), cs, 1, key)
	before := runtime.NumGoroutine()
	for _, at := range []int32{1, 2, 5, 40} {
		for _, read := range []string{"ReadAll", "WriteTo"} {
			f := &panicFile{Reader: bytes.NewReader(sealed)}
			f.n.Store(at)
			r, err := NewReader(context.Background(), f, &Options{Parallelism: 4}, key)
			if err != nil {
				t.Fatal(err)
			}
			if r.ra == nil {
				t.Fatal("the file is not read with ReadAt")
			}
			got := func() (v any) {
				defer func() { v = recover() }()
				if read == "ReadAll" {
					io.ReadAll(r)
				} else {
					r.WriteTo(io.Discard)
				}
				return nil
			}()
			if got != "disk driver exploded" {
				t.Fatalf("%s, panic on ReadAt %d: recovered %v", read, at, got)
			}
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines left behind", n-before)
	}
}
