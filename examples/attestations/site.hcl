# Attestations for the catalogue's procedural controls, as a site would
# write them. Copy this file, replace people, dates and evidence with your
# own, and pass it to `ward check --attestations site.hcl`. Evidence paths
# are relative to this file; each file is hashed into the evidence bundle.
# (The evidence files here are placeholders.)

attestation "TRAINING-2026" {
  control     = "HIPAA-164.308-a-3-ii"
  attested_by = "Sam Lee, Clinical Engineering lead"
  date        = "2026-11-02"
  expires     = "2027-11-01"
  evidence    = ["evidence/training-roster-2026.txt"]
}

attestation "RETENTION-POLICY" {
  control     = "HIPAA-164.316-b-2-i"
  attested_by = "Priya Shah, Privacy Officer"
  date        = "2026-01-15"
  expires     = "2027-01-14"
  evidence    = ["evidence/retention-policy.txt"]
}

# The biomed technician's per-device security checklist (the seeds' "a
# checklist of security checks for each device"), signed off after each
# preventive-maintenance visit, serves as the scan evidence between the
# six-monthly vulnerability scans.
attestation "PM-SIM-IP-000001-2026-11" {
  control     = "NPRM-164.312-h-2"
  attested_by = "Ravi Patel, Biomedical Technician"
  date        = "2026-11-20"
  expires     = "2027-05-19"
  evidence    = ["evidence/biomed-checklist-SIM-IP-000001.txt", "evidence/vulnerability-scan-summary.txt"]
}
