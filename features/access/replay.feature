@FDA-PMC-AUTHN-4
Feature: One-time codes work once
  The FDA premarket guidance (Appendix 1, authentication) expects protection
  against replay, and NIST SP 800-63B requires a one-time code to be
  accepted only once. Someone who watched an administrator type the code
  must not be able to log in with it, and the attempt must be recorded.

  Scenario: A code that was just used is refused, and the attempt recorded
    Given an administrator account "kim.lee"
    And "kim.lee" logs in with the password and a code from the authenticator app
    When an attacker who saw that code replays it with the password of "kim.lee"
    Then the login is refused
    And the audit trail records a refused attempt by "kim.lee" after its successful login
