// Package controls holds Ward's built-in control catalogue: the framework
// and control definitions in this directory's *.hcl files, embedded in the
// binary so `ward check` works from any directory and after `go install`.
// Load them with control.Load(controls.FS); docs/controls.md describes the
// format. Scenarios that verify each control live in package features.
// mds2.hcl maps the MDS2 questionnaire to these controls (package mds2,
// docs/mds2.md).
package controls
