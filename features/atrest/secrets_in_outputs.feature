@FDA-PMC-CONF-1
Feature: Secrets are kept out of logs and exports
  FDA premarket guidance (Appendix 1, confidentiality) expects keys and
  passwords never to appear in logs, configuration exports or diagnostics,
  which travel to vendors and service desks far more often than the device.

  Scenario: The audit trail and configuration export hold no passwords or keys
    Given a clinician account "nurse.jones"
    And "nurse.jones" is logged in
    And "nurse.jones" tries to log in with a wrong password
    And a biomed account "ravi.patel"
    And "ravi.patel" is logged in
    When "ravi.patel" collects the device's audit trail and a configuration export
    Then neither holds the password of "nurse.jones" or the wrong password tried
    And neither holds the device's storage key
