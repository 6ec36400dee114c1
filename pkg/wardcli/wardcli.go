package wardcli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/wardsec/ward/pkg/device"
	"github.com/wardsec/ward/pkg/harness"
)

// Option adds to the command line what a program built on it brings.
type Option func(*options)

// WithSteps adds step definitions to those of Ward (harness.WithSteps):
// `ward check` runs scenarios with them, `ward controls lint` and `ward
// steps list` know them.
func WithSteps(sets ...harness.StepSet) Option {
	return func(o *options) { o.steps = append(o.steps, sets...) }
}

// WithDrivers registers drivers for more target URI schemes, beside the
// built-in ones (sim, https, ssh, net, ssh+net).
func WithDrivers(register ...func(*device.Registry) error) Option {
	return func(o *options) { o.drivers = append(o.drivers, register...) }
}

// Main runs the ward command line with args (without the program name)
// and returns its exit status: 0 all applicable controls satisfied (or
// the bundle intact), 1 a control not satisfied (or the bundle altered),
// 2 bad usage or configuration, 3 harness error, 130 interrupted.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, opts ...Option) int {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	return runWith(ctx, args, stdout, stderr, o)
}

// Exit is a ward program's whole main: Main with the process's arguments
// and standard streams, stopped by the first SIGINT or SIGTERM (exit 130),
// then os.Exit with its status.
func Exit(opts ...Option) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Stdout, os.Stderr, opts...)
	stop()
	os.Exit(code)
}
