package update_test

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"runtime"
	"testing"

	"github.com/wardsec/ward/pkg/update"
	"github.com/wardsec/ward/pkg/update/repo"
)

// patternReader yields n bytes of a fixed pattern without allocating, so
// benchmarks measure hashing, not the source.
type patternReader struct {
	n, off int64
	pat    []byte
}

func newPattern(n int64) *patternReader {
	p := make([]byte, 1<<20)
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return &patternReader{n: n, pat: p}
}

func (r *patternReader) Read(b []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	if rem := r.n - r.off; int64(len(b)) > rem {
		b = b[:rem]
	}
	n := 0
	for n < len(b) {
		c := copy(b[n:], r.pat[(r.off+int64(n))%int64(len(r.pat)):])
		n += c
	}
	r.off += int64(n)
	return n, nil
}

func (r *patternReader) reset() { r.off = 0 }

func benchSizes() []int64 {
	s := []int64{256 << 20}
	if os.Getenv("WARD_BENCH_GIB") != "" {
		s = append(s, 1<<30)
	}
	return s
}

func targetFor(b testing.TB, size int64) (update.Target, *patternReader) {
	r := newPattern(size)
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		b.Fatal(err)
	}
	r.reset()
	return update.Target{Name: "big.bin", Length: size, Hashes: map[string][]byte{"sha256": h.Sum(nil)}}, r
}

// BenchmarkVerifyStream verifies a large target (length and SHA-256)
// while copying it out; BenchmarkRawSHA256 is the ceiling: SHA-256 over
// the same source with the same buffer size. Run them together:
//
//	go test -run '^$' -bench 'VerifyStream|RawSHA256' -benchmem ./pkg/update/
//
// WARD_BENCH_GIB=1 adds a 1 GiB size. heap-MiB is the growth of the Go
// heap over one verification (TotalAlloc delta), independent of size.
func BenchmarkVerifyStream(b *testing.B) {
	for _, size := range benchSizes() {
		b.Run(fmt.Sprintf("size=%dMiB", size>>20), func(b *testing.B) {
			t, r := targetFor(b, size)
			b.SetBytes(size)
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			b.ResetTimer()
			for range b.N {
				r.reset()
				if err := update.VerifyStream(r, io.Discard, t); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&ms1)
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(b.N)/(1<<20), "heap-MiB/op")
		})
	}
}

func BenchmarkRawSHA256(b *testing.B) {
	for _, size := range benchSizes() {
		b.Run(fmt.Sprintf("size=%dMiB", size>>20), func(b *testing.B) {
			r := newPattern(size)
			buf := make([]byte, 256<<10)
			b.SetBytes(size)
			b.ResetTimer()
			for range b.N {
				r.reset()
				h := sha256.New()
				if _, err := io.CopyBuffer(h, r, buf); err != nil {
					b.Fatal(err)
				}
				h.Sum(nil)
			}
		})
	}
}

// TestVerifyStreamConstantMemory: verifying 16 MiB and 128 MiB allocates
// the same, well under 8 MiB.
func TestVerifyStreamConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes 144 MiB")
	}
	var got []uint64
	for _, size := range []int64{16 << 20, 128 << 20} {
		tg, r := targetFor(t, size)
		var ms0, ms1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms0)
		if err := update.VerifyStream(r, io.Discard, tg); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&ms1)
		got = append(got, ms1.TotalAlloc-ms0.TotalAlloc)
	}
	for _, a := range got {
		if a > 8<<20 {
			t.Fatalf("verification allocated %d bytes", a)
		}
	}
	// Slack of a few copy buffers: sync.Pool may drop its buffer at a GC
	// mid-run, and TotalAlloc is process-wide. Growing with size would
	// mean +112 MiB here.
	if got[1] > got[0]+1<<20 {
		t.Fatalf("allocation grows with size: %d bytes for 16 MiB, %d for 128 MiB", got[0], got[1])
	}
	t.Logf("allocated %d and %d bytes", got[0], got[1])
}

// BenchmarkRefresh1000Targets: a full metadata refresh (root, timestamp,
// snapshot, targets; no cache) from a repository of 1,000 images served
// over loopback HTTP, plus one target lookup.
func BenchmarkRefresh1000Targets(b *testing.B) {
	r, err := repo.New(repo.WithClock(clock))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		c, _ := update.Custom{Version: uint64(i + 1), Hardware: []string{hw}, SBOM: fmt.Sprintf("pump/fw-%d.cdx.json", i)}.Marshal()
		if err := r.AddTarget(fmt.Sprintf("pump/fw-%d.bin", i), []byte(fmt.Sprint(i)), c); err != nil {
			b.Fatal(err)
		}
	}
	if err := r.Publish(); err != nil {
		b.Fatal(err)
	}
	srv := serve(b, r.Handler())
	root := r.RootJSON()
	tsize := len(r.File(fmt.Sprintf("metadata/%d.targets.json", r.Versions()[repo.Targets])))
	// cold: a device with no cached metadata downloads and verifies all
	// of it; warm: with a state directory and nothing new, it fetches the
	// timestamp and re-verifies its cached snapshot and targets.
	for _, mode := range []string{"cold", "warm"} {
		b.Run(mode, func(b *testing.B) {
			opts := []update.Option{update.WithClock(clock), update.WithFetcher(update.NewHTTPFetcher(srv.Client()))}
			if mode == "warm" {
				opts = append(opts, update.WithStateDir(b.TempDir()))
			}
			c, err := update.NewClient(root, srv.URL+"/metadata", opts...)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.Refresh(b.Context()); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				v, err := c.Refresh(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := v.Target(b.Context(), "pump/fw-999.bin"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(tsize), "targets.json-bytes")
		})
	}
}

// BenchmarkDownloadHTTP: refresh and stream-verify a 64 MiB image over
// loopback HTTP into io.Discard; B/op shows the download path holds no
// copy of the image.
func BenchmarkDownloadHTTP(b *testing.B) {
	const size = 64 << 20
	r, err := repo.New(repo.WithClock(clock))
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(newPattern(size), data); err != nil {
		b.Fatal(err)
	}
	if err := r.AddTarget("big.bin", data, nil); err != nil {
		b.Fatal(err)
	}
	if err := r.Publish(); err != nil {
		b.Fatal(err)
	}
	srv := serve(b, r.Handler())
	c, err := update.NewClient(r.RootJSON(), srv.URL+"/metadata", update.WithTargetsURL(srv.URL+"/targets"),
		update.WithClock(clock), update.WithFetcher(update.NewHTTPFetcher(srv.Client())))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Fetch(b.Context(), "big.bin", io.Discard, update.Policy{}); err != nil {
			b.Fatal(err)
		}
	}
}
