@FDA-PMC-AUTHN-1 @touches:accounts
Feature: No default or hard-coded credentials
  The FDA premarket guidance (Appendix 1, authentication) expects devices to
  ship without default, hard-coded or published credentials. Attackers try
  the vendor defaults first; none of them may open a session.

  Scenario Outline: The vendor default "<user>"/"<password>" opens nothing
    When someone tries to log in as "<user>" with the password "<password>"
    Then the login is refused

    Examples:
      | user    | password |
      | admin   | admin    |
      | admin   | password |
      | admin   | 1234     |
      | root    | root     |
      | service | service  |
      | biomed  | biomed   |
      | user    | user     |
