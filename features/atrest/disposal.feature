@HIPAA-164.310-d-2-i @touches:storage
Feature: Decommissioning makes stored patient data unrecoverable
  HIPAA 45 CFR 164.310(d)(2)(i)-(ii) requires ePHI to be removed before a
  device is disposed of or its media re-used. With encryption at rest, the
  reliable way is crypto-erase: destroy the key, and every copy of the data,
  even one taken before, becomes noise.

  Background:
    Given a clinician account "nurse.jones"
    And "nurse.jones" is logged in
    And "nurse.jones" stores a marker in the record of patient "P-1001"
    And a biomed account "ravi.patel"
    And "ravi.patel" is logged in

  # It decommissions the device: the harness runs it on a simulator's
  # scratch units, and on anything else only with --allow-destructive.
  @destructive
  Scenario: After decommissioning, the marker cannot be recovered from any copy
    Given an attacker dumps the device's raw storage
    When "ravi.patel" decommissions the device
    Then the device's storage key is destroyed
    And the marker cannot be recovered from the earlier dump or from the device's storage
