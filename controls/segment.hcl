# Network segmentation, communication-peer allowlists, flood resilience,
# anomaly detection and incident response. Scenarios: features/segment/.

control "NPRM-164.312-a-2-vi" {
  framework = "hipaa-nprm-2025"
  title     = "Network segmentation"
  citations = ["NPRM 164.312(a)(2)(vi) (proposed)", "NIST SP 1800-8"]
  status    = "proposed"
  severity  = "high"

  requirement = <<-EOT
    Medical devices sit in their own network segment, apart from guest
    Wi-Fi, staff laptops and printers. The automated check probes the
    device's documented management and data ports from the guest and
    corporate zones and confirms none is reachable, and from the clinical
    zone, which needs them, confirms they are.
  EOT

  remediation = <<-EOT
    Put devices in a zone of their own and allow only the conduits their
    work needs (Ward's segment package compiles such a policy to nftables);
    on the device, refuse connections from peers outside its allowlist.
  EOT

  crosswalk "iec-62443-4-2" { refs = ["CR 5.1"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-AUTHZ-2" {
  framework = "fda-premarket"
  title     = "Deny by default; only documented ports open"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, B (Authorization)", "FDA premarket cybersecurity guidance, Appendix 1, D (Code, Data and Execution Integrity)"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    The device opens exactly the ports its manufacturer documents and no
    unauthenticated service or debug console, and refuses everything its
    allowlist does not name. The automated check compares the ports the
    device listens on with its documented list and probes undocumented
    ports (ssh, telnet, a service console, an alternate web port) from the
    clinical zone, confirming none answers.
  EOT

  remediation = <<-EOT
    Remove or disable every service the device does not document (MDS2
    form, MUD file); build the device's firewall as an allowlist with a
    default deny.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-B", "App1-D"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 7.7"] }
  crosswalk "mds2" { refs = ["SAHD"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-AUTHZ-3" {
  framework = "fda-premarket"
  title     = "Communication-peer allowlist"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, D (Code, Data and Execution Integrity)", "FDA premarket cybersecurity guidance, Appendix 1, F (Event Detection and Logging)"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    The device talks only to the peers it needs (its EHR interface, the
    central monitoring station). The automated check asks the device to
    connect to a host on no list and confirms the connection is blocked
    and recorded, and to its EHR peer, confirming patient data can go where
    it should.
  EOT

  remediation = <<-EOT
    Give the device an egress allowlist (a MUD file, RFC 8520, publishes it
    for the hospital), enforce it on the device and at the network edge,
    and record refused connections.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-D", "App1-F"] }
  crosswalk "mds2" { refs = ["TXCF"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-RESIL-1" {
  framework = "fda-premarket"
  title     = "Resilience to floods and scans"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, G (Resiliency and Recovery)"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    Under a traffic spike the device's segment is contained and its
    essential function continues. The automated check makes the device
    open hundreds of connections at once and confirms the segment is
    quarantined (its EHR traffic cut), that telemetry to the central
    monitoring station still flows, and that the segment comes back once
    traffic has been calm for the configured period.
  EOT

  remediation = <<-EOT
    Count flows per device and per zone against thresholds set per zone (or
    a learned baseline), quarantine the device or the segment on a spike
    while keeping monitoring conduits open, and release it after a calm
    period or by an operator.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-G"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 7.1"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-DETECT-1" {
  framework = "fda-premarket"
  title     = "Anomaly detection and containment"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, F (Event Detection and Logging)"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    Anomalous traffic raises an alert quickly. The automated check injects
    a traffic spike, and separately has the device try to reach a host it
    has never talked to (a beacon), and confirms each raises an alert
    within 5 seconds on the device's clock.
  EOT

  remediation = <<-EOT
    Keep per-device behaviour baselines (rates, destinations, hours of
    privileged use) and alert on departures from them (Ward's monitor
    package).
  EOT

  crosswalk "fda-premarket" { refs = ["App1-F"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 6.2"] }

  verification {
    method = "scenario"
  }
}

control "HIPAA-164.308-a-6-ii" {
  framework = "hipaa-security-rule"
  title     = "Security incident response and reporting"
  citations = ["45 CFR 164.308(a)(6)(ii)"]
  status    = "required"
  severity  = "high"

  requirement = <<-EOT
    Security incidents are identified, responded to and documented. The
    automated check simulates an incident (a traffic spike from the device)
    and confirms the device's record shows when it was detected, when it
    was contained and when the on-call channel was notified, in that order
    and within 5 seconds of the incident.
  EOT

  remediation = <<-EOT
    Detect and contain automatically, notify the on-call team from the same
    event, and keep one record with the detection, containment and
    notification times for the incident report.
  EOT

  crosswalk "nist-800-53" { refs = ["IR-4", "IR-6"] }

  verification {
    method = "scenario"
  }
}
