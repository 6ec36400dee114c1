package harness_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
)

// BenchmarkStreamingFleet checks a simulated fleet with the whole
// catalogue and a sink that discards each target, and reports the peak Go
// heap: with streaming it follows the targets checked at once, not the
// fleet. With keep=true the same run keeps every target (no sink), for
// comparison. Run with
//
//	go test ./pkg/harness -run XXX -bench StreamingFleet -benchtime 1x
func BenchmarkStreamingFleet(b *testing.B) {
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	reg := device.NewRegistry()
	if err := sim.Register(reg); err != nil {
		b.Fatal(err)
	}
	for _, keep := range []bool{false, true} {
		for _, n := range []int{10, 40} {
			b.Run(fmt.Sprintf("keep=%t/pumps=%d", keep, n), func(b *testing.B) {
				targets := make([]string, n)
				for i := range targets {
					targets[i] = fmt.Sprintf("sim://infusion-pump?serial=SIM-B-%04d", i+1)
				}
				opts := []harness.Option{harness.WithTargetConcurrency(2 * runtime.NumCPU())}
				if !keep {
					opts = append(opts, harness.WithTargetSink(func(context.Context, int, *evidence.Target, []byte) error { return nil }))
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
				for b.Loop() {
					res, err := harness.New(reg, cat, features.FS, opts...).Execute(context.Background(), harness.RunInfo{}, targets)
					if err != nil {
						b.Fatal(err)
					}
					runtime.KeepAlive(res)
				}
				close(stop)
				b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N*n), "s/pump")
			})
		}
	}
}
