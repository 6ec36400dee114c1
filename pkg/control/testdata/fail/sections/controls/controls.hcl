control "HIPAA-164.312-b" {
  framework   = "hipaa-security-rule"
  title       = "Audit controls"
  citations   = ["45 CFR 164.312(b)"]
  status      = "required"
  severity    = "high"
  requirement = "Records are kept."
  verification {
    method = "scenario"
  }
}

control "HIPAA-164.312-d" {
  framework   = "hipaa-security-rule"
  title       = "Authentication"
  citations   = ["45 CFR 164.312(d)"]
  status      = "required"
  severity    = "high"
  requirement = "People are authenticated."
  verification {
    method = "scenario"
  }
}

control "HIPAA-164.308-a-1" {
  framework   = "hipaa-security-rule"
  title       = "Risk analysis"
  citations   = ["45 CFR 164.308(a)(1)"]
  status      = "required"
  severity    = "high"
  requirement = "Risks are analysed."
  verification {
    method = "scenario"
  }
}

control "524B-b-2" {
  framework   = "fdca-524b"
  title       = "SBOM"
  citations   = ["524B(b)(2)"]
  status      = "required"
  severity    = "medium"
  requirement = "An SBOM is provided."
  verification {
    method = "scenario"
  }
}
