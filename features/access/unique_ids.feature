@HIPAA-164.312-a-2-i @touches:accounts
Feature: Every account identifies one person
  HIPAA 45 CFR 164.312(a)(2)(i) requires a unique name or number for
  identifying and tracking each user. A generic or shared account ("nurse",
  "admin") makes the audit trail name a role instead of a person, so the
  device must refuse to create one, and two accounts must not differ only in
  letter case.

  Scenario Outline: A generic account name is refused
    When the provisioner tries to create a clinician account "<name>"
    Then the device refuses to create the account
    And nobody can log in as "<name>" with that password

    Examples:
      | name      |
      | nurse     |
      | admin     |
      | icu-nurse |
      | Shared2   |

  Scenario: Names that differ only in letter case are one identity
    Given a clinician account "nurse.jones"
    When the provisioner tries to create a clinician account "Nurse.Jones"
    Then the device refuses to create the account
