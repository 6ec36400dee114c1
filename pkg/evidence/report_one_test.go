package evidence

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// oneTargetRun is sampleRun with its first device only.
func oneTargetRun() *Run {
	run := sampleRun()
	run.Targets = run.Targets[:1]
	return run
}

// TestReportOneTargetGolden: testdata/report/one-target.html is the report
// of a one-device run as it was before the fleet view existed; a one-device
// report must not change (regenerate with -update only for a deliberate
// change of the device page).
func TestReportOneTargetGolden(t *testing.T) {
	got := renderReportAPI(t, oneTargetRun())
	golden := filepath.Join("testdata", "report", "one-target.html")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("one-device report differs from %s (-want +got):\n%s", golden, diff)
	}
}

// renderReportAPI renders run through the public Report.
func renderReportAPI(t *testing.T, run *Run) string {
	t.Helper()
	out, err := Report(run, Fingerprint(trustedKey()))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
