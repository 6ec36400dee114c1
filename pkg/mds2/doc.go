// Package mds2 fills the Manufacturer Disclosure Statement for Medical
// Device Security (MDS2, ANSI/NEMA HN 1-2019) from Ward's evidence, and
// checks a vendor's completed MDS2 against it.
//
// The mapping from the form's questions to Ward's controls is data: an
// mds2_form block in the control catalogue (controls/mds2.hcl), read with
// LoadMapping or Default and checked against the catalogue with
// Mapping.Lint. Fill answers each question for each target of a run: Yes
// or No from the outcomes of the mapped controls, by the question's rule
// (never Yes from an outcome that is not satisfied), Yes from an
// observation in the artifacts, the device's reported identity, or
// "unanswered" with the reason, for the maker. Every answer carries the
// control ids, outcomes and artifact paths it rests on.
//
// A Form is written as JSON (Form.WriteJSON, schema SchemaVersion) or as
// a workbook in the layout of the NEMA form (WriteXLSX). ReadClaimsXLSX
// and ReadClaimsCSV import a vendor's completed form, refusing anything
// they cannot read whole; Compare lists each claim the evidence
// contradicts, confirms or cannot test. See docs/mds2.md.
package mds2
