framework "hipaa-security-rule" {
  name = "HIPAA Security Rule"
  tag_prefix = = "HIPAA"
}
