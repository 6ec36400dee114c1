# Encryption at rest, integrity of stored data, per-device keys, disposal
# and secrets in outputs. Scenarios: features/atrest/.

control "HIPAA-164.312-a-2-iv" {
  framework = "hipaa-security-rule"
  title     = "Encryption and decryption at rest"
  citations = ["45 CFR 164.312(a)(2)(iv)", "NPRM 164.312(b)(2) (proposed)"]
  status    = "addressable"
  severity  = "critical"

  requirement = <<-EOT
    Patient data and credentials stored on the device are encrypted, by
    default, so that someone who reads the storage directly (a stolen
    device, a discarded flash chip) learns nothing from it. The automated
    check stores a unique marker in a patient record through the device's
    normal interface, dumps the raw storage, and searches it for the
    marker, the record's content and a user's password, as plain text, hex
    and base64.
  EOT

  remediation = <<-EOT
    Store ePHI and credentials only through authenticated encryption with a
    per-device key held outside the data store (secure element, TPM, or a
    key wrapped by one), for example with Ward's atrest package, and make it
    the default configuration.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-E"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 4.1"] }
  crosswalk "mds2" { refs = ["STCF-1"] }

  verification {
    method = "scenario"
  }
}

control "HIPAA-164.312-c-2" {
  framework = "hipaa-security-rule"
  title     = "Mechanism to authenticate ePHI"
  citations = ["45 CFR 164.312(c)(1)", "45 CFR 164.312(c)(2)"]
  status    = "addressable"
  severity  = "high"

  requirement = <<-EOT
    The device can tell when stored patient data was changed other than
    through its own authorised operations, and refuses to use altered data.
    The automated check alters a stored patient record directly in the
    device's storage and confirms that the next read through the device's
    interface fails its integrity check instead of returning the altered
    record.
  EOT

  remediation = <<-EOT
    Protect stored records with an authenticated encryption mode or a keyed
    MAC verified on every load, and treat a failed check as an incident
    (audit event, alert), never as data.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-D"] }
  crosswalk "mds2" { refs = ["IGAU-1"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-CRYPTO-2" {
  framework = "fda-premarket"
  title     = "Per-device keys"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, C (Cryptography)"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    Each unit protects its data with keys of its own, generated randomly
    rather than derived from public facts such as the serial number, so
    that a key extracted from one unit opens nothing on any other. The
    automated check takes the storage key from one unit (through a test
    build's key export) and tries it on every stored file of a second unit
    of the same model.
  EOT

  remediation = <<-EOT
    Generate the storage key on each unit at first boot from a
    cryptographic random source, keep it in hardware-backed storage, and
    never ship a key in firmware images.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-C"] }

  verification {
    method = "scenario"
  }
}

control "HIPAA-164.310-d-2-i" {
  framework = "hipaa-security-rule"
  title     = "Disposal and media re-use"
  citations = ["45 CFR 164.310(d)(2)(i)", "45 CFR 164.310(d)(2)(ii)"]
  status    = "required"
  severity  = "high"

  requirement = <<-EOT
    Before a device is disposed of or its storage re-used, the patient data
    on it is made unrecoverable. The automated check stores a marker, copies
    the raw storage as an attacker would, decommissions the device, and
    confirms that the storage key is destroyed and the marker can be
    recovered neither from the earlier copy nor from what remains on the
    device.
  EOT

  remediation = <<-EOT
    Implement decommissioning as crypto-erase: destroy every copy of the
    storage key (secure element, wrapped copies), then delete the data, and
    record the erase in the audit trail.
  EOT

  crosswalk "mds2" { refs = ["SGUD-2"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-CONF-1" {
  framework = "fda-premarket"
  title     = "Secrets kept out of outputs"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, E (Confidentiality)"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    Keys and passwords never appear in what the device gives out: audit
    logs, configuration exports, crash dumps and diagnostics. The automated
    check logs in with a wrong and then the right password, collects the
    audit trail and a configuration export, and searches both for either
    password and for the device's storage key, as plain text, hex and
    base64.
    On an embedded-Linux device no private key file may be readable by
    every local user.
  EOT

  remediation = <<-EOT
    Redact secrets at the source: never pass passwords or key material to
    loggers or exporters, log the fact of a failed login rather than what
    was typed, and test exports for secrets in CI.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-E"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-CRYPTO-1" {
  framework = "fda-premarket"
  title     = "Approved cryptography, no downgrade"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, C (Cryptography)", "FIPS 140-3", "NIST SP 800-131A Rev. 2"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    The device protects stored data only with cryptography a FIPS 140-3
    validated module may use, in the current version of its format, so
    that no stored copy depends on an unapproved or deprecated algorithm.
    The automated check copies the device's raw storage and reads the
    header of every sealed file without any key: each must be in the
    current at-rest format, and every key that can open it must be wrapped
    with an approved scheme (AES-256-GCM, or a key derived from a
    passphrase with PBKDF2-HMAC-SHA256). Storage that holds no file sealed
    in a format Ward can inspect fails, since nothing then shows which
    cryptography protects it. On the wire, no network service of the
    device may accept a downgrade to TLS 1.0 or legacy cipher suites (the
    scenario shared with HIPAA-164.312-e-2-ii in features/transport/).
    The device's SSH server may offer no CBC or RC4 cipher, MD5 or
    truncated MAC, SHA-1 Diffie-Hellman key exchange or DSA host key.
  EOT

  remediation = <<-EOT
    Seal stored data with Ward's atrest package (or an equivalent built on
    a validated module), wrap data keys with AES-256-GCM under a
    hardware-held key, rewrap any file whose key is wrapped with an
    unapproved scheme, configure TLS 1.2 as the minimum with AEAD suites
    only, and build with GODEBUG=fips140=only to have the module refuse
    unapproved algorithms and protocol versions at run time.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-C"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 4.3"] }

  verification {
    method = "scenario"
  }
}
