# Data in transit: encryption, integrity, mutual authentication, input
# robustness and log forwarding. Scenarios: features/transport/.

control "HIPAA-164.312-e-2-ii" {
  framework = "hipaa-security-rule"
  title     = "Encryption in transit"
  citations = ["45 CFR 164.312(e)(1)", "45 CFR 164.312(e)(2)(ii)", "NPRM 164.312(b)(2) (proposed)"]
  status    = "addressable"
  severity  = "high"

  requirement = <<-EOT
    ePHI and clinical orders leave the device only inside TLS 1.2 or newer
    with modern cipher suites. The automated check connects to every network
    service the device lists (HL7 feed, management API), speaks each
    service's protocol in cleartext and confirms that nothing answers, then
    offers a hand-built TLS 1.0 ClientHello with CBC suites and confirms that
    every TLS service refuses it.
  EOT

  remediation = <<-EOT
    Wrap every clinical and management protocol in TLS (TLS 1.3 where the
    peers allow, 1.2 at least), disable TLS 1.0/1.1 and CBC or RSA-key-
    exchange suites, and close plaintext ports rather than redirecting them.
  EOT

  crosswalk "mds2" { refs = ["TXCF-2"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 4.1"] }

  verification {
    method = "scenario"
  }
}

control "HIPAA-164.312-e-2-i" {
  framework = "hipaa-security-rule"
  title     = "Transmission integrity"
  citations = ["45 CFR 164.312(e)(2)(i)"]
  status    = "addressable"
  severity  = "high"

  requirement = <<-EOT
    A message altered in transit is rejected, never acted on. The automated
    check programs the pump over its HL7 feed, then relays a second order
    through an attacker on the path that rewrites the rate where it can read
    it (or flips a bit where it cannot), and confirms the pump's setting did
    not change.
  EOT

  remediation = <<-EOT
    Carry clinical messages over an authenticated channel (TLS), or sign
    them end to end, and drop a connection whose record fails its integrity
    check.
  EOT

  crosswalk "mds2" { refs = ["TXIG-1"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 3.1"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-AUTHN-3" {
  framework = "fda-premarket"
  title     = "Mutual session authentication"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, A (Authentication)"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    Both ends of a clinical data session authenticate each other: the device
    proves its identity with a certificate, and refuses peers without a
    certificate, with one from an authority it does not trust, or with an
    expired one. The automated check verifies the HL7 feed's certificate
    against the CA the device declares (and that an unrelated CA does not
    verify it), then connects as each kind of unauthenticated peer and
    confirms that no session results and no setting changes.
  EOT

  remediation = <<-EOT
    Require and verify client certificates (mutual TLS) on clinical
    interfaces, check validity against the device's clock, and provision
    per-site trust anchors instead of accepting any peer on the network.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-A"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 1.2", "CR 1.8"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-INTEG-5" {
  framework = "fda-premarket"
  title     = "Input robustness"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, D (Code, Data and Execution Integrity)"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    Malformed input causes no crash and no parameter change. The automated
    check programs the pump, sends a dozen malformed HL7 messages (broken
    framing, bad delimiters, oversize frames, non-numeric, negative and
    out-of-range rates, truncated frames), confirms none is acknowledged as
    accepted and the setting is unchanged, and that the device still
    answers and accepts a well-formed order. Malformed management API
    requests are covered by the https package's own tests.
  EOT

  remediation = <<-EOT
    Parse with one strict parser (Ward's hl7 package), validate every value
    against its clinical range before acting, and never act on a message
    the parser refused; fuzz the parser.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-D"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 3.5"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-LOG-1" {
  framework = "fda-premarket"
  title     = "Logs leave the device"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, F (Event Detection and Logging)"]
  status    = "guidance"
  severity  = "medium"

  requirement = <<-EOT
    Security events reach the site's collector within seconds in a
    standard, parseable format. The automated check runs a syslog collector
    over TLS (RFC 5425), has a biomedical technician point the device at
    it, causes a failed login, and confirms that an RFC 5424 message
    recording it arrives within 5 seconds.
  EOT

  remediation = <<-EOT
    Forward audit events as they are recorded to a collector over TLS
    (syslog RFC 5424/5425 or the site's SIEM protocol), queue them through
    outages, and keep the local signed log as the record of truth.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-F"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 6.1"] }

  verification {
    method = "scenario"
  }
}
