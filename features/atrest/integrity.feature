@HIPAA-164.312-c-2 @touches:storage
Feature: Stored patient data is protected against undetected change
  HIPAA 45 CFR 164.312(c)(1)-(2) asks for a mechanism that shows ePHI has not
  been altered or destroyed without authorisation. A record edited offline,
  directly in the device's storage, must be refused when the device next
  loads it, never served as if it were genuine.

  Background:
    Given a clinician account "nurse.jones"
    And "nurse.jones" is logged in
    And "nurse.jones" stores a marker in the record of patient "P-1001"

  Scenario: A stored record edited offline is detected on the next read
    When an attacker with storage access alters the stored record of patient "P-1001"
    Then reading the record of patient "P-1001" as "nurse.jones" fails its integrity check
