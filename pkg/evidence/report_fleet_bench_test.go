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

// BenchmarkTargetReport renders one device's own page of the synthetic
// fleet (46 controls, no scenarios: what a per-target page costs when the
// bundle writes 1,000 of them).
func BenchmarkTargetReport(b *testing.B) {
	in := syntheticFleet(b, 1)
	fp := Fingerprint(trustedKey())
	b.ReportAllocs()
	var size int
	for b.Loop() {
		out, err := targetReportHTMLAt(in.run, &in.run.Targets[0], fp, nil, "targets/0000")
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.SetBytes(int64(size))
	b.ReportMetric(float64(size), "page-bytes")
}
