# Authentication and access controls. Scenarios: features/access/.

control "HIPAA-164.312-d" {
  framework = "hipaa-security-rule"
  title     = "Person or entity authentication"
  citations = ["45 CFR 164.312(d)"]
  status    = "required"
  severity  = "critical"

  requirement = <<-EOT
    Every person or system that connects to the device, whether a clinician,
    a service technician or another machine, must prove who it is before it
    can read or change anything. No interface may hand out patient data or
    settings, or accept commands, from a caller that has not authenticated.
    The automated check calls each interface the device exposes without
    credentials and with invalid ones, and confirms that every read and
    write is refused and nothing on the device changes.
  EOT

  remediation = <<-EOT
    Put authentication in front of every interface (management API, service
    port, data feed, debug console), including interfaces used only by
    other machines, which authenticate with certificates or keys. Disable
    any interface that cannot authenticate its callers.
  EOT

  crosswalk "iec-62443-4-2" { refs = ["CR 1.1", "CR 1.2"] }

  verification {
    method = "scenario"
  }
}
