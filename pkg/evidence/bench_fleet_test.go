package evidence

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/device"
)

// catalogueControl is what the fleet benchmark needs of a catalogue control.
type catalogueControl struct {
	id, framework, title, severity, status string
	citations                              []string
	scenarios                              int // executions per target
}

var (
	hclControlRE  = regexp.MustCompile(`(?m)^control "([^"]+)"`)
	hclAttrRE     = regexp.MustCompile(`(?m)^\s*(framework|title|severity|status)\s*=\s*"([^"]*)"`)
	hclCitationRE = regexp.MustCompile(`(?m)^\s*citations\s*=\s*\[(.*)\]`)
	quotedRE      = regexp.MustCompile(`"([^"]*)"`)
)

// currentCatalogue reads the embedded catalogue (controls.FS) and features
// (features.FS) with a few regular expressions (pkg/evidence does not link
// the HCL or Gherkin parsers, not even in tests), counting how many scenario
// executions each control gets per target: one per Scenario, one per
// Examples row of a Scenario Outline.
func currentCatalogue(tb testing.TB) []catalogueControl {
	tb.Helper()
	var out []catalogueControl
	index := map[string]int{}
	err := fs.WalkDir(controls.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".hcl") {
			return err
		}
		data, err := fs.ReadFile(controls.FS, p)
		if err != nil {
			return err
		}
		text := string(data)
		locs := hclControlRE.FindAllStringSubmatchIndex(text, -1)
		for i, l := range locs {
			end := len(text)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			body := text[l[1]:end]
			c := catalogueControl{id: text[l[2]:l[3]]}
			for _, m := range hclAttrRE.FindAllStringSubmatch(body, -1) {
				switch m[1] {
				case "framework":
					c.framework = m[2]
				case "title":
					c.title = m[2]
				case "severity":
					c.severity = m[2]
				case "status":
					c.status = m[2]
				}
			}
			if m := hclCitationRE.FindStringSubmatch(body); m != nil {
				for _, q := range quotedRE.FindAllStringSubmatch(m[1], -1) {
					c.citations = append(c.citations, q[1])
				}
			}
			index[c.id] = len(out)
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	err = fs.WalkDir(features.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".feature") {
			return err
		}
		f, err := features.FS.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		var featureTags, pending []string
		outline, inExamples, header := false, false, false
		var current []string
		count := func(ids []string, n int) {
			for _, id := range ids {
				if i, ok := index[id]; ok {
					out[i].scenarios += n
				}
			}
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch {
			case strings.HasPrefix(line, "@"):
				for _, tag := range strings.Fields(line) {
					pending = append(pending, strings.TrimPrefix(tag, "@"))
				}
			case strings.HasPrefix(line, "Feature:"):
				featureTags, pending = pending, nil
			case strings.HasPrefix(line, "Scenario Outline:"), strings.HasPrefix(line, "Scenario Template:"):
				current, pending, outline, inExamples = append(append([]string{}, featureTags...), pending...), nil, true, false
			case strings.HasPrefix(line, "Scenario:"), strings.HasPrefix(line, "Example:"):
				current, pending, outline, inExamples = append(append([]string{}, featureTags...), pending...), nil, false, false
				count(current, 1)
			case strings.HasPrefix(line, "Examples:") && outline:
				inExamples, header = true, true
			case strings.HasPrefix(line, "|") && inExamples:
				if header {
					header = false
				} else {
					count(current, 1)
				}
			}
		}
		return sc.Err()
	})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range out {
		if out[i].scenarios == 0 {
			out[i].scenarios = 1
		}
	}
	return out
}

// fleetRun synthesizes a run of targets simulated infusion pumps against the
// catalogue: every scenario has four steps with observed values and one
// 512-byte artifact; every tenth target fails one control, every
// seventeenth cannot run another.
func fleetRun(tb testing.TB, targets int) *Run {
	tb.Helper()
	cat := currentCatalogue(tb)
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	run := &Run{
		ID:        "fleet-benchmark",
		Tool:      Tool{Name: "ward", Version: "0.1.0-bench"},
		Catalogue: Catalogue{Digest: strings.Repeat("cd", 32), Source: "embedded", Controls: len(cat)},
		Started:   start,
		Finished:  start.Add(time.Hour),
	}
	for ti := range targets {
		run.Targets = append(run.Targets, fleetTarget(cat, start, ti, false))
	}
	return run
}

// fleetHead is the header of fleetRun's run.
func fleetHead(cat []catalogueControl) *Run {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &Run{
		ID:        "fleet-benchmark",
		Tool:      Tool{Name: "ward", Version: "0.1.0-bench"},
		Catalogue: Catalogue{Digest: strings.Repeat("cd", 32), Source: "embedded", Controls: len(cat)},
		Started:   start,
		Finished:  start.Add(time.Hour),
	}
}

// fleetTarget is target ti of fleetRun. With distinct, each scenario's
// artifact differs (an audit log naming the device and scenario), the worst
// case for content addressing; otherwise all are the same 512 bytes.
func fleetTarget(cat []catalogueControl, start time.Time, ti int, distinct bool) Target {
	artifact := []byte(strings.Repeat("audit record 0001 ok\n", 512/21+1)[:512])
	t := Target{
		URI: fmt.Sprintf("https://pump-%04d.ward.example:8443", ti),
		Identity: device.Identity{Manufacturer: "Ward Simulated Devices", Model: "SIM-IP-100 infusion pump",
			Serial: fmt.Sprintf("SIM-IP-%06d", ti), Firmware: "1.4.2", UDI: fmt.Sprintf("(01)00000000000000(21)SIM-IP-%06d", ti)},
		Started:  start.Add(time.Duration(ti) * time.Second),
		Finished: start.Add(time.Duration(ti)*time.Second + 900*time.Millisecond),
	}
	for ci, c := range cat {
		ctl := Control{ID: c.id, Framework: c.framework, Title: c.title, Citations: c.citations, Status: c.status, Severity: c.severity,
			Requirement: "The device does what " + c.title + " requires; the automated check observes it through the device's interfaces and storage.",
			Remediation: "Fix the device so that " + c.title + " holds, then run ward check again.",
			Outcome:     Satisfied, Reason: fmt.Sprintf("all %d scenarios passed", c.scenarios)}
		for k := range c.scenarios {
			sid := fmt.Sprintf("t%04d-c%02d-s%02d", ti, ci, k)
			sc := Scenario{ID: sid, Name: fmt.Sprintf("%s scenario %d", c.title, k+1), Feature: c.title, URI: "area/feature.feature", Line: 10 + k,
				Tags: []string{"@" + c.id}, Status: ScenarioPassed, Started: t.Started.Add(time.Duration(k) * time.Millisecond), Duration: 3 * time.Millisecond,
				Artifacts: []Artifact{{Name: "step04-audit-log.jsonl", MediaType: "application/jsonl", Data: artifact}}}
			if distinct {
				sc.Artifacts[0].Data = append([]byte(sid+" SIM-IP-"+fmt.Sprint(ti)+"\n"), artifact[:480]...)
			}
			for s, kw := range []string{"Given", "And", "When", "Then"} {
				sc.Steps = append(sc.Steps, Step{Keyword: kw, Text: fmt.Sprintf("step %d of the scenario with a realistic length of text", s+1), Status: "passed",
					Observed: fmt.Sprintf("observed value %d: the device answered 403 Forbidden and wrote audit record %d", s, s+1)})
			}
			t.Scenarios = append(t.Scenarios, sc)
			ctl.Scenarios = append(ctl.Scenarios, sid)
		}
		switch {
		case ti%10 == 0 && ci == 0:
			ctl.Outcome, ctl.Reason = NotSatisfied, "1 of 1 scenarios failed: the device accepted an unauthenticated read"
			t.Scenarios[len(t.Scenarios)-1].Status = ScenarioFailed
		case ti%17 == 0 && ci == 1:
			ctl.Outcome, ctl.Reason = NotApplicable, "the target cannot read raw storage"
		}
		t.Controls = append(t.Controls, ctl)
	}
	return t
}

// BenchmarkWriteFleet writes and signs the bundle of 500 targets against the
// current catalogue: results.json, junit.xml, the OSCAL assessment results
// and POA&M, report.html and one artifact per scenario, fsynced.
func BenchmarkWriteFleet(b *testing.B) {
	run := fleetRun(b, 500)
	scenarios := 0
	for _, t := range run.Targets {
		scenarios += len(t.Scenarios)
	}
	b.Logf("%d targets x %d controls, %d scenario executions", len(run.Targets), run.Catalogue.Controls, scenarios)
	parent := b.TempDir()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dir, err := Write(b.Context(), parent, run, WithSigner(vectorKey()), WithName(fmt.Sprintf("b%d", i)))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if i == 0 {
			for _, f := range []string{ResultsFile, JUnitFile, AssessmentResultsFile, POAMFile, ReportFile} {
				if info, err := os.Stat(filepath.Join(dir, f)); err == nil {
					b.Logf("%s: %.1f MiB", f, float64(info.Size())/(1<<20))
				}
			}
		}
		os.RemoveAll(dir)
		i++
		b.StartTimer()
	}
}

// BenchmarkRenderFleet is BenchmarkWriteFleet without the file system: each
// derived output rendered alone, to see where the time goes.
func BenchmarkRenderFleet(b *testing.B) {
	run := fleetRun(b, 500)
	for _, r := range []struct {
		name string
		fn   func(*Run) ([]byte, error)
	}{
		{"results.json", func(r *Run) ([]byte, error) { return marshalJSON(r) }},
		{"junit.xml", JUnit},
		{"assessment-results.json", AssessmentResults},
		{"poam.json", POAM},
		{"report.html", func(r *Run) ([]byte, error) { return Report(r, Fingerprint(trustedKey())) }},
	} {
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := r.fn(run)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(out)))
			}
		})
	}
}

// BenchmarkVerifyFleet verifies the bundle of BenchmarkWriteFleet (page
// cache warm): hashing every file plus the OSCAL cross-reference check of
// assessment-results.json and poam.json. Compare its MB/s with
// BenchmarkVerifyCeiling (SHA-256 from memory).
func BenchmarkVerifyFleet(b *testing.B) {
	run := fleetRun(b, 500)
	dir, err := Write(b.Context(), b.TempDir(), run, WithSigner(vectorKey()), WithName("fleet"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(bundleSize(b, dir))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(b.Context(), dir, trustedKey()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckOSCALFleet is the cross-reference check alone, on the
// fleet's assessment results in memory.
func BenchmarkCheckOSCALFleet(b *testing.B) {
	ar, err := AssessmentResults(fleetRun(b, 500))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(ar)))
	b.ReportAllocs()
	for b.Loop() {
		ps, err := CheckOSCALReferences(bytes.NewReader(ar))
		if err != nil || len(ps) > 0 {
			b.Fatal(err, ps)
		}
	}
}
