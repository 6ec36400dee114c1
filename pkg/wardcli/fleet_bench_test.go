package wardcli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkFleet is `ward check` of the whole catalogue against a
// simulated fleet (count=N in a targets file), evidence bundle included.
// It reports wall and CPU (user+system, all threads) milliseconds per pump
// and the peak Go heap; run with
//
//	go test ./cmd/ward -run XXX -bench Fleet -benchtime 1x -benchmem
//
// On a shared machine wall time follows the load; cpu-ms/pump much less.
func BenchmarkFleet(b *testing.B) {
	for _, n := range []int{10, 50, 200} {
		b.Run(fmt.Sprintf("pumps=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			f := filepath.Join(dir, "fleet.txt")
			if err := os.WriteFile(f, fmt.Appendf(nil, "sim://infusion-pump count=%d\n", n), 0o644); err != nil {
				b.Fatal(err)
			}
			var peak atomic.Uint64
			stop := make(chan struct{})
			go func() {
				var ms runtime.MemStats
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
					}
				}
			}()
			cpu0 := cpuTime(b)
			for b.Loop() {
				out := filepath.Join(dir, "ev")
				if code := run(context.Background(), []string{"check", "--targets", f, "--out", out}, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
				os.RemoveAll(out)
			}
			close(stop)
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/float64(n)*1000, "ms/pump")
			if cpu0 >= 0 {
				b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N)/float64(n)*1000, "cpu-ms/pump")
			}
			b.ReportMetric(float64(peak.Load())/(1<<20), "MiB-peak-heap")
		})
	}
}
