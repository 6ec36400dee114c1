package evidence

import (
	"strings"
	"testing"
)

// TestOSCALStatesCatalogueTextOnce: on a fleet, each control's requirement,
// remediation and title appear once in the assessment results, however
// many targets were checked, and each target's findings still reach them.
func TestOSCALStatesCatalogueTextOnce(t *testing.T) {
	run := fleetRun(t, 4)
	ar, err := AssessmentResults(run)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(ar)
	for _, c := range run.Targets[0].Controls[:5] {
		for _, text := range []string{mdEscape(c.Requirement), mdEscape(c.Remediation), mdLine(c.ID + " " + c.Title)} {
			if n := strings.Count(doc, text); n != 1 {
				t.Errorf("%s: %q appears %d times, want once", c.ID, text, n)
			}
		}
	}
	checkRefs(t, AssessmentResultsFile, ar)
}

// TestOSCALBytesPerDevice: each additional pump adds at most 100 KB to the
// assessment results (issue #16's goal), measured between fleets of 5 and
// 25 synthetic pumps against the current catalogue. Sizes are exact for a
// given input, so this is no timing threshold.
func TestOSCALBytesPerDevice(t *testing.T) {
	cat := currentCatalogue(t)
	size := func(n int) (ar, poam int) {
		run := fleetRun(t, n)
		a, err := AssessmentResults(run)
		if err != nil {
			t.Fatal(err)
		}
		p, err := POAM(run)
		if err != nil {
			t.Fatal(err)
		}
		return len(a), len(p)
	}
	a5, p5 := size(5)
	a25, p25 := size(25)
	perAR, perPOAM := (a25-a5)/20, (p25-p5)/20
	t.Logf("%d controls: %s %d bytes per additional device, %s %d", len(cat), AssessmentResultsFile, perAR, POAMFile, perPOAM)
	if perAR > 100_000 {
		t.Errorf("%s grows by %d bytes per device, over 100 KB", AssessmentResultsFile, perAR)
	}
}
