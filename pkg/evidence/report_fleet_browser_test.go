package evidence

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// writeFleetPages writes in's fleet view as dir/report.html and, when
// details is true, every device's own page at its row's Detail path, the
// device drill gets one scenario with an artifact (stored at the bundle
// root, as a bundle stores it).
func writeFleetPages(t *testing.T, dir string, in fleetInput, details bool, drill int) {
	t.Helper()
	page := in.render(t)
	if err := os.WriteFile(filepath.Join(dir, ReportFile), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	if !details {
		return
	}
	tg := &in.run.Targets[drill]
	tg.Scenarios = []Scenario{{ID: "s-drill", Name: "Stored records are encrypted", Status: ScenarioPassed,
		Artifacts: []Artifact{{Name: "listing.txt", MediaType: "text/plain", Data: []byte("records/0001.sealed\n")}}}}
	tg.Controls[0].Scenarios = []string{"s-drill"}
	// Content-addressed, as BundleWriter stores it.
	a := &tg.Scenarios[0].Artifacts[0]
	a.SHA256, a.Size = sha256hex(a.Data), int64(len(a.Data))
	a.Path = objectPath(a.SHA256)
	obj := filepath.Join(dir, filepath.FromSlash(a.Path))
	if err := os.MkdirAll(filepath.Dir(obj), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(obj, a.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, r := range in.rows {
		out, err := targetReportHTMLAt(in.run, &in.run.Targets[i], Fingerprint(trustedKey()), nil, path.Dir(r.Detail))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(r.Detail))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFleetReportInChromium opens the fleet view of 1,000 synthetic
// devices (embedded catalogue, every outcome present) in headless Chromium
// and checks it works: 1,000 rows; filtering by a status leaves exactly
// the devices that have it (in every control, in one framework, in one
// control, which also hides the other columns); searching a serial leaves
// its device alone; its link opens that device's own page, which shows its
// serial, links back to the fleet view and to its artifact in the bundle;
// no console error, CSP violation or request but the two pages. It logs
// how long pages of 10, 100 and 1,000 devices take to open (wall time,
// DOMContentLoaded, first contentful paint) without asserting a time.
// Without Chromium it skips, unless WARD_REQUIRE_REAL=1.
func TestFleetReportInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("WARD_REQUIRE_REAL") == "1" {
			t.Fatalf("chromium not found at %s (WARD_REQUIRE_REAL=1): %v", chromiumPath, err)
		}
		t.Skipf("chromium not found at %s; apt-get install chromium to run this test", chromiumPath)
	}
	const n, drill = 1000, 537
	root := t.TempDir()
	var in fleetInput
	pages := map[int]string{}
	for _, size := range []int{10, 100, n} {
		dir := filepath.Join(root, fmt.Sprintf("fleet-%d", size))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		f := syntheticFleet(t, size)
		writeFleetPages(t, dir, f, size == n, drill)
		if size == n {
			in = f
		}
		pages[size] = (&url.URL{Scheme: "file", Path: filepath.Join(dir, ReportFile)}).String()
	}
	fleetPage := pages[n]
	detailPage := (&url.URL{Scheme: "file", Path: filepath.Join(root, fmt.Sprintf("fleet-%d", n), filepath.FromSlash(in.rows[drill].Detail))}).String()

	var (
		mu       sync.Mutex
		requests []string
		problems []string
	)
	listener := func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert || e.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, "console "+string(e.Type)+": "+consoleArgs(e.Args))
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			problems = append(problems, fmt.Sprintf("exception at %s:%d: %s %s", d.URL, d.LineNumber+1, d.Text, consoleArgs([]*runtime.RemoteObject{d.Exception})))
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, "log "+string(e.Entry.Level)+" ("+string(e.Entry.Source)+"): "+e.Entry.Text+" "+e.Entry.URL)
			}
		}
	}
	profile := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(listener))
	defer cancelTab()
	// Start the browser before timing anything.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}

	eval := func(expr string, v any) {
		t.Helper()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s: %v (%s)", expr, err, raw)
		}
	}

	// Open times, logged (a unit test asserts no time; see docs/report.md);
	// each page twice, the first open paying for a new renderer.
	for _, size := range []int{10, 10, 100, 100, n, n} {
		cpu0, start := chromiumCPU(profile), time.Now()
		if err := chromedp.Do(ctx, chromedp.Navigate(pages[size]), chromedp.WaitVisible(chromedp.ID("filter"))); err != nil {
			t.Fatalf("loading %s: %v", pages[size], err)
		}
		wall := time.Since(start)
		// Paint entries are recorded after a frame: wait for two.
		var perf struct{ DCL, Load, FCP float64 }
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => {
			const n = performance.getEntriesByType("navigation")[0] || {}, p = performance.getEntriesByType("paint").find(e => e.name === "first-contentful-paint");
			done({DCL: n.domContentLoadedEventEnd || -1, Load: n.loadEventEnd || -1, FCP: p ? p.startTime : -1}); })))`, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &perf); err != nil {
			t.Fatal(err)
		}
		cpu := chromiumCPU(profile) - cpu0
		info, _ := os.Stat(filepath.Join(root, fmt.Sprintf("fleet-%d", size), ReportFile))
		fcp := "not reported"
		if perf.FCP >= 0 {
			fcp = fmt.Sprintf("%.0f ms", perf.FCP)
		}
		t.Logf("chromium: %4d devices, %8d bytes: open %v (DOMContentLoaded %.0f ms, load %.0f ms, first contentful paint %s), Chromium CPU %v",
			size, info.Size(), wall.Round(time.Millisecond), perf.DCL, perf.Load, fcp, cpu)
	}
	// The 1,000-device page is the one open now.

	var rows int
	eval(`document.querySelectorAll("#fleet tbody tr").length`, &rows)
	if rows != n {
		t.Fatalf("%d rows, want %d", rows, n)
	}
	fws, cols := fleetColumns(in.run.Frameworks, in.catalogue, in.rows)
	serials := func(keep func(r FleetRow) bool) []string {
		out := []string{}
		for _, r := range in.rows {
			if keep(r) {
				out = append(out, r.Identity.Serial)
			}
		}
		return out
	}
	has := func(r FleetRow, o Outcome, from, to int) bool {
		for _, c := range cols[from:to] {
			if r.Outcomes[c.ID] == o {
				return true
			}
		}
		return false
	}
	visible := func() []string {
		t.Helper()
		var s []string
		eval(`Array.from(document.querySelectorAll("#fleet tbody tr")).filter(r => r.getClientRects().length > 0).map(r => r.cells[3].textContent)`, &s)
		return s
	}
	// visibleCells counts the cells a reader sees in the first shown row
	// and the control headers.
	visibleCells := func() (cells, headers int) {
		t.Helper()
		var v [2]int
		eval(`(() => { const r = Array.from(document.querySelectorAll("#fleet tbody tr")).find(r => r.getClientRects().length > 0);
			const seen = e => e.getClientRects().length > 0;
			return [r ? Array.from(r.cells).filter(seen).length : -1, Array.from(document.querySelectorAll("#fleet tr.i th")).filter(seen).length]; })()`, &v)
		return v[0], v[1]
	}
	choose := func(outcome, scope string) {
		t.Helper()
		var ok bool
		eval(fmt.Sprintf(`(() => { const o = document.getElementById("f-outcome"), s = document.getElementById("f-scope");
			o.value = %q; s.value = %q; if (o.value !== %q || s.value !== %q) { return false; }
			o.dispatchEvent(new Event("change")); return true; })()`, outcome, scope, outcome, scope), &ok)
		if !ok {
			t.Fatalf("no option %q / %q", outcome, scope)
		}
	}
	status := func() string {
		var s string
		eval(`document.getElementById("filter-status").textContent`, &s)
		return s
	}
	if got := visible(); len(got) != n {
		t.Errorf("on load %d rows visible, want %d", len(got), n)
	}
	if c, h := visibleCells(); c != fleetLead+len(cols) || h != len(cols) {
		t.Errorf("on load %d cells and %d control headers visible, want %d and %d", c, h, fleetLead+len(cols), len(cols))
	}

	// The rows laid out as grids are still a table to assistive
	// technology: a device row has a row header and cells.
	roles := map[string]int{}
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		ev, err := cdp.Call(ctx, tg, runtime.Evaluate, runtime.EvaluateParams{Expression: `document.querySelector("#fleet tbody tr")`})
		if err != nil || ev.Result == nil {
			return fmt.Errorf("first row: %v", err)
		}
		q, err := cdp.Call(ctx, tg, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{ObjectID: ev.Result.ObjectID})
		if err != nil {
			return err
		}
		for _, nd := range q.Nodes {
			if nd.Role != nil && !nd.Ignored {
				var r string
				json.Unmarshal(nd.Role.Value, &r)
				roles[r]++
			}
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	if roles["row"] != 1 || roles["rowheader"] != 1 || roles["cell"]+roles["gridcell"] != fleetLead-1+len(cols) {
		t.Errorf("accessibility roles in a device row: %v; want a row, a row header and %d cells", roles, fleetLead-1+len(cols))
	}

	// By status, over every control.
	for _, o := range []Outcome{NotSatisfied, Error, Waived, NotAssessed, NotApplicable} {
		want := serials(func(r FleetRow) bool { return has(r, o, 0, len(cols)) })
		choose(markOf(o).Code, "")
		if diff := cmp.Diff(want, visible()); diff != "" {
			t.Errorf("status %s: visible devices (-want +got):\n%s", o, diff)
		}
		if len(want) == 0 || len(want) == n {
			t.Errorf("status %s: %d of %d devices have it; the synthetic fleet should discriminate", o, len(want), n)
		}
		if w := fmt.Sprintf("Showing %d of %d devices.", len(want), n); status() != w {
			t.Errorf("status line %q, want %q", status(), w)
		}
	}
	// By status in one framework: only its columns show.
	fw := fws[len(fws)-1]
	for _, f := range fws {
		if f.Span > 1 && f.Span < len(cols) {
			fw = f
			break
		}
	}
	want := serials(func(r FleetRow) bool { return has(r, NotApplicable, fw.First, fw.Last) })
	choose("a", fmt.Sprintf("g%d", fw.Index))
	if diff := cmp.Diff(want, visible()); diff != "" {
		t.Errorf("not applicable in %s: visible devices (-want +got):\n%s", fw.Name, diff)
	}
	if c, h := visibleCells(); c != fleetLead+fw.Span || h != fw.Span {
		t.Errorf("framework %s: %d cells and %d control headers visible, want %d and %d", fw.Name, c, h, fleetLead+fw.Span, fw.Span)
	}
	// By status in one control: one column.
	col := cols[len(cols)/2]
	want = serials(func(r FleetRow) bool { return r.Outcomes[col.ID] == Error })
	choose("e", fmt.Sprintf("c%d", col.Index))
	if diff := cmp.Diff(want, visible()); diff != "" {
		t.Errorf("error in %s: visible devices (-want +got):\n%s", col.ID, diff)
	}
	if c, h := visibleCells(); c != fleetLead+1 || h != 1 {
		t.Errorf("control %s: %d cells and %d control headers visible, want %d and 1", col.ID, c, h, fleetLead+1)
	}
	var shownID string
	eval(`Array.from(document.querySelectorAll("#fleet tr.i th")).find(e => e.getClientRects().length > 0).textContent`, &shownID)
	if shownID != col.ID {
		t.Errorf("control filter shows the column of %q, want %q", shownID, col.ID)
	}

	// Show all, by mouse.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("f-reset"))); err != nil {
		t.Fatal(err)
	}
	if got := visible(); len(got) != n {
		t.Errorf("after Show all %d rows visible, want %d", len(got), n)
	}
	if c, _ := visibleCells(); c != fleetLead+len(cols) {
		t.Errorf("after Show all %d cells visible, want %d", c, fleetLead+len(cols))
	}

	// Search a UDI, by a part of it the serial column does not show.
	udi := in.rows[drill+1].Identity.UDI[strings.Index(in.rows[drill+1].Identity.UDI, "(21)"):]
	udiRows, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`(() => { const s = document.getElementById("f-search"); s.value = %q; s.dispatchEvent(new Event("input"));
		return new Promise(done => setTimeout(() => done(Array.from(document.querySelectorAll("#fleet tbody tr")).filter(r => !r.hidden).length), 300)); })()`,
		udi), chromedp.EvalAwaitPromise))
	if err != nil || udiRows != 1 {
		t.Errorf("search for UDI part %s leaves %d devices, want 1 (%v)", udi, udiRows, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("f-reset"))); err != nil {
		t.Fatal(err)
	}

	// Search a serial, by keyboard.
	serial := in.rows[drill].Identity.Serial
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("f-search"), strings.ToLower(serial))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`document.getElementById("filter-status").textContent === "Showing 1 of 1000 devices."`, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Errorf("search for %s: status %q: %v", serial, status(), err)
	}
	if diff := cmp.Diff([]string{serial}, visible()); diff != "" {
		t.Errorf("search for %s (-want +got):\n%s", serial, diff)
	}
	// Groups of rows with none shown keep no room.
	var groupsShown int
	eval(`document.querySelectorAll("#fleet tbody:not([hidden])").length`, &groupsShown)
	if groupsShown != 1 {
		t.Errorf("%d row groups shown for one device", groupsShown)
	}

	// Drill down: the row's link opens that device's page.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#fleet tbody tr:not([hidden]) th a`))); err != nil {
		t.Fatal(err)
	}
	// The old page's context goes away under a poll, so ask until the
	// new page answers.
	at, deadline := "", time.Now().Add(15*time.Second)
	for time.Now().Before(deadline) {
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`document.readyState === "complete" ? location.href : ""`))
		if err == nil {
			json.Unmarshal(raw, &at)
			if at == detailPage {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if at != detailPage {
		t.Fatalf("the link of %s opened %q, want %s", serial, at, detailPage)
	}
	var detail struct {
		Text, Back, Artifact string
		Rows                 int
	}
	eval(`(() => { const back = document.querySelector("header a"), art = document.querySelector("ul.artifacts a");
		return {Text: document.getElementById("targets").textContent, Back: back ? back.href : "", Artifact: art ? art.href : "",
			Rows: document.querySelectorAll("#targets tbody tr").length}; })()`, &detail)
	if !strings.Contains(detail.Text, serial) || detail.Rows != 1 {
		t.Errorf("the device page lists %d devices and shows %q, want only %s", detail.Rows, detail.Text, serial)
	}
	if detail.Back != fleetPage {
		t.Errorf("the device page links back to %q, want %q", detail.Back, fleetPage)
	}
	if u, err := url.Parse(detail.Artifact); err != nil || u.Scheme != "file" {
		t.Errorf("artifact link %q: %v", detail.Artifact, err)
	} else if _, err := os.Stat(u.Path); err != nil {
		t.Errorf("artifact link %q does not resolve to the bundle's file: %v", detail.Artifact, err)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(fleetPage)); err != nil {
		t.Fatal(err)
	}
	var scrolled bool
	eval(`document.getElementById("devices").scrollIntoView(), true`, &scrolled)
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(t.TempDir(), "fleet.png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", png, len(shot))
	if d := os.Getenv("WARD_SCREENSHOT_DIR"); d != "" {
		os.WriteFile(filepath.Join(d, "fleet.png"), shot, 0o644)
	}

	// Printed, the navigation and the filter disappear, and the rows stay
	// (the last one takes room).
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	var printed struct {
		Hidden bool
		Last   float64
	}
	eval(`(() => { const rows = document.querySelectorAll("#fleet tbody tr");
		return {Hidden: getComputedStyle(document.querySelector("nav")).display === "none" && getComputedStyle(document.getElementById("filter")).display === "none",
			Last: rows[rows.length - 1].getBoundingClientRect().height}; })()`, &printed)
	if !printed.Hidden || printed.Last <= 0 {
		t.Errorf("print media: navigation and filter hidden %v, last row's height %v", printed.Hidden, printed.Last)
	}

	mu.Lock()
	defer mu.Unlock()
	wantReq := []string{"about:blank", pages[10], pages[10], pages[100], pages[100], fleetPage, fleetPage, detailPage, fleetPage}
	requests = slices.DeleteFunc(requests, func(s string) bool { return s == "about:blank" })
	if diff := cmp.Diff(wantReq[1:], requests); diff != "" {
		t.Errorf("requests (-want +got): the pages may load nothing but themselves\n%s", diff)
	}
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
}
