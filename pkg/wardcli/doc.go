// Package wardcli is the ward command line as a library: cmd/ward's main
// is one call to Main, and a device maker's program can be the same
// command with its own step definitions and drivers linked in:
//
//	func main() {
//		wardcli.Exit(wardcli.WithSteps(acme.Steps()), wardcli.WithDrivers(acme.Register))
//	}
//
// Go cannot load compiled step functions into a binary that is already
// built, so a maker who wants `ward check --controls --features` to run
// scenarios with their own steps builds this program (see
// docs/device-makers.md); every command, flag and exit status is ward's.
package wardcli
