@FDA-PMC-AUTHN-2
Feature: Privileged accounts need a second factor
  The FDA premarket guidance (Appendix 1, authentication) and the proposed
  HIPAA 164.312(f)(2)(ii) ask for multi-factor authentication, above all for
  the accounts that can change how the device works. A stolen password alone
  must not open an administrator's, a service engineer's or a biomedical
  technician's session, and emergency access must not be a way around it.

  Scenario Outline: <user> (<role>) cannot log in with a password alone
    Given a <role> account "<user>"
    When "<user>" tries to log in with the correct password but no code
    Then the login is refused
    And "<user>" logs in with the password and a code from the authenticator app

    Examples:
      | role          | user       |
      | administrator | kim.lee    |
      | service       | ines.sato  |
      | biomed        | ravi.patel |

  Scenario: An administrator cannot break the glass to skip the second factor
    Given an administrator account "kim.lee"
    When "kim.lee" tries to break the glass giving the reason "locked out of my phone"
    Then the emergency access is refused
