package evidence

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// shardBundles writes fleetRun(n) as two shard bundles and returns them.
func shardBundles(b *testing.B, n int) []string {
	b.Helper()
	run := fleetRun(b, n)
	parent := b.TempDir()
	var dirs []string
	for i := 1; i <= 2; i++ {
		shard := *run
		shard.Shard = &Shard{Index: i, Count: 2}
		shard.Targets = nil
		for k, t := range run.Targets {
			if k%2 == i-1 {
				shard.Targets = append(shard.Targets, t)
			}
		}
		dir, err := Write(b.Context(), parent, &shard, WithSigner(vectorKey()), WithName(fmt.Sprintf("shard%d", i)))
		if err != nil {
			b.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	return dirs
}

// BenchmarkMergeFleet is `ward evidence merge` of two shards of 100
// pumps: verify and read both, then write the merged bundle.
func BenchmarkMergeFleet(b *testing.B) {
	dirs := shardBundles(b, 200)
	out := b.TempDir()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		run, err := Merge(b.Context(), dirs, trustedKey(), "merged")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Write(b.Context(), out, run, WithSigner(vectorKey()), WithName(fmt.Sprintf("m%d", i))); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkDiffFleet is `ward evidence diff` of two 100-pump bundles:
// verify and read both, then compare.
func BenchmarkDiffFleet(b *testing.B) {
	dirs := shardBundles(b, 200)
	b.ReportAllocs()
	for b.Loop() {
		old, _, err := ReadVerifiedRun(b.Context(), dirs[0], trustedKey())
		if err != nil {
			b.Fatal(err)
		}
		next, _, err := ReadVerifiedRun(b.Context(), dirs[1], trustedKey())
		if err != nil {
			b.Fatal(err)
		}
		Diff(old, next)
	}
}

// BenchmarkMergeStreaming is the merge `ward evidence merge` does: two
// shards streamed through OpenMerge into a BundleWriter, a target at a
// time. It reports the peak heap in use (sampled every 5 ms) against the
// in-memory Merge then Write of the same shards.
func BenchmarkMergeStreaming(b *testing.B) {
	for _, n := range []int{50, 200} {
		dirs := shardBundles(b, n)
		for _, mode := range []string{"stream", "in-memory"} {
			b.Run(fmt.Sprintf("pumps=%d/%s", n, mode), func(b *testing.B) {
				out := b.TempDir()
				var peak uint64
				i := 0
				for b.Loop() {
					runtime.GC()
					stop := sampleHeap(&peak)
					name := fmt.Sprintf("m%d", i)
					i++
					if mode == "in-memory" {
						run, err := Merge(b.Context(), dirs, trustedKey(), "merged")
						if err != nil {
							b.Fatal(err)
						}
						if _, err := Write(b.Context(), out, run, WithSigner(vectorKey()), WithName(name)); err != nil {
							b.Fatal(err)
						}
					} else {
						mr, err := OpenMerge(b.Context(), dirs, trustedKey(), "merged")
						if err != nil {
							b.Fatal(err)
						}
						bw, err := NewBundleWriter(b.Context(), out, mr.Head(), WithSigner(vectorKey()), WithName(name))
						if err != nil {
							b.Fatal(err)
						}
						if err := mr.Each(b.Context(), func(i int, t *Target) error { return bw.AddTarget(b.Context(), i, t, nil) }); err != nil {
							b.Fatal(err)
						}
						if _, err := bw.Close(b.Context(), mr.Head().Finished); err != nil {
							b.Fatal(err)
						}
					}
					stop()
				}
				b.ReportMetric(float64(peak)/(1<<20), "MiB-peak-heap")
			})
		}
	}
}

// sampleHeap records the peak heap in use into peak every 5 ms until the
// returned function is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
