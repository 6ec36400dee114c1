@HIPAA-164.308-a-5-ii-D @touches:accounts
Feature: Guessable passwords are refused
  HIPAA 45 CFR 164.308(a)(5)(ii)(D) asks for procedures for creating,
  changing and safeguarding passwords. The device must refuse the passwords
  an attacker tries first: vendor defaults and common passwords (also
  dressed up with digits and symbols), passwords built from the user's name,
  repetitions, sequences and keyboard runs, and short ones.

  Scenario Outline: The password "<password>" is refused when an account is created
    When the provisioner tries to create a clinician account "pat.doe" with the password "<password>"
    Then the device refuses to create the account
    And nobody can log in as "pat.doe" with that password

    Examples:
      | password             | because                  |
      | admin                | a vendor default         |
      | Password12345678!    | a common password        |
      | Welcome2025!!!!!     | a common password        |
      | pat.doe.is.my.name   | it holds the user's name |
      | aaaaaaaaaaaaaaaaaaaa | one repeated character   |
      | 12345678901234567890 | a sequence               |
      | qwertyuiopasdfghjkl  | a keyboard run           |
      | correct horse        | too short                |
