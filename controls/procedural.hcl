# Procedural controls: shown by a person's attestation with evidence files,
# not by a scenario. `ward check` assesses them when given --attestations
# (or when named with --control); see docs/controls.md, "Attestations".

control "HIPAA-164.308-a-3-ii" {
  framework = "hipaa-security-rule"
  title     = "Workforce security and security awareness training"
  citations = ["45 CFR 164.308(a)(3)", "45 CFR 164.308(a)(5)(i)"]
  status    = "required"
  severity  = "medium"

  requirement = <<-EOT
    Everyone who uses, services or administers the device has been trained
    in its security features and the site's procedures (log-in, reporting
    incidents, emergency access), and the training is current. Shown by an
    attestation with the training records, no older than a year.
  EOT

  remediation = <<-EOT
    Train clinical, biomedical and IT staff on the device's security
    functions at onboarding and yearly, keep signed rosters, and attest
    with them.
  EOT

  crosswalk "mds2" { refs = ["SGUD-1"] }

  verification {
    method   = "attestation"
    evidence = ["training-records"]
    max_age  = "365d"
  }
}

control "HIPAA-164.316-b-2-i" {
  framework = "hipaa-security-rule"
  title     = "Documentation retention"
  citations = ["45 CFR 164.316(b)(2)(i)"]
  status    = "required"
  severity  = "medium"

  requirement = <<-EOT
    Security documentation, including this evidence, is kept for six years
    from its creation or last effective date, and stays verifiable: Ward's
    bundles are signed so a retained copy can be shown unedited. Shown by an
    attestation naming the retention policy and where bundles are archived.
  EOT

  remediation = <<-EOT
    Adopt a written retention policy of at least six years, archive every
    evidence bundle with its signing public key, and verify a sample of
    archived bundles yearly.
  EOT

  crosswalk "nist-800-53" { refs = ["AU-11", "SI-12"] }

  verification {
    method   = "attestation"
    evidence = ["retention-policy"]
  }
}

control "NPRM-164.312-h-2" {
  framework = "hipaa-nprm-2025"
  title     = "Vulnerability scanning and penetration testing cadence"
  citations = ["NPRM 164.312(h)(2)(i) (proposed)", "NPRM 164.312(h)(2)(iii) (proposed)", "FD&C Act 524B(b)(1)"]
  status    = "proposed"
  severity  = "high"

  requirement = <<-EOT
    Each device model is scanned for vulnerabilities at least every six
    months and penetration-tested at least yearly, and findings are tracked
    to closure. Shown by an attestation with the latest scan and test
    reports, no older than six months.
  EOT

  remediation = <<-EOT
    Schedule authenticated vulnerability scans twice a year and a
    penetration test yearly (and after major changes), feed findings into
    the plan of action and milestones, and attest with the reports.
  EOT

  crosswalk "fdca-524b" { refs = ["524B(b)(1)"] }

  verification {
    method   = "attestation"
    evidence = ["vulnerability-scan-report", "penetration-test-report"]
    max_age  = "183d"
  }
}
