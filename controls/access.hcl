# Authentication and access controls: person authentication, unique IDs,
# emergency access, automatic logoff, default credentials, MFA, log-in
# monitoring, passwords, anti-replay, least privilege and activity review.
# Scenarios: features/access/ (the activity review: features/audit/).

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

control "HIPAA-164.312-a-2-i" {
  framework = "hipaa-security-rule"
  title     = "Unique user identification"
  citations = ["45 CFR 164.312(a)(2)(i)"]
  status    = "required"
  severity  = "high"

  requirement = <<-EOT
    Every account on the device belongs to one identifiable person, so that
    each audit record names who acted rather than a role or a team. The
    device refuses generic and shared account names such as "nurse",
    "admin" or "icu-nurse", and treats names differing only in letter case
    as the same identity. The automated check asks the device to create
    such accounts and confirms each is refused and cannot log in.
  EOT

  remediation = <<-EOT
    Give every person their own account and validate account names when
    they are created (Ward's access.CanonicalName refuses generic words and
    folds case); remove shared and generic accounts from the firmware and
    the provisioning tools, and use break-glass, not a shared login, for
    emergencies.
  EOT

  crosswalk "iec-62443-4-2" { refs = ["CR 1.1"] }
  crosswalk "mds2" { refs = ["PAUT-1"] }

  verification {
    method = "scenario"
  }
}

control "HIPAA-164.312-a-2-ii" {
  framework = "hipaa-security-rule"
  title     = "Emergency access procedure"
  citations = ["45 CFR 164.312(a)(2)(ii)"]
  status    = "required"
  severity  = "high"

  requirement = <<-EOT
    In a clinical emergency a clinician can get at what the treatment needs
    even when their usual second factor is unavailable, but only with their
    password and a stated reason, for a limited time, and leaving a record
    that stands apart from ordinary logins. The automated check breaks the
    glass without a reason (refused) and with one, confirms the emergency
    session works, finds the audit record carrying the reason, and moves the
    device's clock forward to confirm the session ends by itself within the
    hour.
  EOT

  remediation = <<-EOT
    Provide a break-glass login (for example Ward's mfa.Verifier.BreakGlass)
    that demands the user's password and a reason, limits what the session
    may do and how long it lasts, raises an alert, writes a distinct audit
    record from start to end, and puts every use in front of a reviewer.
  EOT

  crosswalk "mds2" { refs = ["EMRG-1"] }

  verification {
    method = "scenario"
  }
}

control "HIPAA-164.312-a-2-iii" {
  framework = "hipaa-security-rule"
  title     = "Automatic logoff"
  citations = ["45 CFR 164.312(a)(2)(iii)"]
  status    = "addressable"
  severity  = "medium"

  requirement = <<-EOT
    A session nobody uses ends by itself, so that an unattended device does
    not stay open to whoever walks up to it. Sessions end after at most 15
    minutes without a request. The automated check logs in clinician and
    administrator accounts, uses each session once, moves the device's clock
    16 minutes forward (a test-build capability) and confirms that the next
    request in the old session is refused as unauthenticated.
  EOT

  remediation = <<-EOT
    Enforce an idle timeout and an absolute lifetime on every session on
    the device side, never only in a user interface, shorter for privileged
    sessions (Ward's mfa package defaults to 15 and 10 minutes), and record
    each automatic logoff.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-B"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 2.5"] }
  crosswalk "mds2" { refs = ["ALOF-1"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-AUTHN-1" {
  framework = "fda-premarket"
  title     = "No default or hard-coded credentials"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, A (Authentication)"]
  status    = "guidance"
  severity  = "critical"

  requirement = <<-EOT
    The device ships without any account that has a default, hard-coded or
    published password, so the first thing an attacker tries opens nothing.
    The automated check tries common vendor defaults (admin/admin,
    admin/password, root/root, service/service and others) against the
    login and confirms that every one is refused.
    On an embedded-Linux device it also reads /etc/passwd and /etc/shadow:
    no local account may have an empty password.
  EOT

  remediation = <<-EOT
    Remove factory and maintenance accounts from the firmware; create the
    first administrator during commissioning with a password chosen then
    (or a per-unit one printed on the unit that must be changed at first
    use), and refuse default passwords when any account is created.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-A"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 1.5"] }
  crosswalk "mds2" { refs = ["PAUT-4", "PAUT-5"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-AUTHN-2" {
  framework = "fda-premarket"
  title     = "Multi-factor authentication for privileged roles"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, A (Authentication)", "NPRM 164.312(f)(2)(ii) (proposed)"]
  status    = "guidance"
  severity  = "critical"

  requirement = <<-EOT
    Accounts that can change how the device works (administrators, field
    service, biomedical technicians) need a second factor besides the
    password, and emergency access is no way around it. The automated check
    enrols a TOTP authenticator for each such account, confirms that the
    correct password alone is refused and that the password with a current
    code is accepted, and that an administrator cannot break the glass.
  EOT

  remediation = <<-EOT
    Require a second factor (TOTP, a hardware token, a badge or WebAuthn)
    for every privileged role, with no configuration that turns it off
    (Ward's mfa package enforces this), and do not count anything the
    device itself supplies as a factor.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-A"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 1.1 RE 2"] }
  crosswalk "mds2" { refs = ["PAUT-8"] }

  verification {
    method = "scenario"
  }
}

control "HIPAA-164.308-a-5-ii-C" {
  framework = "hipaa-security-rule"
  title     = "Log-in monitoring"
  citations = ["45 CFR 164.308(a)(5)(ii)(C)"]
  status    = "addressable"
  severity  = "high"

  requirement = <<-EOT
    Failed logins are noticed and online guessing is stopped: each failure
    is recorded, repeated failures slow further attempts down, and a handful
    of failures locks the account, even when the guesses are spread out.
    The automated check makes five wrong guesses in a row and confirms each
    is in the audit trail and the correct password is then refused, and
    (on a test build whose clock it can move) makes five guesses a minute
    apart and confirms the account is locked.
  EOT

  remediation = <<-EOT
    Count consecutive failures per account and per source, back off
    exponentially from the first failure and lock after a small number
    (Ward's mfa package: backoff from 1 s, lock after 5), record every
    failure and lock, alert on locks, and let an administrator unlock.
  EOT

  crosswalk "iec-62443-4-2" { refs = ["CR 1.11"] }
  crosswalk "mds2" { refs = ["PAUT-3"] }

  verification {
    method = "scenario"
  }
}

control "HIPAA-164.308-a-5-ii-D" {
  framework = "hipaa-security-rule"
  title     = "Password management"
  citations = ["45 CFR 164.308(a)(5)(ii)(D)"]
  status    = "addressable"
  severity  = "high"

  requirement = <<-EOT
    The device refuses passwords that are easy to guess: vendor defaults and
    common passwords (also with digits or symbols added), passwords built
    from the user's name, repetitions, sequences, keyboard runs and short
    ones. The automated check tries to create accounts with such passwords
    and confirms each is refused and no account with it can log in.
  EOT

  remediation = <<-EOT
    Check new passwords against a minimum length (15 characters for
    single-factor accounts, as NIST SP 800-63B asks), a deny list of common
    and default passwords and context words, for example with Ward's
    mfa.CheckPassword, and store only slow salted hashes.
  EOT

  crosswalk "iec-62443-4-2" { refs = ["CR 1.7"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-AUTHN-4" {
  framework = "fda-premarket"
  title     = "Anti-replay"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, A (Authentication)"]
  status    = "guidance"
  severity  = "high"

  requirement = <<-EOT
    An authenticator that was used once cannot be used again: a one-time
    code that was accepted is refused when presented a second time, and the
    refused attempt is recorded. The automated check logs an administrator
    in with a fresh TOTP code, presents the same password and code again as
    an attacker who watched would, and confirms the login is refused and
    the audit trail shows the refusal.
  EOT

  remediation = <<-EOT
    Remember, atomically with the login, the last time step (or counter)
    accepted for each authenticator and refuse it and every earlier one
    (Ward's mfa package does this), and record replays as security events.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-A"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 3.8"] }

  verification {
    method = "scenario"
  }
}

control "FDA-PMC-AUTHZ-1" {
  framework = "fda-premarket"
  title     = "Role-based least privilege"
  citations = ["FDA premarket cybersecurity guidance, Appendix 1, B (Authorization)"]
  status    = "guidance"
  severity  = "critical"

  requirement = <<-EOT
    Every operation is checked against the role of the person asking, and
    each role holds only what its work needs: clinicians treat, biomedical
    technicians maintain, administrators manage accounts, patients change
    nothing. The automated check logs in each role and asks for operations
    outside it (a clinician updating firmware, a patient changing dose
    limits, an administrator reading patient records), confirming each is
    refused as forbidden, and for one operation within it, confirming it is
    allowed.
    On an embedded-Linux device no network-reachable service may run as
    root beyond those the target allows (sshd by default).
  EOT

  remediation = <<-EOT
    Deny by default and authorize every operation on the device side from
    the authenticated session, not from the request (Ward's access
    package); keep privileged permissions away from clinical and patient
    roles, and record refusals.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-B"] }
  crosswalk "hipaa" { refs = ["164.308(a)(4)(ii)(B)", "164.308(a)(4)(ii)(C)"] }
  crosswalk "iec-62443-4-2" { refs = ["CR 2.1"] }
  crosswalk "mds2" { refs = ["AUTH-2"] }

  verification {
    method = "scenario"
  }
}

control "HIPAA-164.308-a-1-ii-D" {
  framework = "hipaa-security-rule"
  title     = "Information system activity review"
  citations = ["45 CFR 164.308(a)(1)(ii)(D)"]
  status    = "required"
  severity  = "medium"

  requirement = <<-EOT
    What privileged users did on the device is summarised from its audit
    trail for regular review, and alerts that nobody has reviewed yet, such
    as emergency access, are flagged. The automated check has a technician
    change dose limits and a clinician break the glass, asks the device for
    the review as an administrator, and confirms the review lists the
    technician's action and flags the emergency access as unreviewed.
  EOT

  remediation = <<-EOT
    Produce a privileged-activity report from the audit trail (Ward's
    access.Review), have someone other than the user concerned review each
    alert and record that review, and keep the reports.
  EOT

  crosswalk "fda-premarket" { refs = ["App1-F"] }
  crosswalk "nist-800-53" { refs = ["AU-6"] }

  verification {
    method = "scenario"
  }
}
