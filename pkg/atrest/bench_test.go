package atrest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/fips140"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// Run with: go test -run '^$' -bench . -benchmem -cpu 1,2 ./pkg/atrest/
// -cpu sets GOMAXPROCS, and Parallelism defaults to it, so the -2 lines
// are the two-core figures. The loops are b.N loops, not b.Loop: with
// b.Loop the whole measurement happens in the first call, before -cpu has
// set GOMAXPROCS (golang/go#49980), and -cpu 1 would measure two cores.

// benchStream is the plaintext per streaming operation: large enough that
// per-stream setup is noise, small enough (with its sealed form) to stay in
// the last-level cache, so the figures measure the code rather than DRAM.
// BenchmarkPeakHeap1GiB gives the DRAM-bound figure.
const benchStream = 8 << 20

// The ceiling: AES-256-GCM sealing 64 KiB chunks and nothing else, on one
// goroutine (BenchmarkCeiling*) and on every P (BenchmarkCeiling*Parallel).
// The fixed-nonce variant is the raw primitive; FIPS-only mode forbids it,
// so there it falls back to random nonces.
func ceilingAEAD(b *testing.B, random bool) cipher.AEAD {
	key := testKeyBytes("bench")
	blk, err := aes.NewCipher(key)
	if err != nil {
		b.Fatal(err)
	}
	if random || fips140.Enforced() {
		a, err := cipher.NewGCMWithRandomNonce(blk)
		if err != nil {
			b.Fatal(err)
		}
		return a
	}
	a, err := cipher.NewGCM(blk)
	if err != nil {
		b.Fatal(err)
	}
	return a
}

func sealLoop(a cipher.AEAD, pt, out, nonce []byte) {
	if a.NonceSize() == 0 {
		a.Seal(out[:0], nil, pt, nil)
	} else {
		a.Seal(out[:0], nonce, pt, nil)
	}
}

func benchCeiling(b *testing.B, random bool) {
	a := ceilingAEAD(b, random)
	pt, out, nonce := make([]byte, DefaultChunkSize), make([]byte, DefaultChunkSize+chunkOverhead), make([]byte, a.NonceSize())
	b.SetBytes(DefaultChunkSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		sealLoop(a, pt, out, nonce)
	}
}

func benchCeilingParallel(b *testing.B, random bool) {
	a := ceilingAEAD(b, random)
	b.SetBytes(DefaultChunkSize)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		pt, out, nonce := make([]byte, DefaultChunkSize), make([]byte, DefaultChunkSize+chunkOverhead), make([]byte, a.NonceSize())
		for pb.Next() {
			sealLoop(a, pt, out, nonce)
		}
	})
}

func BenchmarkCeilingGCM64K(b *testing.B)                    { benchCeiling(b, false) }
func BenchmarkCeilingGCMRandomNonce64K(b *testing.B)         { benchCeiling(b, true) }
func BenchmarkCeilingGCM64KParallel(b *testing.B)            { benchCeilingParallel(b, false) }
func BenchmarkCeilingGCMRandomNonce64KParallel(b *testing.B) { benchCeilingParallel(b, true) }

func BenchmarkCeilingGCMOpen64K(b *testing.B) {
	a := ceilingAEAD(b, true)
	ct := a.Seal(nil, nil, make([]byte, DefaultChunkSize), nil)
	out := make([]byte, DefaultChunkSize)
	b.SetBytes(DefaultChunkSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := a.Open(out[:0], nil, ct, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCeilingGCMOpenStream is the raw primitive over the same memory
// a streaming decrypt of 64 MiB reads: AES-256-GCM Open of 1,024 sealed 64
// KiB chunks lying back to back in a 64 MiB buffer (too big for any cache),
// with no framing, no copy and no bookkeeping. BenchmarkCeilingGCMOpen64K
// opens one cache-hot chunk; the gap between the two is what fetching the
// ciphertext from DRAM costs, which no streaming decrypt can avoid.
func BenchmarkCeilingGCMOpenStream(b *testing.B) {
	a := ceilingAEAD(b, true)
	const n = 8 * benchStream / DefaultChunkSize
	ctSize := DefaultChunkSize + chunkOverhead
	buf := make([]byte, 0, n*ctSize)
	pt := pattern(DefaultChunkSize)
	for range n {
		buf = a.Seal(buf, nil, pt, nil)
	}
	out := make([]byte, DefaultChunkSize)
	b.SetBytes(int64(n * DefaultChunkSize))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i := range n {
			if _, err := a.Open(out[:0], nil, buf[i*ctSize:(i+1)*ctSize], nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCeilingGCMOpenStreamParallel is BenchmarkCeilingGCMOpenStream
// on every P: the 1,024 chunks are shared out in runs of 16 (what a
// decrypting Reader's batch holds on two cores), each P opening its runs
// from DRAM into its own buffer. It bounds what a parallel streaming
// decrypt can reach on this machine.
func BenchmarkCeilingGCMOpenStreamParallel(b *testing.B) {
	a := ceilingAEAD(b, true)
	const n = 8 * benchStream / DefaultChunkSize
	const run = 16
	ctSize := DefaultChunkSize + chunkOverhead
	buf := make([]byte, 0, n*ctSize)
	pt := pattern(DefaultChunkSize)
	for range n {
		buf = a.Seal(buf, nil, pt, nil)
	}
	par := runtime.GOMAXPROCS(0)
	b.SetBytes(int64(n * DefaultChunkSize))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range par {
			wg.Go(func() {
				out := make([]byte, DefaultChunkSize)
				for {
					r := int(next.Add(1) - 1)
					if r*run >= n {
						return
					}
					for i := r * run; i < (r+1)*run; i++ {
						if _, err := a.Open(out[:0], nil, buf[i*ctSize:(i+1)*ctSize], nil); err != nil {
							panic(err)
						}
					}
				}
			})
		}
		wg.Wait()
	}
}

// source yields n bytes through Read only, copying from a 64 KiB pattern
// that stays in cache: the cheapest possible producer, so what remains is
// the cost of the copy into the Writer's buffers, which any io.Reader
// source implies.
type source struct {
	buf []byte
	off int
	n   int64
}

var benchPattern = pattern(64 << 10)

func newSource(n int64) *source { return &source{buf: benchPattern, n: n} }

func (s *source) Read(p []byte) (int, error) {
	if s.n == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > s.n {
		p = p[:s.n]
	}
	n := 0
	for n < len(p) {
		k := copy(p[n:], s.buf[s.off:])
		n += k
		s.off = (s.off + k) % len(s.buf)
	}
	s.n -= int64(n)
	return n, nil
}

// BenchmarkEncrypt streams 8 MiB and 64 MiB through a Writer into
// io.Discard: io.Copy from a Read-only source (the Writer reads straight
// into its chunk buffers), and one big Write (sealed straight from the
// caller's buffer).
func BenchmarkEncrypt(b *testing.B) {
	key := testKey(b, "bench")
	ctx := context.Background()
	for _, size := range []int{benchStream, 8 * benchStream} {
		b.Run(fmt.Sprintf("io.Copy/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for range b.N {
				w, err := NewWriter(ctx, io.Discard, nil, key)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(w, newSource(int64(size))); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("Write/%dMiB", size>>20), func(b *testing.B) {
			pt := pattern(size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				w, err := NewWriter(ctx, io.Discard, nil, key)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := w.Write(pt); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecrypt streams 8 MiB and 64 MiB of sealed data from a
// Read-only source through a Reader into io.Discard (io.Copy uses
// Reader.WriteTo), and with 64 KiB Reads.
func BenchmarkDecrypt(b *testing.B) {
	key := testKey(b, "bench")
	ctx := context.Background()
	for _, size := range []int{benchStream, 8 * benchStream} {
		sealed, err := sealBlob(ctx, pattern(size), nil, []KeyWrapper{key})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("io.Copy/%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for range b.N {
				r, err := NewReader(ctx, plainReader{bytes.NewReader(sealed)}, nil, key)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("io.Copy-ReaderAt/%dMiB", size>>20), func(b *testing.B) {
			// The source is a *bytes.Reader, an io.ReaderAt: a parallel
			// Reader reads the chunks itself, on every goroutine.
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for range b.N {
				r, err := NewReader(ctx, bytes.NewReader(sealed), nil, key)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("Read64K/%dMiB", size>>20), func(b *testing.B) {
			buf := make([]byte, DefaultChunkSize)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for range b.N {
				r, err := NewReader(ctx, plainReader{bytes.NewReader(sealed)}, nil, key)
				if err != nil {
					b.Fatal(err)
				}
				for {
					_, err := r.Read(buf)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkCeilingCopy64K is the other cost of streaming from an
// io.Reader: copying a chunk out of an 8 MiB buffer (where the sealed
// stream of BenchmarkDecrypt lives) into a chunk buffer.
func BenchmarkCeilingCopy64K(b *testing.B) {
	src, dst := make([]byte, benchStream), make([]byte, DefaultChunkSize)
	b.SetBytes(DefaultChunkSize)
	b.ReportAllocs()
	for i := range b.N {
		off := (i * DefaultChunkSize) % benchStream
		copy(dst, src[off:off+DefaultChunkSize])
	}
}

// BenchmarkSealOpen is the in-memory blob API on 16 MiB (chunks on all
// cores, no copies beyond the AEAD's).
func BenchmarkSealOpen(b *testing.B) {
	key := testKey(b, "bench")
	ctx := context.Background()
	pt := pattern(16 << 20)
	b.Run("Seal", func(b *testing.B) {
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, err := Seal(ctx, pt, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	sealed, _ := Seal(ctx, pt, key)
	b.Run("Open", func(b *testing.B) {
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, err := Open(ctx, sealed, key); err != nil {
				b.Fatal(err)
			}
		}
	})
	small := pattern(1 << 10)
	b.Run("Seal1K", func(b *testing.B) {
		b.SetBytes(int64(len(small)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, err := Seal(ctx, small, key); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReaderAtRandom4K reads 4 KiB at random offsets of an 8 MiB
// sealed file and reports the chunks each read opened.
func BenchmarkReaderAtRandom4K(b *testing.B) {
	key := testKey(b, "bench")
	ctx := context.Background()
	sealed, err := sealBlob(ctx, pattern(benchStream), nil, []KeyWrapper{key})
	if err != nil {
		b.Fatal(err)
	}
	ra, err := NewReaderAt(ctx, bytes.NewReader(sealed), int64(len(sealed)), key)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	b.SetBytes(4096)
	b.ReportAllocs()
	start := ra.opened.Load()
	b.ResetTimer()
	for range b.N {
		off := rng.Int64N(ra.Size() - 4096)
		if _, err := ra.ReadAt(buf, off); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(ra.opened.Load()-start)/float64(b.N), "chunks/op")
}

// heapWatch samples the live heap every few writes.
type heapWatch struct {
	w     io.Writer
	calls int
	peak  uint64
}

func (h *heapWatch) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h.peak = max(h.peak, ms.HeapAlloc)
}

func (h *heapWatch) Write(p []byte) (int, error) {
	h.calls++
	if h.calls%64 == 0 {
		h.sample()
	}
	return h.w.Write(p)
}

// BenchmarkPeakHeap1GiB seals a 1 GiB stream and opens it again (the
// sealed bytes are regenerated, not stored), and reports the peak live
// heap above the baseline, sampled with runtime.ReadMemStats every 64
// chunk writes. The target is at most 8 MiB, independent of size.
func BenchmarkPeakHeap1GiB(b *testing.B) {
	const size = 1 << 30
	key := testKey(b, "bench")
	ctx := context.Background()
	for _, dir := range []string{"encrypt", "decrypt"} {
		b.Run(dir, func(b *testing.B) {
			var peak uint64
			b.SetBytes(size)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base := ms.HeapAlloc
				h := &heapWatch{w: io.Discard}
				if dir == "encrypt" {
					w, err := NewWriter(ctx, h, nil, key)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := io.Copy(w, newSource(size)); err != nil {
						b.Fatal(err)
					}
					if err := w.Close(); err != nil {
						b.Fatal(err)
					}
				} else {
					pr, pw := io.Pipe()
					go func() {
						w, err := NewWriter(ctx, pw, &Options{Parallelism: 1}, key)
						if err == nil {
							_, err = io.Copy(w, newSource(size))
						}
						if err == nil {
							err = w.Close()
						}
						pw.CloseWithError(err)
					}()
					r, err := NewReader(ctx, pr, nil, key)
					if err != nil {
						b.Fatal(err)
					}
					if n, err := io.Copy(h, r); err != nil || n != size {
						b.Fatalf("%d bytes, %v", n, err)
					}
				}
				h.sample()
				if h.peak > base {
					peak = max(peak, h.peak-base)
				}
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
