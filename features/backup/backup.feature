@HIPAA-164.308-a-7-ii-A @touches:storage
Feature: Backups are made, encrypted, and refused when altered
  HIPAA 45 CFR 164.308(a)(7)(ii)(A) requires retrievable exact copies of
  ePHI, and 164.310(d)(2)(iv) a backup before equipment moves. A backup that
  leaves the device must be unreadable without the site's key, and a backup
  altered in storage must be refused on restore rather than silently loaded.
  Backups and restores are a biomedical technician's job.

  Background:
    Given a clinician account "nurse.jones"
    And "nurse.jones" is logged in
    And "nurse.jones" stores a marker in the record of patient "P-1001"
    And a biomed account "ravi.patel"
    And "ravi.patel" is logged in

  Scenario: A backup holds no patient data in the clear
    When "ravi.patel" makes a backup of the device
    Then the marker appears nowhere in the backup

  Scenario: An altered backup is refused on restore and changes nothing
    Given "ravi.patel" makes a backup of the device
    And "nurse.jones" reads the record of patient "P-1001"
    When an attacker alters the backup
    Then restoring the altered backup as "ravi.patel" is refused
    And the record of patient "P-1001" is as "nurse.jones" last read it
