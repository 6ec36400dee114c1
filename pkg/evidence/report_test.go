package evidence

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// renderReport renders the device page of every target of run on one page
// (what Report gives for one target; see report_fleet_test.go for the
// fleet view Report gives for several).
func renderReport(t *testing.T, run *Run) string {
	t.Helper()
	out, err := reportWithFiles(run, Fingerprint(trustedKey()), nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestReportGolden: testdata/report/sample.html is the report of sampleRun;
// regenerate with `go test -run TestReportGolden -update`.
func TestReportGolden(t *testing.T) {
	got := renderReport(t, sampleRun())
	if again := renderReport(t, sampleRun()); again != got {
		t.Fatal("two renderings of the same run differ")
	}
	golden := filepath.Join("testdata", "report", "sample.html")
	if *update {
		os.MkdirAll(filepath.Dir(golden), 0o755)
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("report differs from %s (-want +got; -update to accept):\n%s", golden, diff)
	}
}

// outcomeCounts is what results.json says: control results per outcome.
func outcomeCounts(run *Run) map[string]int {
	m := map[string]int{"total": 0}
	for _, o := range outcomeOrder {
		m[string(o)] = 0
	}
	for _, t := range run.Targets {
		for _, c := range t.Controls {
			m[string(c.Outcome)]++
			m["total"]++
		}
	}
	return m
}

var dataCountRE = regexp.MustCompile(`data-count="([^"]+)">(\d+)<`)

func TestReportCountsEqualResults(t *testing.T) {
	for _, run := range []*Run{sampleRun(), vectorRun(), passingRun(), emptyRun(), oddRun()} {
		page := renderReport(t, run)
		got := map[string]int{}
		for _, m := range dataCountRE.FindAllStringSubmatch(page, -1) {
			n, _ := strconv.Atoi(m[2])
			got[html.UnescapeString(m[1])] = n
		}
		if diff := cmp.Diff(outcomeCounts(run), got); diff != "" {
			t.Errorf("run %q: counts (-results.json +report):\n%s", run.ID, diff)
		}
		// One result row per control and target, with its status.
		rows := regexp.MustCompile(`<tr data-result data-status="([^"]+)"`).FindAllStringSubmatch(page, -1)
		if len(rows) != got["total"] {
			t.Errorf("run %q: %d result rows, %d results", run.ID, len(rows), got["total"])
		}
	}
}

func TestReportEscapesEverything(t *testing.T) {
	const evil = `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	run := sampleRun()
	t0 := &run.Targets[0]
	run.ID = evil
	run.Tool.Version = evil
	run.Catalogue.Source = evil
	t0.URI = "javascript:alert(3)//" + evil
	t0.Identity.Model = evil
	t0.Controls[0].Title = evil
	t0.Controls[0].Reason = evil
	t0.Controls[0].Requirement = evil
	t0.Controls[0].Citations = []string{evil}
	t0.Scenarios[0].Name = evil
	t0.Scenarios[0].Steps[1].Observed = evil
	t0.Scenarios[0].Steps[1].Error = evil
	t0.Scenarios[0].Artifacts[0].MediaType = evil
	page := renderReport(t, run)
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("%d <script elements, want only the report's own", n)
	}
	for _, bad := range []string{"<img", `href="javascript:`, "<script>alert"} {
		if strings.Contains(page, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	// No element has an event handler: attribute values are all quoted,
	// so the attribute names of every tag can be read off reliably.
	tagRE := regexp.MustCompile(`<[a-z0-9]+((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*>`)
	attrRE := regexp.MustCompile(`\s([a-z-]+)(?:="[^"]*")?`)
	for _, tag := range tagRE.FindAllStringSubmatch(page, -1) {
		for _, a := range attrRE.FindAllStringSubmatch(tag[1], -1) {
			if strings.HasPrefix(a[1], "on") {
				t.Errorf("event handler attribute in %s", tag[0])
			}
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("escaped text not shown")
	}
}

func TestReportIsSelfContained(t *testing.T) {
	page := renderReport(t, sampleRun())
	// Nothing that loads: no src, no stylesheet links, no imports or
	// url() in the style sheet, no absolute URLs anywhere in attributes.
	for _, bad := range []string{" src=", "<link", "@import", "url(", "<iframe", "<object", "<embed", "<base", "fetch(", "XMLHttpRequest", "action="} {
		if strings.Contains(page, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	// Every link is to this page or to a file of the bundle.
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		href := html.UnescapeString(m[1])
		if strings.HasPrefix(href, "#") {
			continue
		}
		if _, ok := bundleRef(href); !ok {
			t.Errorf("href %q leaves the bundle", href)
		}
	}
	// The Content-Security-Policy names exactly the inline style and
	// script, by hash.
	csp := html.UnescapeString(regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`).FindStringSubmatch(page)[1])
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)[1]
	script := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(page)[1]
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	for _, want := range []string{"default-src 'none'", "style-src " + hash(style), "script-src " + hash(script), "img-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
}

func TestReportStructure(t *testing.T) {
	page := renderReport(t, sampleRun())
	for _, want := range []string{`<html lang="en">`, "<main", "<nav", "<header", "<footer", "<h1>", "<caption", `<th scope="col">`, `<th scope="row">`, "<details", "<summary", `role="status"`} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	// Every <th> says what it heads.
	if n := regexp.MustCompile(`<th(\s[^>]*)?>`).FindAllString(page, -1); len(n) != strings.Count(page, `<th scope=`) {
		t.Errorf("%d <th>, %d with scope", len(n), strings.Count(page, `<th scope=`))
	}
	// ids are unique and every in-page link has a target.
	ids := map[string]int{}
	for _, m := range regexp.MustCompile(` id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		ids[html.UnescapeString(m[1])]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("id %q used %d times", id, n)
		}
	}
	for _, m := range regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if ids[html.UnescapeString(m[1])] == 0 {
			t.Errorf("link to #%s, which no element has", m[1])
		}
	}
	// Without scripts everything is shown: the only hidden element is the
	// filter, which needs them; details start open.
	if n := strings.Count(page, " hidden"); n != 1 || !strings.Contains(page, `<form id="filter" class="filter" hidden`) {
		t.Errorf("%d hidden elements", n)
	}
	if strings.Count(page, "<details") != strings.Count(page, "<details class=\"how\" open") {
		t.Error("some details start closed")
	}
	// The summary names the devices and the key.
	for _, want := range []string{"Acme Medical", "IP-200", "SN-0042", "3.1.4", "(01)00812345678901", Fingerprint(trustedKey()), strings.Repeat("ab", 32), "ward evidence verify --pubkey"} {
		if !strings.Contains(page, html.EscapeString(want)) {
			t.Errorf("report does not show %q", want)
		}
	}
	// Artifacts are linked with their digests.
	a := sampleRun().Targets[0].Scenarios[0].Artifacts[0]
	if !strings.Contains(page, `href="`+objectPath(sha256hex(a.Data))+`"`) || !strings.Contains(page, sha256hex(a.Data)) {
		t.Error("artifact link or digest missing")
	}
}

func TestReportGroupsByFramework(t *testing.T) {
	ctl := func(id, fw string, cit ...string) Control {
		return Control{ID: id, Framework: fw, Title: id, Citations: cit, Outcome: Satisfied}
	}
	run := &Run{ID: "groups", Targets: []Target{{URI: "sim://x", Controls: []Control{
		ctl("HIPAA-164.312-b", "hipaa-security-rule", "45 CFR 164.312(b)"),
		ctl("HIPAA-164.308-a-7-ii-A", "hipaa-security-rule", "45 CFR 164.308(a)(7)(ii)(A)"),
		ctl("HIPAA-164.312-a-2-iv", "hipaa-security-rule", "45 CFR 164.312(a)(2)(iv)"),
		ctl("NPRM-164.312-a-2-vi", "hipaa-nprm-2025", "NPRM 164.312(a)(2)(vi)"),
		ctl("FDA-PMC-LOG-2", "fda-premarket", "FDA premarket cybersecurity guidance, Appendix 1, F (Event Detection and Logging)"),
		ctl("FDA-PMC-AUTHN-1", "fda-premarket"),
		ctl("FDA-PMC-CRYPTO-2", "fda-premarket", "App1-C"),
		ctl("FDA-PMC-ODD-1", "fda-premarket"),
		ctl("524B-b-2", "fdca-524b", "524B(b)(2)(A)"),
		ctl("X-1", "acme-internal"),
	}}}}
	d := buildReport(run, "")
	var got []string
	for _, fw := range d.Frameworks {
		for _, g := range fw.Groups {
			var ids []string
			for _, c := range g.Controls {
				ids = append(ids, c.ID)
			}
			got = append(got, fw.Name+" | "+g.Title+" | "+strings.Join(ids, " "))
		}
	}
	want := []string{
		"HIPAA Security Rule (45 CFR Part 164 Subpart C) | § 164.308 Administrative safeguards | HIPAA-164.308-a-7-ii-A",
		"HIPAA Security Rule (45 CFR Part 164 Subpart C) | § 164.312 Technical safeguards | HIPAA-164.312-a-2-iv HIPAA-164.312-b",
		"HIPAA Security Rule: proposed changes (NPRM, 2025; not in force) | § 164.312 Technical safeguards | NPRM-164.312-a-2-vi",
		"FDA premarket cybersecurity guidance, Appendix 1 | Appendix 1, A: Authentication | FDA-PMC-AUTHN-1",
		"FDA premarket cybersecurity guidance, Appendix 1 | Appendix 1, C: Cryptography | FDA-PMC-CRYPTO-2",
		"FDA premarket cybersecurity guidance, Appendix 1 | Appendix 1, F: Event Detection and Logging | FDA-PMC-LOG-2",
		"FDA premarket cybersecurity guidance, Appendix 1 | Other categories | FDA-PMC-ODD-1",
		"FD&C Act section 524B (cyber devices) | Controls | 524B-b-2",
		"acme-internal | Controls | X-1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("grouping (-want +got):\n%s", diff)
	}
}

func TestNaturalCompare(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"LOG-2", "LOG-10", -1}, {"164.308", "164.312", -1}, {"a", "a", 0}, {"a1", "a01", 0}, {"b", "a", 1}, {"a", "ab", -1},
	} {
		got := naturalCompare(tc.a, tc.b)
		if (got < 0) != (tc.want < 0) || (got > 0) != (tc.want > 0) {
			t.Errorf("naturalCompare(%q, %q) = %d, want sign of %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestReportInBundleMatchesResults reads a written bundle back: the report
// shows results.json's counts and the manifest's key.
func TestReportInBundleMatchesResults(t *testing.T) {
	dir := writeSample(t)
	page, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(filepath.Join(dir, ResultsFile))
	var run Run
	if err := json.Unmarshal(data, &run); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range dataCountRE.FindAllStringSubmatch(string(page), -1) {
		n, _ := strconv.Atoi(m[2])
		got[m[1]] = n
	}
	if diff := cmp.Diff(outcomeCounts(&run), got); diff != "" {
		t.Errorf("counts (-results.json +report):\n%s", diff)
	}
	m, err := Verify(t.Context(), dir, trustedKey())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), `<code class="fp" id="fingerprint">`+m.KeyFingerprint+`</code>`) {
		t.Error("report does not show the manifest's key fingerprint")
	}
}
