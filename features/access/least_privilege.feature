@FDA-PMC-AUTHZ-1
Feature: Each role can do what it needs and nothing more
  The FDA premarket guidance (Appendix 1, authorization) and HIPAA
  164.308(a)(4) ask that each user be granted only the access their job
  needs, checked at every operation. A clinician must not flash firmware, a
  patient must not change dose limits, and an administrator of accounts must
  not read patient records; each role's own work must still be allowed.

  Scenario Outline: <user> (<role>) may not <operation>
    Given a <role> account "<user>"
    And "<user>" is logged in
    When "<user>" tries to perform "<operation>"
    Then the operation is refused as forbidden

    Examples:
      | role          | user        | operation              |
      | clinician     | nurse.jones | firmware.update        |
      | clinician     | nurse.jones | infusion.limits.change |
      | clinician     | nurse.jones | user.manage            |
      | patient       | pat.doe     | infusion.limits.change |
      | patient       | pat.doe     | infusion.program       |
      | patient       | pat.doe     | phi.read               |
      | biomed        | ravi.patel  | phi.read               |
      | administrator | kim.lee     | phi.read               |
      | administrator | kim.lee     | firmware.update        |
      | service       | ines.sato   | phi.read               |

  Scenario Outline: <user> (<role>) may <operation>
    Given a <role> account "<user>"
    And "<user>" is logged in
    Then "<user>" performs "<operation>"

    Examples:
      | role          | user        | operation              |
      | clinician     | nurse.jones | infusion.program       |
      | biomed        | ravi.patel  | infusion.limits.change |
      | administrator | kim.lee     | user.manage            |
      | service       | ines.sato   | firmware.update        |
