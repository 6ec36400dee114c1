# Asset inventory and device self-identification. Scenarios:
# features/inventory/. Data model and risk rules: docs/inventory.md.

control "NPRM-164.308-a-1" {
  framework = "hipaa-nprm-2025"
  title     = "Asset inventory and network map"
  citations = ["NPRM 164.308(a)(1) (proposed)"]
  status    = "proposed"
  severity  = "high"

  requirement = <<-EOT
    The organisation keeps an accurate inventory of every device on its
    network, and each device can be tied to exactly one record by the
    identity it announces. The automated check identifies the device as it
    presents itself on the network and matches it, by UDI or by serial
    number with no conflicting manufacturer or model, against the site
    inventory given with --inventory. An unknown device, or one announcing
    neither serial nor UDI, fails. Without --inventory the check uses a
    provisional record from a first contact, which only shows the device
    identifies itself uniquely and consistently.
  EOT

  remediation = <<-EOT
    Keep the inventory current (ward inventory import, and ward check
    --inventory FILE --update-inventory after each run), investigate every
    unknown device, and make devices announce their serial number and UDI.
  EOT

  crosswalk "iec-62443-4-2" { refs = ["CR 7.8"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-ID-1" {
  framework = "fda-premarket"
  title     = "Device self-identification"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, D and F"]
  status    = "guidance"
  severity  = "medium"

  requirement = <<-EOT
    An authenticated query to the device returns its UDI, model, serial
    number and software version, and these equal the inventory record the
    device is known by; the query is refused without a session. The
    automated check logs in as a biomedical engineer, queries the identity,
    compares every field with the inventory record, and repeats the query
    without a session.
  EOT

  remediation = <<-EOT
    Report the unit's own identity from its provisioning data (never a
    constant in the firmware image), include the running firmware version,
    and put the query behind authentication.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-D", "App1-F"] }

  verification {
    method = "scenario"
  }
}

control "524B-b-2" {
  framework = "fdca-524b"
  title     = "Patch currency"
  citations = ["FD&C Act 524B(b)(2)(A)-(B)", "NPRM 164.308(a)(4) (proposed)"]
  status    = "required"
  severity  = "critical"

  requirement = <<-EOT
    Released patches reach the device: a unit missing a critical patch its
    maker released longer ago than the policy window (30 days by default)
    is flagged. The automated check takes the patches released for the
    device's model from the site inventory (ward check --inventory) or,
    without one, from the maker's bulletin a test build carries, reads the
    patches installed on the device in an authenticated session, and fails
    on any critical patch missing past its window.
    On an embedded-Linux device it also compares the installed packages
    (dpkg, opkg or rpm database) with the OSV advisories the user supplies
    and fails on any installed version an advisory names.
  EOT

  remediation = <<-EOT
    Track released patches per model in the inventory, install critical
    ones within the policy window (signed updates, pkg/update), and record
    each installation so the device reports it.
  EOT

  crosswalk "fdca-524b" { refs = ["524B(b)(2)"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-CONFIG-1" {
  framework = "fda-premarket"
  title     = "Secure baseline, no drift"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, F and G"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    The device's security settings equal its approved secure baseline, and
    an authenticated reset restores that trusted default; an
    unauthenticated reset is refused. The automated check reads every
    setting in a biomedical engineer's session and compares it with the
    baseline, changes an on/off setting away from it, resets, and compares
    again, and tries a reset without a session.
    On an embedded-Linux device it also reads the SSH server's effective
    settings (sshd -T, else sshd_config): password, empty-password and
    root password logins must be off.
  EOT

  remediation = <<-EOT
    Ship the approved baseline as the factory default (and test that it
    is), keep settings under authenticated change control with audit
    records, and compare running settings with the baseline in operation.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-F", "App1-G"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 7.6"] }

  verification {
    method = "scenario"
  }
}
