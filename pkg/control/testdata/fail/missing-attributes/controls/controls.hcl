control "HIPAA-164.312-b" {
  framework   = "hipaa-security-rule"
  citations   = ["45 CFR 164.312(b)"]
  status      = "required"
  requirement = "Records are kept."
}

control "HIPAA-164.312-d" {
  framework   = "hipaa-security-rule"
  title       = "Person or entity authentication"
  citations   = ["45 CFR 164.312(d)"]
  status      = "required"
  severity    = "critical"
  requirement = "Callers authenticate."
  crosswalk "iec-62443-4-2" {}
  verification {}
}
