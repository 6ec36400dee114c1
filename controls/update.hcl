# Firmware and software updates. Scenarios: features/update/.

control "FDA-PMC-INTEG-1" {
  framework = "fda-premarket"
  title     = "Signed, authorized updates only"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, A (Authentication) and D (Code, Data and Execution Integrity)", "FD&C Act 524B(b)(2)"]
  status    = "guidance"
  severity  = "critical"

  requirement = <<-EOT
    The device installs only firmware that a threshold of its maker's keys
    signed, through metadata it can verify from a root of trust it holds.
    An unsigned image, one signed with a key the device does not trust, and
    a signed image altered in transit are all refused; the running version
    stays the same and the refusal is recorded. The automated check has the
    maker publish a newer signed image and installs it (the version must
    change), then plays an attacker publishing an unsigned image, an image
    signed with the attacker's own keys, and a tampered copy of a signed
    image, and confirms each is refused, nothing changes, and the audit
    trail records the refusal.
  EOT

  remediation = <<-EOT
    Verify update metadata with TUF (for example Ward's update package on
    go-tuf): a root of trust provisioned at the factory, threshold
    signatures, root rotation; check every image's length and hashes from
    the signed metadata while streaming it, before it can boot.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-A", "App1-D"] }
  crosswalk "fdca-524b" { refs = ["524B(b)(2)"] }
  crosswalk "iec-62443-4-2" { refs = ["EDR 3.10"] }
  crosswalk "mds2" { refs = ["SAHD"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-INTEG-2" {
  framework = "fda-premarket"
  title     = "Anti-rollback"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, C (Cryptography) and D (Code, Data and Execution Integrity)"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    The device refuses to go back to older firmware, even firmware its
    maker validly signed, because older images carry fixed
    vulnerabilities. The automated check offers the device an older image
    signed by the maker, before and after an update, and confirms both are
    refused as a rollback and the running version is unchanged.
  EOT

  remediation = <<-EOT
    Carry a monotonic version in each image's signed metadata and keep a
    floor the device only raises (a TPM NV counter or eFuses on hardware),
    raised when a new image is committed; refuse images below it.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-C", "App1-D"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-UPD-1" {
  framework = "fda-premarket"
  title     = "Interruption-safe update"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, H (Firmware and Software Updates)"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    An update interrupted at any phase leaves the device able to boot a
    valid, verified image, and an image that does not work once booted is
    rolled back automatically. The automated check cuts power at each phase
    of an update (download, write, switch, health check), restarts the
    device, and confirms it runs a verified image of the old or new
    firmware and can then complete the update; and it installs an image
    whose self-test fails and confirms the device rolls back to the
    previous one.
  EOT

  remediation = <<-EOT
    Install into the inactive slot of an A/B pair, switch with one atomic
    state change, boot the new slot on trial with a boot-attempt budget,
    and commit only after a health check passes; roll back otherwise.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-H"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-UPD-2" {
  framework = "fda-premarket"
  title     = "Metadata freshness (no freeze)"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, H (Firmware and Software Updates)", "The Update Framework specification, 5.3-5.6 (expiry, freeze attacks)"]
  status    = "guidance"
  severity  = "medium"

  requirement = <<-EOT
    A device kept from its updates by a mirror that replays old metadata
    notices: expired update metadata is refused on the device's own clock,
    and the device reports that it cannot update rather than that it is up
    to date. The automated check serves a newer signed image with metadata
    that expired an hour earlier and confirms the device refuses it as
    expired and reports so.
  EOT

  remediation = <<-EOT
    Give timestamp metadata a short lifetime (hours to a day), re-sign it
    continuously, check every role's expiry against a trustworthy device
    clock, and surface "cannot update" to the operator.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-H"] }

  verification {
    method = "scenario"
  }
}

control "524B-b-3" {
  framework = "fdca-524b"
  title     = "SBOM present and current"
  citations = ["FD&C Act 524B(b)(3)"]
  status    = "required"
  severity  = "high"

  requirement = <<-EOT
    Each firmware image comes with a machine-readable software bill of
    materials that describes it, and the device can report the SBOM of the
    firmware it runs, including when its support ends. The automated
    check installs a newer image and confirms the device reports a
    CycloneDX SBOM whose firmware version is the one running and whose end
    of support has not passed, then offers an image that ships no SBOM and
    confirms it is refused.
  EOT

  remediation = <<-EOT
    Publish a CycloneDX SBOM with every image as a signed target named in
    the image's signed metadata, refuse images without one, and keep the
    installed image's SBOM on the device.
  EOT

  crosswalk "fdca-524b" { refs = ["524B(b)(3)"] }

  verification {
    method = "scenario"
  }
}

control "HIPAA-164.308-a-5-ii-B" {
  framework = "hipaa-security-rule"
  title     = "Protection from malicious software"
  citations = ["45 CFR 164.308(a)(5)(ii)(B)"]
  status    = "addressable"
  severity  = "high"

  requirement = <<-EOT
    Procedures guard against malicious software: the device runs only
    software its maker signed. The automated check offers the device an
    unsigned firmware image and confirms it is refused and the running
    firmware is unchanged.
  EOT

  remediation = <<-EOT
    Allow only images signed by the maker's keys (verified update metadata
    and secure boot); refuse everything else.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-F"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 3.2"] }

  verification {
    method = "scenario"
  }
}
