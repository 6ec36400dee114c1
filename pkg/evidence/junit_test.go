package evidence

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJUnitGolden(t *testing.T) {
	got, err := JUnit(sampleRun())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "junit", "sample.xml")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("JUnit differs from %s (-want +got; -update to accept):\n%s", golden, diff)
	}
}

// junitDoc is what a CI system reads back.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Errors     int    `xml:"errors,attr"`
		Skipped    int    `xml:"skipped,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Body    string `xml:",chardata"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, data []byte) junitDoc {
	t.Helper()
	var doc junitDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("JUnit output is not XML: %v\n%s", err, data)
	}
	return doc
}

func TestJUnitOutcomes(t *testing.T) {
	type result struct{ failure, errored, skipped string }
	for _, tc := range []struct {
		name    string
		outcome Outcome
		want    result
	}{
		{"satisfied-passes", Satisfied, result{}},
		{"not-satisfied-fails", NotSatisfied, result{failure: "why"}},
		{"error-errors", Error, result{errored: "why"}},
		{"not-applicable-skips", NotApplicable, result{skipped: "not-applicable: why"}},
		{"waived-skips", Waived, result{skipped: "waived: why"}},
		{"unknown-errors", Outcome("maybe"), result{errored: `unknown outcome "maybe": why`}},
		{"empty-errors", Outcome(""), result{errored: `unknown outcome "": why`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := &Run{Targets: []Target{{URI: "sim://x", Controls: []Control{{ID: "C-1", Framework: "hipaa", Title: "T", Outcome: tc.outcome, Reason: "why"}}}}}
			out, err := JUnit(run)
			if err != nil {
				t.Fatal(err)
			}
			doc := parseJUnit(t, out)
			c := doc.Suites[0].Cases[0]
			if c.Name != "C-1 T" || c.Classname != "hipaa" {
				t.Errorf("testcase name %q classname %q", c.Name, c.Classname)
			}
			var got result
			if c.Failure != nil {
				got.failure = c.Failure.Message
			}
			if c.Error != nil {
				got.errored = c.Error.Message
			}
			if c.Skipped != nil {
				got.skipped = c.Skipped.Message
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			n := func(s string) int {
				if s != "" {
					return 1
				}
				return 0
			}
			s := doc.Suites[0]
			if s.Tests != 1 || s.Failures != n(tc.want.failure) || s.Errors != n(tc.want.errored) || s.Skipped != n(tc.want.skipped) {
				t.Errorf("suite counts tests=%d failures=%d errors=%d skipped=%d", s.Tests, s.Failures, s.Errors, s.Skipped)
			}
			if doc.Tests != s.Tests || doc.Failures != s.Failures || doc.Errors != s.Errors || doc.Skipped != 0 {
				t.Errorf("testsuites totals differ from the suite")
			}
		})
	}
}

func TestJUnitSample(t *testing.T) {
	out, err := JUnit(sampleRun())
	if err != nil {
		t.Fatal(err)
	}
	doc := parseJUnit(t, out)
	skipped := 0
	for _, s := range doc.Suites {
		skipped += s.Skipped
	}
	if doc.Tests != 7 || doc.Failures != 1 || doc.Errors != 3 || skipped != 2 || doc.Skipped != 0 {
		t.Errorf("totals tests=%d failures=%d errors=%d skipped=%d (root %d), want 7 1 3 2 (0: junit-10.xsd has no root skipped)",
			doc.Tests, doc.Failures, doc.Errors, skipped, doc.Skipped)
	}
	pump := doc.Suites[0]
	if pump.Name != "sim://infusion-pump?weaken=no-mfa" {
		t.Errorf("suite name %q", pump.Name)
	}
	props := map[string]string{}
	for _, p := range pump.Properties {
		props[p.Name] = p.Value
	}
	if diff := cmp.Diff(map[string]string{"manufacturer": "Acme Medical", "model": "IP-200", "serial": "SN-0042", "firmware": "3.1.4", "udi": "(01)00812345678901"}, props); diff != "" {
		t.Errorf("properties (-want +got):\n%s", diff)
	}
	fail := pump.Cases[1].Failure
	if fail == nil {
		t.Fatal("not-satisfied control has no <failure>")
	}
	for _, want := range []string{
		"Scenario: Privileged login needs two factors (features/mfa/login.feature:12): failed: login succeeded with a password alone",
		"[failed] Then the login is refused: expected ErrDenied, got a session token (observed: session token issued)",
	} {
		if !strings.Contains(fail.Body, want) {
			t.Errorf("failure body lacks %q:\n%s", want, fail.Body)
		}
	}
	if strings.Contains(fail.Body, "Clinician login") {
		t.Errorf("failure body lists a passing scenario:\n%s", fail.Body)
	}
	down := doc.Suites[1]
	if down.Cases[0].Error == nil || !strings.Contains(down.Cases[0].Error.Message, "connection refused") {
		t.Errorf("target error is not an <error> testcase: %+v", down.Cases[0])
	}
	if down.Errors != 2 || down.Tests != 2 {
		t.Errorf("unreachable target: tests=%d errors=%d, want 2 2", down.Tests, down.Errors)
	}
}

func TestJUnitEscapesHostileText(t *testing.T) {
	nasty := "a]]>b<c>&\"d\x00e\x1bf\xffg\n"
	run := &Run{Targets: []Target{{
		URI: nasty, Identity: deviceIdentity(nasty),
		Controls:  []Control{{ID: nasty, Title: nasty, Framework: nasty, Outcome: NotSatisfied, Reason: nasty, Scenarios: []string{"s"}}},
		Scenarios: []Scenario{{ID: "s", Name: nasty, Status: ScenarioFailed, Steps: []Step{{Keyword: nasty, Text: nasty, Status: "failed", Error: nasty}}}},
	}}}
	out, err := JUnit(run)
	if err != nil {
		t.Fatal(err)
	}
	doc := parseJUnit(t, out)
	c := doc.Suites[0].Cases[0]
	if c.Failure == nil || !strings.Contains(c.Failure.Body, "a]]>b<c>&\"d\uFFFDe\uFFFDf\uFFFDg") {
		t.Errorf("body not preserved: %+v", c.Failure)
	}
	if bytes.ContainsAny(out, "\x00\x1b") {
		t.Errorf("output carries control characters")
	}
}

func TestJUnitEmptyRun(t *testing.T) {
	out, err := JUnit(&Run{})
	if err != nil {
		t.Fatal(err)
	}
	if doc := parseJUnit(t, out); doc.Tests != 0 || len(doc.Suites) != 0 {
		t.Errorf("empty run: %+v", doc)
	}
	if _, err := JUnit(nil); err == nil {
		t.Error("JUnit(nil) succeeded")
	}
}
