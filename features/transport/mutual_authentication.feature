@FDA-PMC-AUTHN-3
Feature: Both ends of a clinical data session are authenticated
  FDA premarket guidance Appendix 1 (authentication) and IEC 62443-4-2
  CR 1.2 and 1.8: a device and its peers authenticate each other with
  certificates; an unknown, untrusted or expired certificate on either side
  means no session: the device says nothing to such a peer and acts on
  nothing it sends.

  Background:
    Given the harness is a trusted peer of the clinical feed

  Scenario: The clinical feed authenticates itself with a certificate
    Then the clinical feed proves its identity with a certificate from the device's CA

  @touches:clinical-settings
  Scenario: The clinical feed refuses peers it cannot authenticate
    Then a peer without a client certificate is refused by the clinical feed
    And a peer with a certificate from an authority the device does not trust is refused by the clinical feed
    And a peer with an expired certificate from the device's own authority is refused by the clinical feed
