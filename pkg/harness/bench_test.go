package harness_test

import (
	"context"
	"fmt"
	"net/url"
	"runtime"
	"testing"

	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
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

// BenchmarkCheckKeptUnit measures what keeping scenarios that touch the
// same state apart costs: the suite (without the destructive check) on
// fresh sim:// units, where nothing is serialised, and on one unit that
// keeps its state (a fresh one per iteration, so the audit trail does not
// grow across iterations), at the default concurrency (the CPU count) and
// at 8.
func BenchmarkCheckKeptUnit(b *testing.B) {
	cat := catalogue(b)
	var ids []string
	for _, c := range cat.Controls {
		if c.ID != disposal {
			ids = append(ids, c.ID)
		}
	}
	for _, conc := range []int{runtime.NumCPU(), 8} {
		for _, kept := range []bool{false, true} {
			name := fmt.Sprintf("sim/concurrency%d", conc)
			if kept {
				name = fmt.Sprintf("kept/concurrency%d", conc)
			}
			b.Run(name, func(b *testing.B) {
				ctx := context.Background()
				reg := simRegistry(b)
				var p *sim.Pump
				if err := reg.Register("resident", func(context.Context, *url.URL) (device.Device, error) { return resident{p}, nil }); err != nil {
					b.Fatal(err)
				}
				target := "sim://infusion-pump"
				if kept {
					target = "resident://infusion-pump"
				}
				r := harness.New(reg, cat, features.FS, harness.WithConcurrency(conc), harness.WithControls(ids...))
				for b.Loop() {
					var err error
					if p, err = sim.New(ctx, "infusion-pump"); err != nil {
						b.Fatal(err)
					}
					res, _, err := r.Check(ctx, target)
					if err != nil || res.Error != "" {
						b.Fatal(err, res.Error)
					}
					p.Close()
				}
			})
		}
	}
}
