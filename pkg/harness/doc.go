// Package harness runs Ward's Gherkin scenarios with godog against devices
// and turns the results into control outcomes.
//
// A Runner opens each target through a device.Registry, runs the selected
// scenarios in strict mode (an undefined or pending step is an error, never
// a pass) with a fresh per-scenario world carried in the context, and maps
// the scenarios to the controls whose ids they carry as tags: a control is
// satisfied only when every scenario that verifies it passed on that target,
// and not-applicable when the target lacks a capability the checks need.
//
// Runner.Execute checks a list of targets and takes each finished target
// through the check pipeline, in a fixed order (pipeline.go): outcomes,
// attestations (WithAttestations), waivers (WithWaivers), the site
// inventory (WithInventory). `ward check` is this plus flags and printing,
// so a Go program gets the CLI's results. With WithTargetSink each
// finished target is handed over and not kept, so a fleet's memory follows
// the targets checked at once (docs/check-pipeline.md).
//
// Step definitions live here, one file per area (steps_audit.go,
// steps_access.go, ...). They reach devices only through pkg/device and
// record what they observed, and the raw data they captured, as evidence.
//
// A device may keep its state between scenarios and runs (a real device, a
// management API without units mode), so a scenario's test accounts get
// device names unique to the scenario run ("nurse.jones" becomes
// "nurse.jones.w3k9q2"), used wherever a step sends a user name or looks
// for one in what the device returns, and are removed at the scenario's end
// when the device is a device.AccountRemover (accounts.go).
package harness
