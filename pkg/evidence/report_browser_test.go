package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
)

// chromiumPath is where Debian's chromium package (and .ci/run) puts it.
const chromiumPath = "/usr/bin/chromium"

// TestReportInChromium opens report.html from a written bundle in headless
// Chromium: no console errors, no request but the file itself, the counts
// shown equal results.json, the status filter hides and shows rows (by
// mouse and by keyboard), print media hides the controls; and it saves a
// screenshot. Without Chromium it skips, unless WARD_REQUIRE_REAL=1.
func TestReportInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("WARD_REQUIRE_REAL") == "1" {
			t.Fatalf("chromium not found at %s (WARD_REQUIRE_REAL=1): %v", chromiumPath, err)
		}
		t.Skipf("chromium not found at %s; apt-get install chromium to run this test", chromiumPath)
	}
	// One target: report.html is the device page (a fleet's report.html is
	// the fleet view, TestFleetReportInChromium).
	run := oneTargetRun()
	dir, err := Write(t.Context(), t.TempDir(), run, WithSigner(vectorKey()), WithName("bundle"))
	if err != nil {
		t.Fatal(err)
	}
	var written Run
	data, err := os.ReadFile(filepath.Join(dir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &written); err != nil {
		t.Fatal(err)
	}
	want := outcomeCounts(&written)
	page := (&url.URL{Scheme: "file", Path: filepath.Join(dir, ReportFile)}).String()

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
			// CSP violations and failed loads arrive here.
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, "log "+string(e.Entry.Level)+" ("+string(e.Entry.Source)+"): "+e.Entry.Text+" "+e.Entry.URL)
			}
		}
	}

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
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
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(listener))
	defer cancelTab()

	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("filter"))); err != nil {
		t.Fatalf("loading %s: %v", page, err)
	}
	t.Logf("chromium loaded the report in %v", time.Since(start).Round(time.Millisecond))

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

	// The counts shown are results.json's.
	var shown map[string]int
	eval(`Object.fromEntries(Array.from(document.querySelectorAll("[data-count]"), e => [e.dataset.count, Number(e.textContent)]))`, &shown)
	if diff := cmp.Diff(want, shown); diff != "" {
		t.Errorf("counts (-results.json +report):\n%s", diff)
	}

	// visible counts the result rows a reader sees, by status.
	visible := func() map[string]int {
		t.Helper()
		var m map[string]int
		eval(`(() => { const m = {}; for (const r of document.querySelectorAll("tr[data-result]")) {
			if (r.getClientRects().length > 0) { m[r.dataset.status] = (m[r.dataset.status] || 0) + 1; } } return m; })()`, &m)
		return m
	}
	only := func(keep ...string) map[string]int {
		m := map[string]int{}
		for _, k := range keep {
			if want[k] > 0 {
				m[k] = want[k]
			}
		}
		return m
	}
	all := only(string(Satisfied), string(NotSatisfied), string(NotApplicable), string(Waived), string(Error))
	problemsOnly := only(string(NotSatisfied), string(NotApplicable), string(Waived), string(Error))
	if diff := cmp.Diff(all, visible()); diff != "" {
		t.Errorf("on load (-want +visible):\n%s", diff)
	}
	click := func(sel string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
			t.Fatalf("click %s: %v", sel, err)
		}
	}
	click(`input[value="satisfied"]`)
	if diff := cmp.Diff(problemsOnly, visible()); diff != "" {
		t.Errorf("satisfied unticked (-want +visible):\n%s", diff)
	}
	var status string
	eval(`document.getElementById("filter-status").textContent`, &status)
	if w := fmt.Sprintf("Showing %d of %d results.", want["total"]-want[string(Satisfied)], want["total"]); status != w {
		t.Errorf("status line %q, want %q", status, w)
	}
	click(`#filter-all`)
	if diff := cmp.Diff(all, visible()); diff != "" {
		t.Errorf("show all (-want +visible):\n%s", diff)
	}
	click(`#filter-problems`)
	if diff := cmp.Diff(problemsOnly, visible()); diff != "" {
		t.Errorf("only problems (-want +visible):\n%s", diff)
	}
	// By keyboard: focus the not-satisfied box and press space.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(`input[value="not-satisfied"]`)), chromedp.KeyEvent(" ")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(only(string(NotApplicable), string(Waived), string(Error)), visible()); diff != "" {
		t.Errorf("not-satisfied unticked by keyboard (-want +visible):\n%s", diff)
	}
	// A control with no visible row disappears with its details.
	var hiddenControls int
	eval(`document.querySelectorAll("article[data-control][hidden]").length`, &hiddenControls)
	if hiddenControls == 0 {
		t.Error("no control was hidden by the filter")
	}
	click(`#filter-all`)

	// Expand one result, then take the screenshot from the top (the filter
	// is sticky, so it is drawn where the page was scrolled to).
	click(`details.how summary`)
	var top bool
	eval(`window.scrollTo(0, 0), true`, &top)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(t.TempDir(), "report.png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", png, len(shot))
	if d := os.Getenv("WARD_SCREENSHOT_DIR"); d != "" {
		os.WriteFile(filepath.Join(d, "report.png"), shot, 0o644)
	}
	if !bytes.HasPrefix(shot, []byte("\x89PNG")) {
		t.Error("screenshot is not a PNG")
	}

	// Collapsed sections and print, on the page as it opens.
	pages := []string{page, page}
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("filter"))); err != nil {
		t.Fatalf("reloading %s: %v", page, err)
	}

	// Printed, the navigation and the filter disappear.
	// (Some sections hold no scenario: the first collapsed one that does.)
	closedContent := `(() => { const s = document.querySelector("details.how:not([open]) .scenario");
		return !!s && s.checkVisibility(); })()`
	var closedShown bool
	eval(closedContent, &closedShown)
	if closedShown {
		t.Error("on screen, a collapsed section shows its content")
	}
	// A reader opens one section before printing: the others still print.
	var opened bool
	eval(`(() => { const d = document.querySelector("details.how:not([open])"); d.querySelector("summary").click(); return d.open; })()`, &opened)
	if !opened {
		t.Error("clicking a collapsed section's summary does not open it")
	}
	var printHidden bool
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	eval(`getComputedStyle(document.querySelector("nav")).display === "none" && getComputedStyle(document.getElementById("filter")).display === "none"`, &printHidden)
	if !printHidden {
		t.Error("print media shows the navigation or the filter")
	}
	// Collapsed sections print too (::details-content in the print style
	// sheet; the beforeprint handler does the same where that is missing).
	eval(closedContent, &closedShown)
	if !closedShown {
		t.Error("print media hides the content of collapsed sections")
	}
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF())
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Errorf("printing to PDF: %v", err)
	}

	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(pages, requests); diff != "" {
		t.Errorf("requests (-want +got): each page may load nothing but itself\n%s", diff)
	}
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
	t.Logf("chromium test took %v", time.Since(start).Round(time.Millisecond))
}

func consoleArgs(args []*runtime.RemoteObject) string {
	var b bytes.Buffer
	for _, a := range args {
		if a == nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if len(a.Value) > 0 {
			b.Write(a.Value)
		} else {
			b.WriteString(a.Description)
		}
	}
	return b.String()
}
