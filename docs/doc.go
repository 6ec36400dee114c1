// Package docs holds Ward's documentation (markdown) and no code: its tests
// keep the documents true. docs/capabilities.md is generated (go test
// ./docs -run TestCapabilitiesDoc -update) from pkg/device's capability
// table and from checking the simulator with each capability taken away;
// every control id a document names must exist in the catalogue.
package docs
