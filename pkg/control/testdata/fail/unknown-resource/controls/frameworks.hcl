framework "hipaa-security-rule" {
  name       = "HIPAA Security Rule"
  citation   = "45 CFR Part 164 Subpart C"
  tag_prefix = "HIPAA"
}
