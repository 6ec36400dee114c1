package wardcli

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
)

// reportOutline is the framework headings, section headings and control
// ids of a device report, in page order.
var reportOutlineRE = regexp.MustCompile(`<h2 id="framework-[^"]*">([^<]*)</h2>|<h3 id="framework-[^"]*">([^<]*)</h3>|<h4 id="control-[^"]*"><code>([^<]*)</code>`)

func reportOutline(t *testing.T, run *evidence.Run) []string {
	t.Helper()
	page, err := evidence.Report(run, "fp")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range reportOutlineRE.FindAllStringSubmatch(string(page), -1) {
		out = append(out, strings.Join(m[1:], ""))
	}
	return out
}

// TestReportFrameworksGroupAsBefore: with the embedded catalogue's
// frameworks and sections (frameworks.hcl), the report groups and orders
// every control exactly as the guesses from citations and ids did before
// the catalogue declared them; and a catalogue that declares different
// sections is followed, not second-guessed.
func TestReportFrameworksGroupAsBefore(t *testing.T) {
	cat, _, diags := control.Load(controls.FS)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	run := &evidence.Run{ID: "outline", Targets: []evidence.Target{{URI: "sim://x"}}}
	for _, c := range cat.Controls {
		run.Targets[0].Controls = append(run.Targets[0].Controls, evidence.Control{ID: c.ID, Framework: c.Framework, Title: c.Title,
			Citations: c.Citations, Outcome: evidence.Satisfied})
	}
	guessed := reportOutline(t, run)
	run.Frameworks = harness.Frameworks(cat)
	declared := reportOutline(t, run)
	if diff := cmp.Diff(guessed, declared); diff != "" {
		t.Errorf("report outline (-guessed +declared):\n%s", diff)
	}
	if len(declared) < len(cat.Controls)+len(cat.Frameworks) {
		t.Fatalf("outline has %d entries", len(declared))
	}

	// Move one control to another section: the report follows.
	fw := &run.Frameworks[0]
	moved := fw.Sections[len(fw.Sections)-1].Controls[0]
	fw.Sections[len(fw.Sections)-1].Controls = fw.Sections[len(fw.Sections)-1].Controls[1:]
	fw.Sections[0].Controls = append(fw.Sections[0].Controls, moved)
	fw.Sections[0].Title = "First section, renamed"
	again := reportOutline(t, run)
	i := slices.Index(again, "First section, renamed")
	j := slices.Index(again, moved)
	if i < 0 || j < i || slices.Index(again[i:j], fw.Sections[1].Title) >= 0 {
		t.Errorf("control %s not listed under the renamed first section:\n%s", moved, strings.Join(again, "\n"))
	}
}
