@HIPAA-164.312-d
Feature: Every interface authenticates the person or entity using it
  HIPAA 45 CFR 164.312(d) requires the device to verify that whoever seeks
  access to ePHI is the one claimed. Reads and writes of patient data must be
  refused without a valid session, a made-up session token must not work, a
  wrong password must not open a session, and a session must end at logout.

  Background:
    Given a clinician account "nurse.jones"

  Scenario: Patient data cannot be read without logging in
    When someone without a session tries to read the record of patient "P-1001"
    Then the device refuses the request as unauthenticated

  @touches:storage
  Scenario: Patient data cannot be changed without logging in
    Given "nurse.jones" is logged in
    And "nurse.jones" reads the record of patient "P-1001"
    When someone without a session tries to update the record of patient "P-1001"
    Then the device refuses the request as unauthenticated
    And the record of patient "P-1001" is as "nurse.jones" last read it

  Scenario: A made-up session token is refused
    When someone presents a made-up session token to read the record of patient "P-1001"
    Then the device refuses the request as unauthenticated

  Scenario: A wrong password opens no session
    When "nurse.jones" tries to log in with a wrong password
    Then the login is refused

  Scenario: A session ends at logout
    Given "nurse.jones" is logged in
    When "nurse.jones" logs out
    And someone reuses the session "nurse.jones" had to read the record of patient "P-1001"
    Then the device refuses the request as unauthenticated
