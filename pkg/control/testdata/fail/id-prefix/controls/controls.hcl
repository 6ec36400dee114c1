control "164.312-b" {
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

control "HIPAA-" {
  framework   = "hipaa-security-rule"
  title       = "Nothing after the prefix"
  citations   = ["45 CFR 164.312"]
  status      = "required"
  severity    = "high"
  requirement = "Records are kept."
  verification {
    method = "scenario"
  }
}

control "FDA-PMC-X-1" {
  framework   = "fda-other"
  title       = "Looks like a premarket control"
  citations   = ["FDA"]
  status      = "guidance"
  severity    = "low"
  requirement = "Something."
  verification {
    method = "scenario"
  }
}
