# Frameworks: the bodies of rules Ward's controls come from. Each control
# names one, and its id starts with that framework's tag_prefix and "-".
# See docs/controls.md for the format.

framework "hipaa-security-rule" {
  name       = "HIPAA Security Rule"
  citation   = "45 CFR Part 164 Subpart C"
  tag_prefix = "HIPAA"
  url        = "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C"
}

# Proposed, not in force: its controls have status "proposed".
framework "hipaa-nprm-2025" {
  name       = "HIPAA Security Rule To Strengthen the Cybersecurity of Electronic Protected Health Information (proposed rule, 2025-01-06)"
  citation   = "90 FR 898, RIN 0945-AA22"
  tag_prefix = "NPRM"
  url        = "https://www.federalregister.gov/documents/2025/01/06/2024-30983/hipaa-security-rule-to-strengthen-the-cybersecurity-of-electronic-protected-health-information"
}

# Appendix 1 lists the security control categories FDA expects a premarket
# submission to address: A Authentication, B Authorization, C Cryptography,
# D Code, Data and Execution Integrity, E Confidentiality, F Event Detection
# and Logging, G Resiliency and Recovery, H Firmware and Software Updates.
framework "fda-premarket" {
  name       = "Cybersecurity in Medical Devices: Quality System Considerations and Content of Premarket Submissions"
  citation   = "FDA guidance (2023, revised 2025), Appendix 1"
  tag_prefix = "FDA-PMC"
  url        = "https://www.fda.gov/regulatory-information/search-fda-guidance-documents/cybersecurity-medical-devices-quality-system-considerations-and-content-premarket-submissions"
}

framework "fdca-524b" {
  name       = "Ensuring Cybersecurity of Devices (cyber devices)"
  citation   = "FD&C Act section 524B (21 U.S.C. 360n-2)"
  tag_prefix = "524B"
}
