@HIPAA-164.308-a-5-ii-C
Feature: Failed logins are slowed down, locked out and recorded
  HIPAA 45 CFR 164.308(a)(5)(ii)(C) asks for procedures for monitoring
  log-in attempts. Online password guessing must run into backoff or lockout
  within a handful of attempts, and every failed attempt must be in the
  audit trail for someone to notice.

  Background:
    Given a clinician account "nurse.jones"

  Scenario: Rapid guessing is stopped, and every attempt is recorded
    When an attacker tries 5 wrong passwords for "nurse.jones"
    Then the audit trail records each of the 5 failed attempts by "nurse.jones"
    And "nurse.jones" cannot log in even with the correct password

  @touches:clock
  Scenario: Slow guessing still locks the account
    When an attacker tries 5 wrong passwords for "nurse.jones", one a minute
    And 1 minute passes
    Then "nurse.jones" cannot log in even with the correct password
