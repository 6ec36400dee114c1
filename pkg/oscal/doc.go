// Package oscal is the part of NIST's OSCAL 1.2.2 JSON model that Ward's
// evidence uses, apart from Ward's own run format: the types of the
// assessment-results and plan-of-action-and-milestones documents
// (field order as in NIST's JSON schema, optional fields omitted when
// empty, since the schema forbids empty arrays and strings), Ward's
// deterministic element UUIDs, the escaping OSCAL's Markdown fields need,
// and a streaming checker of the cross-references a JSON schema cannot
// check (CheckReferences, CheckReferencesAmong).
//
// Package evidence renders a run into these types, a target at a time, and
// checks every bundle's documents with this package when it verifies them.
// The formats are specified in docs/evidence-bundle.md.
package oscal
