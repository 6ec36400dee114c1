@FDA-PMC-CONFIG-1 @touches:security-settings
Feature: Security settings stay at the approved baseline
  FDA premarket guidance (Appendix 1) and IEC 62443-4-2 CR 7.6 expect a
  device to run its approved secure configuration and to return to a
  trusted default when reset by an authorised party. Drift (a service port
  left open, USB storage switched on) is found by comparing every setting
  with the baseline.

  Background:
    Given a biomed account "ravi.patel"
    And "ravi.patel" is logged in
    And the approved security baseline for the device

  Scenario: The running security settings equal the approved baseline
    When "ravi.patel" reads the device's security settings
    Then every baseline setting has its approved value

  Scenario: An authenticated reset restores the trusted default
    When "ravi.patel" changes a security setting away from the baseline
    And "ravi.patel" resets the security settings
    Then every baseline setting has its approved value

  Scenario: Resetting the settings needs a session
    When someone without a session tries to reset the security settings
    Then the reset is refused as unauthenticated
