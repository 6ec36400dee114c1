# Audit and logging controls. Scenarios: features/audit/.

control "HIPAA-164.312-b" {
  framework = "hipaa-security-rule"
  title     = "Audit controls"
  citations = ["45 CFR 164.312(b)"]
  status    = "required"
  severity  = "high"

  requirement = <<-EOT
    The device records security-relevant activity, such as logins and failed
    logins, changes to settings, users and permissions, access to patient
    data and software updates, so that it can be examined afterwards. Each
    record says when it happened, who did it, from where, to what, and
    whether it succeeded. The automated check performs such actions on the
    device and confirms that each one produced a record carrying all five.
  EOT

  remediation = <<-EOT
    Emit an audit event from every security decision (authentication,
    authorization, configuration change, access to ePHI, update) with time,
    actor, source, object and outcome, for example through Ward's audit
    package, and document any action that cannot name its actor.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-F"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 2.8"] }
  crosswalk "mds2" { refs = ["AUDT"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-LOG-2" {
  framework = "fda-premarket"
  title     = "Log protection"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, F (Event Detection and Logging)"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    The audit log is protected against tampering: no record can be changed,
    removed or moved without that being detected, so the log can be trusted
    as a record of what happened. The automated check reads the log from the
    device, confirms that it verifies as read, then (through raw storage
    access) edits, deletes, swaps, inserts and truncates records, and
    confirms that verification rejects each altered log and names the record.
  EOT

  remediation = <<-EOT
    Make the log tamper-evident: chain each record to the one before it by
    hash and sign the chain (Ward's audit package does both), verify it when
    the log is exported or collected, and raise an alert when verification
    fails.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-F"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 3.9"] }

  verification {
    method = "scenario"
  }
}
