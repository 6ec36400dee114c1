package control_test

import (
	"fmt"
	"os"
	"testing/fstest"

	"github.com/wardsec/ward/pkg/control"
)

func ExampleLoad() {
	fsys := fstest.MapFS{"audit.hcl": {Data: []byte(`
framework "hipaa-security-rule" {
  name       = "HIPAA Security Rule"
  citation   = "45 CFR Part 164 Subpart C"
  tag_prefix = "HIPAA"
}

control "HIPAA-164.312-b" {
  framework   = "hipaa-security-rule"
  title       = "Audit controls"
  citations   = ["45 CFR 164.312(b)"]
  status      = "required"
  severity    = "high"
  requirement = <<-EOT
    Security-relevant actions leave an audit record.
    The check performs them and reads the records back.
  EOT
  crosswalk "iec-62443-4-2" { refs = ["CR 2.8"] }
  verification {
    method = "scenario"
  }
}
`)}}
	cat, src, diags := control.Load(fsys)
	if diags.HasErrors() {
		_ = control.WriteDiagnostics(os.Stderr, src, diags, 78, false)
		return
	}
	for _, c := range cat.Controls {
		fmt.Printf("%s %q (%s, %s) at %s\n", c.ID, c.Title, c.Status, c.Severity, c.DeclRange)
		fmt.Println(c.Requirement)
	}
	fmt.Println(cat.IsControlTag("@HIPAA-164.312-b"), cat.IsControlTag("@slow"))
	// Output:
	// HIPAA-164.312-b "Audit controls" (required, high) at audit.hcl:8,1-26
	// Security-relevant actions leave an audit record. The check performs them and reads the records back.
	// true false
}

func ExampleLint() {
	controls := fstest.MapFS{"audit.hcl": {Data: []byte(`
framework "hipaa-security-rule" {
  name       = "HIPAA Security Rule"
  citation   = "45 CFR Part 164 Subpart C"
  tag_prefix = "HIPAA"
}

control "HIPAA-164.312-b" {
  framework   = "hipaa-security-rule"
  title       = "Audit controls"
  citations   = ["45 CFR 164.312(b)"]
  status      = "required"
  severity    = "high"
  requirement = "Security-relevant actions leave an audit record."
  verification {
    method = "scenario"
  }
}
`)}}
	features := fstest.MapFS{"audit/logging.feature": {Data: []byte(`Feature: Audit records

  @HIPAA-164.312-bb @slow
  Scenario: A login is recorded
    When I log in
    Then the audit log has a record of it
`)}}
	_, _, src, diags := control.Lint(controls, features)
	_ = control.WriteDiagnostics(os.Stdout, src, diags, 78, false)
	// Output:
	// audit/logging.feature:3:3: Error: Unknown control tag
	//
	//   on audit/logging.feature line 3:
	//    3:   @HIPAA-164.312-bb @slow
	//
	// The tag @HIPAA-164.312-bb starts with "HIPAA-", the tag prefix of framework
	// "hipaa-security-rule", but the catalogue has no control "HIPAA-164.312-bb".
	// Did you mean @HIPAA-164.312-b?
	//
	// audit.hcl:8:1: Error: Control has no scenario
	//
	//   on audit.hcl line 8, in control "HIPAA-164.312-b":
	//    8: control "HIPAA-164.312-b" {
	//
	// Control "HIPAA-164.312-b" is verified by method "scenario", but no scenario
	// carries the tag @HIPAA-164.312-b. Tag the scenarios that check it, or verify
	// it by attestation.
}
