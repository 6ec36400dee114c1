package wardcli

import (
	"crypto/ed25519"
	"crypto/fips140"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/safetext"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
	"github.com/wardsec/ward/pkg/device/netdrv"
	wssh "github.com/wardsec/ward/pkg/device/ssh"
	"github.com/wardsec/ward/pkg/evidence"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
)

const defaultTarget = "sim://infusion-pump"

type checkFlags struct {
	targets     []string
	targetsFile string
	frameworks  []string
	controls    []string
	out         string
	signKey     string
	concurrency int
	destructive bool
	parallel    int
	shard       string
	src         sourceFlags
	waivers     []string
	attests     []string
	inventory   checkInventory
	allowHosts  []string
	targetTime  time.Duration
	failOn      []string
	minCoverage string
	require     []string
	verbose     bool
	format      string
}

func newCheckCmd() *cobra.Command {
	var f checkFlags
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Run the control checks against one or more devices and write a signed evidence bundle",
		Long: `Run the scenarios that verify each control against each target device, print a
per-control summary, and write an evidence bundle to --out/<UTC time>/.

With no --target, checks the built-in simulated infusion pump
(` + defaultTarget + `). Simulator weakness toggles switch one protection off,
to see the matching controls fail:

  ward check --target 'sim://infusion-pump?weaken=mutable-audit'

With --waivers FILE, waiver blocks accept the risk of a control not being
satisfied on the targets they select, until they expire. Procedural controls
(method "attestation") are assessed by attestation blocks given with
--attestations FILE, on the targets each one names; their evidence files are
hashed and copied into the bundle. A procedural control no attestation covers
on a target is listed as not assessed (see docs/controls.md and
examples/attestations/).

Every selected control appears in every output with its outcome. After the
per-control lines, a coverage line per framework says how many controls were
assessed (satisfied, not satisfied or waived), applicable, not applicable and
not assessed, and the not-applicable ones are grouped by what the device would
have to offer for them to be checked. With more than 3 targets the summary is
one line per target (counts, the controls not satisfied or in error named)
and a fleet summary (outcome totals, and per control how many targets fail
it); --verbose prints the per-control lines for every target, and
--format json prints a versioned machine-readable summary instead
(docs/check-output.md).

CI gates (each failing gate prints a GATE line and makes the exit status 1):
  --fail-on not-applicable,not-assessed   fail if any control has one of these outcomes
  --min-coverage 90%                      fail if a target has fewer controls assessed
  --require-control ID,...                fail unless these controls are satisfied
                                          (or waived) on every target
Controls verified two ways (method "scenario+attestation", such as emergency
mode operation) are satisfied only when their scenarios pass and an
attestation covering the target is accepted; with passing scenarios and no
attestation they are not assessed.

` + inventoryHelp + `

Exit status: 0 every applicable control satisfied or waived (not applicable and
not assessed controls do not fail a run unless a gate asks); 1 some control not
satisfied, or a gate failed; 2 bad usage or configuration (nothing is run or
written); 3 harness error (a check could not be evaluated); 130 interrupted.`,
		Example: `  ward check
  ward check --control HIPAA-164.312-b --out /tmp/evidence
  ward check --target 'sim://infusion-pump?weaken=no-audit,no-auth'
  ward check --targets fleet.txt --shard 2/4 --sign-key ward-signing.pem
  ward check --target 'ssh://root@10.0.0.7:22?key=id_ed25519&known_hosts=known_hosts&profile=pump.json'
  ward check --target 'net://10.0.0.9?udp=161&documented=tcp/443,tcp/2575'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCheck(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.targets, "target", nil, "device to check, as a URI (repeatable; default "+defaultTarget+")")
	fl.StringVar(&f.targetsFile, "targets", "", "file with one target URI per line (# starts a comment; \"sim://... count=N\" declares a fleet of N units)")
	fl.StringSliceVar(&f.frameworks, "framework", nil, "only controls of these frameworks (comma-separated ids, see 'ward controls list')")
	fl.StringSliceVar(&f.controls, "control", nil, "only these controls (comma-separated ids)")
	fl.StringVar(&f.out, "out", "ward-evidence", "directory under which the evidence bundle is written")
	fl.StringVar(&f.signKey, "sign-key", "", "Ed25519 private key (PKCS#8 PEM) to sign the bundle; default: a fresh key whose public half is stored in the bundle")
	fl.IntVar(&f.concurrency, "concurrency", 0, "scenarios run at once per target (default: number of CPUs)")
	fl.BoolVar(&f.destructive, "allow-destructive", false, "also run @destructive scenarios (decommissioning erases the device) on targets that are not simulator units; only for a device whose data may be lost")
	fl.IntVar(&f.parallel, "parallel-targets", 0, "targets checked at once (default: twice the number of CPUs)")
	fl.StringVar(&f.shard, "shard", "", "check only shard I of N of the targets, as I/N (for splitting a fleet across CI jobs)")
	f.src.add(fl)
	fl.StringArrayVar(&f.attests, "attestations", nil, "HCL file of attestation blocks for procedural controls, with evidence files copied into the bundle (repeatable)")
	fl.StringVar(&f.inventory.file, "inventory", "", "site asset inventory (.json or records .csv) to match targets against")
	fl.BoolVar(&f.inventory.update, "update-inventory", false, "write back to --inventory when each target was seen and its reported firmware")
	fl.DurationVar(&f.targetTime, "target-timeout", harness.DefaultTargetTimeout, "whole-target deadline: a target not finished by then is an error outcome and the run goes on (0: none)")
	fl.StringArrayVar(&f.allowHosts, "allow-host", nil, "HOST or HOST:PORT besides each target's own host that the checks may connect to when a device lists a service there (repeatable)")
	fl.StringArrayVar(&f.waivers, "waivers", nil, "HCL file of waiver blocks accepting the risk of unsatisfied controls (repeatable)")
	fl.StringSliceVar(&f.failOn, "fail-on", nil, "also fail (exit 1) when a control has one of these outcomes: not-applicable, not-assessed, waived (comma-separated)")
	fl.StringVar(&f.minCoverage, "min-coverage", "", "fail (exit 1) when a target has fewer than this share of the selected controls assessed, e.g. 90%")
	fl.BoolVar(&f.verbose, "verbose", false, fmt.Sprintf("print every control of every target even for more than %d targets (default: one line per target and a fleet summary)", compactAbove))
	fl.StringVar(&f.format, "format", "text", "summary on stdout: text, or json (a versioned machine-readable summary for CI, docs/check-output.md)")
	fl.StringSliceVar(&f.require, "require-control", nil, "fail (exit 1) unless these controls are satisfied or waived on every target (comma-separated ids, repeatable)")
	return cmd
}

func runCheck(cmd *cobra.Command, f checkFlags) error {
	ctx := cmd.Context()
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()

	if f.format != "text" && f.format != "json" {
		return usageErr("--format %q: want text or json", f.format)
	}
	targets, err := collectTargets(f)
	if err != nil {
		return err
	}
	if f.concurrency < 0 || f.parallel < 0 {
		return usageErr("--concurrency and --parallel-targets must be at least 1")
	}
	src, err := pickSources(ctx, f.src)
	if err != nil {
		return err
	}
	cat, _, err := lint(src, stderr)
	if err != nil {
		return err
	}
	ids, err := selectControls(cat, f.frameworks, f.controls)
	if err != nil {
		return err
	}
	gate, err := parseGates(f, cat, ids)
	if err != nil {
		return err
	}
	waivers, err := loadWaivers(f.waivers, cat, stderr)
	if err != nil {
		return err
	}
	attests, err := loadAttestations(f.attests, cat, stderr)
	if err != nil {
		return err
	}
	invOpts, err := f.inventory.load()
	if err != nil {
		return err
	}
	key, err := signingKey(f.signKey)
	if err != nil {
		return err
	}
	if err := checkWritable(f.out); err != nil {
		return err
	}
	featDigest, err := harness.Digest(src.features)
	if err != nil {
		return err
	}
	reg, err := checkRegistry()
	if err != nil {
		return err
	}

	opts, err := runnerOptions(f, ids, targets, stderr)
	if err != nil {
		return err
	}
	for _, register := range src.drivers {
		if err := register(reg); err != nil {
			return err
		}
	}
	opts = append(opts, harness.WithSteps(src.steps...))
	// The pipeline (attestations, waivers, inventory) runs in the runner,
	// so the Go API gives these results too (pkg/harness/pipeline.go).
	opts = append(opts, harness.WithAttestations(attests...), harness.WithWaivers(waivers...))
	opts = append(opts, invOpts...)
	info := harness.RunInfo{
		Tool: evidence.Tool{Name: "ward", Version: version(), FIPS: fips140.Enabled()},
		Catalogue: evidence.Catalogue{
			Digest:   combinedDigest(cat.Digest, featDigest),
			Source:   src.label,
			Controls: len(ids),
		},
	}
	if f.shard != "" {
		i, n, _ := parseShard(f.shard)
		info.Shard = &evidence.Shard{Index: i, Count: n}
	}
	// The bundle is started before the run and each target streams into
	// it as it finishes: the CLI keeps only the slim summary it prints.
	head := harness.New(reg, cat, src.features).Header(info)
	info.ID, info.Started = head.ID, head.Started
	form, err := mds2Supplement(src.controls, head.ID, stderr)
	if err != nil {
		return err
	}
	bundle, err := newBundleSink(ctx, f.out, head, key, form...)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted("")
		}
		return &exitError{code: exitHarness, err: fmt.Errorf("write evidence: %w", err)}
	}
	opts = append(opts, harness.WithTargetSink(bundle.AddTarget))
	runner := harness.New(reg, cat, src.features, opts...)

	fmt.Fprintf(stderr, "ward: checking %d control(s) on %d target(s)\n", len(ids), len(targets))
	res, err := runner.Execute(ctx, info, targets)
	if ctx.Err() != nil {
		// Whatever the run holds was cut short: it is not evidence.
		_ = bundle.Abort()
		return interrupted("")
	}
	if err != nil {
		_ = bundle.Abort()
		return err
	}
	flagWaivers(stderr, res.Waivers)
	printInventory(stderr, res.Inventory)
	dir, err := bundle.Close(ctx, res.Run.Finished, res.Files...)
	if err != nil {
		_ = bundle.Abort()
		if ctx.Err() != nil {
			return interrupted("")
		}
		return &exitError{code: exitHarness, err: fmt.Errorf("write evidence: %w", err)}
	}
	if ctx.Err() != nil {
		return interrupted(dir)
	}
	code, err := printResults(stdout, f, bundle.Summary(), gate, dir, evidence.Fingerprint(key.Public().(ed25519.PublicKey)))
	if err != nil {
		return err
	}
	if code != exitOK {
		return quiet(code)
	}
	return nil
}

// runnerOptions turns the flags that shape the run into runner options.
func runnerOptions(f checkFlags, ids, targets []string, stderr io.Writer) ([]harness.Option, error) {
	opts := []harness.Option{harness.WithControls(ids...), harness.WithProgressFunc(progressPrinter(stderr, targets))}
	parallel := f.parallel
	if parallel == 0 {
		parallel = 2 * runtime.NumCPU()
	}
	opts = append(opts, harness.WithTargetConcurrency(min(parallel, len(targets))))
	if f.destructive {
		opts = append(opts, harness.WithDestructive(true))
	}
	opts = append(opts, harness.WithTargetTimeout(f.targetTime))
	for _, h := range f.allowHosts {
		a, err := harness.ParseAllowHost(h)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		opts = append(opts, harness.WithAllowHosts(a))
	}
	if f.concurrency > 0 {
		opts = append(opts, harness.WithConcurrency(f.concurrency))
	}
	return opts, nil
}

// printResults prints the run's summary from the bundle's slim run (text,
// compact above compactAbove targets unless --verbose, or --format json)
// with the gates' verdicts, and returns the exit status.
func printResults(stdout io.Writer, f checkFlags, run *evidence.Run, gate gates, dir, signedBy string) (int, error) {
	code := exitFor(run)
	var gateLines strings.Builder
	if gate.check(&gateLines, run) && code == exitOK {
		code = exitNotSatisfied
	}
	switch {
	case f.format == "json":
		return code, writeJSONSummary(stdout, run, dir, signedBy, code, gateLines.String())
	case len(run.Targets) > compactAbove && !f.verbose:
		printCompact(stdout, run)
	default:
		printSummary(stdout, run)
	}
	io.WriteString(stdout, gateLines.String())
	fmt.Fprintf(stdout, "\nevidence: %s\nsigned by: %s\nverify with: ward evidence verify %s\n", dir, signedBy, dir)
	return code, nil
}

// checkRegistry is the registry of the built-in drivers.
func checkRegistry() (*device.Registry, error) {
	reg := device.NewRegistry()
	for _, register := range []func(*device.Registry) error{sim.Register, wssh.Register, https.Register, netdrv.Register} {
		if err := register(reg); err != nil {
			return nil, err
		}
	}
	// One device judged from a login and from the network at once.
	if err := reg.RegisterCombined("ssh+net", wssh.Scheme, netdrv.Scheme); err != nil {
		return nil, err
	}
	return reg, nil
}

// interrupted is the exit of a check stopped by SIGINT or SIGTERM: one
// line that says whether the evidence bundle was written (dir) or not.
func interrupted(dir string) error {
	if dir == "" {
		return &exitError{code: exitInterrupted, err: errors.New("interrupted: no evidence bundle was written")}
	}
	return &exitError{code: exitInterrupted, err: fmt.Errorf("interrupted: the evidence bundle was written to %s", dir)}
}

// progressAll is the largest run whose progress names every target; a
// larger fleet gets at most progressLines lines, so a 1,000-unit run does
// not print 1,000 lines on stderr.
const (
	progressAll   = 20
	progressLines = 20
)

// progressPrinter shows progress on long runs: a live line on a terminal,
// plain lines otherwise (CI logs). Up to progressAll targets, one line per
// finished target, in the order the targets were given (targets run in
// parallel); above, a line each time another 1/progressLines of the fleet
// is done.
func progressPrinter(w io.Writer, targets []string) func(harness.Progress) {
	live := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			live = true
		}
	}
	if len(targets) > progressAll {
		return fleetProgress(w, len(targets), live)
	}
	total := len(targets)
	slots := map[string][]int{} // target -> its positions not yet finished
	for i, t := range targets {
		slots[t] = append(slots[t], i)
	}
	finished := make([]*harness.Progress, total)
	next := 0
	var mu sync.Mutex
	return func(p harness.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if !p.TargetDone {
			if live {
				fmt.Fprintf(w, "\r\x1b[K[%d/%d] %s: %d scenarios done, %d failed", next+1, total, show(p.Target), p.Done, p.Failed)
			}
			return
		}
		if q := slots[p.Target]; len(q) > 0 {
			finished[q[0]], slots[p.Target] = &p, q[1:]
		}
		for next < total && finished[next] != nil {
			f := finished[next]
			next++
			if live {
				fmt.Fprintf(w, "\r\x1b[K[%d/%d] %s: %d scenarios, %d failed\n", next, total, show(f.Target), f.Done, f.Failed)
			} else {
				fmt.Fprintf(w, "ward: [%d/%d] %s: %d scenarios, %d failed\n", next, total, show(f.Target), f.Done, f.Failed)
			}
		}
	}
}

// fleetProgress counts finished targets and prints a line each time
// another 1/progressLines of the fleet is done; on a terminal it also
// redraws a live line, at most four times a second.
func fleetProgress(w io.Writer, total int, live bool) func(harness.Progress) {
	step := max(1, (total+progressLines-1)/progressLines)
	var (
		mu                  sync.Mutex
		done, failing, scen int
		drawn               time.Time
	)
	return func(p harness.Progress) {
		mu.Lock()
		defer mu.Unlock()
		if !p.TargetDone {
			scen++
			if live && time.Since(drawn) >= 250*time.Millisecond {
				drawn = time.Now()
				fmt.Fprintf(w, "\r\x1b[K[%d/%d] targets done, %d scenarios run", done, total, scen)
			}
			return
		}
		done++
		if p.Failed > 0 {
			failing++
		}
		if done%step != 0 && done != total {
			return
		}
		if live {
			fmt.Fprintf(w, "\r\x1b[K")
		}
		fmt.Fprintf(w, "ward: [%d/%d] targets done, %d with failed or broken scenarios\n", done, total, failing)
	}
}

func collectTargets(f checkFlags) ([]string, error) {
	targets := slices.Clone(f.targets)
	if f.targetsFile != "" {
		fh, err := os.Open(f.targetsFile)
		if err != nil {
			return nil, usageErr("--targets: %v", err)
		}
		defer fh.Close()
		listed, err := harness.ParseTargets(fh, f.targetsFile)
		if err != nil {
			return nil, usageErr("--targets %v", err)
		}
		targets = append(targets, listed...)
		if len(targets) == 0 {
			return nil, usageErr("--targets %s lists no target", f.targetsFile)
		}
	}
	if len(targets) == 0 {
		targets = []string{defaultTarget}
	}
	if f.shard == "" {
		return targets, nil
	}
	i, n, err := parseShard(f.shard)
	if err != nil {
		return nil, err
	}
	var mine []string
	for k, t := range targets {
		if k%n == i-1 {
			mine = append(mine, t)
		}
	}
	if len(mine) == 0 {
		return nil, usageErr("--shard %s selects none of the %d target(s)", f.shard, len(targets))
	}
	return mine, nil
}

func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, usageErr("--shard %q: want I/N with 1 <= I <= N, e.g. 2/4", s)
	}
	return i, n, nil
}

// selectControls applies --framework and --control and returns the controls
// to assess, procedural ones included (they are not assessed unless an
// attestation covers them). Unknown ids are usage errors: a typo must not
// silently check nothing.
func selectControls(cat *control.Catalogue, frameworks, ids []string) ([]string, error) {
	for _, fw := range frameworks {
		if _, ok := cat.Framework(fw); !ok {
			var known []string
			for _, f := range cat.Frameworks {
				known = append(known, f.ID)
			}
			return nil, usageErr("--framework: unknown framework %q (known: %s)", fw, strings.Join(known, ", "))
		}
	}
	for _, id := range ids {
		if _, ok := cat.Control(id); !ok {
			return nil, usageErr("--control: unknown control %q (see 'ward controls list')", id)
		}
	}
	var out []string
	for _, c := range cat.Controls {
		if len(frameworks) > 0 && !slices.Contains(frameworks, c.Framework) {
			continue
		}
		if len(ids) > 0 && !slices.Contains(ids, c.ID) {
			continue
		}
		out = append(out, c.ID)
	}
	if len(out) == 0 {
		return nil, usageErr("--framework and --control together select no control")
	}
	return out, nil
}

func signingKey(path string) (ed25519.PrivateKey, error) {
	if path == "" {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	k, err := evidence.LoadSigningKey(path)
	if err != nil {
		return nil, usageErr("--sign-key: %v", err)
	}
	return k, nil
}

// checkWritable makes sure the bundle can be written before anything runs,
// so a bad --out is a usage error, not a lost run.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageErr("--out %s: %v", dir, err)
	}
	f, err := os.CreateTemp(dir, ".ward-write-test-*")
	if err != nil {
		return usageErr("--out %s: not writable: %v", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(filepath.Clean(name))
}

func combinedDigest(controls, features string) string {
	return "controls:" + controls + " features:" + features
}

// show escapes and bounds one field for the terminal.
func show(s string) string { return safetext.Clip(s, maxShown) }

// printSummary prints one block per target, every control on its own line,
// and returns the exit status the outcomes call for (exitFor).
func printSummary(w io.Writer, run *evidence.Run) int {
	for _, t := range run.Targets {
		if t.Error != "" {
			// One line: every control is in error for the same reason.
			fmt.Fprintf(w, "\n%s: target error: %s (%d control(s) not checked)\n", show(t.URI), safetext.Clip(strings.TrimPrefix(t.Error, "open "+t.URI+": "), 400), len(t.Controls))
			continue
		}
		fmt.Fprintf(w, "\n%s\n", show(t.URI))
		if id := identityLine(t.Identity); id != "" {
			fmt.Fprintf(w, "  %s\n", id)
		}
		counts := map[evidence.Outcome]int{}
		for _, c := range t.Controls {
			counts[c.Outcome]++
			fmt.Fprintf(w, "  %-15s %-24s %s — %s (%s)\n", c.Outcome, show(c.ID), show(c.Title), show(c.Framework), show(strings.Join(c.Citations, "; ")))
		}
		fmt.Fprintf(w, "  %d satisfied, %d not satisfied, %d not applicable, %d not assessed, %d error",
			counts[evidence.Satisfied], counts[evidence.NotSatisfied], counts[evidence.NotApplicable], counts[evidence.NotAssessed], counts[evidence.Error])
		if counts[evidence.Waived] > 0 {
			fmt.Fprintf(w, ", %d waived", counts[evidence.Waived])
		}
		fmt.Fprintln(w)
		for _, cv := range evidence.CoverageOf(t.Controls) {
			fmt.Fprintf(w, "  coverage %s\n", cv)
		}
		printNotApplicable(w, t.Controls)
		for _, c := range t.Controls {
			switch c.Outcome {
			case evidence.NotSatisfied:
				fmt.Fprintf(w, "  FAILED %s: %s\n", show(c.ID), oneLine(c.Reason))
			case evidence.Waived:
				fmt.Fprintf(w, "  WAIVED %s: %s\n", show(c.ID), oneLine(c.Reason))
			case evidence.Error:
				fmt.Fprintf(w, "  ERROR  %s: %s\n", show(c.ID), oneLine(c.Reason))
			}
		}
	}
	return exitFor(run)
}

// loadWaivers reads the --waivers files; their diagnostics are printed
// like lint's, and any error is a usage error (nothing is run).
func loadWaivers(paths []string, cat *control.Catalogue, stderr io.Writer) ([]control.Waiver, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	ws, src, diags := control.LoadWaivers(paths, cat)
	if len(diags) > 0 {
		if err := control.WriteDiagnostics(stderr, src, diags, 100, false); err != nil {
			return nil, err
		}
	}
	if diags.HasErrors() {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("--waivers: %d error(s)", countErrors(diags))}
	}
	return ws, nil
}

// loadAttestations reads the --attestations files and their evidence
// files. Diagnostics are printed like lint's and are usage errors; an
// evidence file that cannot be read is not: it leaves the control not
// satisfied (harness.ReadAttestations).
func loadAttestations(paths []string, cat *control.Catalogue, stderr io.Writer) ([]harness.Attestation, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	as, src, diags := control.LoadAttestations(paths, cat)
	if len(diags) > 0 {
		if err := control.WriteDiagnostics(stderr, src, diags, 100, false); err != nil {
			return nil, err
		}
	}
	if diags.HasErrors() {
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("--attestations: %d error(s)", countErrors(diags))}
	}
	return harness.ReadAttestations(as), nil
}

// flagWaivers warns about waivers that expired or matched nothing in the
// run, so a lapsed acceptance of risk is not missed.
func flagWaivers(w io.Writer, uses []harness.WaiverUse) {
	for _, u := range uses {
		wv := u.Waiver
		switch {
		case u.Expired:
			fmt.Fprintf(w, "ward: warning: waiver %s (%s) expired on %s and was ignored\n", wv.ID, wv.Control, wv.Expires.Format(control.DateLayout))
		case !u.Matched:
			fmt.Fprintf(w, "ward: warning: waiver %s (%s) matched no control checked on these targets\n", wv.ID, wv.Control)
		}
	}
}
