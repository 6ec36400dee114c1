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

# Verified both ways: its scenarios and an attested plan.
control "HIPAA-164.308-a-7-ii-C" {
  framework   = "hipaa-security-rule"
  title       = "Emergency mode operation plan"
  citations   = ["45 CFR 164.308(a)(7)(ii)(C)"]
  status      = "required"
  severity    = "high"
  requirement = "The device keeps working in an outage, and the plan is written."
  verification {
    method   = "scenario+attestation"
    evidence = ["emergency-mode-operation-plan"]
    max_age  = "365d"
  }
}
