// Command driver shows a custom driver registered from Go: a device maker
// whose infusion pumps speak their own service protocol writes a small
// pkg/device driver for it, registers it under its own scheme next to
// Ward's built-in ones, and runs Ward's checks against its devices.
//
//	go run ./examples/driver acme://pump-7
//
// The "protocol" here is an in-memory stand-in (a vendor service port that
// answers identity and logins); a real driver would speak to the device.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/wardsec/ward/controls"
	"github.com/wardsec/ward/features"
	"github.com/wardsec/ward/pkg/control"
	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/device/https"
	"github.com/wardsec/ward/pkg/harness"
	"github.com/wardsec/ward/pkg/sim"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "driver:", err)
		os.Exit(1)
	}
}

// acmePump is what the vendor protocol offers: identity and logins.
type acmePump struct {
	unit string
}

func openAcme(_ context.Context, u *url.URL) (device.Device, error) {
	if u.Host == "" {
		return nil, fmt.Errorf("%w: acme target needs a unit name, as in acme://pump-7", device.ErrBadTarget)
	}
	return &acmePump{unit: u.Host}, nil
}

func (p *acmePump) Identify(context.Context) (device.Identity, error) {
	return device.Identity{Manufacturer: "Acme Infusion", Model: "AI-9", Serial: strings.ToUpper(p.unit), Firmware: "9.0.1"}, nil
}

func (p *acmePump) Close() error { return nil }

// Login maps the vendor's answer to pkg/device's errors: the pump has no
// factory account and refuses everything it does not know.
func (p *acmePump) Login(_ context.Context, c device.Credentials) (string, error) {
	return "", fmt.Errorf("acme %s: login %q: %w", p.unit, c.User, device.ErrDenied)
}

func (p *acmePump) Logout(context.Context, string) error { return nil }

// run checks the given targets and prints each control's outcome.
func run(ctx context.Context, targets []string, out io.Writer) error {
	if len(targets) == 0 {
		return errors.New("usage: driver TARGET [TARGET]")
	}
	reg := device.NewRegistry()
	for _, r := range []func(*device.Registry) error{sim.Register, https.Register} {
		if err := r(reg); err != nil {
			return err
		}
	}
	if err := reg.Register("acme", openAcme); err != nil {
		return err
	}
	cat, _, _, diags := control.Lint(controls.FS, features.FS)
	if diags.HasErrors() {
		return diags
	}
	var ids []string
	for _, c := range cat.Controls {
		if c.Verification.Method == control.MethodScenario {
			ids = append(ids, c.ID)
		}
	}
	runner := harness.New(reg, cat, features.FS, harness.WithControls(ids...))
	res, _, err := runner.Run(ctx, harness.RunInfo{}, targets)
	if err != nil {
		return err
	}
	for _, t := range res.Targets {
		fmt.Fprintf(out, "%s (%s %s)\n", t.URI, t.Identity.Model, t.Identity.Serial)
		for _, c := range t.Controls {
			fmt.Fprintf(out, "  %-24s %s\n", c.ID, c.Outcome)
		}
	}
	return nil
}
