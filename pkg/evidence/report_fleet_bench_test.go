package evidence

import (
	"fmt"
	"testing"
)

// BenchmarkFleetReport renders the fleet view of 10, 100 and 1,000
// synthetic devices against the embedded catalogue (syntheticFleet) and
// reports the page's size and its bytes per device.
func BenchmarkFleetReport(b *testing.B) {
	fp := Fingerprint(trustedKey())
	for _, n := range []int{10, 100, 1000} {
		in := syntheticFleet(b, n)
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				out, err := fleetReportHTML(in.run, in.catalogue, in.rows, fp, nil)
				if err != nil {
					b.Fatal(err)
				}
				size = len(out)
			}
			b.SetBytes(int64(size))
			b.ReportMetric(float64(size), "page-bytes")
			b.ReportMetric(float64(size)/float64(n), "bytes/device")
		})
	}
}

// BenchmarkTargetReport renders one device's own page as a fleet bundle
// stores it (targets/<NNNN>/report.html), for a target of fleetRun: every
// control of the embedded catalogue with its scenario executions, four
// steps each with observed values, and an artifact per scenario. A fleet
// bundle holds one per device.
func BenchmarkTargetReport(b *testing.B) {
	run := fleetRun(b, 1)
	fp := Fingerprint(trustedKey())
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := targetReportHTMLAt(run, &run.Targets[0], fp, nil, "targets/0000")
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.SetBytes(int64(size))
	b.ReportMetric(float64(size), "page-bytes")
	b.ReportMetric(float64(len(run.Targets[0].Scenarios)), "scenarios")
}
