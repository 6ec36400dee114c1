// Package segmenthcl reads and writes segmentation policies in HCL. It is
// separate from pkg/segment so firmware that only evaluates compiled
// policies does not link the HCL parser.
//
// A policy file holds local_networks and zone, controller, profile,
// device and conduit blocks; docs/segment-policy.md describes each.
// Errors come back as HCL diagnostics with file:line:column.
package segmenthcl
