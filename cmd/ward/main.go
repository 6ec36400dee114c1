// Command ward checks medical devices against HIPAA Security Rule and FDA
// premarket cybersecurity controls and writes signed evidence for auditors.
//
// Run `ward --help` for the commands. Exit status: 0 all applicable controls
// satisfied (or the bundle is intact); 1 some control not satisfied (or the
// bundle was altered); 2 bad usage or configuration; 3 harness error.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
