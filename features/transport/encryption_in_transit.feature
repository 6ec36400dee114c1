@HIPAA-164.312-e-2-ii
Feature: Patient data travels only inside modern TLS
  HIPAA 45 CFR 164.312(e)(1) and (e)(2)(ii) call for encryption of ePHI in
  transit (required under the 2025 NPRM). Every network service of the
  device (its HL7 feed, its management API) must refuse to talk in
  cleartext and refuse protocol versions below TLS 1.2.

  Scenario: No network service of the device answers in cleartext
    When the harness connects in cleartext to each network service of the device
    Then no service answers in cleartext

  # Refusing deprecated protocols is also what FDA's Appendix 1, C asks of
  # cryptography ("no downgrade"), so this scenario verifies that control too.
  @FDA-PMC-CRYPTO-1
  Scenario: No network service of the device accepts TLS 1.0 or legacy cipher suites
    When the harness offers TLS 1.0 with legacy cipher suites to each TLS service of the device
    Then no service accepts TLS below 1.2
