// Command ward checks medical devices against HIPAA Security Rule and FDA
// premarket cybersecurity controls and writes signed evidence for auditors.
//
// Run `ward --help` for the commands. Exit status: 0 all applicable controls
// satisfied (or the bundle is intact); 1 some control not satisfied (or the
// bundle was altered); 2 bad usage or configuration; 3 harness error.
//
// The command line itself is the package pkg/wardcli, so that a device
// maker can build the same command with their own steps and drivers.
package main

import "github.com/wardsec/ward/pkg/wardcli"

func main() { wardcli.Exit() }
