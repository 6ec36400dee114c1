package harness_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/harness"
)

// BenchmarkCheckSimulator is `ward check` minus the CLI and the bundle: the
// whole embedded suite against one simulated pump. It reports wall time per
// scenario next to ns/op (the whole suite).
func BenchmarkCheckSimulator(b *testing.B) {
	for _, conc := range []int{1, 2} {
		b.Run(map[int]string{1: "serial", 2: "concurrency2"}[conc], func(b *testing.B) {
			r := harness.New(simRegistry(b), catalogue(b), features.FS, harness.WithConcurrency(conc))
			scenarios := 0
			b.ReportAllocs()
			for b.Loop() {
				res, _, err := r.Check(context.Background(), "sim://infusion-pump")
				if err != nil {
					b.Fatal(err)
				}
				scenarios = len(res.Scenarios)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(scenarios)/1e6, "ms/scenario")
			b.ReportMetric(float64(scenarios), "scenarios")
		})
	}
}

// BenchmarkHarnessOverhead runs the same suite against a device with no
// capabilities: every scenario stops at its first step, so what is left is
// the harness's own cost per scenario (godog, world, open, bookkeeping).
func BenchmarkHarnessOverhead(b *testing.B) {
	reg := device.NewRegistry()
	if err := reg.Register("bare", func(context.Context, *url.URL) (device.Device, error) { return bare{}, nil }); err != nil {
		b.Fatal(err)
	}
	r := harness.New(reg, catalogue(b), features.FS, harness.WithConcurrency(1))
	scenarios := 0
	b.ReportAllocs()
	for b.Loop() {
		res, _, err := r.Check(context.Background(), "bare://x")
		if err != nil {
			b.Fatal(err)
		}
		scenarios = len(res.Scenarios)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(scenarios)/1e6, "ms/scenario")
}
