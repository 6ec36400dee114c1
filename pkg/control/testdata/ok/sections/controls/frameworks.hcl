framework "hipaa-security-rule" {
  name       = "HIPAA Security Rule"
  citation   = "45 CFR Part 164 Subpart C"
  tag_prefix = "HIPAA"
  short_name = "HIPAA Security Rule (45 CFR Part 164 Subpart C)"

  section "164.308" {
    title    = "§ 164.308 Administrative safeguards"
    controls = ["HIPAA-164.308-a-1"]
  }
  section "164.312" {
    title    = "§ 164.312 Technical safeguards"
    controls = ["HIPAA-164.312-b", "HIPAA-164.312-d"]
  }
}

framework "fdca-524b" {
  name       = "Ensuring Cybersecurity of Devices"
  citation   = "FD&C Act section 524B"
  tag_prefix = "524B"
}
