framework "hipaa-nprm-2025" {
  name       = "HIPAA Security Rule NPRM"
  citation   = "90 FR 898"
  tag_prefix = "HIPAA"
}
