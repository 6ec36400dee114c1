package evidence

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/internal/realtool"
	"github.com/wardsec/ward/pkg/device"
)

// TestJUnitValidatesAgainstJenkinsXSD: junit.xml passes the Jenkins xUnit
// plugin's junit-10.xsd (vendored, see testdata/junit/xsd/SOURCE.md), the
// strictest common consumer, checked by an independent validator
// (xmllint). The runs cover every outcome, a target error, a run with no
// targets and hostile text.
func TestJUnitValidatesAgainstJenkinsXSD(t *testing.T) {
	xmllint := realtool.Need(t, "xmllint", "libxml2-utils")
	xsd := filepath.Join("testdata", "junit", "xsd", "junit-10.xsd")
	every := &Run{Started: time.Unix(0, 0), Finished: time.Unix(1234, 5e8), Targets: []Target{
		{URI: "sim://x", Started: time.Unix(1, 0), Finished: time.Unix(3, 0), Controls: []Control{
			{ID: "C-1", Framework: "hipaa", Title: "ok", Outcome: Satisfied},
			{ID: "C-2", Framework: "hipaa", Title: "bad", Outcome: NotSatisfied, Reason: "why"},
			{ID: "C-3", Framework: "fda", Title: "na", Outcome: NotApplicable, Reason: "no such capability"},
			{ID: "C-4", Framework: "fda", Title: "waived", Outcome: Waived, Reason: "until 2027"},
			{ID: "C-5", Framework: "fda", Title: "err", Outcome: Error, Reason: "boom"},
			{ID: "C-6", Framework: "fda", Title: "odd", Outcome: Outcome("maybe")},
		}},
		{URI: "https://dev\x1b[31m\"<&>]]>", Error: "dial: refused\x00", Identity: device.Identity{UDI: "(01)0"}},
	}}
	for name, run := range map[string]*Run{"sample": sampleRun(), "every outcome": every, "no targets": {}} {
		t.Run(name, func(t *testing.T) {
			out, err := JUnit(run)
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(t.TempDir(), "junit.xml")
			if err := os.WriteFile(f, out, 0o600); err != nil {
				t.Fatal(err)
			}
			res, err := exec.CommandContext(t.Context(), xmllint, "--noout", "--schema", xsd, f).CombinedOutput()
			if err != nil {
				t.Fatalf("xmllint --schema junit-10.xsd: %v\n%s\n%s", err, res, out)
			}
			if !strings.Contains(string(res), "validates") {
				t.Fatalf("xmllint said: %s", res)
			}
		})
	}
}
