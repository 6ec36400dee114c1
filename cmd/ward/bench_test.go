package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardsec/ward/pkg/evidence"
)

// BenchmarkWardCheck is the whole `ward check` against the default
// simulator: catalogue lint, all scenarios, evidence bundle with signature.
func BenchmarkWardCheck(b *testing.B) {
	out := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		if code := run(context.Background(), []string{"check", "--out", out}, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
	b.StopTimer()
	bundles, _ := filepath.Glob(filepath.Join(out, "2*", evidence.ResultsFile))
	if len(bundles) == 0 {
		b.Fatal("no bundle written")
	}
	data, err := os.ReadFile(bundles[0])
	if err != nil {
		b.Fatal(err)
	}
	var run evidence.Run
	if err := json.Unmarshal(data, &run); err != nil {
		b.Fatal(err)
	}
	n := len(run.Targets[0].Scenarios)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n)/1e6, "ms/scenario")
}

// BenchmarkFleet is `ward check` over a simulated fleet declared with
// count= in a targets file: the whole catalogue on every unit, evidence
// bundle included. It reports seconds per fleet, milliseconds per unit and
// the peak Go heap seen while it ran (sampled every 10 ms), so the curve
// from 10 to 200 units shows whether cost grows linearly.
func BenchmarkFleet(b *testing.B) {
	for _, n := range []int{10, 50, 200} {
		b.Run(fmt.Sprintf("units=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			list := filepath.Join(dir, "fleet.txt")
			if err := os.WriteFile(list, fmt.Appendf(nil, "sim://infusion-pump count=%d\n", n), 0o600); err != nil {
				b.Fatal(err)
			}
			peak := sampleHeap(b)
			b.ReportAllocs()
			for b.Loop() {
				if code := run(context.Background(), []string{"check", "--targets", list, "--out", filepath.Join(dir, "out")}, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.StopTimer()
			per := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(per/1e9, "s/fleet")
			b.ReportMetric(per/1e6/float64(n), "ms/unit")
			b.ReportMetric(float64(peak())/(1<<20), "MiB-peak-heap")
		})
	}
}

// sampleHeap samples the in-use heap until the benchmark ends and returns
// a function that reports the highest value seen.
func sampleHeap(b *testing.B) func() uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	stop := sync.OnceFunc(func() { close(done); <-stopped })
	b.Cleanup(stop)
	return func() uint64 { stop(); return peak.Load() }
}
