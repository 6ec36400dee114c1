package wardcli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

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
