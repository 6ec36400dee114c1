# Contingency: emergency mode operation. Verified by both routes at once:
# the scenarios in features/contingency/ for what the device does during an
# outage, and an attestation for the written plan (see docs/controls.md,
# "Controls verified two ways").

control "HIPAA-164.308-a-7-ii-C" {
  framework = "hipaa-security-rule"
  title     = "Emergency mode operation plan"
  citations = ["45 CFR 164.308(a)(7)(ii)(C)"]
  status    = "required"
  severity  = "high"

  requirement = <<-EOT
    When the device loses its back end (network cut, segment quarantined,
    log collector unreachable) it keeps its essential clinical function and
    its protections: the pump keeps infusing at the programmed rate and
    alarms locally, logins still need every factor, audit records made
    during the outage are kept and forwarded in order, verifiably, once
    the link returns, and the device leaves emergency mode by itself, with
    an audit record each way. The automated check provokes each outage
    through the device's test-build outage control and observes all this.

    A written emergency mode operation plan, saying how care and the
    protection of patient data continue during such an outage, is attested
    with the plan document; without an accepted attestation the control is
    never satisfied, however the device behaved.
  EOT

  remediation = <<-EOT
    Design the device to run stand-alone: keep therapy running on loss of
    connectivity and alarm at the bedside, never relax authentication
    offline (no maintenance passwords, no password-only fallback), queue
    audit records locally and forward them in order when the link returns,
    and leave emergency mode automatically, recording entry and exit.
    Write the site's emergency mode operation plan for the device and
    attest it with the plan document.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-G"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 7.1", "CR 7.2", "CR 2.10"] }
  crosswalk "mds2" { refs = ["DTBK"] }
  crosswalk "nist-800-53" { refs = ["CP-2", "CP-12", "AU-5"] }

  verification {
    method   = "scenario+attestation"
    evidence = ["emergency-mode-operation-plan"]
    max_age  = "365d"
  }
}
