@FDA-PMC-AUTHZ-3 @touches:alerts @touches:quarantine
Feature: The device talks only to the peers it needs
  FDA premarket guidance (Appendix 1, D and F) expects a communication-peer
  allowlist: a connection to a host on no list is blocked and recorded,
  and patient data goes only to listed peers.

  Scenario: A connection to an unlisted host is blocked and recorded
    When the device tries to connect to "203.0.113.66" port 4444
    Then the connection is blocked
    And the device recorded the blocked connection to "203.0.113.66"

  Scenario: Patient data reaches the listed EHR interface
    When the device tries to connect to "ehr" port 443
    Then the connection is allowed
