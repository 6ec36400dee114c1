package wardcli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
)

// golden compares got with testdata/name (WARD_UPDATE_GOLDEN=1 rewrites it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if os.Getenv("WARD_UPDATE_GOLDEN") == "1" {
		require.NoError(t, os.WriteFile(p, []byte(got), 0o644))
	}
	want, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, string(want), got)
}

// fleetRun is a fixed run of five pumps: two clean, one failing two
// controls, one waived, one unreachable, and one whose device put
// terminal escapes in its identity.
func fleetRun() *evidence.Run {
	ctl := func(id string, o evidence.Outcome) evidence.Control {
		return evidence.Control{ID: id, Framework: "hipaa-security-rule", Title: "Title of " + id, Outcome: o}
	}
	ids := []string{"HIPAA-164.312-b", "HIPAA-164.312-d", "FDA-PMC-LOG-2", "HIPAA-164.308-a-5"}
	clean := func() []evidence.Control {
		return []evidence.Control{ctl(ids[0], evidence.Satisfied), ctl(ids[1], evidence.Satisfied), ctl(ids[2], evidence.Satisfied), ctl(ids[3], evidence.NotAssessed)}
	}
	started := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	run := &evidence.Run{ID: "run-1", Started: started, Finished: started.Add(time.Minute),
		Catalogue: evidence.Catalogue{Digest: "d", Source: "embedded", Controls: 4}}
	id := func(serial string) device.Identity {
		return device.Identity{Manufacturer: "Ward Sim", Model: "SIM-IP-100", Serial: serial, Firmware: "4.2.1"}
	}
	failing := clean()
	failing[1].Outcome, failing[2].Outcome = evidence.NotSatisfied, evidence.NotSatisfied
	waived := clean()
	waived[1].Outcome = evidence.Waived
	hostile := clean()
	hostile[2].Outcome = evidence.Error
	var down []evidence.Control
	for _, c := range clean() {
		c.Outcome = evidence.Error
		down = append(down, c)
	}
	run.Targets = []evidence.Target{
		{URI: "sim://infusion-pump?serial=SIM-IP-000001", Identity: id("SIM-IP-000001"), Controls: clean()},
		{URI: "sim://infusion-pump?serial=SIM-IP-000002&weaken=no-auth", Identity: id("SIM-IP-000002"), Controls: failing},
		{URI: "sim://infusion-pump?serial=SIM-IP-000003", Identity: id("SIM-IP-000003"), Controls: waived},
		{URI: "https://10.0.0.9", Error: "open https://10.0.0.9: connection refused", Controls: down},
		{URI: "https://10.0.0.10", Identity: device.Identity{Model: "X\x1b[31mRED", Serial: strings.Repeat("9", 300)}, Controls: hostile},
	}
	return run
}

// More than compactAbove targets: one line per target, named failures, a
// fleet summary with per-control counts; device text is escaped and
// clipped.
func TestCompactOutputGolden(t *testing.T) {
	var b bytes.Buffer
	printCompact(&b, fleetRun())
	out := b.String()
	golden(t, "check-compact.golden", out)
	assert.NotContains(t, out, "\x1b", "a device's escape sequence never reaches the terminal raw")
	assert.Equal(t, 5, strings.Count(out, "\n["), "one line per target")
	assert.NotContains(t, out, strings.Repeat("9", 300), "device text is clipped")
}

// --format json: the versioned summary, golden, and it parses back into
// what the run holds.
func TestJSONSummaryGolden(t *testing.T) {
	run := fleetRun()
	var b bytes.Buffer
	require.NoError(t, writeJSONSummary(&b, run, "/evidence/20261201T080000Z", "SHA256:abc", exitFor(run), "GATE --fail-on not-assessed: x: 1 control(s): HIPAA-164.308-a-5\n"))
	golden(t, "check-summary.json.golden", b.String())
	var s map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &s))
	assert.EqualValues(t, 1, s["version"])
	assert.EqualValues(t, exitNotSatisfied, s["exit_code"])
	assert.EqualValues(t, 5, s["targets"])
	assert.EqualValues(t, 1, s["target_errors"])
	assert.Equal(t, []any{"--fail-on not-assessed: x: 1 control(s): HIPAA-164.308-a-5"}, s["gates"])
	outcomes := s["outcomes"].(map[string]any)
	assert.EqualValues(t, 8, outcomes["satisfied"])
	assert.EqualValues(t, 2, outcomes["not-satisfied"])
	assert.EqualValues(t, 5, outcomes["error"])
}

func TestExitFor(t *testing.T) {
	c := func(o evidence.Outcome) evidence.Target {
		return evidence.Target{Controls: []evidence.Control{{ID: "A", Outcome: evidence.Satisfied}, {ID: "B", Outcome: o}}}
	}
	for _, tc := range []struct {
		name    string
		targets []evidence.Target
		want    int
	}{
		{"all good", []evidence.Target{c(evidence.Satisfied), c(evidence.Waived), c(evidence.NotApplicable), c(evidence.NotAssessed)}, exitOK},
		{"not satisfied", []evidence.Target{c(evidence.Satisfied), c(evidence.NotSatisfied)}, exitNotSatisfied},
		{"error", []evidence.Target{c(evidence.Error), c(evidence.Satisfied)}, exitHarness},
		{"not satisfied wins over an earlier error", []evidence.Target{c(evidence.Error), c(evidence.NotSatisfied)}, exitNotSatisfied},
		{"not satisfied wins over a later error", []evidence.Target{c(evidence.NotSatisfied), {Error: "down"}}, exitNotSatisfied},
		{"unreachable", []evidence.Target{c(evidence.Satisfied), {Error: "down"}}, exitHarness},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, exitFor(&evidence.Run{Targets: tc.targets}))
		})
	}
}

// Progress for a fleet is bounded: 1,000 targets make at most
// progressLines lines on stderr (plus none per scenario off a terminal),
// and the last one says the whole fleet is done.
func TestFleetProgressIsBounded(t *testing.T) {
	for _, n := range []int{21, 100, 1000, 1001} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var b bytes.Buffer
			targets := make([]string, n)
			for i := range targets {
				targets[i] = fmt.Sprintf("sim://infusion-pump?serial=%d", i)
			}
			p := progressPrinter(&b, targets)
			for i, tg := range targets {
				for k := range 150 {
					p(harness.Progress{Target: tg, Scenario: fmt.Sprint(k), Done: k + 1})
				}
				p(harness.Progress{Target: tg, TargetDone: true, Done: 150, Failed: i % 2})
			}
			lines := strings.Split(strings.TrimSpace(b.String()), "\n")
			assert.LessOrEqual(t, len(lines), progressLines)
			assert.GreaterOrEqual(t, len(lines), progressLines/2, "progress is still shown")
			assert.Equal(t, fmt.Sprintf("ward: [%d/%d] targets done, %d with failed or broken scenarios", n, n, n/2), lines[len(lines)-1])
		})
	}
	// A small run still names every target.
	var b bytes.Buffer
	p := progressPrinter(&b, []string{"a", "b"})
	p(harness.Progress{Target: "b", TargetDone: true, Done: 3})
	p(harness.Progress{Target: "a", TargetDone: true, Done: 3, Failed: 1})
	assert.Equal(t, "ward: [1/2] a: 3 scenarios, 1 failed\nward: [2/2] b: 3 scenarios, 0 failed\n", b.String())
}

// End to end: ward check on a fleet of five simulated pumps prints the
// compact view (no per-control table), --verbose the table, and --format
// json a summary whose counts are those of the bundle's results.json.
func TestCheckFleetOutputModes(t *testing.T) {
	fleet := filepath.Join(t.TempDir(), "fleet.txt")
	require.NoError(t, os.WriteFile(fleet, []byte("sim://infusion-pump count=4\nsim://infusion-pump?weaken=mutable-audit\n"), 0o644))
	base := []string{"check", "--targets", fleet, "--control", "HIPAA-164.312-b,FDA-PMC-LOG-2"}

	code, stdout, stderr := ward(t, append(base, "--out", t.TempDir())...)
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Equal(t, 5, strings.Count(stdout, "\n["), stdout)
	assert.Regexp(t, `\[5\] sim://infusion-pump\?weaken=mutable-audit .*: 1 satisfied, 1 not satisfied, .*; FAILED FDA-PMC-LOG-2`, stdout)
	assert.Contains(t, stdout, "fleet: 5 target(s), 0 could not be checked; 2 control(s) each")
	assert.Regexp(t, `FDA-PMC-LOG-2\s+1 not satisfied\s+0 error`, stdout)
	assert.NotContains(t, stdout, "coverage ", "no per-target table")

	code, stdout, _ = ward(t, append(base, "--out", t.TempDir(), "--verbose")...)
	require.Equal(t, 1, code)
	assert.Len(t, regexp.MustCompile(`(?m)^  (satisfied|not-satisfied) +(HIPAA-164.312-b|FDA-PMC-LOG-2) `).FindAllString(stdout, -1), 5*2, "the full table for every target:\n%s", stdout)

	out := t.TempDir()
	code, stdout, stderr = ward(t, append(base, "--out", out, "--format", "json")...)
	require.Equal(t, 1, code, stderr)
	var s fleetSummary
	require.NoError(t, json.Unmarshal([]byte(stdout), &s), "stdout is the JSON summary alone:\n%s", stdout)
	assert.Equal(t, 1, s.Version)
	assert.Equal(t, exitNotSatisfied, s.ExitCode)
	assert.Equal(t, bundleIn(t, out), s.Bundle)
	run := readRun(t, s.Bundle)
	assert.Equal(t, run.ID, s.RunID)
	require.Len(t, s.PerTarget, len(run.Targets))
	for i, tg := range run.Targets {
		assert.Equal(t, tg.URI, s.PerTarget[i].URI)
		assert.Equal(t, idsWith(tg.Controls, evidence.NotSatisfied), nilIfEmpty(s.PerTarget[i].NotSatisfied))
	}
	assert.Equal(t, []string{"FDA-PMC-LOG-2"}, s.PerTarget[4].NotSatisfied)

	code, _, stderr = ward(t, append(base, "--out", t.TempDir(), "--format", "yaml")...)
	assert.Equal(t, 2, code, stderr)
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
