framework "hipaa-security-rule" {
  name = "HIPAA Security Rule"
}
