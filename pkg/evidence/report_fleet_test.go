package evidence

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardsec/ward/pkg/device"
)

// fleetInput is what the bundle hands the fleet view: the run header with
// slim targets, the catalogue once, and one row per target.
type fleetInput struct {
	run       *Run
	catalogue []Control
	rows      []FleetRow
}

// syntheticOutcome spreads every outcome over a fleet, deterministically:
// about 3% not satisfied, 2% error, 1% waived, 3% not applicable, 1% not
// assessed, the rest satisfied.
func syntheticOutcome(device, control int) Outcome {
	switch h := (device*7919 + control*104729 + device*control*31) % 100; {
	case h < 3:
		return NotSatisfied
	case h < 5:
		return Error
	case h < 6:
		return Waived
	case h < 9:
		return NotApplicable
	case h < 10:
		return NotAssessed
	}
	return Satisfied
}

// syntheticFleet builds the fleet view's input for n devices against the
// embedded catalogue (currentCatalogue), each control with its own
// requirement and remediation text; every 250th device could not be
// opened. Row i's page is targets/<i, 4 digits>/report.html.
func syntheticFleet(tb testing.TB, n int) fleetInput {
	tb.Helper()
	cat := currentCatalogue(tb)
	in := fleetInput{run: &Run{
		ID:        "fleet-" + strconv.Itoa(n),
		Tool:      Tool{Name: "ward", Version: "0.1.0-test"},
		Catalogue: Catalogue{Digest: strings.Repeat("cd", 32), Source: "embedded", Controls: len(cat)},
		Started:   t0,
		Finished:  t0.Add(3600e9),
	}}
	for _, c := range cat {
		in.catalogue = append(in.catalogue, Control{ID: c.id, Framework: c.framework, Title: c.title, Citations: c.citations, Status: c.status, Severity: c.severity,
			Requirement: "Requirement of " + c.id + ": the device does what " + c.title + " asks, observed through its interfaces.",
			Remediation: "Remediation of " + c.id + ": fix the device so that " + c.title + " holds, then check it again."})
	}
	for i := range n {
		t := Target{
			URI: fmt.Sprintf("https://pump-%04d.ward.example:8443", i),
			Identity: device.Identity{Manufacturer: "Ward Simulated Devices", Model: "SIM-IP-100 infusion pump",
				Serial: fmt.Sprintf("SIM-IP-%06d", i), Firmware: "1.4." + strconv.Itoa(i%3), UDI: fmt.Sprintf("(01)00000000000000(21)SIM-IP-%06d", i)},
		}
		if i%250 == 249 {
			t.Error = "dial tcp 127.0.0.1:8443: connect: connection refused"
		}
		r := FleetRow{URI: t.URI, Identity: t.Identity, Error: t.Error, Outcomes: map[string]Outcome{}, Detail: fmt.Sprintf("targets/%04d/report.html", i)}
		for ci, c := range in.catalogue {
			o := syntheticOutcome(i, ci)
			if t.Error != "" {
				o = Error
			}
			slim := c
			slim.Requirement, slim.Remediation = "", ""
			slim.Outcome, slim.Reason = o, "synthetic "+string(o)
			t.Controls = append(t.Controls, slim)
			r.Outcomes[c.ID] = o
		}
		in.run.Targets = append(in.run.Targets, t)
		in.rows = append(in.rows, r)
	}
	return in
}

func (in fleetInput) render(tb testing.TB) string {
	tb.Helper()
	out, err := fleetReportHTML(in.run, in.catalogue, in.rows, Fingerprint(trustedKey()), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return string(out)
}

// TestFleetReportGolden: testdata/report/fleet-sample.html is Report's
// fleet view of sampleRun (two devices); -update to accept a change.
func TestFleetReportGolden(t *testing.T) {
	got := renderReportAPI(t, sampleRun())
	if again := renderReportAPI(t, sampleRun()); again != got {
		t.Fatal("two renderings of the same run differ")
	}
	golden := filepath.Join("testdata", "report", "fleet-sample.html")
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
		t.Errorf("fleet view differs from %s (-want +got; -update to accept):\n%s", golden, diff)
	}
}

var (
	fleetRowRE   = regexp.MustCompile(`(?m)^<tr data-o="([a-z]*)">(.*)$`)
	dataDeviceRE = regexp.MustCompile(`data-devices="([^"]+)">(\d+)<`)
)

// TestFleetReportCountsEqualResults: the counts shown equal results.json's,
// per outcome and per device, for Report's fleet view of several runs and
// for the synthetic fleet; there is one row per device with one status
// letter and one cell per control.
func TestFleetReportCountsEqualResults(t *testing.T) {
	runs := []*Run{sampleRun(), vectorRun(), passingRun(), oddRun(), syntheticFleet(t, 60).run}
	for _, run := range runs {
		if len(run.Targets) < 2 {
			second := run.Targets[0]
			second.URI += "#2"
			run.Targets = append(run.Targets, second)
		}
		page := renderReportAPI(t, run)
		got := map[string]int{}
		for _, m := range dataCountRE.FindAllStringSubmatch(page, -1) {
			n, _ := strconv.Atoi(m[2])
			got[html.UnescapeString(m[1])] = n
		}
		if diff := cmp.Diff(outcomeCounts(run), got); diff != "" {
			t.Errorf("run %q: counts (-results.json +report):\n%s", run.ID, diff)
		}
		wantDevices := map[string]int{"total": len(run.Targets)}
		for _, o := range outcomeOrder {
			wantDevices[string(o)] = 0
		}
		for _, tg := range run.Targets {
			seen := map[Outcome]bool{}
			for _, c := range tg.Controls {
				if !seen[c.Outcome] {
					seen[c.Outcome] = true
					wantDevices[string(c.Outcome)]++
				}
			}
		}
		gotDevices := map[string]int{}
		for _, m := range dataDeviceRE.FindAllStringSubmatch(page, -1) {
			n, _ := strconv.Atoi(m[2])
			gotDevices[html.UnescapeString(m[1])] = n
		}
		if diff := cmp.Diff(wantDevices, gotDevices); diff != "" {
			t.Errorf("run %q: devices per outcome (-want +report):\n%s", run.ID, diff)
		}
		ids := map[string]bool{}
		for _, tg := range run.Targets {
			for _, c := range tg.Controls {
				ids[c.ID] = true
			}
		}
		rows := fleetRowRE.FindAllStringSubmatch(page, -1)
		if len(rows) != len(run.Targets) {
			t.Fatalf("run %q: %d rows, %d targets", run.ID, len(rows), len(run.Targets))
		}
		for i, r := range rows {
			if len(r[1]) != len(ids) {
				t.Errorf("run %q row %d: %d status letters, %d controls", run.ID, i, len(r[1]), len(ids))
			}
			if n := strings.Count(r[2], "<td"); n != fleetLead-1+len(ids) {
				t.Errorf("run %q row %d: %d cells, want %d", run.ID, i, n, fleetLead-1+len(ids))
			}
		}
	}
}

// TestFleetReportCellsMatchOutcomes: each cell of the synthetic fleet shows
// its device's outcome for its column's control, in the catalogue's order.
func TestFleetReportCellsMatchOutcomes(t *testing.T) {
	in := syntheticFleet(t, 40)
	page := in.render(t)
	_, cols := fleetColumns(in.run.Frameworks, in.catalogue, in.rows)
	rows := fleetRowRE.FindAllStringSubmatch(page, -1)
	cellRE := regexp.MustCompile(`<td(?: class="([a-z])"| title="[^"]*")?>([^<]*)`)
	for i, r := range rows {
		cells := cellRE.FindAllStringSubmatch(r[2], -1)[fleetLead-1:]
		for j, c := range cols {
			m := markOf(in.rows[i].Outcomes[c.ID])
			code := cells[j][1]
			if code == "" {
				code = "s"
			}
			if code != m.Code || cells[j][2] != m.Symbol || r[1][j] != m.Code[0] {
				t.Fatalf("row %d column %s: cell %q %q, letter %c; want %s %s", i, c.ID, code, cells[j][2], r[1][j], m.Code, m.Symbol)
			}
		}
	}
}

// TestFleetReportCatalogueTextOnce: requirement and remediation text is on
// the page once, and no catalogue text grows with the number of devices.
func TestFleetReportCatalogueTextOnce(t *testing.T) {
	small, large := syntheticFleet(t, 2), syntheticFleet(t, 50)
	p2, p50 := small.render(t), large.render(t)
	for _, c := range large.catalogue {
		for _, s := range []string{c.Requirement, c.Remediation} {
			if n := strings.Count(p50, html.EscapeString(s)); n != 1 {
				t.Errorf("%s: text %q shown %d times, want once", c.ID, s, n)
			}
		}
		title := html.EscapeString(c.Title)
		if a, b := strings.Count(p2, title), strings.Count(p50, title); a != b {
			t.Errorf("%s: title shown %d times for 2 devices, %d for 50", c.ID, a, b)
		}
	}
	// What each extra device costs is its row alone.
	per := (len(p50) - len(p2)) / 48
	t.Logf("%d controls: %d bytes per additional device", len(large.catalogue), per)
	if per > 100+12*len(large.catalogue)+300 {
		t.Errorf("%d bytes per device", per)
	}
}

// TestFleetReportSize: the fleet view of 1,000 devices against the
// embedded catalogue stays under 10 MB, the bound.
func TestFleetReportSize(t *testing.T) {
	if testing.Short() {
		t.Skip("renders 1,000 devices")
	}
	in := syntheticFleet(t, 1000)
	page := in.render(t)
	t.Logf("1,000 devices x %d controls: %d bytes (%.2f MB)", len(in.catalogue), len(page), float64(len(page))/1e6)
	if len(page) >= 10e6 {
		t.Errorf("fleet view of 1,000 devices is %d bytes, want < 10 MB", len(page))
	}
}

// TestFleetReportEscapesEverything: text from devices, the run and the
// catalogue cannot inject markup, handlers or links out of the bundle.
func TestFleetReportEscapesEverything(t *testing.T) {
	const evil = `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	in := syntheticFleet(t, 3)
	in.run.ID = evil
	in.run.Tool.Version = evil
	in.run.Catalogue.Source = evil
	in.run.MergedFrom = []MergedBundle{{RunID: evil, KeyFingerprint: evil}}
	in.catalogue[0].Title = evil
	in.catalogue[0].Requirement = evil
	in.catalogue[0].Citations = []string{evil}
	in.catalogue[1].Framework = evil
	r := &in.rows[0]
	r.URI = "javascript:alert(3)//" + evil
	r.Identity = deviceIdentity(evil)
	r.Error = evil
	r.Outcomes[in.catalogue[0].ID] = Outcome(evil)
	r.Outcomes[evil] = Satisfied
	in.rows[1].Detail = "javascript:alert(4)"
	in.rows[2].Detail = "../../etc/passwd"
	page := in.render(t)
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("%d <script elements, want only the report's own", n)
	}
	for _, bad := range []string{"<img", `href="javascript:`, "<script>alert", "etc/passwd"} {
		if strings.Contains(page, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
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
	// The unknown outcome is shown as such, and its control's column is there.
	if !strings.Contains(page, `<td class="u">U`) {
		t.Error("unknown outcome not shown")
	}
}

// TestFleetReportBoundsDeviceText: a device reporting a huge serial or
// error grows the page by a bounded amount.
func TestFleetReportBoundsDeviceText(t *testing.T) {
	in := syntheticFleet(t, 3)
	before := len(in.render(t))
	huge := strings.Repeat("é", 1<<20)
	in.rows[1].Identity.Serial = huge
	in.rows[1].Identity.Model = huge
	in.rows[1].URI = huge
	in.rows[1].Error = huge
	after := in.render(t)
	if grew := len(after) - before; grew > 4*(maxFleetText+16) {
		t.Errorf("page grew by %d bytes for one device's huge texts", grew)
	}
	if !strings.Contains(after, strings.Repeat("é", maxFleetText/2)+"…") {
		t.Error("cut text does not end with an ellipsis at a rune boundary")
	}
}

// TestFleetReportIsSelfContained: nothing loads, the CSP names exactly
// the inline style and script, links stay in the page or the bundle, and
// rows link to their device's page.
func TestFleetReportIsSelfContained(t *testing.T) {
	page := syntheticFleet(t, 5).render(t)
	for _, bad := range []string{" src=", "<link", "@import", "url(", "<iframe", "<object", "<embed", "<base", "fetch(", "XMLHttpRequest", "action=", "innerHTML", "eval("} {
		if strings.Contains(page, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		href := html.UnescapeString(m[1])
		if strings.HasPrefix(href, "#") {
			continue
		}
		if _, ok := bundleRef(href); !ok {
			t.Errorf("href %q leaves the bundle", href)
		}
	}
	for i := range 5 {
		if want := fmt.Sprintf(`<th scope="row"><a href="targets/%04d/report.html">`, i); !strings.Contains(page, want) {
			t.Errorf("row %d does not link to its page: no %s", i, want)
		}
	}
	csp := html.UnescapeString(regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`).FindStringSubmatch(page)[1])
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)[1]
	script := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(page)[1]
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	for _, want := range []string{"default-src 'none'", "style-src " + hash(style), "script-src " + hash(script), "img-src 'none'", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
}

// TestFleetReportStructure: landmarks, scoped headers, unique ids,
// resolvable in-page links, the filter hidden until the script shows it,
// and a column rule per control and framework.
func TestFleetReportStructure(t *testing.T) {
	in := syntheticFleet(t, 5)
	page := in.render(t)
	for _, want := range []string{`<html lang="en">`, "<main", "<nav", "<header", "<footer", "<h1>", "<caption", `<th scope="col"`, `<th scope="row"`, `role="status"`, `<form id="filter" class="filter" hidden`} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	if n := regexp.MustCompile(`<th(\s[^>]*)?>`).FindAllString(page, -1); len(n) != strings.Count(page, `<th scope=`) {
		t.Errorf("%d <th>, %d with scope", len(n), strings.Count(page, `<th scope=`))
	}
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
	fws, cols := fleetColumns(in.run.Frameworks, in.catalogue, in.rows)
	for _, c := range cols {
		if !strings.Contains(page, fmt.Sprintf("#fleet.c%d tbody>tr>", c.Index)) || !strings.Contains(page, `<option value="c`+strconv.Itoa(c.Index)+`"`) {
			t.Errorf("no column rule or option for control %s", c.ID)
		}
	}
	for _, fw := range fws {
		if !strings.Contains(page, fmt.Sprintf("#fleet.g%d tbody>tr>", fw.Index)) {
			t.Errorf("no column rule for framework %s", fw.Name)
		}
	}
	// Columns are grouped by framework: each framework's columns are
	// contiguous and its header spans them.
	for _, fw := range fws {
		for _, c := range cols[fw.First:fw.Last] {
			if c.Framework != fw {
				t.Errorf("column %s inside framework %s", c.ID, fw.Name)
			}
		}
		if !strings.Contains(page, fmt.Sprintf(`colspan="%d" class="g g%d"`, fw.Span, fw.Index)) {
			t.Errorf("framework %s header does not span its %d columns", fw.Name, fw.Span)
		}
	}
}

// TestFleetCoverageEqualsCoverageOf: the fleet view's coverage, counted
// without building a Control per result, is CoverageOf's.
func TestFleetCoverageEqualsCoverageOf(t *testing.T) {
	for _, run := range []*Run{sampleRun(), oddRun(), syntheticFleet(t, 30).run} {
		var all []Control
		m := map[string]map[Outcome]int{}
		for _, tg := range run.Targets {
			all = append(all, tg.Controls...)
			for _, c := range tg.Controls {
				if m[c.Framework] == nil {
					m[c.Framework] = map[Outcome]int{}
				}
				m[c.Framework][c.Outcome]++
			}
		}
		if diff := cmp.Diff(CoverageOf(all), coverageFromCounts(m)); diff != "" {
			t.Errorf("run %q (-CoverageOf +fleet):\n%s", run.ID, diff)
		}
	}
}

// TestTargetReportAt: a device page stored below the bundle root links to
// the bundle's files and artifacts through "../", and back to the fleet
// view; at the root it is the one-device report.
func TestTargetReportAt(t *testing.T) {
	run := sampleRun()
	root, err := targetReportHTML(run, &run.Targets[0], "fp", []reportFile{{"cucumber.json", "x"}})
	if err != nil {
		t.Fatal(err)
	}
	want, err := reportWithFiles(oneTargetRun(), "fp", []reportFile{{"cucumber.json", "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(root)); diff != "" {
		t.Errorf("targetReportHTML differs from the one-device report (-want +got):\n%s", diff)
	}
	deep, err := targetReportHTMLAt(run, &run.Targets[0], "fp", []reportFile{{"cucumber.json", "x"}}, "targets/0000")
	if err != nil {
		t.Fatal(err)
	}
	page := string(deep)
	for _, want := range []string{`href="../../` + objectPath(sha256hex(run.Targets[0].Scenarios[0].Artifacts[0].Data)) + `"`, `href="../../results.json"`, `href="../../cucumber.json"`, `<a href="../../report.html">`} {
		if !strings.Contains(page, want) {
			t.Errorf("deep page lacks %s", want)
		}
	}
	for _, m := range regexp.MustCompile(`href="([^"#][^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "../../") {
			t.Errorf("deep page link %q does not climb to the bundle root", m[1])
		}
	}
	if strings.Contains(string(root), "Back to the fleet view") {
		t.Error("a one-device report links to a fleet view")
	}
}

// TestReportFollowsRunFrameworks: with the run's Frameworks the device page
// and the fleet view take headings, order and sections from them; a
// control no section lists goes under "Other sections", a framework
// without sections is one group, and a framework the run does not
// describe falls back to the guesses.
func TestReportFollowsRunFrameworks(t *testing.T) {
	ctl := func(id, fw string, cit ...string) Control {
		return Control{ID: id, Framework: fw, Title: id, Citations: cit, Outcome: Satisfied}
	}
	run := &Run{ID: "layout", Frameworks: []Framework{
		{ID: "zeta", Name: "Zeta first", Sections: []Section{
			{ID: "late", Title: "Declared first", Controls: []string{"Z-9"}},
			{ID: "early", Title: "Declared second", Controls: []string{"Z-1", "Z-2"}},
		}},
		{ID: "hipaa-security-rule", Name: "HIPAA as the catalogue names it"},
	}, Targets: []Target{{URI: "sim://x", Controls: []Control{
		ctl("Z-1", "zeta"), ctl("Z-2", "zeta"), ctl("Z-9", "zeta"), ctl("Z-5", "zeta"),
		ctl("HIPAA-164.312-b", "hipaa-security-rule", "45 CFR 164.312(b)"),
		ctl("FDA-PMC-AUTHN-1", "fda-premarket"),
	}}}}
	want := []string{
		"Zeta first | Declared first | Z-9",
		"Zeta first | Declared second | Z-1 Z-2",
		"Zeta first | Other sections | Z-5",
		"HIPAA as the catalogue names it | Controls | HIPAA-164.312-b",
		"FDA premarket cybersecurity guidance, Appendix 1 | Appendix 1, A: Authentication | FDA-PMC-AUTHN-1",
	}
	var got []string
	for _, fw := range buildReport(run, "").Frameworks {
		for _, g := range fw.Groups {
			var ids []string
			for _, c := range g.Controls {
				ids = append(ids, c.ID)
			}
			got = append(got, fw.Name+" | "+g.Title+" | "+strings.Join(ids, " "))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("device page grouping (-want +got):\n%s", diff)
	}
	catalogue, rows := fleetRows(run)
	fws, _ := fleetColumns(run.Frameworks, catalogue, rows)
	got = nil
	for _, fw := range fws {
		for _, g := range fw.Groups {
			var ids []string
			for _, c := range g.Columns {
				ids = append(ids, c.ID)
			}
			got = append(got, fw.Name+" | "+g.Title+" | "+strings.Join(ids, " "))
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fleet view grouping (-want +got):\n%s", diff)
	}
}

// FuzzFleetReport renders the fleet view of two devices whose URI, serial,
// error, detail path and outcome are arbitrary: the page keeps one script
// (its own), no markup from the input, links only inside the bundle, one
// row per device with one status letter per control.
func FuzzFleetReport(f *testing.F) {
	f.Add("https://pump.example", "SN-1", "", "targets/0000/report.html", "satisfied")
	f.Add(`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, "\x00\xff</td>", "javascript:alert(1)", "<b>")
	f.Add("sim://x?a=1&b=<2>", strings.Repeat("é", 300), "dial: refused", "../../etc/passwd", "not-satisfied")
	base := syntheticFleet(f, 2)
	f.Fuzz(func(t *testing.T, uri, serial, errText, detail, outcome string) {
		in := base
		in.rows = []FleetRow{base.rows[0], base.rows[1]}
		r := &in.rows[1]
		r.URI, r.Identity.Serial, r.Error, r.Detail = uri, serial, errText, detail
		r.Outcomes = map[string]Outcome{}
		for id, o := range base.rows[1].Outcomes {
			r.Outcomes[id] = o
		}
		r.Outcomes[in.catalogue[0].ID] = Outcome(outcome)
		r.Outcomes[uri] = Outcome(outcome) // a control the catalogue lacks
		out, err := fleetReportHTML(in.run, in.catalogue, in.rows, "fp", nil)
		if err != nil {
			t.Fatal(err)
		}
		page := string(out)
		if n := strings.Count(page, "<script"); n != 1 {
			t.Errorf("%d <script elements", n)
		}
		for _, bad := range []string{"<img", "<b>", `href="javascript:`} {
			if strings.Contains(page, bad) {
				t.Errorf("page contains %q", bad)
			}
		}
		for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
			href := html.UnescapeString(m[1])
			if _, ok := bundleRef(href); !ok && !strings.HasPrefix(href, "#") {
				t.Errorf("href %q leaves the bundle", href)
			}
			if strings.Contains(href, "..") {
				t.Errorf("href %q climbs out", href)
			}
		}
		rows := fleetRowRE.FindAllStringSubmatch(page, -1)
		if len(rows) != 2 {
			t.Fatalf("%d rows", len(rows))
		}
		if len(rows[0][1]) != len(rows[1][1]) || len(rows[1][1]) < len(in.catalogue) {
			t.Errorf("status letters %q and %q", rows[0][1], rows[1][1])
		}
	})
}
