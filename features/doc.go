// Package features embeds Ward's Gherkin scenarios so `ward check` works
// from any directory and after `go install`. Each scenario carries, as
// tags, the ids of the controls (package controls) it verifies, for example
// @HIPAA-164.312-b; `ward controls lint` keeps the two consistent. Files
// are grouped by area: audit/, access/, ...
package features
