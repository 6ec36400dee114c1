package wardcli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/evidence"
)

// Without --attestations the procedural controls used to vanish from the
// bundle, and the report said all green. Now every control of the
// catalogue is in results.json, report.html, the OSCAL results and JUnit,
// the procedural ones as not assessed, and a coverage line per framework
// is printed and heads the report. Not assessed alone does not fail the
// run.
func TestEveryControlInEveryOutput(t *testing.T) {
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	require.False(t, diags.HasErrors())
	var procedural []string
	for _, c := range cat.Controls {
		if c.Verification.Method == control.MethodAttestation {
			procedural = append(procedural, c.ID)
		}
	}
	require.NotEmpty(t, procedural)

	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--out", out)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "coverage hipaa-security-rule: ")
	assert.Contains(t, stdout, "coverage all: 42 of 46 assessed (91%); 46 applicable, 0 not applicable, 4 not assessed")
	dir := bundleIn(t, out)

	var run evidence.Run
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &run))
	got := map[string]evidence.Outcome{}
	for _, c := range run.Targets[0].Controls {
		got[c.ID] = c.Outcome
	}
	assert.Len(t, got, len(cat.Controls), "every control of the catalogue")
	for _, id := range procedural {
		assert.Equal(t, evidence.NotAssessed, got[id], id)
	}

	report, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	oscal, err := os.ReadFile(filepath.Join(dir, "assessment-results.json"))
	require.NoError(t, err)
	junit, err := os.ReadFile(filepath.Join(dir, "junit.xml"))
	require.NoError(t, err)
	var suites struct {
		Suites []struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(junit, &suites))
	cases := map[string]bool{}
	for _, s := range suites.Suites {
		for _, c := range s.Cases {
			cases[c.Name] = c.Skipped != nil
		}
	}
	for _, id := range procedural {
		assert.Contains(t, string(report), id)
		assert.Contains(t, string(oscal), id)
		found := false
		for name, skipped := range cases {
			if strings.Contains(name, id) {
				found = true
				assert.True(t, skipped, "%s is skipped in JUnit, not passed", id)
			}
		}
		assert.True(t, found, "%s in junit.xml", id)
	}
	page := string(report)
	i := strings.Index(page, `id="coverage"`)
	require.Greater(t, i, 0, "coverage in the report")
	assert.Less(t, i, strings.Index(page, `id="attention"`), "coverage heads the report")
	assert.Contains(t, page, "42 of 46 assessed (91%)")
	assert.Contains(t, page, `data-count="not-assessed">4<`)
}

// The CI gates fail the run (exit 1, a GATE line) exactly when their
// policy is broken; bad gate values are usage errors (exit 2).
func TestCheckGates(t *testing.T) {
	const sel = "HIPAA-164.312-b,NPRM-164.312-h-2" // one automated, one procedural
	cases := []struct {
		name string
		args []string
		code int
		gate string
	}{
		{"no gate", nil, 0, ""},
		{"fail on not assessed", []string{"--fail-on", "not-assessed"}, 1, "GATE --fail-on not-assessed: sim://infusion-pump: 1 control(s): NPRM-164.312-h-2"},
		{"fail on not applicable, none", []string{"--fail-on", "not-applicable"}, 0, ""},
		{"coverage below", []string{"--min-coverage", "90%"}, 1, "GATE --min-coverage 90%: sim://infusion-pump: 50% (1 of 2 controls assessed)"},
		{"coverage met", []string{"--min-coverage", "50"}, 0, ""},
		{"required control not assessed", []string{"--require-control", "NPRM-164.312-h-2"}, 1, "GATE --require-control NPRM-164.312-h-2: sim://infusion-pump: not-assessed"},
		{"required control satisfied", []string{"--require-control", "HIPAA-164.312-b"}, 0, ""},
		{"unknown outcome", []string{"--fail-on", "not-satisfied-ish"}, 2, ""},
		{"coverage over 100", []string{"--min-coverage", "120%"}, 2, ""},
		{"unknown required control", []string{"--require-control", "HIPAA-NOPE"}, 2, ""},
		{"required control not selected", []string{"--require-control", "FDA-PMC-LOG-2"}, 2, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			code, stdout, stderr := ward(t, append([]string{"check", "--out", out, "--control", sel}, c.args...)...)
			require.Equal(t, c.code, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			if c.gate != "" {
				assert.Contains(t, stdout, c.gate+"\n")
			} else {
				assert.NotContains(t, stdout, "GATE")
			}
			if c.code == 2 {
				entries, _ := os.ReadDir(out)
				assert.Empty(t, entries, "nothing written on a usage error")
			}
		})
	}
}

// Not-applicable controls are grouped on the terminal by what the device
// would have to offer, not by internal capability names.
func TestNotApplicableGroupedByWhatTheDeviceLacks(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := ward(t, "check", "--out", out, "--target", "sim://patient-monitor",
		"--control", "FDA-PMC-INTEG-5,HIPAA-164.312-e-2-i,HIPAA-164.312-b", "--fail-on", "not-applicable")
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, "not applicable, by what the device would have to offer:\n")
	assert.Contains(t, stdout, "    offers no clinical settings programmable over HL7 (a monitor has none): 2 control(s) (FDA-PMC-INTEG-5, HIPAA-164.312-e-2-i)\n")
	assert.NotContains(t, stdout, "target does not support")
	assert.Contains(t, stdout, "GATE --fail-on not-applicable: sim://patient-monitor: 2 control(s)")
}

// An interrupt (SIGINT reaches run as a cancelled context) exits 130 with
// one line that says no bundle was written, and leaves nothing at --out:
// before the run starts, and in the middle of it (a target that accepts
// connections and never answers). It used to exit 3 with "ward:
// interrupted" and no word on the bundle.
func TestCheckInterruptedExits130(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // never answer
		}
	}()
	silent := "https://" + ln.Addr().String() + "?timeout=60s&ca-sha256=" + strings.Repeat("ab", 32)
	for name, tc := range map[string]struct {
		after  time.Duration
		target string
	}{
		"before the run": {0, "sim://infusion-pump"},
		"during the run": {300 * time.Millisecond, silent},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.after == 0 {
				cancel()
			} else {
				time.AfterFunc(tc.after, cancel)
			}
			out := t.TempDir()
			var stdout, stderr bytes.Buffer
			start := time.Now()
			code := run(ctx, []string{"check", "--out", out, "--target", tc.target}, &stdout, &stderr)
			require.Equal(t, 130, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			assert.Less(t, time.Since(start), 30*time.Second, "the interrupt does not wait for the target's timeout")
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			assert.Equal(t, "ward: interrupted: no evidence bundle was written", lines[len(lines)-1])
			assert.Equal(t, 1, strings.Count(stderr.String(), "interrupted"))
			entries, err := os.ReadDir(out)
			require.NoError(t, err)
			for _, e := range entries {
				assert.True(t, strings.HasPrefix(e.Name(), "."), "no bundle: %s", e.Name())
			}
		})
	}
}

// An unreachable target is one line (it was 96, one per control twice,
// with "https https://" in each), and no identity line is made up for
// it.
func TestUnreachableTargetIsOneLine(t *testing.T) {
	target := "https://127.0.0.1:1?timeout=2s&ca-sha256=" + strings.Repeat("ab", 32)
	code, stdout, stderr := ward(t, "check", "--out", t.TempDir(), "--target", target)
	require.Equal(t, 3, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	before, _, ok := strings.Cut(stdout, "\nevidence: ")
	require.True(t, ok)
	lines := strings.Split(strings.TrimSpace(before), "\n")
	require.Len(t, lines, 1, stdout)
	assert.True(t, strings.HasPrefix(lines[0], target+": target error: GET https://127.0.0.1:1/v1/service: "), lines[0])
	assert.Contains(t, lines[0], "connection refused (46 control(s) not checked)")
	assert.NotContains(t, stdout, "https https://")
	assert.NotContains(t, stdout, "serial ,")
}

// The identity line says only what the device said.
func TestIdentityLine(t *testing.T) {
	assert.Equal(t, "", identityLine(device.Identity{}))
	assert.Equal(t, "Acme Pump, serial 7", identityLine(device.Identity{Manufacturer: "Acme", Model: "Pump", Serial: "7"}))
	assert.Equal(t, `firmware \x1b[2Jx`, identityLine(device.Identity{Firmware: "\x1b[2Jx"}), "no terminal escapes: shown escaped")
}

// `ward controls lint` holds @touches: tags to the vocabulary and to what
// the scenario's steps touch.
func TestControlsLintChecksTouches(t *testing.T) {
	// Every other control needs a scenario: start from the embedded ones.
	withEmbedded := func(t *testing.T, body string) string {
		dir := t.TempDir()
		require.NoError(t, os.CopyFS(dir, features.FS))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "access", "automatic_logoff.feature"), []byte(body), 0o644))
		return dir
	}
	missing := withEmbedded(t, `@HIPAA-164.312-a-2-iii
Feature: Idle sessions end

  Scenario: The session ends
    Given a clinician account "nurse.jones"
    And "nurse.jones" is logged in
    When 16 minutes pass without any request
    Then "nurse.jones" can no longer perform "phi.read" in that session
`)
	code, _, stderr := ward(t, "controls", "lint", "--replace-catalogue", "--features", missing)
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, `access/automatic_logoff.feature:4: Error: Undeclared resource: scenario "The session ends": step "16 minutes pass without any request" touches clock; tag it @touches:clock`)

	unknown := withEmbedded(t, `@HIPAA-164.312-a-2-iii @touches:clocks
Feature: Idle sessions end

  Scenario: The session ends
    Given a clinician account "nurse.jones"
    And "nurse.jones" is logged in
    When 16 minutes pass without any request
    Then "nurse.jones" can no longer perform "phi.read" in that session
`)
	code, _, stderr = ward(t, "controls", "lint", "--replace-catalogue", "--features", unknown)
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, "Unknown resource")
	assert.Contains(t, stderr, "Did you mean @touches:clock?")
}
