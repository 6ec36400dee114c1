// Command acme-ward is ward with Acme's steps and driver linked in: every
// ward command and flag, plus acmepump:// targets and the steps
// Acme's features use.
//
//	acme-ward check --target acmepump://bench-3 --controls ward/controls --features ward/features
package main

import (
	"example.com/acme-pump/pump"

	"github.com/wardsec/ward/pkg/wardcli"
)

func main() {
	wardcli.Exit(wardcli.WithSteps(pump.Steps()), wardcli.WithDrivers(pump.Register))
}
