control "HIPAA-164.312-b" {
  framework   = "hipaa-security-rules"
  title       = "Audit controls"
  citations   = ["45 CFR 164.312(b)"]
  status      = "required"
  severity    = "high"
  requirement = "Records are kept."
  verification {
    method = "scenario"
  }
}

control "ISO-27001-A-8-15" {
  framework   = "iso-27001"
  title       = "Logging"
  citations   = ["ISO/IEC 27001:2022 A.8.15"]
  status      = "guidance"
  severity    = "medium"
  requirement = "Records are kept."
  verification {
    method = "scenario"
  }
}
