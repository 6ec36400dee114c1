package wardcli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardsec/ward/internal/safetext"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/harness"
)

// Exit statuses, as the CLI contract fixes them (README, "Exit statuses";
// `ward check --help`).
const (
	exitOK           = 0
	exitNotSatisfied = 1 // also: evidence bundle altered
	exitUsage        = 2
	exitHarness      = 3
	exitInterrupted  = 130 // SIGINT or SIGTERM, as shells report 128+2
)

// exitError carries an exit status through cobra. Its message, if any, is
// printed as one line on stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// quiet is an exit status whose explanation was already printed.
func quiet(code int) error { return &exitError{code: code} }

// run is the whole CLI, testable without a process: it returns the exit
// status instead of calling os.Exit.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdout, stderr, options{})
}

// options are what a program built on Ward's CLI adds to it: its own step
// definitions and drivers. They travel in the command's context.
type options struct {
	steps   []harness.StepSet
	drivers []func(*device.Registry) error
}

type optionsKey struct{}

func optionsFrom(ctx context.Context) options {
	o, _ := ctx.Value(optionsKey{}).(options)
	return o
}

func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, o options) int {
	ctx = context.WithValue(ctx, optionsKey{}, o)
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintln(stderr, "ward: "+oneLine(ee.err.Error()))
		}
		return ee.code
	case errors.Is(err, harness.ErrConfig), errors.Is(err, device.ErrBadTarget):
		fmt.Fprintln(stderr, "ward: "+oneLine(err.Error()))
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "ward: interrupted")
		return exitInterrupted
	default:
		// cobra's own errors (unknown flag or command) are usage errors.
		if isCobraUsage(err) {
			fmt.Fprintln(stderr, "ward: "+oneLine(err.Error()))
			fmt.Fprintln(stderr, "Run 'ward --help' for usage.")
			return exitUsage
		}
		fmt.Fprintln(stderr, "ward: "+oneLine(err.Error()))
		return exitHarness
	}
}

func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires at most"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// oneLine makes an error message one printable line: messages carry what
// devices and input files said, so control characters are escaped
// (safetext) and the length is bounded.
func oneLine(s string) string {
	return safetext.Clip(strings.ReplaceAll(strings.TrimSpace(s), "\n", "; "), maxShown)
}

// maxShown bounds one device- or file-supplied text on the terminal; the
// evidence keeps what the harness kept.
const maxShown = 1024

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "ward",
		Short: "Check medical devices against HIPAA and FDA security controls and write signed evidence",
		Long: `Ward checks a medical device (real, or simulated) against HIPAA Security Rule
and FDA premarket cybersecurity controls. Each control is verified by Gherkin
scenarios tagged with its id; the results go into a signed evidence bundle
(results, JUnit, cucumber JSON, raw artifacts) that auditors can verify.

Start with:  ward check
Then:        ward evidence verify ward-evidence/<time>

Exit status: 0 all applicable controls satisfied (or bundle intact),
1 a control is not satisfied (or the bundle was altered), 2 bad usage or
configuration, 3 harness error, 130 interrupted (SIGINT or SIGTERM).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newCheckCmd(), newControlsCmd(), newEvidenceCmd(), newAtRestCmd(), newBackupCmd(), newUpdateCmd(),
		newSegmentCmd(), newInventoryCmd(), newSimCmd(), newStepsCmd(), newVersionCmd())
	root.AddCommand(newMDS2Cmd())
	return root
}
