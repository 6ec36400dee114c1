@HIPAA-164.312-a-2-iv @touches:storage
Feature: Patient data and credentials are encrypted at rest
  HIPAA 45 CFR 164.312(a)(2)(iv) asks for encryption of stored ePHI, and the
  FDA premarket guidance (Appendix 1, confidentiality) expects it on by
  default. Someone who removes the device's flash and reads it raw must find
  neither patient data nor credentials in it, in any common encoding.

  Background:
    Given a clinician account "nurse.jones"
    And "nurse.jones" is logged in

  Scenario: A raw storage dump holds no patient data in the clear
    When "nurse.jones" stores a marker in the record of patient "P-1001"
    And an attacker dumps the device's raw storage
    Then the marker appears nowhere in the dump
    And nothing from the record of patient "P-1001" appears in the dump

  Scenario: A raw storage dump holds no password in the clear
    When an attacker dumps the device's raw storage
    Then the password of "nurse.jones" appears nowhere in the dump
