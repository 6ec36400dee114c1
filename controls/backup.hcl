# Backup and disaster recovery. Scenarios: features/backup/.

control "HIPAA-164.308-a-7-ii-A" {
  framework = "hipaa-security-rule"
  title     = "Data backup plan"
  citations = ["45 CFR 164.308(a)(7)(ii)(A)", "45 CFR 164.310(d)(2)(iv)"]
  status    = "required"
  severity  = "high"

  requirement = <<-EOT
    The device can make retrievable, exact copies of its patient data.
    Backups are encrypted, so a copy that leaves the device reveals nothing,
    and authenticated, so an altered backup is refused on restore instead of
    being loaded. The automated check makes a backup, searches it for a
    marker stored just before, then alters a backup and confirms the restore
    is refused and the device's data is unchanged.
  EOT

  remediation = <<-EOT
    Seal backups with authenticated encryption under a site backup key (for
    example Ward's backup package, built on atrest), verify the whole backup
    before replacing any data, and keep the previous data on any failure.
  EOT

  crosswalk "mds2" { refs = ["DTBK"] }

  verification {
    method = "scenario"
  }
}

control "HIPAA-164.308-a-7-ii-B" {
  framework = "hipaa-security-rule"
  title     = "Disaster recovery (tested restore)"
  citations = ["45 CFR 164.308(a)(7)(ii)(B)", "45 CFR 164.308(a)(7)(ii)(D)", "NPRM 164.308(a)(13) (proposed)"]
  status    = "required"
  severity  = "high"

  requirement = <<-EOT
    Data can be restored after a loss, and the restore has been tested. The
    automated check backs up one unit, restores the backup onto a clean
    unit of the same model, and confirms that the patient record and the
    user account come back the same, within a recovery-time objective of 60
    seconds.
  EOT

  remediation = <<-EOT
    Back up every store that holds ePHI or configuration needed to resume
    care (records, accounts, settings), restore to a spare unit on a
    schedule, and record the measured recovery time.
  EOT

  crosswalk "mds2" { refs = ["DTBK"] }

  verification {
    method = "scenario"
  }
}
