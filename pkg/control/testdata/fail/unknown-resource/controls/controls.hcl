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

