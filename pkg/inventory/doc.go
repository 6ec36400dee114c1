// Package inventory is the asset inventory, the "common operational
// picture" of connected medical devices: who made each one, where it sits,
// who answers for it, whether it touches patient data, its firmware, SBOM,
// support and patch state, and a risk class computed from those facts with
// the reasoning shown (docs/inventory.md).
//
// Records are imported from CSV or JSON (errors name the line and column),
// exported again, and written crash-safely. Observations of devices (what a
// check learned from a device's identity) update the records, and flag
// devices seen but not inventoried and records not seen for too long. Two
// inventories can be diffed, and an inventory rendered as an HTML table.
//
// The package is device side: it imports no harness, driver or HCL code.
package inventory
