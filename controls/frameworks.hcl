# Frameworks: the bodies of rules Ward's controls come from. Each control
# names one, and its id starts with that framework's tag_prefix and "-".
# See docs/controls.md for the format.

framework "hipaa-security-rule" {
  name       = "HIPAA Security Rule"
  citation   = "45 CFR Part 164 Subpart C"
  tag_prefix = "HIPAA"
  url        = "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C"
  short_name = "HIPAA Security Rule (45 CFR Part 164 Subpart C)"

  section "164.308" {
    title    = "§ 164.308 Administrative safeguards"
    controls = [
      "HIPAA-164.308-a-1-ii-D",
      "HIPAA-164.308-a-3-ii",
      "HIPAA-164.308-a-5-ii-B",
      "HIPAA-164.308-a-5-ii-C",
      "HIPAA-164.308-a-5-ii-D",
      "HIPAA-164.308-a-6-ii",
      "HIPAA-164.308-a-7-ii-A",
      "HIPAA-164.308-a-7-ii-B",
      "HIPAA-164.308-a-7-ii-C",
    ]
  }

  section "164.310" {
    title    = "§ 164.310 Physical safeguards"
    controls = ["HIPAA-164.310-d-2-i"]
  }

  section "164.312" {
    title    = "§ 164.312 Technical safeguards"
    controls = [
      "HIPAA-164.312-a-2-i",
      "HIPAA-164.312-a-2-ii",
      "HIPAA-164.312-a-2-iii",
      "HIPAA-164.312-a-2-iv",
      "HIPAA-164.312-b",
      "HIPAA-164.312-c-2",
      "HIPAA-164.312-d",
      "HIPAA-164.312-e-2-i",
      "HIPAA-164.312-e-2-ii",
    ]
  }

  section "164.316" {
    title    = "§ 164.316 Policies and procedures and documentation requirements"
    controls = ["HIPAA-164.316-b-2-i"]
  }
}

# Proposed, not in force: its controls have status "proposed".
framework "hipaa-nprm-2025" {
  name       = "HIPAA Security Rule To Strengthen the Cybersecurity of Electronic Protected Health Information (proposed rule, 2025-01-06)"
  citation   = "90 FR 898, RIN 0945-AA22"
  tag_prefix = "NPRM"
  url        = "https://www.federalregister.gov/documents/2025/01/06/2024-30983/hipaa-security-rule-to-strengthen-the-cybersecurity-of-electronic-protected-health-information"
  short_name = "HIPAA Security Rule: proposed changes (NPRM, 2025; not in force)"

  section "164.308" {
    title    = "§ 164.308 Administrative safeguards"
    controls = ["NPRM-164.308-a-1"]
  }

  section "164.312" {
    title    = "§ 164.312 Technical safeguards"
    controls = ["NPRM-164.312-a-2-vi", "NPRM-164.312-h-2"]
  }
}

# Appendix 1 lists the security control categories FDA expects a premarket
# submission to address; they are this framework's sections.
framework "fda-premarket" {
  name       = "Cybersecurity in Medical Devices: Quality System Considerations and Content of Premarket Submissions"
  citation   = "FDA guidance (2023, revised 2025), Appendix 1"
  tag_prefix = "FDA-PMC"
  url        = "https://www.fda.gov/regulatory-information/search-fda-guidance-documents/cybersecurity-medical-devices-quality-system-considerations-and-content-premarket-submissions"
  short_name = "FDA premarket cybersecurity guidance, Appendix 1"

  section "A" {
    title    = "Appendix 1, A: Authentication"
    controls = [
      "FDA-PMC-AUTHN-1",
      "FDA-PMC-AUTHN-2",
      "FDA-PMC-AUTHN-3",
      "FDA-PMC-AUTHN-4",
      "FDA-PMC-INTEG-1",
    ]
  }

  section "B" {
    title    = "Appendix 1, B: Authorization"
    controls = ["FDA-PMC-AUTHZ-1", "FDA-PMC-AUTHZ-2"]
  }

  section "C" {
    title    = "Appendix 1, C: Cryptography"
    controls = [
      "FDA-PMC-CRYPTO-1",
      "FDA-PMC-CRYPTO-2",
      "FDA-PMC-INTEG-2",
    ]
  }

  section "D" {
    title    = "Appendix 1, D: Code, Data, and Execution Integrity"
    controls = [
      "FDA-PMC-AUTHZ-3",
      "FDA-PMC-ID-1",
      "FDA-PMC-INTEG-5",
    ]
  }

  section "E" {
    title    = "Appendix 1, E: Confidentiality"
    controls = ["FDA-PMC-CONF-1"]
  }

  section "F" {
    title    = "Appendix 1, F: Event Detection and Logging"
    controls = [
      "FDA-PMC-CONFIG-1",
      "FDA-PMC-DETECT-1",
      "FDA-PMC-LOG-1",
      "FDA-PMC-LOG-2",
    ]
  }

  section "G" {
    title    = "Appendix 1, G: Resiliency and Recovery"
    controls = ["FDA-PMC-RESIL-1"]
  }

  section "H" {
    title    = "Appendix 1, H: Firmware and Software Updates"
    controls = ["FDA-PMC-UPD-1", "FDA-PMC-UPD-2"]
  }
}

framework "fdca-524b" {
  name       = "Ensuring Cybersecurity of Devices (cyber devices)"
  citation   = "FD&C Act section 524B (21 U.S.C. 360n-2)"
  tag_prefix = "524B"
  short_name = "FD&C Act section 524B (cyber devices)"
}
