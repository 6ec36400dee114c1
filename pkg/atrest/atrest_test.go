package atrest

import (
	"bytes"
	"context"
	"crypto/fips140"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// TestRoundTrip seals every size around the chunk boundaries with every
// way of writing, and opens the result with every decoder.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	key := testKey(t, "alice")
	for _, cs := range []int{16, 64, 1000} {
		sizes := []int{0, 1, cs - 1, cs, cs + 1, 2 * cs, 2*cs + 1, 5*cs + 3, 17 * cs}
		for _, size := range sizes {
			pt := pattern(size)
			for _, par := range []int{1, 2, 4, parTiny} {
				writes := map[string]func(w *Writer) error{
					"one-write": func(w *Writer) error { _, err := w.Write(pt); return err },
					"small-writes": func(w *Writer) error {
						for p := pt; len(p) > 0; {
							n := min(len(p), 7)
							if _, err := w.Write(p[:n]); err != nil {
								return err
							}
							p = p[n:]
						}
						return nil
					},
					"readfrom": func(w *Writer) error {
						_, err := w.ReadFrom(iotest.HalfReader(bytes.NewReader(pt)))
						return err
					},
					"io.Copy": func(w *Writer) error {
						_, err := io.Copy(w, plainReader{bytes.NewReader(pt)})
						return err
					},
				}
				for wname, write := range writes {
					t.Run(fmt.Sprintf("cs=%d/size=%d/par=%d/%s", cs, size, par, wname), func(t *testing.T) {
						p := par
						if par == parTiny {
							defer tinyBatches()()
							p = 2
						}
						var buf bytes.Buffer
						w, err := NewWriter(ctx, &buf, &Options{ChunkSize: cs, Parallelism: p}, key)
						if err != nil {
							t.Fatal(err)
						}
						if err := write(w); err != nil {
							t.Fatal(err)
						}
						if err := w.Close(); err != nil {
							t.Fatal(err)
						}
						sealed := buf.Bytes()
						chunks := max(1, (size+cs-1)/cs)
						hdr := 50 + 32 + (1 + len(TypeAES256GCM) + 1 + len("alice") + 2 + 2 + 60)
						if want := hdr + size + chunks*chunkOverhead; len(sealed) != want {
							t.Fatalf("sealed %d bytes, want %d", len(sealed), want)
						}
						for _, d := range decodeAll(sealed, key) {
							if d.err != nil || !bytes.Equal(d.out, pt) {
								t.Fatalf("%s: %d bytes, %v", d.name, len(d.out), d.err)
							}
						}
					})
				}
			}
		}
	}
}

func TestSealOpen(t *testing.T) {
	ctx := context.Background()
	key := testKey(t, "alice")
	for _, size := range []int{0, 1, DefaultChunkSize, DefaultChunkSize + 1, 5*DefaultChunkSize + 17} {
		pt := pattern(size)
		sealed, err := Seal(ctx, pt, key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Open(ctx, sealed, key)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("size %d: Open = %d bytes, %v", size, len(got), err)
		}
		r, err := NewReader(ctx, bytes.NewReader(sealed), nil, key)
		if err != nil {
			t.Fatal(err)
		}
		got, err = io.ReadAll(r)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("size %d: Reader = %d bytes, %v", size, len(got), err)
		}
	}
}

func TestReaderAtRandomReads(t *testing.T) {
	ctx := context.Background()
	key := testKey(t, "alice")
	const cs = 64
	pt := pattern(40*cs + 13)
	sealed := sealStream(t, pt, cs, 1, key)
	ra, err := NewReaderAt(ctx, bytes.NewReader(sealed), int64(len(sealed)), key)
	if err != nil {
		t.Fatal(err)
	}
	if ra.Size() != int64(len(pt)) {
		t.Fatalf("Size = %d, want %d", ra.Size(), len(pt))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		off := rng.IntN(len(pt) + 10)
		n := rng.IntN(3 * cs)
		buf := make([]byte, n)
		before := ra.opened.Load()
		m, err := ra.ReadAt(buf, int64(off))
		touched := ra.opened.Load() - before
		start := min(off, len(pt))
		want := pt[start:max(start, min(len(pt), off+n))]
		if m != len(want) || !bytes.Equal(buf[:m], want) {
			t.Fatalf("ReadAt(%d, %d) = %d bytes, want %d", n, off, m, len(want))
		}
		if (off+n > len(pt) && n > 0 && err != io.EOF) || (off+n <= len(pt) && err != nil) {
			t.Fatalf("ReadAt(%d, %d) error %v", n, off, err)
		}
		if maxTouched := int64((off+n-1)/cs - off/cs + 1); n > 0 && off < len(pt) && touched > maxTouched {
			t.Fatalf("ReadAt(%d, %d) opened %d chunks, at most %d needed", n, off, touched, maxTouched)
		}
	}
}

// TestReaderAt4KiBTouchesAtMostTwoChunks is the random-access
// promise with the default chunk size.
func TestReaderAt4KiBTouchesAtMostTwoChunks(t *testing.T) {
	ctx := context.Background()
	key := testKey(t, "alice")
	pt := pattern(8*DefaultChunkSize + 100)
	sealed, err := Seal(ctx, pt, key)
	if err != nil {
		t.Fatal(err)
	}
	ra, err := NewReaderAt(ctx, bytes.NewReader(sealed), int64(len(sealed)), key)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for _, off := range []int64{0, 100, DefaultChunkSize - 2048, 3*DefaultChunkSize - 1, 7*DefaultChunkSize + 1} {
		before := ra.opened.Load()
		if _, err := ra.ReadAt(buf, off); err != nil {
			t.Fatal(err)
		}
		if n := ra.opened.Load() - before; n > 2 {
			t.Fatalf("4 KiB read at %d opened %d chunks", off, n)
		}
		if !bytes.Equal(buf, pt[off:off+4096]) {
			t.Fatalf("wrong bytes at %d", off)
		}
	}
}

func TestInspect(t *testing.T) {
	ctx := context.Background()
	a, b := testKey(t, "alice"), testKey(t, "bob")
	pt := pattern(1000)
	sealed := sealStream(t, pt, 64, 1, a, b)
	for _, r := range []io.Reader{bytes.NewReader(sealed), plainReader{bytes.NewReader(sealed)}} {
		in, err := Inspect(r)
		if err != nil {
			t.Fatal(err)
		}
		if in.Version != 1 || in.ChunkSize != 64 || in.PlaintextSize != 1000 || in.Chunks != 16 ||
			in.SealedSize != int64(len(sealed)) || len(in.Recipients) != 2 ||
			in.Recipients[0] != (Recipient{TypeAES256GCM, "alice"}) || in.Recipients[1].KeyID != "bob" {
			t.Fatalf("Inspect = %+v", in)
		}
	}
	ra, err := NewReaderAt(ctx, bytes.NewReader(sealed), int64(len(sealed)), b)
	if err != nil {
		t.Fatal(err)
	}
	if in := ra.Info(); in.PlaintextSize != 1000 || in.HeaderSize != len(sealed)-1000-16*28 {
		t.Fatalf("ReaderAt.Info = %+v", in)
	}
	if _, err := Inspect(bytes.NewReader(sealed[:len(sealed)-58])); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Inspect of a cut file: %v, want ErrMalformed", err)
	}
}

func TestMultipleRecipients(t *testing.T) {
	ctx := context.Background()
	a, b, c := testKey(t, "alice"), testKey(t, "bob"), testKey(t, "carol")
	hsm := NewSoftHSM()
	if err := hsm.GenerateKey(ctx, "hsm-1"); err != nil {
		t.Fatal(err)
	}
	pass := NewPassphrase("correct horse battery staple")
	pass.KDF, pass.PBKDF2Iterations = KDFPBKDF2, minPBKDF2Iterations
	pt := pattern(300)
	sealed, err := Seal(ctx, pt, a, b, hsm.Wrapper("hsm-1"), pass)
	if err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]KeyUnwrapper{"a": a, "b": b, "hsm": hsm, "pass": pass} {
		got, err := Open(ctx, sealed, u)
		if err != nil || !bytes.Equal(got, pt) {
			t.Errorf("open with %s: %v", name, err)
		}
	}
	if _, err := Open(ctx, sealed, c); !errors.Is(err, ErrNoMatchingKey) {
		t.Errorf("open with carol: %v, want ErrNoMatchingKey", err)
	}
	// Unrelated unwrappers before the right one are skipped.
	if _, err := Open(ctx, sealed, c, NewSoftHSM(), b); err != nil {
		t.Errorf("open with carol, empty hsm, bob: %v", err)
	}
}

func TestOptionsValidation(t *testing.T) {
	ctx := context.Background()
	key := testKey(t, "alice")
	for _, o := range []Options{{ChunkSize: 15}, {ChunkSize: MaxChunkSize + 1}, {Parallelism: -1}, {Parallelism: 1000}} {
		if _, err := NewWriter(ctx, io.Discard, &o, key); err == nil {
			t.Errorf("NewWriter accepted %+v", o)
		}
	}
	if _, err := NewWriter(ctx, io.Discard, nil); err == nil {
		t.Error("NewWriter without wrappers succeeded")
	}
	if _, err := Seal(ctx, nil, key, key); err == nil {
		t.Error("Seal with the same key id twice succeeded")
	}
	w, _ := NewWriter(ctx, io.Discard, nil, key)
	w.Close()
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestContextCancelStopsStream(t *testing.T) {
	key := testKey(t, "alice")
	ctx, cancel := context.WithCancel(context.Background())
	w, err := NewWriter(ctx, io.Discard, &Options{ChunkSize: 64, Parallelism: 2}, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(pattern(1000)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := w.Write(pattern(1000)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write after cancel: %v", err)
	}
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close after cancel: %v", err)
	}

	sealed := sealStream(t, pattern(1000), 64, 1, key)
	ctx, cancel = context.WithCancel(context.Background())
	r, err := NewReader(ctx, bytes.NewReader(sealed), nil, key)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.ReadAll(r); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read after cancel: %v", err)
	}
}

var errDiskFull = errors.New("disk full")

// errWriter fails after n bytes.
type errWriter struct{ n int }

func (e *errWriter) Write(p []byte) (int, error) {
	if len(p) > e.n {
		k := e.n
		e.n = 0
		return k, errDiskFull
	}
	e.n -= len(p)
	return len(p), nil
}

func TestWriterReportsDestinationErrors(t *testing.T) {
	key := testKey(t, "alice")
	for _, par := range []int{1, 2} {
		w, err := NewWriter(context.Background(), &errWriter{n: 500}, &Options{ChunkSize: 64, Parallelism: par}, key)
		if err != nil {
			t.Fatal(err)
		}
		_, werr := w.Write(pattern(5000))
		cerr := w.Close()
		if werr == nil && cerr == nil {
			t.Fatalf("par=%d: no error from a failing destination", par)
		}
	}
}

// TestSuiteUnderFIPS140Only runs this package's tests again in a process
// started with GODEBUG=fips140=only, where any use of a non-approved
// algorithm from the standard library fails: the package must work on a
// device running Go's FIPS 140-3 mode.
func TestSuiteUnderFIPS140Only(t *testing.T) {
	if fips140.Enabled() {
		t.Skip("already in FIPS 140-3 mode")
	}
	if testing.Short() {
		t.Skip("re-runs the suite")
	}
	cmd := exec.Command(os.Args[0], "-test.count=1", "-test.short", "-test.run=^(Test|Example)",
		"-test.skip=^(TestSuiteUnderFIPS140Only|TestCrashHelper)$")
	cmd.Env = append(os.Environ(), "GODEBUG=fips140=only")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tests under GODEBUG=fips140=only failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "PASS") {
		t.Fatalf("no PASS in:\n%s", out)
	}
}

// TestBatchModeIsExercised guards the test setup: with tinyBatches, the
// tamper fixture's four chunks go through batch mode on both sides.
func TestBatchModeIsExercised(t *testing.T) {
	defer tinyBatches()()
	key := testKey(t, "alice")
	var buf bytes.Buffer
	w, err := NewWriter(context.Background(), &buf, &Options{ChunkSize: 64, Parallelism: 2}, key)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(pattern(3*64 + 20))
	if !w.batched {
		t.Fatal("Writer did not switch to batches")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(context.Background(), bytes.NewReader(buf.Bytes()), &Options{Parallelism: 2}, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, pattern(3*64+20)) || !r.batched {
		t.Fatalf("ReadAll: %d bytes, %v, batched %v", len(got), err, r.batched)
	}
	src := bytes.NewReader(buf.Bytes())
	r, err = NewReader(context.Background(), src, &Options{Parallelism: 2}, key)
	if err != nil {
		t.Fatal(err)
	}
	if r.ra == nil {
		t.Fatal("a bytes.Reader source is not read with ReadAt")
	}
	got, err = io.ReadAll(r)
	if err != nil || !bytes.Equal(got, pattern(3*64+20)) || !r.batched || src.Len() != 0 {
		t.Fatalf("ReadAll over ReadAt: %d bytes, %v, batched %v, %d bytes left in the source", len(got), err, r.batched, src.Len())
	}
}

// TestWriteDoesNotKeepTheCallersBuffer: io.Writer says Write must not
// retain p. Sealing straight from p is only allowed while Write runs, so
// scribbling over p after every Write must not change what was sealed.
func TestWriteDoesNotKeepTheCallersBuffer(t *testing.T) {
	key := testKey(t, "alice")
	for _, par := range []int{1, 2, parTiny} {
		for _, size := range []int{64*40 + 100, 64 * 40, 64*3 + 1} {
			func() {
				p := par
				if par == parTiny {
					defer tinyBatches()()
					p = 2
				}
				pt := pattern(size)
				var buf bytes.Buffer
				w, err := NewWriter(context.Background(), &buf, &Options{ChunkSize: 64, Parallelism: p}, key)
				if err != nil {
					t.Fatal(err)
				}
				scratch := slices.Clone(pt)
				if _, err := w.Write(scratch); err != nil {
					t.Fatal(err)
				}
				for i := range scratch {
					scratch[i] = 0xEE
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				got, err := Open(context.Background(), buf.Bytes(), key)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("par=%d size=%d: sealed bytes changed after Write returned (%v)", par, size, err)
				}
			}()
		}
	}
}

func TestFIPSApproved(t *testing.T) {
	for typ, want := range map[string]bool{
		TypeAES256GCM:       true,
		TypePBKDF2:          true,
		TypeArgon2id:        false, // memory-hard, but not in FIPS 140-3
		"chacha20-poly1305": false,
		"":                  false,
		"AES-256-GCM":       false, // types are exact, lower-case names
	} {
		if got := FIPSApproved(typ); got != want {
			t.Errorf("FIPSApproved(%q) = %v, want %v", typ, got, want)
		}
	}
}
