# An attestation control needs no scenario.
control "HIPAA-164.308-a-3-ii" {
  framework   = "hipaa-security-rule"
  title       = "Workforce security and training"
  citations   = ["45 CFR 164.308(a)(3)", "45 CFR 164.308(a)(5)(i)"]
  status      = "addressable"
  severity    = "critical"
  requirement = "Staff who use the device are trained."
  verification {
    method   = "attestation"
    evidence = ["training-records"]
    max_age  = "365d"
  }
}
