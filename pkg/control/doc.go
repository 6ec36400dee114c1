// Package control loads Ward's control catalogue: the HIPAA and FDA
// requirements the harness checks, written as HCL.
//
// A catalogue is a directory of *.hcl files holding framework blocks (a
// regulation, a proposed rule or a guidance document, each with a tag
// prefix) and control blocks (one requirement each: title, citations,
// status, severity, the requirement in plain words, crosswalks to other
// schemes, and how it is verified). docs/controls.md is the reference for
// authors.
//
// Load decodes and validates a catalogue. ScanFeatures reads the Gherkin
// scenarios, whose tags ("@HIPAA-164.312-b") name the controls they
// verify, and CheckCoverage cross-checks the two: every control tag names
// a control and every scenario-verified control has a scenario. Lint does
// all three, as `ward controls lint` does.
//
// Problems are reported as hcl.Diagnostics with source ranges, all of
// them rather than the first; WriteDiagnostics renders them with file,
// line, column and the offending source lines. The package keeps no global
// state, and a Catalogue is read-only once loaded.
package control
