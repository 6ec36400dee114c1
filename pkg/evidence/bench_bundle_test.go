package evidence

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeFleetStreaming writes a bundle of n synthetic pumps (distinct
// artifacts) through a BundleWriter, generating each target just before it
// is added and dropping it after, as the harness does. It returns the
// bundle and the peak heap in use while writing, sampled every 5 ms.
func writeFleetStreaming(tb testing.TB, ctx context.Context, cat []catalogueControl, n int, parent, name string, perFileSync bool) (string, uint64) {
	tb.Helper()
	runtime.GC()
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	head := fleetHead(cat)
	bw, err := NewBundleWriter(ctx, parent, head, WithSigner(vectorKey()), WithName(name))
	if err != nil {
		tb.Fatal(err)
	}
	bw.perFileSync = perFileSync
	defer bw.Abort()
	for i := range n {
		t := fleetTarget(cat, head.Started, i, true)
		if err := bw.AddTarget(ctx, i, &t, nil); err != nil {
			tb.Fatal(err)
		}
	}
	dir, err := bw.Close(ctx, head.Finished)
	close(stop)
	wg.Wait()
	if err != nil {
		tb.Fatal(err)
	}
	return dir, peak
}

// bundleSizes sums a bundle's file sizes by group: each top-level file,
// "targets/" (the per-target pages) and "objects/" (the artifacts).
func bundleSizes(tb testing.TB, dir string) map[string]int64 {
	tb.Helper()
	sizes := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		group, _, nested := strings.Cut(filepath.ToSlash(rel), "/")
		if nested {
			group += "/"
		}
		sizes[group] += info.Size()
		sizes["total"] += info.Size()
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return sizes
}

// BenchmarkBundleWriter streams fleets of 10, 100 and 1,000 synthetic
// pumps (every artifact distinct) through a BundleWriter and reports, per
// bundle file or directory, the bytes each additional device adds (the
// growth over the 10-target bundle; for 10 itself, the size divided by 10),
// and the peak heap in use while writing (peak-heap-MiB). Run with
// -benchtime 1x: each iteration writes a whole bundle.
func BenchmarkBundleWriter(b *testing.B) {
	cat := currentCatalogue(b)
	var base map[string]int64
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			parent := b.TempDir()
			var sizes map[string]int64
			var peak uint64
			for i := 0; b.Loop(); i++ {
				dir, pk := writeFleetStreaming(b, b.Context(), cat, n, parent, fmt.Sprintf("b%d", i), false)
				peak = max(peak, pk)
				b.StopTimer()
				sizes = bundleSizes(b, dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			for k, v := range sizes {
				per := float64(v) / float64(n)
				if base != nil && n > 10 {
					per = float64(v-base[k]) / float64(n-10)
				}
				b.ReportMetric(per, k+"-B/device")
			}
			if n == 10 {
				base = sizes
			}
		})
	}
}

// BenchmarkBundleSync compares the two ways Close makes a 200-pump bundle
// durable: one syncfs(2) for the file system (the default on Linux) and an
// fsync per file and directory.
func BenchmarkBundleSync(b *testing.B) {
	cat := currentCatalogue(b)
	for _, perFile := range []bool{false, true} {
		b.Run(fmt.Sprintf("perFile=%v", perFile), func(b *testing.B) {
			parent := b.TempDir()
			for i := 0; b.Loop(); i++ {
				writeFleetStreaming(b, b.Context(), cat, 200, parent, fmt.Sprintf("b%d", i), perFile)
			}
		})
	}
}
