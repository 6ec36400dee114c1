package evidence

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// JUnit renders run as JUnit XML for CI systems: one <testsuite> per target
// (named by its URI, with the device identity as properties) and one
// <testcase> per control. A not-satisfied control is a <failure> whose body
// lists the failing scenarios and their steps; an error is an <error>;
// not-applicable and waived controls are <skipped>, never passes. A target
// that could not be opened adds an <error> test case of its own.
func JUnit(run *Run) ([]byte, error) {
	if run == nil {
		return nil, fmt.Errorf("evidence: JUnit: nil run")
	}
	var counts junitCounts
	suites := make([][]byte, len(run.Targets))
	for i := range run.Targets {
		b, c, err := junitSuiteXML(&run.Targets[i])
		if err != nil {
			return nil, err
		}
		suites[i] = b
		counts.add(c)
	}
	var buf bytes.Buffer
	err := writeJUnit(&buf, run, counts, len(suites), func(i int, w io.Writer) error {
		_, err := w.Write(suites[i])
		return err
	})
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (c *junitCounts) add(o junitCounts) {
	c.tests += o.tests
	c.failures += o.failures
	c.errors += o.errors
}

// junitSuiteXML renders t's <testsuite>, indented as it sits in junit.xml.
func junitSuiteXML(t *Target) ([]byte, junitCounts, error) {
	s := junitSuite(t)
	out, err := xml.MarshalIndent(&s, "  ", "  ")
	if err != nil {
		return nil, junitCounts{}, fmt.Errorf("evidence: encoding %s: %w", JUnitFile, err)
	}
	return out, junitCounts{s.Tests, s.Failures, s.Errors}, nil
}

// writeJUnit writes junit.xml around n pre-rendered suites, which suite
// copies to w one by one.
func writeJUnit(w io.Writer, run *Run, counts junitCounts, n int, suite func(i int, w io.Writer) error) error {
	root := junitSuites{Name: toolName(run), Time: seconds(run.Finished.Sub(run.Started)),
		Tests: counts.tests, Failures: counts.failures, Errors: counts.errors}
	head, err := xml.Marshal(&root)
	if err != nil {
		return fmt.Errorf("evidence: encoding %s: %w", JUnitFile, err)
	}
	open, _ := bytes.CutSuffix(head, []byte("</testsuites>"))
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	if _, err := w.Write(open); err != nil {
		return err
	}
	for i := range n {
		if _, err := io.WriteString(w, "\n"); err != nil {
			return err
		}
		if err := suite(i, w); err != nil {
			return err
		}
	}
	if n > 0 {
		_, err = io.WriteString(w, "\n</testsuites>\n")
	} else {
		_, err = io.WriteString(w, "</testsuites>\n")
	}
	return err
}

// junitSuites is the root. It carries no skipped count: the Jenkins xUnit
// plugin's junit-10.xsd allows only name, time, tests, failures and errors
// there and rejects the file otherwise; each <testsuite> has its own.
type junitSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Name     string        `xml:"name,attr"`
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Errors   int           `xml:"errors,attr"`
	Time     string        `xml:"time,attr"`
	Suites   []junitTSuite `xml:"testsuite"`
}

type junitTSuite struct {
	XMLName    xml.Name        `xml:"testsuite"`
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func junitSuite(t *Target) junitTSuite {
	s := junitTSuite{
		Name: xmlSafe(t.URI),
		Time: seconds(t.Finished.Sub(t.Started)),
		Properties: []junitProperty{
			{"manufacturer", xmlSafe(t.Identity.Manufacturer)},
			{"model", xmlSafe(t.Identity.Model)},
			{"serial", xmlSafe(t.Identity.Serial)},
			{"firmware", xmlSafe(t.Identity.Firmware)},
		},
	}
	if t.Identity.UDI != "" {
		s.Properties = append(s.Properties, junitProperty{"udi", xmlSafe(t.Identity.UDI)})
	}
	if !t.Started.IsZero() {
		s.Timestamp = t.Started.UTC().Format(time.RFC3339)
	}
	scenarios := make(map[string]*Scenario, len(t.Scenarios))
	for i := range t.Scenarios {
		scenarios[t.Scenarios[i].ID] = &t.Scenarios[i]
	}
	if t.Error != "" {
		s.Cases = append(s.Cases, junitCase{
			Name:      "open target " + xmlSafe(t.URI),
			Classname: "ward",
			Time:      seconds(0),
			Error:     &junitProblem{Message: xmlSafe(t.Error), Type: "target-error", Body: xmlSafe(t.Error)},
		})
		s.Errors++
	}
	for _, c := range t.Controls {
		tc := junitCase{
			Name:      xmlSafe(c.ID + " " + c.Title),
			Classname: xmlSafe(c.Framework),
		}
		var d time.Duration
		for _, id := range c.Scenarios {
			if sc := scenarios[id]; sc != nil {
				d += sc.Duration
			}
		}
		tc.Time = seconds(d)
		switch c.Outcome {
		case Satisfied:
		case NotSatisfied:
			tc.Failure = &junitProblem{Message: xmlSafe(c.Reason), Type: string(NotSatisfied), Body: xmlSafe(scenarioReport(c, scenarios))}
			s.Failures++
		case NotApplicable, Waived, NotAssessed:
			tc.Skipped = &junitSkipped{Message: xmlSafe(string(c.Outcome) + ": " + c.Reason)}
			s.Skipped++
		case Error:
			tc.Error = &junitProblem{Message: xmlSafe(c.Reason), Type: string(Error), Body: xmlSafe(scenarioReport(c, scenarios))}
			s.Errors++
		default:
			msg := fmt.Sprintf("unknown outcome %q: %s", c.Outcome, c.Reason)
			tc.Error = &junitProblem{Message: xmlSafe(msg), Type: string(Error), Body: xmlSafe(scenarioReport(c, scenarios))}
			s.Errors++
		}
		s.Cases = append(s.Cases, tc)
	}
	s.Tests = len(s.Cases)
	return s
}

// scenarioReport describes the scenarios that made a control fail: those
// that failed or errored, or all of them if none did.
func scenarioReport(c Control, scenarios map[string]*Scenario) string {
	var picked []*Scenario
	for _, id := range c.Scenarios {
		if sc := scenarios[id]; sc != nil && (sc.Status == ScenarioFailed || sc.Status == ScenarioError) {
			picked = append(picked, sc)
		}
	}
	if len(picked) == 0 {
		for _, id := range c.Scenarios {
			if sc := scenarios[id]; sc != nil {
				picked = append(picked, sc)
			}
		}
	}
	var b strings.Builder
	for i, sc := range picked {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Scenario: %s (%s:%d): %s", sc.Name, sc.URI, sc.Line, sc.Status)
		if sc.Reason != "" {
			fmt.Fprintf(&b, ": %s", sc.Reason)
		}
		b.WriteString("\n")
		for _, st := range sc.Steps {
			fmt.Fprintf(&b, "  [%s] %s %s", st.Status, strings.TrimSpace(st.Keyword), st.Text)
			if st.Error != "" {
				fmt.Fprintf(&b, ": %s", st.Error)
			}
			if st.Observed != "" {
				fmt.Fprintf(&b, " (observed: %s)", st.Observed)
			}
			b.WriteString("\n")
		}
	}
	if len(picked) == 0 && len(c.Scenarios) > 0 {
		fmt.Fprintf(&b, "scenarios %s not found in the results\n", strings.Join(c.Scenarios, ", "))
	}
	return b.String()
}

func toolName(run *Run) string {
	name := run.Tool.Name
	if name == "" {
		name = "ward"
	}
	if run.Tool.Version != "" {
		name += " " + run.Tool.Version
	}
	return xmlSafe(name)
}

func seconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("%.3f", d.Seconds())
}

// xmlSafe replaces runes XML 1.0 cannot carry (most control characters,
// invalid UTF-8) with U+FFFD. encoding/xml does this for attributes but not
// for CDATA; it splits "]]>" in CDATA itself.
func xmlSafe(s string) string {
	ok := true
	for _, r := range s {
		if !isXMLChar(r) {
			ok = false
			break
		}
	}
	if ok && utf8.ValidString(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if !isXMLChar(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
