control "HIPAA-164.312-b" {
  framework = "hipaa-security-rule"
  title     = "Audit controls"
  citations = ["45 CFR 164.312(b)"]
  status    = "required"
  severity  = "high"

  requirement = <<-EOT
    The device records security-relevant activity.
    Each record names time, actor, source, object and outcome.

    The check performs actions and reads the records back.
  EOT

  remediation = "Emit an audit event from every security decision."

  crosswalk "fda-premarket" { refs = ["App1-F"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 2.8"] }
  crosswalk "mds2" { refs = ["AUDT"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-LOG-2" {
  framework   = "fda-premarket"
  title       = "Log protection"
  citations   = ["App1-F"]
  status      = "guidance"
  severity    = "medium"
  requirement = "An edited, deleted or reordered record is detected."
  verification {
    method = "scenario"
  }
}

control "FDA-X-1" {
  framework   = "fda-other"
  title       = "Covered by an outline's examples tag"
  citations   = ["FDA 1"]
  status      = "guidance"
  severity    = "low"
  requirement = "Something."
  verification {
    method = "scenario"
  }
}
