// Package evidence writes, signs and verifies the Ward evidence bundle: the
// directory of results an auditor receives after `ward check`.
//
// A bundle holds results.json (the [Run]), junit.xml, the run as OSCAL 1.2.2
// assessment results ([AssessmentResults]) and plan of action and milestones
// ([POAM]), a self-contained HTML report ([Report]), any extra files the
// caller adds (cucumber.json, ...), the raw artifacts that scenarios attached,
// stored once per distinct content under objects/sha256/ (named by their
// SHA-256), for a fleet each target's own page under targets/<NNNN>/, and
// three files that make it tamper-evident:
//
//   - manifest.json lists every other file with its SHA-256 and size, plus the
//     run id, tool and catalogue versions, times and the targets tested;
//   - manifest.sig is an Ed25519 signature over manifest.json;
//   - manifest.pub is the signer's public key.
//
// [BundleWriter] builds a bundle one target at a time, keeping only a slim
// summary of each in memory, and atomically (a hidden temporary directory,
// synced and then renamed into place); [Write] is the same for a whole [Run]. [Verify] re-hashes every file and reports every
// edit, addition and removal as a [*VerifyError] matching [ErrAltered]; in an
// otherwise intact bundle it also checks the OSCAL files' cross-references
// ([CheckOSCALReferences]), which their JSON schema cannot.
//
// Verify with a nil trusted key checks integrity only: it uses the key in the
// bundle, so anyone can re-sign an edited bundle with their own key and it
// still verifies. Authenticity needs the verifier to supply the signer's
// public key (`ward evidence verify --pubkey FILE`).
//
// The format is specified byte for byte in docs/evidence-bundle.md, with test
// vectors in testdata/vectors; the report is described in docs/report.md.
package evidence
